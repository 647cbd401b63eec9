"""Okezone Techno: the quirks a user of the records would notice."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.okezonetechno import OkezoneTechnoSpider

SITE = MIRROR / "okezonetechno"
ARTICLES = SITE / "articles"
BASE = "https://techno.okezone.com/read/2025/06"
URLS = {
    "3147776": f"{BASE}/16/57/3147776/ponsel-lipat-kelas-menengah-resmi-dijual-di-indonesia-harga-mulai-rp8-jutaan",
    "3148012": f"{BASE}/17/54/3148012/operator-seluler-tambah-kapasitas-jaringan-jelang-libur-sekolah",
    "3146530": f"{BASE}/12/55/3146530/waspada-penipuan-deepfake-suara-begini-cara-mengenalinya",
    "3147650": f"{BASE}/16/56/3147650/peneliti-bandung-kembangkan-sensor-gempa-murah-berbasis-iot",
    "3148455": f"{BASE}/18/57/3148455/laptop-pelajar-dengan-fitur-ai-mulai-dijual-harga-mulai-rp5-jutaan",
    "3148790": f"{BASE}/19/54/3148790/pindah-operator-kini-bisa-lewat-esim-pelanggan-tak-perlu-ke-gerai",
}
# A full-size page (172 KB) of the 2025 layout: header menus, "Berita Pilihan" cards before the
# story and "Berita Terkait"/"Rekomendasi"/"Terpopuler" after it, each with its own title, time
# and byline; ads, inserts, a video and an in-body photo inside the body.
NOISY = "3148455"
# A revamp the site file does not declare (BEM classes, <article>/<figure>/<time>, inserts in
# <aside>): JSON-LD without articleBody, so the body comes from the generic path.
REDESIGN = "3148790"
# The markers of the current template; removing them makes the page an "unknown layout".
LAYOUT_MARKERS = {
    'class="c-detail read"': 'class="article-body"',
    'class="title-article"': 'class="title"',
    'class="journalist"': 'class="author"',
    'class="breadcrumb"': 'class="crumbs"',
    'class="detail-img"': 'class="photo"',
    'class="detail-tag newtag"': 'class="tags"',
}


def expected(article_id: str) -> dict:
    return json.loads((ARTICLES / f"{article_id}.expected.json").read_text(encoding="utf-8"))


def record(article_id: str, html: Path | None = None) -> dict:
    return extract_file(
        OkezoneTechnoSpider, html or ARTICLES / f"{article_id}.html", URLS[article_id]
    )


def variant(tmp_path: Path, article_id: str, replacements: dict[str, str]) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    return record(article_id, edited_copy(ARTICLES / f"{article_id}.html", replacements, tmp_path))


def without_dates(tmp_path: Path, article_id: str, extra: dict[str, str]) -> dict:
    html = (ARTICLES / f"{article_id}.html").read_text(encoding="utf-8")
    stamps = set(re.findall(r'"date(?:Published|Modified)": "[^"]+",?', html))
    stamps |= set(re.findall(r'<meta property="article:(?:published|modified)_time"[^>]*>', html))
    assert stamps
    return variant(tmp_path, article_id, {**{s: "" for s in stamps}, **extra})


def test_writer_comes_from_the_title_attribute_and_the_name_tag_is_the_editor():
    rec = record("3148012")
    # The link text is shortened ("Rina W"); the title attribute holds the full name.
    assert rec["authors"] == ["Rina Wulandari"]
    assert rec["editors"] == ["Arief Setyadi"]
    assert rec["editor_codes"] == []
    assert "Arief" not in rec["body"]
    assert rec["body"].endswith("dalam waktu 1x24 jam.")


@pytest.mark.parametrize(
    ("article_id", "codes", "last_words"),
    [
        ("3147776", ["kha"], "tukar tambah ponsel lama."),
        ("3146530", ["SIS"], "membawa bukti percakapan."),
        ("3147650", ["aln"], "ke jaringan yang sama."),
    ],
)
def test_closing_initials_become_editor_codes_and_leave_the_body(article_id, codes, last_words):
    rec = record(article_id)
    assert rec["editor_codes"] == codes
    assert rec["editors"] == []
    assert rec["body"].endswith(last_words)


def test_a_closing_source_in_parentheses_is_not_an_editor(tmp_path):
    # "(Reuters)" is one word and not initials: it stays in the text, nothing is invented.
    rec = variant(tmp_path, "3147650", {"<p>(aln)</p>": "<p>(Reuters)</p>"})
    assert rec["editors"] == []
    assert rec["editor_codes"] == []
    assert rec["body"].endswith("(Reuters)")


def test_dateline_is_lifted_from_the_lead():
    assert record("3147776")["dateline"] == "Jakarta"  # "JAKARTA –"
    assert record("3148012")["dateline"] == "Jakarta"  # "JAKARTA -"
    assert record("3147650")["dateline"] == "Bandung"
    assert record("3146530")["dateline"] is None
    for article_id in URLS:
        assert not re.match(r"(?i)(jakarta|bandung)\s*[–-]", record(article_id)["body"])


def test_inserts_ads_and_furniture_stay_out_of_the_body():
    bodies = {article_id: record(article_id)["body"] for article_id in URLS}
    for body in bodies.values():
        for leftover in (
            "Baca juga",
            "ADVERTISEMENT",
            "WhatsApp Channel",
            "Telusuri berita",
            "Foto:",
            "Freepik",
            "Video:",
            "Berita Terkait",
        ):
            assert leftover not in body
    # The "Baca juga" link titles and the related-story list after "Telusuri" are gone too.
    assert "Pasar Ponsel Indonesia" not in bodies["3147776"]
    assert "Tarif Internet Seluler" not in bodies["3148012"]
    assert "Paket internet rumah" not in bodies["3148012"]  # a text ad in a banner_* block
    assert "Mengamankan Akun Email" not in bodies["3146530"]


def test_broken_jsonld_is_salvaged_and_agrees_with_the_utc_meta_time():
    # 3146530's JSON-LD is not JSON (unescaped quotes in the headline): its headline, date
    # and author are still read from it, and agree with the meta time printed in UTC.
    rec = record("3146530")
    assert rec["date_source"] == "jsonld"
    assert rec["title"] == 'Waspada Penipuan "Deepfake" Suara, Begini Cara Mengenalinya'
    assert rec["published_at"] == "2025-06-12T19:45:00+07:00"
    assert rec["modified_at"] == "2025-06-13T08:10:00+07:00"
    assert "date_disagreement" not in rec["quality_flags"]


def test_utc_meta_time_is_stored_as_wib(tmp_path):
    html = (ARTICLES / "3146530.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/ld\+json">.*?</script>', html, re.S)
    assert blocks
    rec = variant(tmp_path, "3146530", dict.fromkeys(blocks, ""))
    assert rec["date_source"] == "meta"
    assert rec["published_at"] == "2025-06-12T19:45:00+07:00"
    assert rec["modified_at"] == "2025-06-13T08:10:00+07:00"


def test_visible_date_with_jurnalis_prefix_and_glued_time(tmp_path):
    # ",\u00a0Jurnalis-Senin, 16 Juni 2025 |15:20 WIB" is the only date left on the page.
    rec = without_dates(tmp_path, "3147776", {})
    assert rec["date_source"] == "text"
    assert rec["published_at"] == "2025-06-16T15:20:00+07:00"
    assert rec["quality_flags"] == []


def test_url_day_is_never_a_publish_time_but_checks_the_printed_day(tmp_path):
    span = "<span>,&nbsp;Jurnalis-Senin, 16 Juni 2025 |15:20 WIB</span>"
    rec = without_dates(tmp_path, "3147776", {span: ""})
    # No time printed anywhere: no publish date (the page is dropped), not midnight.
    assert (rec["date_source"], rec["published_at"]) == (None, None)
    # A printed date on another day than the URL's is flagged.
    moved = variant(
        tmp_path,
        "3147776",
        {
            '"datePublished": "2025-06-16T15:20:00+07:00"': '"datePublished": "2025-06-18T15:20:00+07:00"',
            'content="2025-06-16T15:20:00+07:00"': 'content="2025-06-18T15:20:00+07:00"',
            "Jurnalis-Senin, 16 Juni 2025": "Jurnalis-Rabu, 18 Juni 2025",
        },
    )
    assert moved["published_at"] == "2025-06-18T15:20:00+07:00"
    assert "date_disagreement" in moved["quality_flags"]
    assert "date_disagreement" not in record("3147776")["quality_flags"]


def test_caption_credit_in_parentheses_is_split():
    image = record("3147776")["image"]
    assert (
        image["caption"]
        == "Ponsel lipat kelas menengah dipajang di sebuah pusat belanja di Jakarta."
    )
    assert image["credit"] == "MPI/Dimas Choirul"
    assert record("3148012")["image"]["credit"] == "Dok. Telkomsel"


def test_unknown_layout_with_article_body_in_jsonld_gives_the_same_story(tmp_path):
    expected = record("3147776")
    rec = variant(tmp_path, "3147776", LAYOUT_MARKERS)
    assert rec["parser"] == "okezonetechno@jsonld-body"
    assert "generic_body" in rec["quality_flags"]
    for name in ("title", "authors", "editor_codes", "dateline", "published_at", "body", "url"):
        assert rec[name] == expected[name], name
    assert rec["category"] == "Gadget"
    # The cover's caption is still printed under it: read with its picture.
    assert rec["image"] == expected["image"]


def test_unknown_layout_without_article_body_is_read_by_the_generic_path(tmp_path):
    expected = record("3148012")
    rec = variant(tmp_path, "3148012", LAYOUT_MARKERS)
    assert rec["parser"] == "okezonetechno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    # The closing "(Name )" tag is still split off the body into editors.
    for name in ("body", "dateline", "editor_codes", "editors"):
        assert rec[name] == expected[name], name
    assert rec["title"] == "Operator Seluler Tambah Kapasitas Jaringan Jelang Libur Sekolah"
    assert rec["authors"] == ["Rina Wulandari"]


def test_noisy_page_fields_come_from_the_story_not_the_widgets():
    rec = record(NOISY)
    assert rec["parser"] == "okezonetechno@2025"
    assert rec["title"] == "Laptop Pelajar dengan Fitur AI Mulai Dijual, Harga Mulai Rp5 Jutaan"
    # The link text is "Fitri H"; the cards' "Oleh: …" bylines are not writers.
    assert rec["authors"] == ["Fitri Handayani"]
    assert (rec["editors"], rec["editor_codes"]) == ([], ["rhm"])
    # Not one of the <time> elements of the cards around the story.
    assert (rec["published_at"], rec["date_source"]) == ("2025-06-18T10:12:00+07:00", "jsonld")
    assert rec["quality_flags"] == []
    # The lead photo, not the in-body one or a card thumbnail.
    assert rec["image"] == expected(NOISY)["image"]
    assert rec["image"]["credit"] == "MPI/Aldi Firmansyah"
    assert rec["tags"] == ["laptop pelajar", "kecerdasan buatan", "laptop"]
    assert rec["category"] == "Gadget"
    assert rec["dateline"] == "Jakarta"
    body = rec["body"]
    assert body.startswith("Produsen komputer lokal mulai menjual laptop khusus pelajar")
    assert body.endswith("garansi perlindungan layar selama satu tahun.")
    assert len(body.split("\n\n")) == 9
    for leftover in (
        "Baca juga",
        "ADVERTISEMENT",
        "Video:",
        "Menjajal Laptop Pelajar",
        "(Foto:",
        "Okezone/Fitri Handayani",
        "Follow Berita",
        "WhatsApp Channel",
        "Telusuri berita",
        "(rhm)",
        "JAKARTA",
        # Titles of the inserts, the "Berita Pilihan" cards and the sidebar.
        "Mengenal NPU",
        "Penjualan Tablet Pendidikan",
        "Cara Cek Kesehatan Baterai",
        "Operator Siapkan Paket Data",
        "Oleh:",
        "Terpopuler",
    ):
        assert leftover not in body, leftover


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_up():
    rec = record(REDESIGN)
    gold = expected(REDESIGN)
    assert rec["parser"] == "okezonetechno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    # The site's rules still run: "JAKARTA –" is the dateline, "(Hana Lestari )" the editor.
    assert (rec["dateline"], rec["editors"], rec["editor_codes"]) == ("Jakarta", ["Hana Lestari"], [])
    for name in ("body", "title", "authors", "published_at", "modified_at", "category", "url"):
        assert rec[name] == gold[name], name
    assert rec["body"].startswith("Pelanggan seluler kini bisa berpindah operator")
    assert rec["body"].endswith("maksimal tiga nomor per operator.")
    for leftover in (
        "Baca Juga",
        "ADVERTISEMENT",
        "Video:",
        "(Foto:",
        "Menu pemindaian kode QR",
        "Follow Berita",
        "Hana Lestari",
        "Tags",
        "Telusuri berita",
    ):
        assert leftover not in rec["body"], leftover
    # No template caption selector: the article's captioned picture, read generically.
    assert rec["image"] == gold["image"]


def test_redesign_tags_are_the_printed_tags():
    assert record(REDESIGN)["tags"] == ["esim", "operator seluler", "kartu sim"]


def test_crawl_requests_page_all_once_and_stores_canonical_urls(crawl):
    result = crawl("okezonetechno", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    records = result.records("okezonetechno")
    assert {r["id"].split(":")[1] for r in records} == set(URLS)
    for article_id, url in URLS.items():
        requested = re.findall(rf"Crawled \(200\) <GET {re.escape(url)}\?page=all>", result.log)
        # 3147776 and 3148455 are linked from the listing (with utm_*), the feed (http) and the
        # sitemap.
        assert len(requested) == 1, article_id
    assert {r["url"] for r in records} == set(URLS.values())
    assert result.stat("newscrawl/mirror/missing") == 0


def test_listing_skips_galleries_videos_and_other_channels(crawl):
    result = crawl("okezonetechno", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    # The listing links a photo gallery, a video and a news.okezone.com story (each twice:
    # thumbnail and headline) and the video channel's home page.
    assert result.stat("newscrawl/links/non_article") >= 6
    assert result.stat("newscrawl/mirror/missing") == 0
    for skipped in ("/galeri/", "video.okezone.com/", "news.okezone.com/"):
        assert not re.search(rf"<GET [^>]*{re.escape(skipped)}", result.log), skipped
    stored = {r["url"] for r in result.records("okezonetechno")}
    assert all(url.startswith("https://techno.okezone.com/read/") for url in stored)


def test_date_index_first_page_has_no_offset_and_later_pages_step_by_ten():
    spider = OkezoneTechnoSpider()
    urls = [spider.date_index_request(date(2025, 6, 16), page).url for page in (1, 2, 3)]
    assert urls == [
        "https://techno.okezone.com/indeks/2025/06/16",
        "https://techno.okezone.com/indeks/2025/06/16/10",
        "https://techno.okezone.com/indeks/2025/06/16/20",
    ]
    assert "date_index_request" not in vars(OkezoneTechnoSpider)


def test_backfill_walks_the_date_index_by_offset(crawl):
    result = crawl(
        "okezonetechno",
        "-a",
        "since=2025-06-16",
        "-a",
        "until=2025-06-16",
        env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.log[-3000:]
    ids = {r["id"] for r in result.records("okezonetechno")}
    # 3147650 is listed only on the second index page of the day (offset 10).
    assert ids == {"okezonetechno:3147776", "okezonetechno:3147650"}
    assert "<GET https://techno.okezone.com/indeks/2025/06/16/10>" in result.log
    assert "indeks?page=" not in result.log
    assert result.stat("newscrawl/mirror/missing") == 0
    partition = result.data_dir / "articles" / "okezonetechno" / "2025-06.jsonl"
    stored = [json.loads(line) for line in partition.read_text(encoding="utf-8").splitlines()]
    assert all(r["published_at"].startswith("2025-06-16T") for r in stored)
