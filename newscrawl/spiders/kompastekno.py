"""Kompas Tekno (tekno.kompas.com). Its parser reads any Kompas.com channel's /read/ page (one
CMS); discovery is narrowed to the tekno channel.

Quirks handled here:
- the credit block prints names without roles: writer(s) first, the editor last; the CMS's
  `content_author` / `content_editor` meta say it plainly, and JSON-LD `author` is the EDITOR;
- JSON-LD and `article:published_time` are UTC (+00:00) while the page prints WIB: stored as
  the same instant in +07:00; `content_PublishedDate` is WIB wall-clock time; the article id's
  first six digits are the WIB publish time (last-resort `url` date);
- long articles are split into pages: every article is requested with `?page=all`, the record
  keeps the canonical URL (no query);
- the id is the URL's date and number ("2025/06/19/05101141"): the number alone is a time of
  day plus a counter and repeats across days.
"""

import re
from datetime import datetime, timedelta, timezone

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

WIB = timezone(timedelta(hours=7))
# /read/2025/06/19/05101141/…: date, then HHMMSS (WIB) and a counter.
URL_TIME = re.compile(r"/read/(\d{4})/(\d{2})/(\d{2})/(\d{2})(\d{2})(\d{2})\d+(?:/|$)")

RULES = BodyRules(
    drop=(
        "[class*='kompasidRec']",  # "Kompas.id" recommendation box inside the body
        "[class*='gate-kgplus']",  # KG+ paywall teaser
        "div.read__paging",
        "span.liftdown_v2_tanda",
        "div.photo", "div.photo__wrap", "div.photo__caption",  # in-body photos and credits
        "blockquote.instagram-media", "blockquote.twitter-tweet", "blockquote.tiktok-embed",
    ),
    boilerplate=(
        r"(?:Simak|Dapatkan|Ikuti|Follow)\b.*WhatsApp Channel\b.*",
        r"Dapatkan update berita\b.*",
        r"Lihat Foto",
        # A photo credit that leaked out of its caption: "KOMPAS.com/ADITYO WICAKSONO …".
        r"\(?(?:KOMPAS\.com|KOMPAS\.COM|Kompas\.com|KOMPAS|Dok\.?|DOK\.?|Shutterstock"
        r"|iStockphoto|Tangkapan layar)\s*/\s*\S.*",
        r"(?:A post shared by|View this post on Instagram|Lihat postingan ini di Instagram)\b.*",
    ),
    dateline_outlets=("KOMPAS.com", "Kompas.com"),
    lead_markers=("KOMPAS.com", "Kompas.com"),
    # Kompas closes no story with an editor code: a final "(AFP)" is text, not initials.
    editor_code=re.compile(r"(?!)"),
)


class KompasTeknoSpider(NewsSpider):
    name = "kompastekno"
    outlet = "Kompas.com"
    section = "tech"
    allowed_domains = ["kompas.com"]

    listings = ("https://indeks.kompas.com/?site=tekno&page={page}",)
    # The all-channel feed; tekno items are picked out by `discover`.
    feeds = ("https://www.kompas.com/rss",)
    sitemaps = ("https://tekno.kompas.com/sitemap-news-tekno.xml",)
    date_index = "https://indeks.kompas.com/?site=tekno&date={date}&page={page}"
    date_index_format = "%Y-%m-%d"
    # Current index items, then the older index markup.
    listing_links = "div.articleItem, div.article__list"

    article_url = re.compile(
        r"^https?://(?:[a-z0-9-]+\.)?kompas\.com/(?:[a-z0-9-]+/)?read/"
        r"(?P<id>\d{4}/\d{2}/\d{2}/\d{7,12})(?:/|$)"
    )
    discover = re.compile(r"^https?://tekno\.kompas\.com/read/")
    deny = (
        r"^https?://video\.kompas\.com/",
        r"^https?://[a-z0-9-]+\.kompas\.com/(?:[a-z0-9-]+/)?image/\d{4}/",  # photo galleries
        r"^https?://[a-z0-9-]+\.kompas\.com/(?:[a-z0-9-]+/)?tag/",
    )
    article_query = "page=all"

    date_meta = ("content_PublishedDate",)
    # The credit block prints no roles: one name is the writer; else the last is the editor.
    # The CMS's meta says it plainly and wins; JSON-LD "author" is the editor, never an author.
    unlabelled_credit = "last-is-editor"
    author_meta = ("content_author",)
    editor_meta = ("content_editor",)
    jsonld_author_role = "editors"

    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://tekno.kompas.com/read/2025/06/20/14300881/"
        "jaringan-3g-dimatikan-bertahap-di-jawa-dan-bali-begini-cara-cek-ponsel-masih-bisa-4g?page=all"
    )
    layouts = (
        Layout(
            version="2025",
            detect="div.read__content",
            title="h1.read__title",
            # Credit names, in printed order (writer first, editor last).
            authors="div.credit-title-name div.credit-title-nameEditor",
            date="div.read__time",
            body="div.read__content",
            image="div.cover-photo div.photo__wrap img",
            caption="div.cover-photo div.photo__caption",
            tags="ul.tag__article__wrap a.tag__article__link",
            category="ul.breadcrumb__wrap a.breadcrumb__link",
            rules=RULES,
        ),
    )

    def url_date(self, url: str) -> datetime | None:
        match = URL_TIME.search(url)
        if not match:
            return None
        try:
            return datetime(*(int(g) for g in match.groups()), tzinfo=WIB)
        except ValueError:
            return None
