"""CNN Indonesia, Teknologi channel (www.cnnindonesia.com/teknologi). Detik CMS family.

Its parser reads every CNN Indonesia channel (one CMS); discovery is narrowed to /teknologi.
"""

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
    drop=(
        *DETIK_FAMILY_DROP,
        "[class*='detail_ads']",  # ad slots between paragraphs
        "[class*='para_caption']",  # caption of a photo inside the body
        "div.share-box",
    ),
    boilerplate=DETIK_FAMILY_BOILERPLATE,
    dateline_outlets=("CNN Indonesia",),
)


class CnnIndonesiaTeknoSpider(NewsSpider):
    name = "cnnindonesiatekno"
    outlet = "CNN Indonesia"
    section = "tech"
    allowed_domains = ["cnnindonesia.com"]

    listings = ("https://www.cnnindonesia.com/teknologi/indeks/8?page={page}",)
    feeds = ("https://www.cnnindonesia.com/teknologi/rss",)
    sitemaps = ("https://www.cnnindonesia.com/sitemap.xml",)
    sitemap_follow = r"^https://www\.cnnindonesia\.com/teknologi/sitemap_news\.xml$"
    # All channels by day; "2" is the index id, not a page (/indeks/1 answers 404).
    date_index = "https://www.cnnindonesia.com/indeks/2?date={date}&page={page}"
    date_index_format = "%Y/%m/%d"
    listing_links = "div.w-leftcontent article"

    # The 14-digit stamp in the URL is not the publish time; it is never used as one.
    article_url = re.compile(
        r"^https?://(?:www\.)?cnnindonesia\.com/[a-z-]+/\d{14}-\d+-(?P<id>\d+)(?:/|$)"
    )
    discover = re.compile(r"^https?://(?:www\.)?cnnindonesia\.com/teknologi/\d{14}-")
    deny = (r"cnnindonesia\.com/tv/", r"/foto/", r"/video/", r"/infografis/", r"/tag/")
    host_aliases = {"cnnindonesia.com": "www.cnnindonesia.com"}
    date_meta = DETIK_FAMILY_DATE_META

    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.cnnindonesia.com/teknologi/20240416154210-185-1087715/"
        "uji-coba-peringatan-dini-bencana-lewat-pesan-siaran-seluler-dimulai"
    )
    layouts = (
        Layout(
            version="2024",
            detect="div.detail-text",
            title="h1.text-cnn_black",
            # "Name | CNN Indonesia", the line right under the title.
            authors="xpath://h1[contains(@class, 'text-cnn_black')]"
            "/following-sibling::div[contains(@class, 'text-cnn_black_light3')][1]",
            date="div.text-cnn_grey.text-sm",
            body="div.detail-text",
            image="div.detail-image img",
            caption="div.detail-image figcaption",
            tags="div.flex.flex-wrap.gap-3 a[href*='/tag/']",
            # Channel then subchannel; the last one is kept.
            category="div.breadcrumb a",
            rules=RULES,
        ),
        Layout(
            version="2019",
            detect="div.detail_text",
            title="h1.title",
            date="div.date",
            body="div.detail_text",
            category="div.breadcrumb a",
            rules=RULES,
        ),
    )
