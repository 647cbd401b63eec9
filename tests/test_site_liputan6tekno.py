"""Liputan6 Tekno: the outlet's quirks as a user of the records would notice them."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES, MIRROR

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.liputan6tekno import Liputan6TeknoSpider

SITE = MIRROR / "liputan6tekno"
BASE = "https://www.liputan6.com/tekno/read/"
SCAM = SITE / "articles" / "6052871.html"  # single page, "Diperbarui" label, "Kredit:" credit
ESIM = SITE / "articles" / "6054392.html"  # three pages, lead without a dash, "(Foto: …)"
AIR = SITE / "articles" / "6053104.html"  # byline is the outlet, "Penulis: …" tail, Bandung
TV = FIXTURES / "liputan6tekno" / "tekno-read-4501862.html"  # older (2019) header markup
# Full-size pages (~150-180 KB) with the site's furniture around the story.
PEMBARUAN = SITE / "articles" / "6058430.html"  # 2023 layout: widgets, ads, inserts, video page
ISYARAT = SITE / "articles" / "6059112.html"  # a redesign no layout declares
URLS = {
    SCAM: BASE + "6052871/google-uji-fitur-deteksi-panggilan-penipuan-berbasis-ai-di-indonesia",
    ESIM: BASE + "6054392/mengenal-esim-dari-cara-kerja-hingga-cara-aktivasinya-di-ponsel",
    AIR: BASE
    + "6053104/mahasiswa-bandung-kembangkan-alat-pemantau-kualitas-udara-seharga-rp-300-ribu",
    TV: BASE + "4501862/uji-coba-siaran-tv-digital-diperluas-warga-diminta-cek-perangkat-di-rumah",
    PEMBARUAN: BASE
    + "6058430/ponsel-android-lawas-berhenti-dapat-pembaruan-keamanan-pengguna-diminta-waspada",
    ISYARAT: BASE
    + "6059112/startup-surabaya-kembangkan-aplikasi-penerjemah-bahasa-isyarat-berbasis-ai",
}
JSONLD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.S)


def record(page: Path) -> dict:
    return extract_file(Liputan6TeknoSpider, page, URLS[page] + "?page=all")


def variant(tmp_path: Path, page: Path, *edits: tuple[str | re.Pattern[str], str]) -> dict:
    """The record of `page` after edits (each edit must apply, so a stale fixture fails)."""
    html = page.read_text(encoding="utf-8")
    for old, new in edits:
        if isinstance(old, re.Pattern):
            html, count = old.subn(new, html)
        else:
            count = html.count(old)
            html = html.replace(old, new)
        assert count, f"edit {old!r} did not apply"
    path = tmp_path / page.name
    path.write_text(html, encoding="utf-8")
    return extract_file(Liputan6TeknoSpider, path, URLS[page] + "?page=all")


def expected(page: Path) -> dict:
    return json.loads(page.with_name(page.stem + ".expected.json").read_text(encoding="utf-8"))


def meta_date(name: str, value: str) -> tuple[re.Pattern[str], str]:
    return re.compile(rf'<meta property="article:{name}" content="[^"]*">'), value


# ------------------------------------------------------------------ people and dateline
def test_writer_in_authors_and_penulis_tail_moves_out_of_the_body():
    scam, air = record(SCAM), record(AIR)
    assert scam["authors"] == ["Rizky Pratama Wibisono"]
    # The byline prints only the outlet; the writer is named by the closing "Penulis:" line.
    assert air["authors"] == ["Nadia Putri Kirana"]
    assert "Penulis" not in air["body"] and "Nadia" not in air["body"]
    assert air["body"].endswith("mengurangi aktivitas di luar ruangan.")
    assert scam["editors"] == air["editors"] == []


@pytest.mark.parametrize(
    ("page", "place", "start"),
    [
        (SCAM, "Jakarta", "Google mulai menguji fitur"),  # <strong>Liputan6.com, Jakarta -</strong>
        (ESIM, "Jakarta", "Kartu SIM fisik perlahan"),  # <b>Liputan6.com, Jakarta</b> (no dash)
        (AIR, "Bandung", "Sekelompok mahasiswa teknik"),
        (TV, "Jakarta", "Uji coba siaran televisi"),  # <b>Liputan6.com, Jakarta</b> - …
    ],
)
def test_lead_becomes_dateline_with_or_without_dash(page, place, start):
    rec = record(page)
    assert rec["dateline"] == place
    assert rec["body"].startswith(start)
    assert "Liputan6.com" not in rec["body"]


# ------------------------------------------------------------------ dates
def test_diperbarui_is_the_update_time_not_the_publish_time():
    scam = record(SCAM)
    assert scam["published_at"] == "2025-06-16T19:35:00+07:00"
    assert scam["modified_at"] == "2025-06-16T20:00:00+07:00"
    assert scam["date_source"] == "jsonld"
    assert "date_disagreement" not in scam["quality_flags"]


def test_only_an_update_label_left_drops_the_record_instead_of_guessing(tmp_path):
    rec = variant(
        tmp_path,
        SCAM,
        (JSONLD, ""),
        meta_date("published_time", ""),
        meta_date("modified_time", ""),
    )
    # "Diperbarui 16 Jun 2025, 20:00 WIB" is all the page says: not a publish time.
    assert rec["published_at"] is None
    assert missing_reason(rec) == "missing_published_at"


def test_diterbitkan_text_is_the_publish_time_when_nothing_else_is_left(tmp_path):
    rec = variant(tmp_path, AIR, (JSONLD, ""), meta_date("published_time", ""))
    assert rec["published_at"] == "2025-06-16T15:40:00+07:00"
    assert rec["date_source"] == "text"


def test_utc_meta_time_is_stored_in_wib(tmp_path):
    rec = variant(
        tmp_path,
        SCAM,
        (JSONLD, ""),
        meta_date(
            "published_time",
            '<meta property="article:published_time" content="2025-06-16T12:35:00Z">',
        ),
    )
    assert rec["published_at"] == "2025-06-16T19:35:00+07:00"
    assert rec["date_source"] == "meta"


# ------------------------------------------------------------------ body
def test_multipage_article_is_read_whole_without_furniture():
    body = record(ESIM)["body"]
    assert "Cara Aktivasi eSIM di Ponsel" in body  # page 2 title, a subheading of the story
    assert body.endswith("meminta kode baru kepada operator.")  # last text page
    for leftover in (
        "Halaman",
        "Saksikan Video",
        "Cara Pindah ke eSIM",
        "Advertisement",
        "Baca Juga",
        "Daftar Ponsel yang Sudah Mendukung",
        "Unsplash",
    ):
        assert leftover not in body


def test_inserts_and_inline_captions_are_not_body():
    body = record(SCAM)["body"]
    for leftover in (
        "Advertisement",
        "Baca Juga",
        "Cara Melaporkan Nomor Penipu",
        "Komdigi Minta Operator",
        "Tampilan peringatan",
        "(Liputan6.com/",
    ):
        assert leftover not in body
    assert body.count("\n\n") == 7  # eight story paragraphs


def test_closing_infographic_page_title_is_dropped_with_its_image():
    rec = record(TV)
    assert "Infografis" not in rec["body"]
    assert rec["body"].endswith("diumumkan pemerintah.")
    assert "Cara Mengecek Televisi" in rec["body"]


@pytest.mark.parametrize(
    ("page", "caption", "credit"),
    [
        (
            SCAM,
            "Ilustrasi panggilan telepon dari nomor tak dikenal di ponsel Android.",
            "Pexels/Tima Miroshnichenko",
        ),
        (ESIM, "Ilustrasi kartu SIM fisik dan eSIM pada ponsel.", "Unsplash/Kenny Eliason"),
        (
            AIR,
            "Purwarupa alat pemantau kualitas udara yang dipasang di atap gedung kampus.",
            "Dok. Tim Pengembang",
        ),
        (
            TV,
            "Warga mencoba perangkat set top box untuk menangkap siaran TV digital.",
            "Liputan6.com/Yoga Adi Saputra",
        ),
    ],
)
def test_image_caption_and_credit(page, caption, credit):
    image = record(page)["image"]
    assert (image["caption"], image["credit"]) == (caption, credit)
    assert image["url"].startswith("https://cdn")


# ------------------------------------------------------------------ layouts
def test_layout_versions_and_breadcrumb_category():
    scam, tv = record(SCAM), record(TV)
    assert scam["parser"] == "liputan6tekno@2023"
    assert tv["parser"] == "liputan6tekno@2019"
    assert (scam["category"], tv["category"]) == ("Internet", "Telco")  # last crumb of [1]
    assert scam["tags"] == ["Google", "Android", "Penipuan Online", "Kecerdasan Buatan"]


def test_unknown_layout_keeps_its_fields_and_its_body_through_the_generic_path(tmp_path):
    rec = variant(
        tmp_path,
        SCAM,
        ("read-page-box__author", "author-card"),
        ("article-content-body", "story-body"),
    )
    expected = record(SCAM)
    assert rec["parser"] == "liputan6tekno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert rec["title"] == "Google Uji Fitur Deteksi Panggilan Penipuan Berbasis AI di Indonesia"
    assert rec["authors"] == ["Rizky Pratama Wibisono"]
    assert rec["published_at"] == "2025-06-16T19:35:00+07:00"
    # The bold "Liputan6.com, Jakarta" lead, the "Baca Juga" inserts and the closing
    # "Penulis:" line are cleaned off by the site's own rules on this path too.
    for name in ("body", "dateline", "image"):
        assert rec[name] == expected[name], name
    assert missing_reason(rec) is None


# ------------------------------------------------------------------ full-size pages
def test_noisy_page_fields_come_from_the_story_not_from_the_widgets_around_it():
    html = PEMBARUAN.read_text(encoding="utf-8")
    assert 140_000 < len(html.encode("utf-8")) < 330_000
    # Cards before and after the story carry their own titles, times and bylines.
    assert html.count("<article") > 40 and html.count("<time") > 30
    for other in ("Berita Utama", "Artikel Selanjutnya", "Operator Seluler Uji Coba Jaringan 5G",
                  "Berita Terbaru", "Terpopuler", "Video Pilihan"):
        assert other in html, other
    rec = record(PEMBARUAN)
    assert rec["parser"] == "liputan6tekno@2023"
    assert rec["quality_flags"] == []
    assert rec["title"] == (
        "Ponsel Android Lawas Berhenti Dapat Pembaruan Keamanan, Pengguna Diminta Waspada"
    )
    assert (rec["authors"], rec["editors"]) == (["Andika Surya Pratama"], [])
    # The byline prints "Diperbarui …": the publish time is JSON-LD's.
    assert (rec["published_at"], rec["date_source"]) == ("2025-06-18T10:05:00+07:00", "jsonld")
    assert rec["modified_at"] == "2025-06-18T11:20:00+07:00"
    assert (rec["category"], rec["dateline"]) == ("Gadget", "Jakarta")
    assert rec["tags"] == ["Android", "Keamanan Siber", "Pembaruan Sistem", "Smartphone"]
    assert rec["image"] == expected(PEMBARUAN)["image"]
    assert rec["image"]["credit"] == "Unsplash/Daniel Romero"


def test_noisy_page_body_has_the_story_pages_without_ads_inserts_or_the_video_page():
    rec = record(PEMBARUAN)
    body = rec["body"]
    assert body == expected(PEMBARUAN)["body"]
    assert body.startswith("Sejumlah ponsel Android keluaran 2019 dan 2020")
    assert "\n\nLangkah Mengurangi Risiko\n\n" in body  # page 2 title, a subheading
    assert body.endswith("sebelum membeli ponsel baru.")
    for leftover in ("Liputan6.com, Jakarta", "Advertisement", "Baca Juga",
                     "Cara Mengecek Ponsel Android Terinfeksi Malware",
                     "Modus Penipuan APK Undangan", "Tampilan menu pembaruan", "Halaman",
                     "Saksikan Video", "Cara Mengecek Pembaruan Keamanan", "googletag",
                     "Topik Terkait", "Komentar"):
        assert leftover not in body, leftover


def test_redesign_page_is_stored_through_the_generic_path_with_the_site_rules_applied():
    html = ISYARAT.read_text(encoding="utf-8")
    assert 140_000 < len(html.encode("utf-8")) < 330_000
    assert "read-page-box__author" not in html and "article-content-body" not in html
    rec = record(ISYARAT)
    want = expected(ISYARAT)
    assert rec["parser"] == "liputan6tekno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("title", "description", "authors", "editors", "published_at", "modified_at",
                 "date_source", "category", "body", "dateline", "editor_codes"):
        assert rec[name] == want[name], name
    # The printed "Topik Terkait", not the lower-case keywords meta; the printed lead image.
    assert rec["tags"] == ["Startup", "Bahasa Isyarat", "Kecerdasan Buatan", "Aplikasi"]
    assert rec["image"] == want["image"]
    # The bold lead, inserts, ad labels and the closing "Penulis:" line are cleaned off.
    for leftover in ("Liputan6.com", "Baca Juga", "Advertisement", "Penulis", "Kredit",
                     "Breaking News", "Seorang penguji memperagakan"):
        assert leftover not in rec["body"], leftover


# ------------------------------------------------------------------ discovery
def test_url_rules():
    spider = Liputan6TeknoSpider()
    assert spider.is_article_url(URLS[SCAM])
    assert spider.is_article_url(URLS[SCAM].replace("www.", "m."))
    for url in (
        "https://www.liputan6.com/photo/read/6052990/foto-deretan-ponsel-lipat?page=1",
        "https://www.liputan6.com/tekno/read/6052777/video-menjajal-kacamata-pintar",
        "https://www.liputan6.com/tag/kecerdasan-buatan",
        "https://www.liputan6.com/bisnis/read/6052100/harga-emas-antam-hari-ini-naik",
    ):
        assert not spider.is_article_url(url), url
    assert (
        spider.canonicalize(URLS[ESIM].replace("www.", "m.") + "?page=all&utm_source=feed")
        == URLS[ESIM]
    )


def test_date_index_url_carries_the_next_day_as_end():
    request = Liputan6TeknoSpider().date_index_request(date(2025, 12, 31), 2)
    assert request.url == (
        "https://www.liputan6.com/tekno/indeks/2025/12/31?start=2025-12-31&end=2026-01-01&page=2"
    )


def crawled(log: str, url_part: str) -> int:
    return len(re.findall(rf"Crawled \(200\) <GET [^>]*{re.escape(url_part)}", log))


def test_crawl_requests_page_all_once_and_stores_canonical_urls(crawl):
    result = crawl("liputan6tekno", "-s", "LOG_LEVEL=DEBUG")
    assert result.returncode == 0, result.log[-3000:]
    records = {r["id"]: r for r in result.records("liputan6tekno")}
    assert set(records) == {
        "liputan6tekno:6052871",
        "liputan6tekno:6054392",
        "liputan6tekno:6053104",
        "liputan6tekno:6058430",
        "liputan6tekno:6059112",
    }
    assert {r["url"] for r in records.values()} == {
        URLS[SCAM], URLS[ESIM], URLS[AIR], URLS[PEMBARUAN], URLS[ISYARAT]
    }
    assert records["liputan6tekno:6058430"]["parser"] == "liputan6tekno@2023"
    assert records["liputan6tekno:6059112"]["parser"] == "liputan6tekno@generic"
    # Listed on page 1, in the feed (with utm_*) and in the sitemap: fetched once, whole.
    assert (
        crawled(
            result.log,
            "6052871/google-uji-fitur-deteksi-panggilan-penipuan-berbasis-ai-di-indonesia?page=all",
        )
        == 1
    )
    assert crawled(result.log, "/tekno/read/") == 5
    assert crawled(result.log, "tekno/berita?page=2") == 1
    assert crawled(result.log, "/photo/") == crawled(result.log, "video-") == 0
    assert result.stat("newscrawl/links/non_article") >= 2
    assert result.stat("newscrawl/mirror/missing") == 0


def test_backfill_goes_through_the_date_index(crawl):
    result = crawl(
        "liputan6tekno", "-a", "since=2025-06-16", "-a", "until=2025-06-16", "-s", "LOG_LEVEL=DEBUG"
    )
    assert result.returncode == 0, result.log[-3000:]
    index = "tekno/indeks/2025/06/16?start=2025-06-16&end=2025-06-17&page="
    assert crawled(result.log, index + "1") == crawled(result.log, index + "2") == 1
    assert crawled(result.log, "tekno/berita") == 0
    # 6053104 is listed only on the second index page; 6054392 (17 June) is outside the window.
    ids = {r["id"] for r in result.records("liputan6tekno")}
    assert ids == {"liputan6tekno:6052871", "liputan6tekno:6053104"}
    assert result.stat("newscrawl/mirror/missing") == 0
