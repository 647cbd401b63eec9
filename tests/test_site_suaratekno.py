"""Suara Tekno: the quirks a user of the records would notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.suaratekno import SuaraTeknoSpider

SITE = MIRROR / "suaratekno"
ARTICLES = SITE / "articles"
BASE = "https://www.suara.com/tekno"
URLS = {
    "2025-11-20-101500": f"{BASE}/2025/11/20/101500/ponsel-5g-rp2-jutaan-makin-banyak-ini-yang-perlu-dicek-sebelum-membeli",
    "2025-11-21-143000": f"{BASE}/2025/11/21/143000/aplikasi-ojek-online-uji-fitur-tombol-darurat-terhubung-ke-polisi",
    "2025-11-19-193000": f"{BASE}/2025/11/19/193000/satelit-nano-buatan-mahasiswa-surabaya-siap-diluncurkan-tahun-depan",
    "2019-06-07-142000": f"{BASE}/2019/06/07/142000/mudik-lebaran-trafik-data-seluler-di-jalur-pantura-naik-dua-kali-lipat",
    # Full-size pages: the current template with its widgets, ads and scripts, and a redesign
    # no layout declares.
    "2025-11-24-153000": f"{BASE}/2025/11/24/153000/sekolah-di-pedalaman-papua-mulai-terhubung-internet-satelit-orbit-rendah",
    "2025-11-25-091500": f"{BASE}/2025/11/25/091500/peneliti-temukan-aplikasi-senter-palsu-yang-diam-diam-mencuri-kode-otp",
}


def record(page: str, html: Path | None = None) -> dict:
    return extract_file(
        SuaraTeknoSpider, html or ARTICLES / f"{page}.html", URLS[page] + "?page=all"
    )


def variant(tmp_path: Path, page: str, replacements: dict[str, str]) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    return record(page, edited_copy(ARTICLES / f"{page}.html", replacements, tmp_path))


def expected(page: str) -> dict:
    return json.loads((ARTICLES / f"{page}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("page", "first_words"),
    [
        ("2025-11-20-101500", "Ponsel 5G kini"),
        ("2025-11-21-143000", "Sebuah aplikasi ojek online"),
        ("2025-11-19-193000", "Satelit nano rancangan"),
        ("2019-06-07-142000", "Trafik data seluler"),
        ("2025-11-24-153000", "Puluhan sekolah di daerah pedalaman Papua"),
        ("2025-11-25-091500", "Peneliti keamanan siber menemukan"),
    ],
)
def test_suara_com_lead_leaves_the_body_and_gives_no_place(page, first_words):
    rec = record(page)
    assert rec["body"].startswith(first_words)
    assert rec["dateline"] is None
    assert "Suara.com" not in rec["body"]


def test_baca_juga_kesimpulan_ads_and_videos_stay_out_of_the_body():
    bodies = {page: record(page)["body"] for page in URLS}
    for body in bodies.values():
        for leftover in (
            "Baca Juga",
            "Kesimpulan",
            "Advertisement",
            "Tonton",
            "Berita Terkait",
            "Tag",
        ):
            assert leftover not in body
    assert "Operator Perluas Sinyal 5G" not in bodies["2025-11-20-101500"]
    assert "Cek pita frekuensi dan janji" not in bodies["2025-11-20-101500"]  # summary box
    assert (
        "Tombol darurat baru mengirim" not in bodies["2025-11-21-143000"]
    )  # summary box at the end
    assert "Roket Swasta" not in bodies["2025-11-19-193000"]
    assert "BTS Bergerak Selama Mudik" not in bodies["2019-06-07-142000"]


def test_broken_jsonld_still_gives_its_date_and_the_page_gives_the_writer():
    # The headline's quotes are not escaped in the JSON-LD block, so it does not parse.
    rec = record("2025-11-21-143000")
    assert rec["date_source"] == "jsonld"
    assert rec["published_at"] == "2025-11-21T14:30:00+07:00"
    assert rec["authors"] == ["Nadia Rahmawati"]
    assert rec["title"] == 'Aplikasi Ojek Online Uji Fitur "Tombol Darurat" Terhubung ke Polisi'


def test_printed_jumat_date_with_bar_is_read_to_the_minute(tmp_path):
    rec = variant(
        tmp_path, "2025-11-21-143000", {'"datePublished": "2025-11-21T14:30:00+07:00",': ""}
    )
    assert rec["date_source"] == "text"  # "Jum'at, 21 November 2025 | 14:30 WIB"
    assert rec["published_at"] == "2025-11-21T14:30:00+07:00"


def test_writer_named_by_id_in_the_jsonld_graph():
    rec = record("2025-11-19-193000")
    assert rec["authors"] == ["Bayu Anggara"]
    assert rec["category"] == "Sains"


def test_a_closing_source_in_parentheses_is_text_not_an_editor_code():
    rec = record("2025-11-19-193000")
    assert rec["editor_codes"] == []
    assert rec["editors"] == []
    assert rec["body"].endswith("terbakar di atmosfer. (Antara)")


def test_legacy_detail_content_template_is_still_read():
    rec = record("2019-06-07-142000")
    assert rec["parser"] == "suaratekno@2019"
    assert rec["authors"] == ["Tomi Hartono"]  # meta author "Suara.com" is not a writer
    assert (rec["date_source"], rec["published_at"]) == ("text", "2019-06-07T14:20:00+07:00")
    assert len(rec["body"].split("\n\n")) == 6


def test_square_bracket_photo_credit_is_split_from_the_caption():
    image = record("2025-11-20-101500")["image"]
    assert image["caption"] == "Ilustrasi pengguna mencoba ponsel 5G di sebuah gerai di Jakarta."
    assert image["credit"] == "Suara.com/Yuliana Sari"
    assert record("2025-11-19-193000")["image"]["credit"] == "Dok. Kampus"


def test_id_is_the_urls_day_and_time():
    spider = SuaraTeknoSpider()
    assert record("2025-11-20-101500")["id"] == "suaratekno:2025/11/20/101500"
    # The same time of day on another day is another article.
    other = URLS["2025-11-20-101500"].replace("/2025/11/20/", "/2025/11/27/")
    assert spider.site_article_id(other) == "2025/11/27/101500"
    assert (
        spider.canonicalize(URLS["2025-11-20-101500"] + "?page=all&utm_source=rss")
        == URLS["2025-11-20-101500"]
    )


def test_url_time_is_never_a_publish_time(tmp_path):
    rec = variant(
        tmp_path,
        "2019-06-07-142000",
        {'<div class="date-article"><span>Jum\'at, 07 Juni 2019 | 14:20 WIB</span></div>': ""},
    )
    assert rec["published_at"] is None
    assert missing_reason(rec) == "missing_published_at"


def test_page_without_a_known_template_is_read_by_the_generic_path(tmp_path):
    expected = record("2025-11-20-101500")
    rec = variant(
        tmp_path, "2025-11-20-101500", {'<div class="article-content">': '<div class="story">'}
    )
    assert rec["parser"] == "suaratekno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    assert rec["authors"] == ["Galih Prasetyo"]
    for name in ("body", "dateline", "editor_codes", "image"):
        assert rec[name] == expected[name], name


def test_full_size_current_page_has_the_noise_of_a_real_one():
    html = (ARTICLES / "2025-11-24-153000.html").read_text(encoding="utf-8")
    assert 140_000 <= len(html.encode()) <= 330_000
    assert html.count('type="application/ld+json"') == 4
    # Story cards before and after the story, each with its own headline, date and channel.
    assert html.count('<div class="item">') >= 20
    assert html.count('<span class="date">') >= 20
    assert html.count("<h1") == 1


def test_full_size_current_page_takes_its_fields_from_the_story_not_the_widgets():
    rec = record("2025-11-24-153000")
    want = expected("2025-11-24-153000")
    assert rec["parser"] == "suaratekno@2024"
    for name in ("title", "authors", "published_at", "modified_at", "date_source", "tags",
                 "category", "image", "body", "dateline"):
        assert rec[name] == want[name], name
    assert rec["authors"] == ["Dian Kusumawati"]
    assert rec["published_at"] == "2025-11-24T15:30:00+07:00"
    assert rec["tags"] == ["internet satelit", "papua", "pendidikan digital"]  # printed, not meta
    assert rec["image"]["credit"] == "Dok. Pemkab"
    assert rec["body"].endswith("dengan dokter spesialis secara jarak jauh.")
    assert len(rec["body"].split("\n\n")) == 11
    for leftover in (
        "Kesimpulan", "Baca Juga", "Operator Uji Coba Jaringan 5G", "Cara Mengecek Kecepatan",
        "Advertisement", "Antena penerima", "Dok. Pemkab", "Tonton", "Google News", "Tag",
        "Berita Terkait", "Komentar", "Dana BOS",
    ):
        assert leftover not in rec["body"], leftover


def test_dates_of_story_cards_are_not_a_date_disagreement():
    assert record("2025-11-24-153000")["quality_flags"] == []


def test_redesign_is_read_by_the_generic_path_with_the_same_clean_body():
    rec = record("2025-11-25-091500")
    want = expected("2025-11-25-091500")
    assert rec["parser"] == "suaratekno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("title", "authors", "editors", "editor_codes", "dateline", "published_at",
                 "date_source", "tags", "category", "body"):
        assert rec[name] == want[name], name
    assert rec["authors"] == ["Rizal Firmansyah"]
    assert rec["body"].startswith("Peneliti keamanan siber menemukan belasan aplikasi")
    for leftover in ("Kesimpulan", "Baca Juga", "Advertisement", "Menu izin akses", "Tonton",
                     "WhatsApp Channel", "Oleh", "Terpopuler"):
        assert leftover not in rec["body"], leftover


def test_redesign_cover_photo_caption_and_credit():
    assert record("2025-11-25-091500")["image"] == expected("2025-11-25-091500")["image"]


def test_crawl_requests_page_all_once_and_skips_other_channels_videos_and_photos(crawl):
    result = crawl("suaratekno", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    records = result.records("suaratekno")
    assert {r["url"] for r in records} == set(URLS.values())
    for page, url in URLS.items():
        requested = re.findall(rf"Crawled \(200\) <GET {re.escape(url)}\?page=all>", result.log)
        assert len(requested) == 1, page
    for skipped in ("/video/", "/foto/", "/news/", "/tag/"):
        assert not re.search(rf"<GET [^>]*{re.escape(skipped)}", result.log), skipped
    assert result.stat("newscrawl/links/non_article") >= 6
    assert result.stat("newscrawl/mirror/missing") == 0
