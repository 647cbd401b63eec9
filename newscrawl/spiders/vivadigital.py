"""VIVA Digital (www.viva.co.id/digital).

Article URLs are /{channel}/{sub}/{id}-{slug}; videos and photo galleries reuse the scheme under
/video/ and /foto/, so they are denied by path, and discovery keeps /digital/. Long articles are
split over pages ("Halaman Selanjutnya"): they are requested once as `?page=all`. The site-wide
feed /get/all lists every channel. The lead opens with the outlet and no place ("VIVA Tekno –",
"VIVA –"), sometimes after one ("Jakarta, VIVA –"); "Baca Juga" boxes sit inside the body as
div.recommended-article and div.widget-other-article; captions end in "Photo : <credit>".
"""

import re

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

RULES = BodyRules(
    drop=(
        "div.recommended-article",
        "div.widget-other-article",
        "[class*='main-content-image']",
        "[class*='ads-']",
        "[class^='banner']",
    ),
    # "Jakarta, VIVA –", "VIVA Tekno –", "VIVA Digital –", "VIVA –": the place is optional.
    dateline_outlets=("VIVA Tekno", "VIVA Digital", "VIVA.co.id", "VIVA"),
)

LAYOUT = Layout(
    version="2024",
    detect="div.main-content-detail",
    title="h1.main-content-title",
    authors="div.main-content-author a",
    date="div.main-content-date",
    body="div.main-content-detail",
    image="div.main-content-image img",
    caption="div.main-content-image .main-content-image-caption",
    tags="div.main-content-tag a",
    # Home › Digital › Digilife: the last step is the sub-section (the › glyphs sit between
    # the links, never inside them).
    category="a.breadcrumb-step.content_center",
    rules=RULES,
)


class VivaDigitalSpider(NewsSpider):
    name = "vivadigital"
    outlet = "VIVA"
    section = "tech"
    allowed_domains = ["viva.co.id"]

    listings = ("https://www.viva.co.id/digital/index?page={page}",)
    listing_links = "div.article-list-row"
    # Every channel; `discover` keeps /digital/.
    feeds = ("https://www.viva.co.id/get/all",)
    # One news sitemap per channel (/sitemap/news/{channel}.xml, as for otomotif and militer).
    sitemaps = ("https://www.viva.co.id/sitemap/news/digital.xml",)

    article_url = re.compile(
        r"^https?://(?:www\.|m\.)?viva\.co\.id/(?:[a-z0-9-]+/){1,3}(?P<id>\d+)-[\w-]+/?(?:[?#]|$)"
    )
    discover = re.compile(r"^https?://(?:www\.|m\.)?viva\.co\.id/digital/")
    deny = (r"viva\.co\.id/(?:[a-z0-9-]+/)*(?:video|foto|galeri|tag|vlix)/",)
    host_aliases = {"m.viva.co.id": "www.viva.co.id", "viva.co.id": "www.viva.co.id"}
    article_query = "page=all"
    layouts = (LAYOUT,)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.viva.co.id/digital/digilife/"
        "1812702-pemain-gim-mobile-di-indonesia-tembus-120-juta-didominasi-usia-muda?page=all"
    )
