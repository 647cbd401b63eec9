"""CNBC Indonesia, tech channel (www.cnbcindonesia.com/tech). Detik CMS family."""

import re

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider
from newscrawl.spiders.families import (
    DETIK_FAMILY_BOILERPLATE,
    DETIK_FAMILY_DATE_META,
    DETIK_FAMILY_DROP,
)

RULES = BodyRules(
    drop=(*DETIK_FAMILY_DROP, "div.next-article", "[class*='recommendation']"),
    boilerplate=DETIK_FAMILY_BOILERPLATE,
    dateline_outlets=("CNBC Indonesia",),
)


class CnbcIndonesiaSpider(NewsSpider):
    name = "cnbcindonesia"
    outlet = "CNBC Indonesia"
    section = "tech"
    allowed_domains = ["cnbcindonesia.com"]

    listings = ("https://www.cnbcindonesia.com/tech/indeks/12/{page}",)
    feeds = ("https://www.cnbcindonesia.com/tech/rss",)
    sitemaps = ("https://www.cnbcindonesia.com/tech/sitemap_news.xml",)
    # The all-channel index takes a date; tech links are picked out by `discover`.
    date_index = "https://www.cnbcindonesia.com/indeks?date={date}&page={page}"
    date_index_format = "%Y/%m/%d"

    # The 14-digit stamp in the URL is not the publish time; it is never used as one.
    article_url = re.compile(
        r"^https?://(?:www\.)?cnbcindonesia\.com/[a-z-]+/\d{14}-\d+-(?P<id>\d+)/"
    )
    discover = re.compile(r"^https?://(?:www\.)?cnbcindonesia\.com/tech/\d{14}-")
    deny = (r"/(?:video|foto|photo)/", r"/tv/")
    host_aliases = {"cnbcindonesia.com": "www.cnbcindonesia.com"}
    date_meta = DETIK_FAMILY_DATE_META

    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.cnbcindonesia.com/tech/20240508103015-37-536410/"
        "pusat-data-baru-bermunculan-kebutuhan-listrik-hijau-ikut-melonjak"
    )
    layouts = (
        Layout(
            version="2024",
            detect="div.detail-text",
            title="h1.text-32",
            # The byline is the second of these divs; the first holds the channel name.
            authors="xpath:(//div[contains(@class, 'mb-1') and contains(@class, 'text-base')"
            " and contains(@class, 'font-semibold')])[2]",
            date="div.text-cm.text-gray",
            body="div.detail-text",
            image="div.media_artikel img",
            caption="div.media_artikel figcaption",
            tags="div.tag-list a",
            category="a.text-xs.font-semibold[href='#']",
            rules=RULES,
        ),
        Layout(
            version="2019",
            detect="div.detail_text",
            title="div.jdl h1",
            authors="div.author",
            date="div.date",
            body="div.detail_text",
            image="div.media_artikel img",
            caption="div.media_artikel span",
            tags="div.detail_tag a",
            category="div.breadcrumb a",
            rules=RULES,
        ),
    )
