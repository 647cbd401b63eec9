"""kumparan, tech channel (kumparan.com/kumparantech).

A Next.js site with one host for every channel: article URLs are
`kumparan.com/{channel}/{slug}-{id}` where the id is an 11-character base62 string
("…-25Bq7xLmN2k"; older stories a long number), and a trailing `/1`, `/2` selects a page of
the same story (dropped from the record's URL). Discovery leans on the site-wide RSS feed and
news sitemap, narrowed to the kumparantech channel; the channel page is followed as a listing.

Dates and people come from meta tags and JSON-LD, which kumparan wraps in an `@graph` (or a
list) and whose times may be in UTC; the writer is a JSON-LD Person, while stories credited to
the channel account ("kumparanTECH") have no writer. The body is `div.article-content`, with
embedded posts (X/Instagram) and ad slots inside. No dateline and no editor code are printed.
"""

import re

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

# The page of a multi-page story: ".../{slug}-{id}/2".
PAGE_SUFFIX = re.compile(r"(-(?:[0-9][0-9A-Za-z]{10}|\d{15,20}))/\d{1,2}$")

RULES = BodyRules(
    # Embedded social posts are quotes of another page, not the story's text.
    drop=(
        "blockquote.twitter-tweet",
        "blockquote.instagram-media",
        "blockquote.tiktok-embed",
        "[class*='Ads']",
        "[class*='ad-slot']",
    ),
)

LAYOUT = Layout(
    version="2024",
    detect="div.article-content",
    # og:title carries " | kumparan.com"; the page's h1 is the bare headline. People and
    # dates: JSON-LD (also inside @graph), then meta tags.
    title="h1",
    body="div.article-content",
    # The lead photo is the content block's first child, its caption "… Foto: Shutterstock".
    image="div.article-content > figure:first-child img",
    caption="div.article-content > figure:first-child figcaption",
    rules=RULES,
)


class KumparanTechSpider(NewsSpider):
    name = "kumparantech"
    outlet = "kumparan"
    section = "tech"
    allowed_domains = ["kumparan.com"]

    # The channel page draws more stories with JavaScript: page 2 is followed only when the
    # server HTML links it.
    listings = ("https://kumparan.com/kumparantech?page={page}",)
    # Site-wide: `discover` keeps the tech channel.
    feeds = ("https://lapi.kumparan.com/v2.0/rss/",)
    sitemaps = ("https://kumparan.com/sitemap_channel_news.xml",)

    article_url = re.compile(
        r"^https?://(?:www\.|m\.)?kumparan\.com/[a-z0-9-]+/(?:[a-z0-9-]+-)"
        r"(?P<id>[0-9][0-9A-Za-z]{10}|\d{15,20})(?:/\d{1,2})?/?(?:[?#]|$)"
    )
    discover = re.compile(r"^https?://(?:www\.|m\.)?kumparan\.com/kumparantech/")
    deny = (r"kumparan\.com/(?:topic|trending|channel|search|video|infografik)(?:/|\?|$)",)
    host_aliases = {"www.kumparan.com": "kumparan.com", "m.kumparan.com": "kumparan.com"}
    layouts = (LAYOUT,)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://kumparan.com/kumparantech/"
        "aplikasi-dompet-digital-wajibkan-verifikasi-wajah-untuk-transaksi-besar-25CaHk2RwP4"
    )

    def canonicalize(self, url: str) -> str:
        # Page 1 and page 2 of a story are one article: the page suffix is not identity.
        return PAGE_SUFFIX.sub(r"\1", super().canonicalize(url))
