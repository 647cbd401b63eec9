"""How a spider's Layout reads a page: detection, scoped selectors, first matches."""

from __future__ import annotations

import re

from newscrawl.extraction import Layout, Page
from newscrawl.spiders.base import NewsSpider

PAGE = """<html lang="id"><head><title>t</title>
<meta property="og:title" content="Judul dari meta">
<link rel="canonical" href="https://example.co.id/read/123/ponsel-baru">
</head><body>
<div class="sticky"><h1 class="judul">Judul artikel lain di panel populer</h1>
  <span class="tanggal">Senin, 02 Jun 2025 08:00 WIB</span></div>
<article class="detail">
  <h1 class="judul">Ponsel Baru Meluncur dengan Baterai Besar</h1>
  <span class="tanggal">Selasa, 03 Jun 2025 14:35 WIB</span>
  <div class="isi"><p>Jakarta - Paragraf pertama tentang ponsel baru.</p>
  <p>Paragraf kedua dengan rincian harga.</p></div>
</article>
<div class="breadcrumb"><a>Home</a><a>Gadget</a></div>
</body></html>"""


def spider_with(layout: Layout) -> NewsSpider:
    class ExampleSpider(NewsSpider):
        name = "example"
        outlet = "Example"
        article_url = re.compile(r"/read/(?P<id>\d+)/")
        layouts = (layout,)

    return ExampleSpider()


def extract(layout: Layout, html: str = PAGE) -> dict:
    page = Page(html, "https://example.co.id/read/123/ponsel-baru")
    return dict(spider_with(layout).extract_article(page))


LAYOUT = Layout(
    version="2025",
    detect="div.isi",
    title="h1.judul",
    date="span.tanggal",
    body="div.isi",
    category="div.breadcrumb a",
)


def test_scope_keeps_selectors_inside_the_article():
    unscoped = extract(LAYOUT)
    # Without a scope the first h1.judul on the page wins: the sidebar's.
    assert unscoped["title"] == "Judul artikel lain di panel populer"
    scoped = extract(Layout(**{**LAYOUT.__dict__, "scope": "article.detail"}))
    assert scoped["title"] == "Ponsel Baru Meluncur dengan Baterai Besar"
    assert scoped["published_at"] == "2025-06-03T14:35:00+07:00"
    assert scoped["body"].startswith("Paragraf pertama")
    # Breadcrumbs sit outside the article: category still searches the whole page.
    assert scoped["category"] == "Gadget"


def test_missing_scope_falls_back_to_the_page():
    record = extract(Layout(**{**LAYOUT.__dict__, "scope": "main.artikel"}))
    assert record["title"] == "Judul artikel lain di panel populer"
    assert record["body"].startswith("Paragraf pertama")


def test_undetected_layout_still_lends_its_selectors_field_by_field():
    # The detection test no longer matches (a redesign renamed one class), but the title,
    # date and body are still where the layout's selectors look: each field takes them.
    record = extract(Layout(**{**LAYOUT.__dict__, "detect": "div.tidak-ada"}))
    assert record["parser"] == "example@other-layout"
    assert record["title"] == "Judul artikel lain di panel populer"
    assert record["published_at"] == "2025-06-02T08:00:00+07:00"
    assert record["body"].startswith("Paragraf pertama")
    assert "generic_body" not in record["quality_flags"]


def test_image_selector_may_name_the_element_or_its_url():
    page = PAGE.replace(
        '<div class="isi">', '<figure><img src="/foto/ponsel.jpg"><figcaption>Ponsel baru. '
        'Foto: Dok. Pabrikan</figcaption></figure><div class="isi">'
    )
    for image in ("article.detail figure img", "article.detail figure img::attr(src)"):
        record = extract(
            Layout(**{**LAYOUT.__dict__, "image": image, "caption": "figcaption"}), page
        )
        assert record["image"] == {
            "url": "https://example.co.id/foto/ponsel.jpg",
            "caption": "Ponsel baru.",
            "credit": "Dok. Pabrikan",
        }
