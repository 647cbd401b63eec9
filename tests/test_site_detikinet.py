"""detikInet: the quirks a user of the records would notice."""

from __future__ import annotations

import json

from conftest import MIRROR, edited_copy
from scrapy.http import HtmlResponse

from newscrawl.commands.extract import extract_file
from newscrawl.extraction import Page
from newscrawl.spiders.detikinet import DetikInetSpider

PAGE = MIRROR / "detikinet" / "articles" / "d-7301234.html"
URL = (
    "https://inet.detik.com/consumer/d-7301234/"
    "ponsel-lipat-murah-mulai-masuk-indonesia-harga-mulai-rp-8-juta"
)
SINGLE = '<meta name="articletype" content="singlepage" />'


def test_first_page_of_a_split_article_is_flagged_partial(tmp_path):
    whole = extract_file(DetikInetSpider, PAGE, URL)
    assert "partial_body" not in whole["quality_flags"]
    split = edited_copy(PAGE, {SINGLE: '<meta name="articletype" content="multiplepage" />'}, tmp_path)
    record = extract_file(DetikInetSpider, split, URL)
    assert "partial_body" in record["quality_flags"]
    # Still a full record of what the page holds.
    assert record["body"] == whole["body"]


def test_byline_and_title_come_from_the_article_not_from_page_furniture(tmp_path):
    # A "popular" rail before the article repeats the article classes (detik's sidebars do).
    rail = (
        '<div class="box-popular"><h1 class="detail__title">Berita populer lain</h1>'
        '<div class="detail__author">Penulis Lain - detikInet</div></div>'
    )
    edited = edited_copy(PAGE, {'<article class="detail">': rail + '<article class="detail">'}, tmp_path)
    record = extract_file(DetikInetSpider, edited, URL)
    assert record["title"] == extract_file(DetikInetSpider, PAGE, URL)["title"]
    assert "Penulis Lain" not in record["authors"]


# ---------------------------------------------------------------- full-size pages
ARTICLES = MIRROR / "detikinet" / "articles"
# A full-size page (186 KB) of the 2022 layout: the hidden "head-1" <h1> and the sticky share
# bar repeat the title before the article; a "Berita Terkini" strip before it and "Berita
# Terkait", "Berita detikcom Lainnya", "Berita Terpopuler", "Video 20detik" and "Kolom" boxes
# after it carry their own titles, times and bylines; inside the body a parallax ad, two
# "Baca juga" tables, a [Gambas:Twitter] embed, a photo table and a 20detik video box.
NOISY = ARTICLES / "d-7318842.html"
NOISY_URL = (
    "https://inet.detik.com/cyberlife/d-7318842/"
    "harga-chip-memori-naik-laptop-kelas-pemula-ikut-terkerek"
)
# The same CMS body in a template the site file does not declare ("dtk-article__…" classes,
# <time>, a byline in spans): JSON-LD without articleBody, so the generic path reads the body.
REDESIGN = ARTICLES / "d-7320517.html"
REDESIGN_URL = (
    "https://inet.detik.com/telecommunication/d-7320517/"
    "operator-mulai-matikan-jaringan-3g-di-12-kota-pelanggan-diminta-ganti-kartu"
)


def expected(page) -> dict:
    return json.loads(page.with_name(f"{page.stem}.expected.json").read_text(encoding="utf-8"))


def test_noisy_page_is_full_size():
    html = NOISY.read_text(encoding="utf-8")
    assert 140_000 <= len(html.encode("utf-8")) <= 330_000
    assert html.count("<article") >= 20
    assert html.count('type="application/ld+json"') == 3


