"""detikInet: the quirks a user of the records would notice."""

from __future__ import annotations

from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
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
