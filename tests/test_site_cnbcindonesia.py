"""CNBC Indonesia: the quirks a user of the records would notice, on full-size pages."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import MIRROR
from scrapy.http import HtmlResponse

from newscrawl.commands.extract import extract_file
from newscrawl.extraction import Page
from newscrawl.spiders.cnbcindonesia import CnbcIndonesiaSpider

SITE = MIRROR / "cnbcindonesia"
ARTICLES = SITE / "articles"
BASE = "https://www.cnbcindonesia.com/tech/"
URLS = {
    "525780": BASE + "20240327091205-37-525780/"
    "ceo-facebook-turun-tangan-kirim-email-ke-karyawan-google-ini-isinya",
    "531200": BASE + "20240418135511-37-531200/"
    "operator-seluler-uji-coba-jaringan-5g-di-ibu-kota-nusantara",
    "462115": BASE + "20230814094512-37-462115/startup-logistik-lokal-raih-pendanaan-seri-b",
    "536410": BASE + "20240508103015-37-536410/"
    "pusat-data-baru-bermunculan-kebutuhan-listrik-hijau-ikut-melonjak",
    "537982": BASE + "20240513141020-37-537982/"
    "bank-digital-uji-verifikasi-wajah-untuk-transaksi-di-atas-rp-10-juta",
}
# A full-size page (180 KB) of the 2024 Tailwind layout: the logo in an <h1>, a trending row
# and a "Terkini" strip before the story; "Berita Terkait", "Pilihan Redaksi", "Terpopuler",
# "Video" and "Opini" cards after it, with their own titles, times and bylines; inside the
# body "Baca Juga" inserts, an ad with its labels, a photo insert, [Gambas:Video CNBC], the
# "Saksikan video di bawah ini:" prompt, "Next Article" and a recommendation box.
NOISY = "536410"
# The same CMS body in a template the site file does not declare ("article-detail__…"
# classes, <time>, two bylines as links): JSON-LD without articleBody, so the body comes from
# the generic path.
REDESIGN = "537982"


def expected(article_id: str) -> dict:
    return json.loads((ARTICLES / f"{article_id}.expected.json").read_text(encoding="utf-8"))


def record(article_id: str, html: Path | None = None) -> dict:
    page = html or ARTICLES / f"{article_id}.html"
    return extract_file(CnbcIndonesiaSpider, page, URLS[article_id])


def test_noisy_page_is_full_size():
    html = (ARTICLES / f"{NOISY}.html").read_text(encoding="utf-8")
    assert 140_000 <= len(html.encode("utf-8")) <= 330_000
    assert html.count("<article") >= 20
    assert html.count('type="application/ld+json"') == 3


def test_noisy_page_fields_come_from_the_story_not_the_widgets():
    rec = record(NOISY)
    gold = expected(NOISY)
    assert rec["parser"] == "cnbcindonesia@2024"
    # Not the logo's <h1> ("CNBC Indonesia") nor a card title.
    assert rec["title"] == "Pusat Data Baru Bermunculan, Kebutuhan Listrik Hijau Ikut Melonjak"
    # The second "mb-1 text-base font-semibold" line; the cards print "Name, CNBC Indonesia"
    # and the "Opini" box "Name, Pengamat Teknologi".
    assert (rec["authors"], rec["editors"]) == (["Haryo Wicaksono"], [])
    assert (rec["editor_codes"], rec["dateline"]) == (["hwk", "dem"], "Jakarta")
    # The URL stamp says 10:30:15; the cards print other times.
    assert (rec["published_at"], rec["date_source"]) == ("2024-05-08T11:02:00+07:00", "jsonld")
    assert rec["quality_flags"] == []
    # The lead photo, not the photo insert or a card thumbnail; the photo day stays in the
    # caption, the parenthesis after it is the credit.
    assert rec["image"] == gold["image"]
    assert rec["image"]["credit"] == "CNBC Indonesia/Tri Susilo"
    assert rec["image"]["caption"].endswith("Selasa (7/5/2024).")
    assert rec["category"] == "Tech"
    assert rec["tags"] == ["pusat data", "data center", "energi terbarukan", "AI"]
    body = rec["body"]
    assert body.startswith("Pembangunan pusat data di Indonesia terus bertambah")
    for leftover in (
        "CNBC Indonesia",
        "ADVERTISEMENT",
        "SCROLL TO",
        "Baca Juga",
        "Raksasa Cloud Tambah Region",
        "PLN Siapkan Pasokan",
        "Gambas",
        "Foto:",
        "Panel surya terpasang di atap",
        "(hwk/dem)",
        "Next Article",
        "Rekomendasi",
        "Terpopuler",
        "Pengamat Teknologi",
    ):
        assert leftover not in body, leftover
    for name in ("title", "description", "url", "modified_at", "tags", "category", "image"):
        assert rec[name] == gold[name], name


def test_noisy_page_body_ends_with_the_story():
    rec = record(NOISY)
    assert rec["body"].endswith("tempat pusat data dibangun,\" ujarnya.")
    assert rec["body"] == expected(NOISY)["body"]


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_up():
    html = (ARTICLES / f"{REDESIGN}.html").read_text(encoding="utf-8")
    assert CnbcIndonesiaSpider().detect_layout(Page(html, URLS[REDESIGN])) is None
    rec = record(REDESIGN)
    gold = expected(REDESIGN)
    assert rec["parser"] == "cnbcindonesia@generic"
    assert "generic_body" in rec["quality_flags"]
    # "Jakarta, CNBC Indonesia -" and "(dga/rzm)" are still split off by the site's rules.
    assert (rec["dateline"], rec["editor_codes"]) == ("Jakarta", ["dga", "rzm"])
    # Both writers, from JSON-LD's author list.
    assert rec["authors"] == ["Dewi Anggraeni", "Rizky Maulana"]
    for name in ("body", "title", "published_at", "modified_at", "tags", "category"):
        assert rec[name] == gold[name], name
    body = rec["body"]
    assert body.startswith("Sejumlah bank digital mulai menguji verifikasi biometrik wajah")
    assert body.endswith("saat nasabah masuk ke aplikasi dari perangkat baru.")
    for leftover in (
        "CNBC Indonesia",
        "ADVERTISEMENT",
        "SCROLL TO",
        "Baca Juga",
        "Modus Penipuan Video Call",
        "Gambas",
        "Foto:",
        "Ilustrasi pemindaian wajah",
        "(dga/rzm)",
        "Tags",
        "Berita Terkait",
        "Terpopuler",
    ):
        assert leftover not in body, leftover
    # og:image is the cover photo's URL here; the caption and credit printed under it are
    # split as on the declared layout.
    assert rec["image"] == gold["image"]


def test_listing_links_the_full_size_pages():
    spider = CnbcIndonesiaSpider()
    page1 = HtmlResponse(
        url="https://www.cnbcindonesia.com/tech/indeks/12/1",
        body=(SITE / "listing" / "indeks-1.html").read_bytes(),
        request=spider._listing_request(spider.listings[0], 1),
    )
    urls = [r.url for r in spider.parse_listing(page1)]
    assert [u for u in urls if u in URLS.values()] == [
        URLS[REDESIGN], URLS[NOISY], URLS["531200"], URLS["525780"]
    ]
