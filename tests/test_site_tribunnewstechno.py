"""Tribunnews Techno: the quirks a user of the records would notice.

Variants (older or unknown layouts, missing dates, UTC meta times) are built here from the
mirror pages by removing or changing markers, so each case starts from a page whose right
answer is known.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, MIRROR

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.tribunnewstechno import TribunnewsTechnoSpider

SITE = MIRROR / "tribunnewstechno"
BASE = "https://www.tribunnews.com/techno/"
SATELIT = BASE + "2024/03/27/pemerintah-uji-coba-internet-satelit-untuk-1200-sekolah-di-daerah-3t"
ESIM = BASE + (
    "2024/03/27/operator-seluler-percepat-migrasi-esim-pelanggan-diminta-cek-kompatibilitas-ponsel"
)
BATERAI = BASE + "2024/03/26/5-cara-menghemat-baterai-ponsel-android-selama-perjalanan-mudik"
SENSOR = BASE + "2019/08/14/startup-bandung-kembangkan-sensor-murah-pemantau-kualitas-udara"
PAGES = {
    SATELIT: SITE / "articles" / "internet-satelit-sekolah-3t.html",
    ESIM: SITE / "articles" / "migrasi-esim.html",
    BATERAI: SITE / "articles" / "hemat-baterai-mudik.html",
    SENSOR: FIXTURES / "tribunnewstechno" / "sensor-kualitas-udara-2019.html",
}
# Full-size pages (~150-165 KB) with the site's furniture around the story.
WHATSAPP = BASE + "2024/03/28/marak-pembajakan-akun-whatsapp-jelang-lebaran-ini-6-cara-mengamankannya"
DARURAT = BASE + (
    "2024/03/29/kominfo-uji-coba-layanan-darurat-112-berbasis-lokasi-otomatis-di-lima-kota"
)
FULL_PAGES = {
    WHATSAPP: SITE / "articles" / "waspada-pembajakan-whatsapp.html",  # 2024 layout, noisy
    DARURAT: SITE / "articles" / "layanan-darurat-112-lokasi-otomatis.html",  # redesign
}
JSONLD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.S)
PUBLISHED_META = re.compile(r'<meta property="article:published_time"[^>]*>')


def fetched(url: str) -> str:
    """The URL the spider requests: the canonical one with ?page=all."""
    return url + "?page=all"


def record(url: str, html: str | None = None, tmp_path: Path | None = None) -> dict:
    path = PAGES[url] if url in PAGES else FULL_PAGES[url]
    if html is not None:
        assert tmp_path is not None
        path = tmp_path / "page.html"
        path.write_text(html, encoding="utf-8")
    return extract_file(TribunnewsTechnoSpider, path, fetched(url))


def expected(url: str) -> dict:
    page = FULL_PAGES[url]
    return json.loads(page.with_name(page.stem + ".expected.json").read_text(encoding="utf-8"))


def variant(url: str, *edits: tuple[str | re.Pattern[str], str]) -> str:
    """The page with each edit applied; every edit must change it (a typo cannot pass)."""
    html = PAGES[url].read_text(encoding="utf-8")
    for old, new in edits:
        changed = old.sub(new, html) if isinstance(old, re.Pattern) else html.replace(old, new)
        assert changed != html, old
        html = changed
    return html


# ---------------------------------------------------------------- people


def test_penulis_and_editor_land_in_authors_and_editors():
    # "Penulis: X | Editor: Y" in one div, and the split #penulis / #editor form.
    satelit, baterai = record(SATELIT), record(BATERAI)
    assert (satelit["authors"], satelit["editors"]) == (
        ["Dimas Aditya Nugroho"],
        ["Sri Wahyuni Lestari"],
    )
    assert (baterai["authors"], baterai["editors"]) == (
        ["Galih Prasetyo Wibowo"],
        ["Yulia Rahmawati"],
    )
    assert record(ESIM)["editors"] == ["Hendra Gunawan"]
    for url in PAGES:
        rec = record(url)
        assert rec["outlet"] == "Tribunnews.com"
        # meta author "Tribunnews.com" and the JSON-LD Organization author are the outlet.
        assert "Tribunnews.com" not in rec["authors"] + rec["editors"]
        assert rec["editor_codes"] == []  # Tribun closes with a credit, not with initials


def test_without_the_credit_block_the_writer_comes_from_jsonld_and_no_editor_is_invented(tmp_path):
    html = variant(SATELIT, (re.compile(r'<div id="penulis".*?</div>', re.S), ""))
    rec = record(SATELIT, html, tmp_path)
    assert rec["authors"] == ["Dimas Aditya Nugroho"]
    assert rec["editors"] == []
    # The JSON-LD author here is the outlet: no writer rather than a wrong one.
    html = variant(
        BATERAI,
        (re.compile(r'<div id="penulis".*?</div>', re.S), ""),
        (re.compile(r'<div id="editor".*?</div>', re.S), ""),
    )
    rec = record(BATERAI, html, tmp_path)
    assert (rec["authors"], rec["editors"]) == ([], [])


# ---------------------------------------------------------------- body


@pytest.mark.parametrize("url", list(PAGES))
def test_body_has_only_the_story(url):
    body = record(url)["body"]
    for leftover in (
        "TRIBUNNEWS.COM",
        "Tribunnews.com",
        "Laporan Wartawan",
        "Baca juga",
        "BACA JUGA",
        "Baca:",
        "Lihat Foto",
        "Simak breaking news",
        "Dapatkan update",
        "Ikuti kami",
        "Advertisement",
        "Video:",
        "Dok. BAKTI",
        "Siswa sebuah SMP",
        "Artikel ini telah tayang",
        "Tampilkan Semua",
        "Berita Terkait",
        "Terpopuler",
        "Sumber:",
        "internet satelit\n",
        "Penulis",
        "Editor",
    ):
        assert leftover not in body, leftover
    assert body.endswith(".")


def test_body_starts_after_the_dateline_and_ends_before_the_credit():
    cases = {
        SATELIT: (
            "Jakarta",
            "Kementerian Komunikasi dan Informatika mulai",
            "tanpa harus pergi ke kota kabupaten.",
        ),
        # "Laporan Wartawan Tribunnews.com, …" comes first and is dropped; "(Tribunnews.com/…)"
        # and the "Ikuti kami di" promo close the page and are dropped.
        ESIM: (
            "Jakarta",
            "Tiga operator seluler besar sepakat",
            "kesulitan melakukan migrasi secara mandiri.",
        ),
        # "TRIBUNNEWS.COM -" prints no place.
        BATERAI: (None, "Perjalanan mudik yang panjang", "sehari sebelum perjalanan."),
        # 2019 layout: the credit sits at the end of the last paragraph.
        SENSOR: ("Bandung", "Sebuah startup asal Bandung", "batas wajar untuk pemantauan warga."),
    }
    for url, (dateline, start, end) in cases.items():
        rec = record(url)
        assert rec["dateline"] == dateline, url
        assert rec["body"].startswith(start), url
        assert rec["body"].endswith(end), url


def test_a_regional_tribun_dateline_is_read_too(tmp_path):
    html = variant(
        SATELIT,
        (
            "<strong>TRIBUNNEWS.COM, JAKARTA</strong> -",
            "<strong>TRIBUNJATENG.COM, SEMARANG</strong> –",
        ),
    )
    rec = record(SATELIT, html, tmp_path)
    assert rec["dateline"] == "Semarang"
    assert rec["body"].startswith("Kementerian Komunikasi")


# ---------------------------------------------------------------- multi-page, URLs, discovery


def test_page_all_is_requested_and_the_record_url_has_no_query(tmp_path):
    spider = TribunnewsTechnoSpider()
    mobile_page_2 = SATELIT.replace("www.", "m.") + "?page=2"
    assert spider.article_request(mobile_page_2).url == SATELIT + "?page=all"
    assert spider.article_request(SATELIT + "?utm_source=rss").url == SATELIT + "?page=all"
    rec = record(SATELIT)
    assert rec["url"] == SATELIT
    # Page 2's paragraphs are in the record: the ?page=all page holds the whole story.
    assert "Evaluasi Setiap Bulan" in rec["body"]
    assert "Rp 240 miliar" in rec["body"]
    # Without canonical/og:url the fetched URL is used, still without ?page=all.
    html = variant(
        SATELIT,
        (re.compile(r'<link rel="canonical"[^>]*>'), ""),
        (re.compile(r'<meta property="og:url"[^>]*>'), ""),
    )
    assert record(SATELIT, html, tmp_path)["url"] == SATELIT


@pytest.mark.parametrize(
    ("url", "followed"),
    [
        (SATELIT, True),
        (SATELIT.replace("www.", "m.") + "?page=2", True),
        (BASE + "foto/2024/03/27/foto-siswa-maluku-belajar-daring-dengan-internet-satelit", False),
        (BASE + "video/2024/03/27/video-cara-cek-ponsel-sudah-mendukung-esim-atau-belum", False),
        (BASE + "galeri/2024/03/27/galeri-ponsel-baru", False),
        ("https://www.tribunnews.com/tag/esim", False),
        ("https://www.tribunnews.com/topic/internet-satelit", False),
        (
            "https://www.tribunnews.com/nasional/2024/03/27/dpr-minta-pemerintah-percepat-pemerataan-internet",
            False,
        ),
        ("https://www.tribunnews.com/index-news/techno?page=2", False),
    ],
)
def test_only_techno_articles_are_followed(url, followed):
    assert TribunnewsTechnoSpider().is_article_url(url) is followed


def test_crawl_requests_each_article_once_as_page_all(crawl):
    result = crawl("tribunnewstechno", "-s", "LOG_LEVEL=DEBUG")
    assert result.returncode == 0, result.log[-3000:]
    fetched_urls = re.findall(r"Crawled \(200\) <GET (\S+)>", result.log)
    articles = [u for u in fetched_urls if "/techno/20" in u]
    assert sorted(articles) == sorted(
        fetched(u) for u in (SATELIT, ESIM, BATERAI, WHATSAPP, DARURAT)
    )
    assert not [
        u for u in fetched_urls if re.search(r"m\.tribunnews|/foto/|/video/|/tag/|/nasional/", u)
    ]
    # The listing links a gallery, a video and tag pages; none is requested.
    assert result.stat("newscrawl/links/non_article") >= 2
    assert result.stat("newscrawl/mirror/missing") == 0
    records = result.records("tribunnewstechno")
    assert sorted(r["url"] for r in records) == sorted((SATELIT, ESIM, BATERAI, WHATSAPP, DARURAT))
    parsers = {r["url"]: r["parser"] for r in records}
    assert parsers[WHATSAPP] == "tribunnewstechno@2024"
    assert parsers[DARURAT] == "tribunnewstechno@generic"


def test_backfill_goes_through_the_date_index(crawl):
    result = crawl(
        "tribunnewstechno",
        "-a",
        "since=2024-03-26",
        "-a",
        "until=2024-03-27",
        "-s",
        "LOG_LEVEL=DEBUG",
    )
    assert result.returncode == 0, result.log[-3000:]
    fetched_urls = re.findall(r"Crawled \(200\) <GET (\S+)>", result.log)
    index = "https://www.tribunnews.com/index-news/techno?"
    for page in ("date=2024-3-26&page=1", "date=2024-3-27&page=1", "date=2024-3-27&page=2"):
        assert index + page in fetched_urls
    assert index + "page=1" not in fetched_urls  # the undated listing is not used for a backfill
    assert result.stat("newscrawl/mirror/missing") == 0
    assert len(result.records("tribunnewstechno")) == 3


def test_backfill_skips_articles_outside_the_window(crawl):
    one_day = crawl("tribunnewstechno", "-a", "since=2024-03-27", "-a", "until=2024-03-27")
    assert sorted(r["url"] for r in one_day.records("tribunnewstechno")) == sorted((SATELIT, ESIM))
    assert one_day.stat("newscrawl/skipped/outside_window") >= 1
    assert one_day.stat("newscrawl/mirror/missing") == 0


# ---------------------------------------------------------------- dates


def test_published_time_comes_from_jsonld_in_wib():
    expected = {
        SATELIT: "2024-03-27T09:55:00+07:00",
        ESIM: "2024-03-27T14:10:00+07:00",
        BATERAI: "2024-03-26T19:30:00+07:00",
        SENSOR: "2019-08-14T09:12:00+07:00",
    }
    for url, when in expected.items():
        rec = record(url)
        assert (rec["published_at"], rec["date_source"]) == (when, "jsonld")
        assert rec["quality_flags"] == []


def test_a_utc_meta_time_is_stored_as_wib(tmp_path):
    html = variant(
        SATELIT,
        (JSONLD, ""),
        (
            'property="article:published_time" content="2024-03-27T09:55:00+07:00"',
            'property="article:published_time" content="2024-03-27T02:55:00Z"',
        ),
    )
    rec = record(SATELIT, html, tmp_path)
    assert (rec["published_at"], rec["date_source"]) == ("2024-03-27T09:55:00+07:00", "meta")
    assert "date_disagreement" not in rec["quality_flags"]


def test_the_time_element_datetime_attribute_wins_over_its_text(tmp_path):
    html = variant(
        ESIM,
        (JSONLD, ""),
        (PUBLISHED_META, ""),
        ("Rabu, 27 Maret 2024 14:10 WIB</time>", "Rabu, 27 Maret 2024 15:10 WIB</time>"),
    )
    rec = record(ESIM, html, tmp_path)
    assert (rec["published_at"], rec["date_source"]) == ("2024-03-27T14:10:00+07:00", "text")


def test_without_a_datetime_attribute_the_printed_day_name_date_is_read(tmp_path):
    html = variant(BATERAI, (JSONLD, ""), (PUBLISHED_META, ""))
    rec = record(BATERAI, html, tmp_path)
    assert (rec["published_at"], rec["date_source"]) == ("2024-03-26T19:30:00+07:00", "text")
    # 2019 layout: the date sits in div.grey.w100.mt10.
    html = variant(SENSOR, (JSONLD, ""), (PUBLISHED_META, ""))
    rec = record(SENSOR, html, tmp_path)
    assert (rec["published_at"], rec["date_source"]) == ("2019-08-14T09:12:00+07:00", "text")


def test_a_page_with_no_time_is_dropped_not_dated_midnight_from_the_url(tmp_path):
    html = variant(
        BATERAI, (JSONLD, ""), (PUBLISHED_META, ""), (re.compile(r"<time.*?</time>"), "")
    )
    rec = record(BATERAI, html, tmp_path)
    assert rec["published_at"] is None
    assert missing_reason(rec) == "missing_published_at"


# ---------------------------------------------------------------- layouts


def test_the_2019_layout_has_its_own_parser_version():
    sensor = record(SENSOR)
    assert sensor["parser"] == "tribunnewstechno@2019"
    # No articleSection or BreadcrumbList in its JSON-LD: the printed breadcrumb gives it.
    assert sensor["category"] == "Techno"
    assert sensor["title"] == "Startup Bandung Kembangkan Sensor Murah Pemantau Kualitas Udara"
    assert (sensor["authors"], sensor["editors"]) == (["Rizal Firmansyah"], ["Bambang Irawan"])
    for url in (SATELIT, ESIM, BATERAI):
        assert record(url)["parser"] == "tribunnewstechno@2024"


def test_an_unknown_layout_keeps_its_fields_and_its_body_through_the_generic_path(tmp_path):
    html = variant(
        SATELIT,
        ('class="side-article txt-article multi-fontsize"', 'class="read__content"'),
        (re.compile(r'<div id="penulis".*?</div>', re.S), ""),
    )
    rec = record(SATELIT, html, tmp_path)
    assert rec["title"] == "Pemerintah Uji Coba Internet Satelit untuk 1.200 Sekolah di Daerah 3T"
    assert rec["authors"] == ["Dimas Aditya Nugroho"]
    assert rec["editors"] == []
    assert (rec["published_at"], rec["date_source"]) == ("2024-03-27T09:55:00+07:00", "jsonld")
    assert rec["category"] == "Techno"
    # No article body in Tribun's JSON-LD: the generic path reads the story, and Tribun's
    # rules still take the dateline, "Baca juga" inserts and the closing credit off it.
    expected = record(SATELIT)
    assert rec["parser"] == "tribunnewstechno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("body", "dateline", "editor_codes"):
        assert rec[name] == expected[name], name


# ---------------------------------------------------------------- full-size pages


def test_noisy_page_fields_come_from_the_story_not_from_the_widgets_around_it():
    html = FULL_PAGES[WHATSAPP].read_text(encoding="utf-8")
    assert 140_000 < len(html.encode("utf-8")) < 330_000
    # Lists before and after the story carry their own titles, times and bylines.
    assert html.count('class="foot timeago"') > 20
    for other in ("Berita Utama", "Berita Terkait", "Berita Terkini", "Terpopuler",
                  "Video Populer", "hl-author", '"@type":"ItemList"'):
        assert other in html, other
    rec = record(WHATSAPP)
    assert rec["parser"] == "tribunnewstechno@2024"
    assert rec["quality_flags"] == []
    assert rec["title"] == "Marak Pembajakan Akun WhatsApp Jelang Lebaran, Ini 6 Cara Mengamankannya"
    assert (rec["authors"], rec["editors"]) == (["Fransiska Widya Anggraeni"], ["Bayu Kurniawan Putra"])
    assert (rec["published_at"], rec["date_source"]) == ("2024-03-28T13:45:00+07:00", "jsonld")
    assert (rec["category"], rec["dateline"], rec["editor_codes"]) == ("Techno", "Jakarta", [])
    assert rec["tags"] == ["WhatsApp", "pembajakan akun", "keamanan digital", "Lebaran 2024"]
    assert rec["image"] == expected(WHATSAPP)["image"]
    assert rec["image"]["credit"] == "Tribunnews.com/Fransiska Widya Anggraeni"


def test_noisy_page_body_is_the_story_without_ads_inserts_or_the_closing_credit():
    rec = record(WHATSAPP)
    body = rec["body"]
    assert body == expected(WHATSAPP)["body"]
    assert body.startswith("Menjelang Lebaran, laporan pembajakan akun WhatsApp")
    assert "\n\n1. Aktifkan verifikasi dua langkah\n\n" in body  # list headings stay
    assert body.endswith("permintaan uang dari akun tersebut.")
    for leftover in ("Laporan Wartawan", "TRIBUNNEWS.COM", "Baca juga", "BACA JUGA",
                     "Modus Penipuan Undangan Pernikahan", "Lihat Foto", "Contoh pesan penipuan",
                     "Video:", "Tips Aman Belanja Daring", "(Tribunnews.com/", "Simak breaking news",
                     "googletag", "Tampilkan Semua", "Sumber:"):
        assert leftover not in body, leftover


def test_redesign_page_is_stored_through_the_generic_path_with_the_site_rules_applied():
    html = FULL_PAGES[DARURAT].read_text(encoding="utf-8")
    assert 140_000 < len(html.encode("utf-8")) < 330_000
    assert "side-article" not in html and 'id="penulis"' not in html
    # The redesign gives the cards' headings the class of the main headline.
    assert html.count('class="headline headline--card"') > 20
    rec = record(DARURAT)
    want = expected(DARURAT)
    assert rec["parser"] == "tribunnewstechno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("title", "description", "authors", "published_at", "modified_at", "date_source",
                 "category", "tags", "body", "dateline", "editor_codes"):
        assert rec[name] == want[name], name
    # "Penulis: … | Editor: …" printed in the new byline; the printed caption and credit.
    assert rec["editors"] == ["Dewi Anggraini Lubis"]
    assert rec["image"] == want["image"]
    # Tribun's rules still take the reporter line, the dateline and the closing credit off.
    for leftover in ("Laporan Wartawan", "TRIBUNNEWS.COM", "Baca juga", "Advertisement",
                     "Video Pilihan", "(Tribunnews.com/", "Simak breaking news", "Dok. Kominfo",
                     "Breaking News"):
        assert leftover not in rec["body"], leftover


# ---------------------------------------------------------------- image


def test_lead_image_caption_and_credit_are_split():
    images = {url: record(url)["image"] for url in PAGES}
    assert images[SATELIT]["credit"] == "TRIBUNNEWS/IRWAN RISMAWAN"
    assert images[SATELIT]["caption"].endswith("Nusa Tenggara Timur, Selasa (26/3/2024).")
    assert images[SATELIT]["url"].startswith(
        "https://asset-2.tstatic.net/tribunnews/foto/bank/images/"
    )
    assert images[ESIM]["credit"] == "Tribunnews.com/Nur Aisyah Putri"
    # A credit with no slash after the caption's last sentence.
    assert images[BATERAI] == {
        "url": "https://asset-2.tstatic.net/tribunnews/foto/bank/images/ponsel-android-baterai-lemah.jpg",
        "caption": "Ilustrasi notifikasi baterai lemah pada ponsel Android.",
        "credit": "Freepik",
    }
    for image in images.values():
        assert "(" not in image["caption"][-3:]


def test_a_caption_ending_with_the_photo_date_has_no_credit(tmp_path):
    html = variant(
        SATELIT,
        (
            "Selasa (26/3/2024). (TRIBUNNEWS/IRWAN RISMAWAN)</div>",
            "Selasa (26/3/2024)</div>",
        ),
    )
    image = record(SATELIT, html, tmp_path)["image"]
    assert image["credit"] is None
    assert image["caption"].endswith("Nusa Tenggara Timur, Selasa (26/3/2024)")
