"""VIVA Digital: the quirks a user of the records would notice."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.vivadigital import VivaDigitalSpider

SITE = MIRROR / "vivadigital"
ARTICLES = SITE / "articles"
BASE = "https://www.viva.co.id/digital"
URLS = {
    "1812345": f"{BASE}/piranti/1812345-ponsel-gaming-berbaterai-7000-mah-meluncur-harga-rp4-jutaan",
    "1812510": f"{BASE}/startup/1812510-startup-logistik-pangkas-konsumsi-bbm-armada-dengan-ai",
    "1811980": f"{BASE}/digilife/1811980-lima-cara-mengamankan-akun-media-sosial-dari-peretasan",
}
LAYOUT_MARKERS = {
    'class="main-content-detail"': 'class="article-body"',
    'class="main-content-title"': 'class="headline"',
    'class="main-content-author"': 'class="byline"',
    'class="main-content-date"': 'class="stamp"',
    'class="main-content-image"': 'class="photo"',
}


def record(article_id: str, html: Path | None = None, query: str = "?page=all") -> dict:
    return extract_file(
        VivaDigitalSpider, html or ARTICLES / f"{article_id}.html", URLS[article_id] + query
    )


def variant(tmp_path: Path, article_id: str, replacements: dict[str, str]) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    return record(article_id, edited_copy(ARTICLES / f"{article_id}.html", replacements, tmp_path))


def test_viva_lead_is_not_body_and_a_place_before_it_is_the_dateline():
    # "VIVA Tekno –", "Jakarta, VIVA –", "VIVA –".
    expected = {"1812345": None, "1812510": "Jakarta", "1811980": None}
    for article_id, place in expected.items():
        rec = record(article_id)
        assert rec["dateline"] == place, article_id
        assert "VIVA" not in rec["body"], article_id
        assert not rec["body"].startswith(("Tekno", "–", "-", "Jakarta,"))
    assert record("1812345")["body"].startswith("Sebuah merek ponsel asal China")
    assert record("1812510")["body"].startswith("Perusahaan rintisan logistik asal Jakarta")


def test_recommended_and_other_article_boxes_ads_and_pager_stay_out_of_the_body():
    bodies = {article_id: record(article_id)["body"] for article_id in URLS}
    for body in bodies.values():
        for leftover in (
            "Baca Juga",
            "Artikel Lainnya",
            "ADVERTISEMENT",
            "Halaman Selanjutnya",
            "Photo :",
        ):
            assert leftover not in body
    assert "Penjualan Ponsel 5G" not in bodies["1812345"]
    assert "Pendanaan Startup Indonesia Turun" not in bodies["1812510"]
    assert "Modus Penipuan Undangan" not in bodies["1811980"]
    # The text on both sides of the pager link is one story.
    assert "lewat pesan langsung.\n\n“Kalau akun sudah terlanjur" in bodies["1811980"]
    assert bodies["1811980"].endswith("meminta akses penuh ke akun.")


def test_every_writer_linked_in_the_byline_is_an_author():
    assert record("1812510")["authors"] == ["Siti Nurhaliza Putri", "Bagus Wicaksono"]
    assert record("1812345")["authors"] == ["Rizky Pratama"]
    for article_id in URLS:
        rec = record(article_id)
        assert rec["editors"] == [] and rec["editor_codes"] == []


def test_printed_date_with_dash_and_wib_parses_to_the_minute(tmp_path):
    # 1812510 has no JSON-LD date: "Selasa, 17 Juni 2025 - 08:15 WIB".
    rec = record("1812510")
    assert (rec["date_source"], rec["published_at"]) == ("text", "2025-06-17T08:15:00+07:00")
    stamps = {
        '"datePublished": "2025-06-16T14:05:00+07:00",': "",
        '<meta property="article:published_time" content="2025-06-16T14:05:00+07:00">': "",
    }
    rec = variant(tmp_path, "1812345", stamps)
    assert (rec["date_source"], rec["published_at"]) == ("text", "2025-06-16T14:05:00+07:00")


def test_photo_credit_after_photo_label_is_split_from_the_caption():
    image = record("1812345")["image"]
    assert image["caption"] == "Ponsel gaming berbaterai 7.000 mAh saat peluncuran di Jakarta."
    assert image["credit"] == "VIVA/Rizky Pratama"
    assert record("1812510")["image"]["credit"] == "Freepik"
    assert record("1811980")["image"]["credit"] == "Pixabay"


def test_category_is_the_last_breadcrumb_without_glyphs():
    assert [record(a)["category"] for a in URLS] == ["Piranti", "Startup", "Digilife"]


def test_page_all_and_mobile_host_are_not_part_of_the_record_url():
    for query in ("?page=all", "?page=all&utm_source=rss", ""):
        rec = record("1811980", query=query)
        assert rec["url"] == URLS["1811980"]
        assert rec["id"] == "vivadigital:1811980"
    spider = VivaDigitalSpider()
    assert (
        spider.canonicalize(URLS["1811980"].replace("www.", "m.") + "?page=all") == URLS["1811980"]
    )


def test_unknown_layout_without_article_body_is_read_by_the_generic_path(tmp_path):
    expected = record("1812345")
    rec = variant(tmp_path, "1812345", LAYOUT_MARKERS)
    assert rec["parser"] == "vivadigital@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("body", "dateline", "editor_codes"):
        assert rec[name] == expected[name], name
    # What is filled is still right: headline, writer and date from JSON-LD, no guessed caption.
    assert rec["title"] == "Ponsel Gaming Berbaterai 7.000 mAh Meluncur, Harga Rp4 Jutaan"
    assert rec["authors"] == ["Rizky Pratama"]
    assert rec["published_at"] == "2025-06-16T14:05:00+07:00"
    assert rec["image"]["caption"] is None


def test_crawl_requests_page_all_once_and_skips_videos_photos_and_other_channels(crawl):
    result = crawl("vivadigital", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    records = result.records("vivadigital")
    assert {r["url"] for r in records} == set(URLS.values())
    # 1812345 is in the listing, the feed (http, utm_*) and the sitemap; 1811980 is linked
    # from the feed on m.viva.co.id and from listing page 2.
    for article_id, url in URLS.items():
        requested = re.findall(rf"Crawled \(200\) <GET {re.escape(url)}\?page=all>", result.log)
        assert len(requested) == 1, article_id
    for skipped in ("/video/", "/foto/", "/otomotif/", "m.viva.co.id", "/tag/"):
        assert not re.search(rf"<GET [^>]*{re.escape(skipped)}", result.log), skipped
    assert result.stat("newscrawl/links/non_article") >= 3
    assert result.stat("newscrawl/mirror/missing") == 0
