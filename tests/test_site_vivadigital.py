"""VIVA Digital: the quirks a user of the records would notice."""

from __future__ import annotations

import json
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
    "1812702": f"{BASE}/digilife/1812702-pemain-gim-mobile-di-indonesia-tembus-120-juta-didominasi-usia-muda",
    "1812890": f"{BASE}/startup/1812890-startup-kesehatan-luncurkan-konsultasi-dokter-berbahasa-daerah",
}
# A full-size page in the 2024 template (headline slider, widgets, ads, inserts, a page
# break) and a page of a template the site file does not declare (detail-* classes).
NOISY = "1812702"
REDESIGN = "1812890"
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


def expected_record(article_id: str) -> dict:
    return json.loads((ARTICLES / f"{article_id}.expected.json").read_text(encoding="utf-8"))


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
    assert [record(a)["category"] for a in URLS] == [
        "Piranti", "Startup", "Digilife", "Digilife", "Startup"
    ]


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
    # What is filled is still right: headline, writer and date from JSON-LD, and the cover's
    # printed caption.
    assert rec["title"] == "Ponsel Gaming Berbaterai 7.000 mAh Meluncur, Harga Rp4 Jutaan"
    assert rec["authors"] == ["Rizky Pratama"]
    assert rec["published_at"] == "2025-06-16T14:05:00+07:00"
    assert rec["image"]["caption"] == expected["image"]["caption"]


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


def test_noisy_page_fields_come_from_the_story_not_the_widgets():
    # 172 KB: a channel header in an <h1>, a headline slider above the story, "Berita
    # Terkait", "Jangan Lewatkan", "Terpopuler", "Terkini" and VIVA Networks cards below it,
    # each with a headline, a relative time and often a writer.
    rec = record(NOISY)
    assert rec["parser"] == "vivadigital@2024"
    assert rec["title"] == "Pemain Gim Mobile di Indonesia Tembus 120 Juta, Didominasi Usia Muda"
    assert (rec["date_source"], rec["published_at"]) == ("jsonld", "2025-06-18T16:20:00+07:00")
    # The printed "Rabu, 18 Juni 2025 - 16:20 WIB" agrees; the cards' times are not read.
    assert rec["quality_flags"] == []
    assert (rec["authors"], rec["editors"]) == (["Arief Nugraha Saputra"], [])
    assert rec["image"] == {
        "url": "https://thumb.viva.co.id/media/frontend/thumbs3/2025/06/18/pemain-gim-mobile-turnamen.jpg",
        "caption": "Sejumlah pemain mengikuti turnamen gim mobile tingkat pelajar di Jakarta.",
        "credit": "VIVA/M Ali Wafa",
    }
    assert rec["category"] == "Digilife"
    assert rec["tags"] == ["Gim Mobile", "Esports", "Industri Gim", "Digilife"]
    assert rec["dateline"] is None  # "VIVA Tekno –" names no place
    assert rec["body"].startswith("Jumlah pemain gim di perangkat seluler di Indonesia")
    assert rec["body"].endswith("diminati pemain dewasa muda.")


def test_noisy_page_body_keeps_no_box_ad_video_prompt_pager_or_caption():
    body = record(NOISY)["body"]
    for leftover in (
        "Baca Juga",
        "Batas Waktu Bermain Gim",  # titles in the "Baca Juga" boxes
        "Mengamankan Akun Gim",
        "Artikel Lainnya",
        "Konsol Genggam",
        "ADVERTISEMENT",
        "Simak Video",
        "Halaman Selanjutnya",
        "Suasana turnamen",  # in-body caption
        "Photo :",
        "VIVA",
        "Tags",
        "Komentar",
    ):
        assert leftover not in body, leftover
    assert body == expected_record(NOISY)["body"]
    # The text on both sides of the page break is one story.
    assert "dan Amerika Serikat.\n\nKetua sebuah asosiasi" in body


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_body():
    expected = expected_record(REDESIGN)
    rec = record(REDESIGN)
    assert rec["parser"] == "vivadigital@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("body", "dateline", "editor_codes", "title", "authors", "published_at",
                 "category"):
        assert rec[name] == expected[name], name
    assert rec["dateline"] == "Jakarta"  # "Jakarta, VIVA –"
    assert rec["authors"] == ["Putri Ayu Lestari", "Fikri Maulana"]
    for leftover in ("Baca Juga", "ADVERTISEMENT", "Simak Video", "Dok. SehatKita", "VIVA", "Oleh"):
        assert leftover not in rec["body"], leftover


def test_redesign_tags_are_the_printed_tags():
    assert record(REDESIGN)["tags"] == ["Startup", "Kesehatan Digital", "Telemedisin"]


def test_redesign_cover_caption_and_credit_are_read():
    assert record(REDESIGN)["image"] == expected_record(REDESIGN)["image"]
