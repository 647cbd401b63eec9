"""Sindonews Tekno (tekno.sindonews.com). MNC Media's SINDOnews CMS: one subdomain per kanal,
the same template on all of them, article URLs `/read/{id}/{subkanal}/{slug}-{epoch}`.

Quirks handled here:
- the body (`div#detail-desc`) has no <p>: text runs separated by <br>, with inline
  "Baca Juga: <a>…</a>" prompts and a closing `<div class="editor">(initials)</div>`;
- the writer is the `a[rel=author]` link in `div.detail-nama-redaksi`; without that link the
  byline wrapper `div.warp-nama-redaksi` is one text that runs straight into the date
  ("Dian PermatasariSabtu, 22 November 2025 - 09:15 WIB"): the name is cut at the day name,
  and the same text is the date;
- dates are printed "Jum'at, 22 Maret 2024 - 09:55 WIB" (apostrophe in the day name);
- the epoch at the end of the slug is close to, but not, the publish time: never used as one;
- long articles are split into `/read/…/{offset}` pages; `?showpage=all` gives the whole text
  (the canonical link always names the bare first page);
- the all-kanal index `www.sindonews.com/indeks/{kanal}/{offset}` pages by item offset (20 a
  page); kanal 612 is Teknologi, and `?t=YYYY-MM-DD` picks a day.
"""

import re

from newscrawl.extraction import Layout, RunOnByline
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

# The index lists twenty stories a page: page 2 is offset 20.
# Where a byline that runs into the date stops: the day name and its comma, even glued to the
# name ("Dian PermatasariSabtu, 22 November 2025"), else the date itself.
_DATE_START = re.compile(
    r"\s*(?:(?:Senin|Selasa|Rabu|Kamis|Jum['’]?at|Sabtu|Minggu)\s*,|\b\d{1,2}\s+[A-Z][a-z]+\s+\d{4}\b).*$"
)

RULES = BodyRules(
    drop=(
        "[class^='lihat-juga']",
        "[class*=' lihat-juga']",
        "[class^='v-']",  # embedded video players (v-youtube, v-sindo)
        "[class*='adsbygoogle']",
        "[id^='ads_']",
        "div.detail-img",
    ),
    boilerplate=(
        r"(?:Simak|Ikuti|Follow)\b.*(?:WhatsApp Channel|Google News)\b.*",
        r"Lihat Juga\s*:?.*",
    ),
    stop=(r"Baca Berita Selengkapnya\b.*",),
)

LAYOUT = Layout(
    version="2024",
    detect="div#detail-desc",
    title="h1.detail-title",
    authors="div.detail-nama-redaksi a[rel='author']",
    # The wrapper holds name and date as one text when the date has no div of its own.
    date="div.detail-date-artikel, div.warp-nama-redaksi",
    body="div#detail-desc",
    image="div.detail-img img",
    caption="div.detail-img .detail-caption",
    category="ul.breadcrumb a",
    rules=RULES,
)


class SindonewsTeknoSpider(NewsSpider):
    name = "sindonewstekno"
    outlet = "SINDOnews"
    section = "tech"
    allowed_domains = ["sindonews.com"]

    # The index pages by item offset, 20 a page.
    listings = ("https://www.sindonews.com/indeks/612/{offset}",)
    listing_links = "div.indeks-news"
    feeds = ("https://tekno.sindonews.com/rss",)
    sitemaps = ("https://tekno.sindonews.com/sitemap-news.xml",)
    date_index = "https://www.sindonews.com/indeks/612/{offset}?t={date}"
    date_index_format = "%Y-%m-%d"

    # Any kanal's article (one template); `discover` keeps tekno (and the legacy autotekno).
    article_url = re.compile(
        r"^https?://[a-z0-9-]+\.sindonews\.com/read/(?P<id>\d+)/\d+/[\w-]+(?:/\d+)?/?(?:[?#]|$)"
    )
    discover = re.compile(r"^https?://(?:tekno|autotekno)\.sindonews\.com/read/")
    deny = (
        # Video, photo and interactive products reuse /read/ on their own hosts.
        r"^https?://(?:video|photo|foto|infografis|hi-lite|scope|media)\.sindonews\.com/",
        r"/(?:video|photo|foto|galeri|topic|tag)/",
        # Page 2+ of a split article: the whole text comes with ?showpage=all.
        r"/read/\d+/\d+/[\w-]+/\d+/?(?:[?#]|$)",
    )
    article_query = "showpage=all"
    layouts = (LAYOUT,)
    # A byline without the author link: its text runs into the date, and it comes before
    # JSON-LD (absent from `?showpage=all` pages anyway).
    run_on_byline = RunOnByline("div.warp-nama-redaksi", trailing=_DATE_START)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://tekno.sindonews.com/read/1403120/207/"
        "pusat-data-hijau-mulai-dibangun-di-batam-andalkan-tenaga-surya-dan-air-laut-1763948220"
    )
