"""kumparan Tech: the quirks a user of the records would notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.kumparantech import KumparanTechSpider

SITE = MIRROR / "kumparantech"
ARTICLES = SITE / "articles"
BASE = "https://kumparan.com/kumparantech"
URLS = {
    "25Bq7xLmN2k": f"{BASE}/operator-seluler-uji-coba-5g-di-frekuensi-700-mhz-25Bq7xLmN2k",
    "25BsR0tYw9E": f"{BASE}/tips-memilih-laptop-untuk-mahasiswa-baru-jangan-cuma-lihat-prosesor-25BsR0tYw9E",
    "25BtKp3dQ1Z": f"{BASE}/startup-logistik-raih-pendanaan-seri-b-untuk-perluas-gudang-pintar-25BtKp3dQ1Z",
    # Full-size pages: the current template with its widgets, ads and scripts, and a redesign
    # no layout declares.
    "25CaHk2RwP4": f"{BASE}/aplikasi-dompet-digital-wajibkan-verifikasi-wajah-untuk-transaksi-besar-25CaHk2RwP4",
    "25CdWq9LmX3": f"{BASE}/pemerintah-siapkan-aturan-label-untuk-konten-buatan-ai-di-media-sosial-25CdWq9LmX3",
}


def record(article_id: str, html: Path | None = None) -> dict:
    return extract_file(
        KumparanTechSpider, html or ARTICLES / f"{article_id}.html", URLS[article_id]
    )


def variant(tmp_path: Path, article_id: str, replacements: dict[str, str]) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    return record(article_id, edited_copy(ARTICLES / f"{article_id}.html", replacements, tmp_path))


def expected(article_id: str) -> dict:
    return json.loads((ARTICLES / f"{article_id}.expected.json").read_text(encoding="utf-8"))


def test_base62_and_legacy_numeric_ids():
    spider = KumparanTechSpider()
    assert spider.site_article_id(URLS["25Bq7xLmN2k"]) == "25Bq7xLmN2k"
    legacy = f"{BASE}/google-rilis-android-versi-terbaru-1537943693286714133"
    assert spider.site_article_id(legacy) == "1537943693286714133"
    # A slug word is not an id: "…-mahasiswa" has no id at all.
    assert not spider.is_article_url(f"{BASE}/tips-memilih-laptop-untuk-mahasiswa")
    for url in (
        "https://kumparan.com/topic/5g",
        "https://kumparan.com/trending",
        "https://kumparan.com/kumparannews/warga-padati-car-free-day-di-bundaran-hi-25BrM4nPq8s",
    ):
        assert not spider.is_article_url(url), url


@pytest.mark.parametrize("suffix", ["/1", "/2", "/2/", "?utm_source=rss&utm_medium=feed"])
def test_page_suffix_and_tracking_are_one_article(suffix):
    spider = KumparanTechSpider()
    url = URLS["25Bq7xLmN2k"]
    assert spider.is_article_url(url + suffix)
    assert spider.canonicalize(url + suffix) == url
    assert spider.canonicalize(url.replace("https://", "https://m.") + suffix) == url


def test_graph_jsonld_utc_time_is_stored_as_wib():
    rec = record("25Bq7xLmN2k")
    # datePublished "2025-06-18T06:30:00Z" inside @graph, beside a WebPage.
    assert rec["date_source"] == "jsonld"
    assert rec["published_at"] == "2025-06-18T13:30:00+07:00"
    assert rec["modified_at"] == "2025-06-18T14:05:00+07:00"
    assert rec["quality_flags"] == []


def test_meta_time_when_jsonld_has_no_date():
    rec = record("25BtKp3dQ1Z")
    assert (rec["date_source"], rec["published_at"]) == ("meta", "2025-06-17T19:45:00+07:00")
    assert rec["modified_at"] is None


def test_writers_come_from_jsonld_and_the_channel_account_is_not_a_writer():
    assert record("25Bq7xLmN2k")["authors"] == ["Aulia Rahma"]
    assert record("25BsR0tYw9E")["authors"] == ["Galih Saputra", "Nadia Putri"]
    # Credited to "kumparanTECH" in JSON-LD and meta: no person wrote it.
    assert record("25BtKp3dQ1Z")["authors"] == []
    for article_id in URLS:
        rec = record(article_id)
        assert (rec["editors"], rec["editor_codes"], rec["dateline"]) == ([], [], None)


def test_title_is_the_headline_without_the_site_suffix(tmp_path):
    rec = variant(
        tmp_path,
        "25BtKp3dQ1Z",
        {'"headline":"Startup Logistik Raih Pendanaan Seri B untuk Perluas Gudang Pintar",': ""},
    )
    assert rec["title"] == "Startup Logistik Raih Pendanaan Seri B untuk Perluas Gudang Pintar"


def test_embeds_ads_and_the_lead_photo_stay_out_of_the_body():
    bodies = {article_id: record(article_id)["body"] for article_id in URLS}
    for body in bodies.values():
        for leftover in ("ADVERTISEMENT", "Instagram", "twitter", "Shutterstock", "#5G"):
            assert leftover not in body
    assert "Sinyal 5G di desa kami" not in bodies["25Bq7xLmN2k"]  # the embedded post
    assert "Ilustrasi menara" not in bodies["25Bq7xLmN2k"]
    assert bodies["25Bq7xLmN2k"].startswith("Dua operator seluler mulai menguji")
    assert len(bodies["25BtKp3dQ1Z"].split("\n\n")) == 5


def test_lead_photo_caption_and_credit():
    assert record("25Bq7xLmN2k")["image"]["caption"] == "Ilustrasi menara BTS."
    assert record("25Bq7xLmN2k")["image"]["credit"] == "Shutterstock"
    # No photo block in the content: og:image only, nothing guessed.
    image = record("25BsR0tYw9E")["image"]
    assert image["url"].endswith("01jy4a1b2c3d4e5f6g7h8j9k0m.jpg")
    assert (image["caption"], image["credit"]) == (None, None)


def test_page_without_article_content_is_read_by_the_generic_path(tmp_path):
    expected = record("25Bq7xLmN2k")
    rec = variant(tmp_path, "25Bq7xLmN2k", {'class="article-content"': 'class="story-body"'})
    assert rec["parser"] == "kumparantech@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("body", "dateline", "editor_codes"):
        assert rec[name] == expected[name], name
    # The rest still comes from JSON-LD and meta, not from page chrome.
    assert rec["title"] == "Operator Seluler Uji Coba 5G di Frekuensi 700 MHz"
    assert rec["authors"] == ["Aulia Rahma"]
    assert rec["published_at"] == "2025-06-18T13:30:00+07:00"


def test_full_size_current_page_has_the_noise_of_a_real_one():
    html = (ARTICLES / "25CaHk2RwP4.html").read_text(encoding="utf-8")
    assert 140_000 <= len(html.encode()) <= 330_000
    assert html.count('type="application/ld+json"') == 2 and '"@graph"' in html
    # Story cards before and after the story print their headlines with the title's own
    # styled-components class, a writer and a date.
    assert html.count('class="Textweb__StyledText-sc-1ed9ao-0 eAHsBa"') >= 20
    assert html.count('data-qa-id="author-name"') >= 20
    assert html.count('data-qa-id="date"') >= 20
    assert html.count("<h1") == 1


def test_full_size_current_page_takes_its_fields_from_the_story_not_the_widgets():
    rec = record("25CaHk2RwP4")
    want = expected("25CaHk2RwP4")
    assert rec["parser"] == "kumparantech@2024"
    for name in ("title", "authors", "published_at", "modified_at", "date_source", "tags",
                 "category", "image", "body"):
        assert rec[name] == want[name], name
    assert rec["title"] == "Aplikasi Dompet Digital Wajibkan Verifikasi Wajah untuk Transaksi Besar"
    assert rec["authors"] == ["Fadhil Pramudya"]
    assert rec["published_at"] == "2025-06-20T10:20:00+07:00"
    assert rec["image"]["caption"] == "Ilustrasi pengguna melakukan pembayaran dengan dompet digital."
    assert rec["body"].startswith("Sejumlah aplikasi dompet digital mulai mewajibkan")
    assert rec["body"].endswith("menargetkan peluncuran pada kuartal ketiga.")
    assert len(rec["body"].split("\n\n")) == 11
    for leftover in (
        "ADVERTISEMENT", "supplier", "sumberrejeki", "Foto:", "Dok. Istimewa", "Tampilan fitur",
        "Komentar", "saldo habis dikuras penipu", "Baca Lainnya", "Populer", "kumparanPLUS",
    ):
        assert leftover not in rec["body"], leftover
    assert (rec["editors"], rec["editor_codes"], rec["dateline"], rec["quality_flags"]) == ([], [], None, [])


def test_redesign_is_read_by_the_generic_path_with_the_same_clean_body():
    rec = record("25CdWq9LmX3")
    want = expected("25CdWq9LmX3")
    assert rec["parser"] == "kumparantech@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("title", "authors", "editors", "editor_codes", "dateline", "published_at",
                 "date_source", "tags", "category", "body"):
        assert rec[name] == want[name], name
    assert rec["body"].startswith("Pemerintah tengah menyiapkan aturan")
    assert rec["body"].endswith("ketika konten diunggah ulang oleh akun lain.")
    for leftover in ("ADVERTISEMENT", "Instagram", "orang tua kita diajari", "Foto:", "Contoh label",
                     "Komentar", "Baca Lainnya", "Penulis:"):
        assert leftover not in rec["body"], leftover


def test_redesign_lead_photo_caption_and_credit():
    assert record("25CdWq9LmX3")["image"] == expected("25CdWq9LmX3")["image"]


def test_crawl_follows_only_the_tech_channel_once_per_story(crawl):
    result = crawl("kumparantech", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    records = result.records("kumparantech")
    assert {r["url"] for r in records} == set(URLS.values())
    for url in URLS.values():
        # Linked with "/1", "?utm_*" and plain from listing, feed and sitemap: fetched once.
        assert len(re.findall(rf"Crawled \(200\) <GET {re.escape(url)}>", result.log)) == 1
    for skipped in ("kumparannews/", "kumparanbisnis/", "kumparanbola/", "/topic/", "/trending"):
        assert not re.search(rf"<GET [^>]*{re.escape(skipped)}", result.log), skipped
    assert result.stat("newscrawl/links/non_article") >= 3
    assert result.stat("newscrawl/mirror/missing") == 0