def test_noisy_page_fields_come_from_the_article_not_the_widgets():
    rec = extract_file(DetikInetSpider, NOISY, NOISY_URL)
    assert rec["parser"] == "detikinet@2022"
    assert rec["title"] == "Harga Chip Memori Naik, Laptop Kelas Pemula Ikut Terkerek"
    # The "Video 20detik" and "Kolom" boxes print other writers ("… - 20detik", "Oleh: …").
    assert (rec["authors"], rec["editors"]) == (["Ardhi Nugroho"], [])
    assert (rec["editor_codes"], rec["dateline"]) == (["adn", "rns"], "Jakarta")
    # The ticker and the popular box print other days and times.
    assert (rec["published_at"], rec["date_source"]) == ("2024-04-25T15:42:09+07:00", "jsonld")
    assert rec["quality_flags"] == []
    # The cover photo, not the photo table in the body or a card thumbnail.
    assert rec["image"] == {
        "url": "https://akcdn.detik.net.id/community/media/visual/2024/04/25/"
        "rak-laptop-di-toko-komputer.jpeg?w=700&q=90",
        "caption": "Deretan laptop kelas pemula dipajang di sebuah pusat belanja komputer di "
        "Jakarta.",
        "credit": "Ardhi Nugroho/detikINET",
    }
    assert rec["category"] == "Cyberlife"
    assert rec["tags"] == ["harga laptop", "chip memori", "dram", "harga hp"]
    body = rec["body"]
    assert body.startswith("Kenaikan harga chip memori di pasar global mulai terasa")
    assert body.endswith("mulai beroperasi penuh dan pasokan kembali longgar.")
    assert len(body.split("\n\n")) == 11
    for leftover in (
        "ADVERTISEMENT",
        "SCROLL TO",
        "Baca juga",
        "Pasar PC Global Mulai Pulih",
        "Gambas",
        "Twitter",
        "Modul memori RAM",
        "Foto:",
        "Harga Laptop Pelajar Mulai Merangkak Naik",
        "(adn/rns)",
        "harga laptop",
        "Berita Terkait",
        "Terpopuler",
        "Oleh:",
    ):
        assert leftover not in body, leftover
    assert rec == {**expected(NOISY), "crawled_at": rec["crawled_at"], "archive": None}


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_up():
    html = REDESIGN.read_text(encoding="utf-8")
    assert DetikInetSpider().detect_layout(Page(html, REDESIGN_URL)) is None
    rec = extract_file(DetikInetSpider, REDESIGN, REDESIGN_URL)
    gold = expected(REDESIGN)
    assert rec["parser"] == "detikinet@generic"
    assert "generic_body" in rec["quality_flags"]
    # "<strong>Bandung</strong> -" and "(rkw/afr)" are still split off by the site's rules;
    # the first three paragraphs are <br><br> runs, as the CMS prints some bodies.
    assert (rec["dateline"], rec["editor_codes"]) == ("Bandung", ["rkw", "afr"])
    for name in ("body", "title", "authors", "published_at", "modified_at", "tags", "category"):
        assert rec[name] == gold[name], name
    body = rec["body"]
    assert body.startswith("Operator seluler mulai mematikan layanan 3G secara bertahap")
    assert body.endswith("dari ponsel 4G meski kartu belum diganti.")
    for leftover in (
        "ADVERTISEMENT",
        "SCROLL TO",
        "Baca juga",
        "Simak Video",
        "Gambas",
        "Pelanggan mengantre",
        "Foto:",
        "(rkw/afr)",
        "Topik",
        "Terpopuler",
        "Berita Terkait",
        "Bandung -",
    ):
        assert leftover not in body, leftover
    # The caption printed under the cover photo, split as on the declared layout.
    assert (rec["image"]["caption"], rec["image"]["credit"]) == (
        gold["image"]["caption"],
        gold["image"]["credit"],
    )


def test_redesign_lead_image_is_the_cover_photo():
    rec = extract_file(DetikInetSpider, REDESIGN, REDESIGN_URL)
    assert rec["image"]["url"] == expected(REDESIGN)["image"]["url"]


def test_listing_links_the_full_size_pages():
    spider = DetikInetSpider()
    page1 = HtmlResponse(
        url="https://inet.detik.com/indeks?page=1",
        body=(MIRROR / "detikinet" / "listing" / "indeks-1.html").read_bytes(),
        request=spider._listing_request(spider.listings[0], 1),
    )
    urls = [r.url for r in spider.parse_listing(page1)]
    assert urls[:2] == [REDESIGN_URL, NOISY_URL]
