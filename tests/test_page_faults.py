"""Pages that arrive damaged: cut off in transfer, or with bytes that do not match their label."""

from __future__ import annotations

import pytest
from conftest import MIRROR
from scrapy.http import HtmlResponse, Request

from newscrawl.extraction.page import looks_truncated
from newscrawl.items import Article
from newscrawl.normalize.encoding import decode_page
from newscrawl.spiders.base import page_of
from newscrawl.spiders.detikinet import DetikInetSpider

WHOLE = "<html><head><title>t</title></head><body><p>Satu dua tiga.</p></body></html>"


@pytest.mark.parametrize(
    "html",
    [
        WHOLE,
        WHOLE + "\n<!-- cached @ 1728045699 -->\n",
        # HTML lets a page leave out </body></html>: it still ends with its last element.
        "<html><body><p>Satu.</p><script>var a = 1;</script>",
        "<!doctype html><html><body><div><p>Satu.</p></div>\n\n",
    ],
)
def test_whole_pages_are_not_truncated(html):
    assert not looks_truncated(html)


@pytest.mark.parametrize(
    "html",
    [
        WHOLE[: int(len(WHOLE) * 0.75)],  # cut at 75 %
        "<html><body><p>Presiden mengatakan, pemerintah akan",  # mid-sentence
        "<html><body><p>Satu.</p><div class=\"ads",  # mid-tag
        "<html><body><p>Satu.</p><p>",  # after an opening tag
        "",
    ],
)
def test_pages_cut_off_in_transfer_are_truncated(html):
    assert looks_truncated(html)


def test_windows_1252_bytes_in_a_page_labelled_utf8_are_decoded_not_lost():
    typed_on_windows = "“Kami siap,” kata José — Rp1 juta".encode("cp1252")
    body = (b'<html><head><meta charset="utf-8"></head><body><p>' + typed_on_windows
            + " dan ini UTF-8: é".encode() + b"</p></body></html>")
    response = HtmlResponse(url="https://example.id/a", body=body,
                            headers={"Content-Type": "text/html; charset=utf-8"})
    assert "\ufffd" in response.text  # what Scrapy's decoding loses
    page = page_of(response)
    assert "“Kami siap,” kata José — Rp1 juta dan ini UTF-8: é" in page.html
    assert page.flags == ("encoding_repaired",)


def test_a_valid_utf8_page_is_left_as_decoded():
    body = "<html><body><p>“Kami siap,” kata José</p></body></html>".encode()
    assert decode_page(body, "utf-8", body.decode()) == (body.decode(), False)
    # A page that itself prints U+FFFD is valid UTF-8: nothing to repair.
    body = "<p>rusak \ufffd</p>".encode()
    assert decode_page(body, "utf-8", body.decode())[1] is False
    # A page that is what its Latin label says (é is one byte, not valid UTF-8) stays as is.
    assert decode_page(b"<p>\xe9</p>", "cp1252", "<p>é</p>") == ("<p>é</p>", False)
    assert decode_page(b"<p>ASCII</p>", "iso-8859-1", "<p>ASCII</p>") == ("<p>ASCII</p>", False)


@pytest.mark.parametrize("label", ["ISO-8859-1", "windows-1252", "us-ascii"])
def test_a_utf8_page_sent_with_a_latin_label_is_read_as_utf8(label):
    """A detikInet article (the mirror's page, UTF-8, its curly quotes and dashes) sent with
    Apache's default `charset=ISO-8859-1` or another Latin label: Scrapy's decoding makes every
    "—" an "â€”"; the record holds the text as written, flagged."""
    html = (MIRROR / "detikinet" / "articles" / "d-7301234.html").read_text(encoding="utf-8")
    html = html.replace("Ponsel lipat tidak lagi", "Ponsel lipat—“lipat dua” tidak lagi", 1)
    url = "https://inet.detik.com/telecommunication/d-7301234/ponsel-lipat"
    response = HtmlResponse(url=url, body=html.encode(), request=Request(url),
                            headers={"Content-Type": f"text/html; charset={label}"})
    assert "â€" in response.text  # what the label alone gives
    [record] = [item for item in DetikInetSpider().parse_article(response)
                if isinstance(item, Article)]
    assert "Ponsel lipat—“lipat dua” tidak lagi" in record["body"]
    assert "â€" not in record["body"] and "â€" not in record["title"]
    assert "encoding_repaired" in record["quality_flags"]
    assert "mojibake" not in record["quality_flags"]
