"""Suara Tekno (www.suara.com/tekno). Suara.com's CMS: article URLs carry the day and a
six-digit time (`/tekno/YYYY/MM/DD/{HHMMSS}/{slug}`), regional hosts (jatim., jogja., …) share
the path shape, and `?page=all` joins articles split over pages.

Quirks handled here:
- no numeric id: the record id is the URL's date and time ("2025/11/20/101500"), the time
  alone repeats across days; the URL time is not known to be the publish time (it may be when
  the story was created), so only JSON-LD or the printed date are used;
- JSON-LD comes as one object or as an `@graph` whose article names its writer by `@id`
  (resolved by the shared JSON-LD helpers); public scrapers read `datePublished` with a regex
  on the raw block rather than trust it to parse: when it does not parse (a quote in the
  headline), the shared salvage of malformed blocks reads its date and author;
- the printed date is "Kamis, 20 November 2025 | 10:15 WIB" (also "Jum'at");
- the story opens with "Suara.com -" (no place), and "Baca Juga" paragraphs
  (`p[class*=baca-juga]`) and the `.kesimpulan` summary box sit inside the body;
- photo credits close the caption in square brackets: "… [Suara.com/Name]" (unverified; the
  shared caption splitter reads them);
- two templates: the current `div.article-content`, and the older `article.detail-content`
  with its date in `.date-article span`.
"""

import re

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

RULES = BodyRules(
    drop=(
        "[class*='kesimpulan']",
        "div.related-article",
        "[class*='video-embed']",
        "div.box-caption",
        "[class*='ads_']",
    ),
    boilerplate=(
        r"(?:Simak|Ikuti|Follow)\b.*(?:WhatsApp Channel|Google News)\b.*",
        r"(?:Baca|BACA) (?:[Jj]uga|JUGA)\b.*",
    ),
    lead_markers=("Suara.com", "SUARA.COM"),
    # Suara closes no story with an editor code: a final "(AFP)" is text, not initials.
    editor_code=re.compile(r"(?!)"),
)

CURRENT = Layout(
    version="2024",
    detect="div.article-content",
    title="h1",
    authors="a.author-trigger",
    # The story's date is the first date span after the headline: the related, popular and
    # latest cards around the story print theirs in the same `span.date`.
    date="xpath:(//h1)[1]/following::span[contains(concat(' ', normalize-space(@class), ' '),"
    " ' mt-10 ') or contains(@class, 'date')][1]",
    body="div.article-content",
    image="div.detail-thumb img",
    caption="div.detail-thumb .caption",
    tags="div.tag-list a",
    category="ul.breadcrumb a",
    rules=RULES,
)

LEGACY = Layout(
    version="2019",
    detect="article.detail-content",
    title="h1",
    authors="div.author a",
    date="div.date-article span",
    body="article.detail-content",
    image="div.img-cover img",
    caption="div.img-cover .caption",
    tags="div.tag-list a",
    category="ul.breadcrumb a",
    rules=RULES,
)


class SuaraTeknoSpider(NewsSpider):
    name = "suaratekno"
    outlet = "Suara.com"
    section = "tech"
    allowed_domains = ["suara.com"]

    # The all-channel index; `discover` keeps tekno.
    listings = ("https://www.suara.com/indeks?page={page}",)
    listing_links = "div.list-item-y-img-retangle"
    feeds = ("https://www.suara.com/rss/tekno",)

    article_url = re.compile(
        r"^https?://(?:[\w-]+\.)?suara\.com/[\w-]+/(?P<id>\d{4}/\d{2}/\d{2}/\d{6})/[\w-]+/?(?:[?#]|$)"
    )
    discover = re.compile(r"^https?://www\.suara\.com/tekno/")
    deny = (
        r"^https?://(?:www\.)?suara\.com/(?:video|foto|tag|pictures)/",
        r"/(?:video|foto|galeri)/\d{4}/",
    )
    article_query = "page=all"
    layouts = (CURRENT, LEGACY)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.suara.com/tekno/2025/11/24/153000/"
        "sekolah-di-pedalaman-papua-mulai-terhubung-internet-satelit-orbit-rendah"
    )
