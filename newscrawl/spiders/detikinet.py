"""detikInet (inet.detik.com). Its parser reads every detik channel (news, finance, sport,
travel …): one CMS, so the layout is declared once and discovery is narrowed to detikInet."""

import re

from newscrawl.extraction import Layout, Page
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider
from newscrawl.spiders.families import (
    DETIK_FAMILY_BOILERPLATE,
    DETIK_FAMILY_DATE_META,
    DETIK_FAMILY_DROP,
)

DETIK_LAYOUT = Layout(
    version="2022",
    detect="div.detail__body-text",
    scope="article.detail",
    title="h1.detail__title",
    # The byline's own text; the channel label ("detikInet", "Sepakbola") is a child span.
    authors="xpath:.//div[contains(@class, 'detail__author')]/text()",
    date="div.detail__date",
    body="div.detail__body-text",
    image="div.detail__media figure img",
    caption="figcaption.detail__media-caption",
    tags="div.detail__body-tag a.nav__item",
    category="div.page__breadcrumb a",
    rules=BodyRules(
        drop=(*DETIK_FAMILY_DROP, "div.detail__body-tag", "div.detail__long-nav"),
        boilerplate=DETIK_FAMILY_BOILERPLATE,
    ),
)


class DetikInetSpider(NewsSpider):
    name = "detikinet"
    outlet = "detikInet"
    section = "tech"
    allowed_domains = ["detik.com"]

    listings = ("https://inet.detik.com/indeks?page={page}",)
    feeds = ("https://rss.detik.com/index.php/inet",)
    sitemaps = ("https://www.detik.com/sitemap.xml",)
    sitemap_follow = r"^https://inet\.detik\.com/.*sitemap_news\.xml$"
    # The date must come first and URL-encoded ("06%2F18%2F2025"): otherwise detik's CDN
    # answers page 1 for every page.
    date_index = "https://inet.detik.com/indeks?date={date}&page={page}"
    date_index_format = "%m/%d/%Y"

    article_url = re.compile(r"^https?://[a-z0-9-]+\.detik\.com/(?:[\w-]+/)*d-(?P<id>\d+)(?:/|$)")
    discover = re.compile(r"^https?://inet\.detik\.com/")
    deny = (r"^https?://20\.detik\.com/", r"/foto-[\w-]+/", r"/(?:video|detiktv)/")
    date_meta = DETIK_FAMILY_DATE_META
    layouts = (DETIK_LAYOUT,)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://inet.detik.com/cyberlife/d-7318842/"
        "harga-chip-memori-naik-laptop-kelas-pemula-ikut-terkerek"
    )

    def page_flags(self, page: Page) -> list[str]:
        # detik prints `articletype` "singlepage" on whole articles; any other value is an
        # article split over pages ("Halaman selanjutnya"), of which this is only the first.
        kind = page.meta("articletype")
        return ["partial_body"] if kind and kind != "singlepage" else []
