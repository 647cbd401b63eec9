"""Liputan6 Tekno (www.liputan6.com/tekno). KLY (Kapanlagi Youniverse) CMS.

Quirks handled here:
- the date next to the byline is the *update* time when labelled "Diperbarui 18 Jun 2025,
  14:05 WIB" (only "Diterbitkan …" is the publish time), so a "Diperbarui" string never becomes
  `published_at` (a rule shared by every site); JSON-LD (an array: [0] NewsArticle, [1] BreadcrumbList whose last crumb is the
  category) and `article:published_time` come first;
- the lead "Liputan6.com, Jakarta -" puts the outlet before the place, in bold, and sometimes
  without the dash ("<b>Liputan6.com, Jakarta</b> Kita …"): it is read from the markup;
- a closing "Penulis: …" line names the writer: into `authors`, out of the body;
- multi-page articles ("Halaman 2") are fetched whole with `?page=all`; each page's title
  stays as a subheading unless the page has no text (a closing video or infographic page);
- photo credits read "Kredit: …" or "(Foto: …)".
"""

from __future__ import annotations

import copy
import re
from typing import Any

import lxml.html
from lxml import etree

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyParts, BodyRules, clean_body, drop_element
from newscrawl.normalize.text import clean_text
from newscrawl.spiders.base import NewsSpider

# "Penulis: Nama" (or "Reporter: …") closing the story; also the stop line of the body.
WRITER_TAIL = r"\*?\s*(?:Penulis|Reporter)\s*:.*"
_LEAD = re.compile(r"^Liputan6\.com\s*,\s*(?P<place>[^-–—]+?)\s*[-–—]*$")

RULES = BodyRules(
    drop=(
        "[class*='advertisement']",  # "Advertisement" label and its ad slot
        "div.article-content-body__item-break",  # "Halaman 2" separators between pages
        "div.article-content-body__item-loadmore",
        "div.article-content-body__item-media",  # embedded players on "Saksikan Video" pages
        "[class*='paging']",
    ),
    boilerplate=(r"Halaman \d+(?:\s*(?:dari|/)\s*\d+)?", r"Selanjutnya\s*:.*"),
    stop=(WRITER_TAIL,),
    # Where the lead is plain text (JSON-LD articleBody): "Liputan6.com, Jakarta - …".
    outlet_first=(r"(?i:liputan6\.com)",),
)

_COMMON = dict(
    title="h1.read-page--header--title",
    body="div.article-content-body",
    image="div.read-page--top-media figure img",
    caption="div.read-page--top-media figcaption",
    tags="ul.tags--snippet__list a.tags--snippet__link",
    rules=RULES,
)


class Liputan6TeknoSpider(NewsSpider):
    name = "liputan6tekno"
    outlet = "Liputan6.com"
    section = "tech"
    allowed_domains = ["liputan6.com"]

    listings = ("https://www.liputan6.com/tekno/berita?page={page}",)
    feeds = ("https://feed.liputan6.com/rss/tekno",)
    # Root index of per-channel sitemaps; only the tekno one (and any file it nests) is followed.
    sitemaps = ("https://www.liputan6.com/sitemap.xml",)
    sitemap_follow = r"^https://www\.liputan6\.com/tekno/sitemap"
    # One day of the channel index; it takes the day twice and the next day as `end`.
    date_index = (
        "https://www.liputan6.com/tekno/indeks/{day:%Y/%m/%d}"
        "?start={day:%Y-%m-%d}&end={next_day:%Y-%m-%d}&page={page}"
    )
    listing_links = "div.articles--iridescent-list, section#indeks-articles"

    article_url = re.compile(
        r"^https?://(?:[a-z0-9-]+\.)?liputan6\.com/(?:[\w-]+/)+read/(?P<id>\d+)"
    )
    discover = re.compile(r"^https?://(?:www\.|m\.)?liputan6\.com/tekno/read/\d+/")
    # Photo galleries (/photo/read/…), video stories and tag pages share the /read/ shape.
    deny = (r"/photo/", r"/video/", r"/read/\d+/video-", r"/tag/", r"^https?://(?:enamplus|tv)\.")
    host_aliases = {"liputan6.com": "www.liputan6.com", "m.liputan6.com": "www.liputan6.com"}
    article_query = "page=all"
    # The closing "Penulis: …" paragraph inside the body credits writers (and editors).
    credit_paragraphs = re.compile(rf"^{WRITER_TAIL}$")

    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.liputan6.com/tekno/read/6058430/"
        "ponsel-android-lawas-berhenti-dapat-pembaruan-keamanan-pengguna-diminta-waspada?page=all"
    )
    layouts = (
        Layout(
            version="2023",
            detect="div.read-page-box__author",
            authors="a.read-page-box__author__name",
            date="span.read-page-box__author__updated",
            **_COMMON,
        ),
        Layout(
            version="2019",
            detect="time.read-page--header--author__datetime",
            authors="span.read-page--header--author__name",
            date="time.read-page--header--author__datetime",
            **_COMMON,
        ),
    )

    def clean(self, html: str | etree._Element, rules: BodyRules, **options: Any) -> BodyParts:
        root = lxml.html.fragment_fromstring(html, create_parent="div") if isinstance(
            html, str) else html
        place = _take_lead(root)
        _drop_empty_page_titles(root, rules)
        parts = super().clean(root, rules, **options)
        if place:
            parts.dateline = place
        return parts


def _drop_empty_page_titles(root: etree._Element, rules: BodyRules) -> None:
    """A page title heads its page's text: the title of a page with no text (the closing
    "Infografis …" or "Saksikan Video …" page of a multi-page article) goes too."""
    for title in root.cssselect(".article-content-body__item-title"):
        page = title.getparent()
        rest = [copy.deepcopy(child) for child in page if child is not title]
        if not any(clean_body(child, rules).paragraphs for child in rest):
            drop_element(title)


def _take_lead(root: etree._Element) -> str | None:
    """Remove the bold "Liputan6.com, Place -" opening the first paragraph; return the place."""
    first = next(iter(root.xpath(".//p[normalize-space()]")), None)
    if first is None or (first.text or "").strip() or not len(first):
        return None
    bold = first[0]
    if bold.tag not in ("b", "strong"):
        return None
    match = _LEAD.match(clean_text("".join(bold.itertext())))
    if not match:
        return None
    # The dash is inside the bold, after it, or missing; the story starts after it.
    first.text = re.sub(r"^\s*[-–—]+", "", bold.tail or "").lstrip()
    bold.tail = None
    first.remove(bold)
    return match.group("place")
