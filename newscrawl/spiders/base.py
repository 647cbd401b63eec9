"""NewsSpider: everything a news site spider does, so a site file only declares what differs.

A site declares
- where articles are listed: `listings` (section index pages, `{page}` in the URL, or
  `{offset}`, the first item's offset, for indexes that page by item), `feeds`
  (RSS/Atom), `sitemaps` (news sitemaps or sitemap indexes), `date_index` (a page of one day's
  articles, `{date}` and `{page}` in the URL) for `-a since=… -a until=…` backfills;
- which URLs are articles: `article_url` (a regex with an `id` group) and `deny`;
- how its article template reads: one or more `Layout`s (a version, a CSS test that tells the
  layout apart, and selectors), and the `BodyRules` its bodies need.

Every field is taken in the same order everywhere: the layout's selectors, then JSON-LD, then
meta tags. A page that matches no layout still yields a record from JSON-LD and meta alone
(parser "<site>@jsonld"), or is dropped by validation with the missing field as the reason;
a selector of the wrong layout is never applied.
"""

from __future__ import annotations

import copy
import gzip
import logging
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import quote

import scrapy
from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap
from w3lib.url import canonicalize_url

from newscrawl import distributed
from newscrawl.items import Article
from newscrawl.loaders import ArticleLoader
from newscrawl.normalize.body import BodyParts, BodyRules, clean_body
from newscrawl.normalize.bylines import parse_credits, split_names
from newscrawl.normalize.dates import in_offset, parse_date, parse_offset, to_iso
from newscrawl.normalize.encoding import has_mojibake
from newscrawl.normalize.images import split_caption_credit
from newscrawl.normalize.jsonld import (
    breadcrumb_names,
    find_article,
    image_url,
    jsonld_objects,
    keywords,
    names,
    resolve_references,
    text_value,
)
from newscrawl.normalize.text import clean_text
from newscrawl.normalize.urls import article_id, canonical_url, record_id

logger = logging.getLogger(__name__)

ARTICLE = "article"
LISTING = "listing"
FEED = "feed"
SITEMAP = "sitemap"


@dataclass(frozen=True)
class Layout:
    """One version of a site's article template. Empty selectors fall back to JSON-LD/meta."""

    version: str
    detect: str
    # The element holding the article (title, byline, date, body, image, tags): those
    # selectors then search only inside it, not the whole 150-300 KB page. Category
    # (breadcrumbs sit outside articles) and detection always search the page.
    scope: str = ""
    title: str = ""
    authors: str = ""
    credits: str = ""
    date: str = ""
    body: str = ""
    image: str = ""
    caption: str = ""
    tags: str = ""
    category: str = ""
    rules: BodyRules = field(default_factory=BodyRules)


@dataclass
class DateCandidate:
    source: str
    value: Any


def compile_query(query: str, first_only: bool = False) -> etree.XPath:
    """A layout selector compiled once: CSS by default (with parsel's `::text` and
    `::attr(name)`), XPath when it starts with "xpath:" (for positions such as "the second of
    these divs", which CSS cannot say across classes).

    `first_only` asks for the first match in document order. For a one-step query (what most
    layout selectors are: `div.detail__body-text`) that becomes the step's `[1]`, where libxml2
    stops at the first match instead of testing every element of a 200 KB page."""
    key = (query, first_only)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if query.startswith("xpath:"):
            xpath = query[len("xpath:") :]
        else:
            xpath = _CSS.css_to_xpath(query)
        if first_only and _ONE_STEP.match(xpath):
            xpath += "[1]"
        compiled = _COMPILED[key] = etree.XPath(xpath, smart_strings=False)
    return compiled


# Compiled once per process: translating CSS and compiling XPath per call, and wrapping every
# result in a parsel Selector, cost more than the queries themselves.
_CSS = HTMLTranslator()
_COMPILED: dict[tuple[str, bool], etree.XPath] = {}
# One location step from the context node, no "/" or "|" anywhere (not even in a literal).
_ONE_STEP = re.compile(r"^descendant-or-self::[\w*-]+(?:\[[^/|]*\])?$")


def select(node: etree._Element, query: str) -> list[Any]:
    """The elements (or strings, for `::text`/`::attr()`) `query` selects under `node`."""
    return compile_query(query)(node)


def element_text(node: etree._Element | str) -> str:
    """The cleaned full text of an element (or of a selected string)."""
    if isinstance(node, str):
        return clean_text(node)
    return clean_text(" ".join(node.itertext()))


def _element_texts(selection: list[Any]) -> list[str]:
    return [element_text(node) for node in selection]


def parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ValueError(f"{name} must be YYYY-MM-DD, got {value!r}") from exc


def sitemap_entries(body: bytes) -> Iterator[tuple[str, str | None]]:
    """(loc, date) of each <url> of a urlset; the date is the news sitemap's
    publication_date, else lastmod. (Scrapy's Sitemap flattens <news:news> to "", losing it.)"""
    parser = etree.XMLParser(recover=True, remove_comments=True, resolve_entities=False)
    root = etree.fromstring(body, parser=parser)
    if root is None:
        return
    for url in root.iter("{*}url"):
        loc = url.findtext("{*}loc")
        if not loc:
            continue
        stamp = url.findtext("{*}news/{*}publication_date") or url.findtext("{*}lastmod")
        yield loc.strip(), stamp.strip() if stamp else None


class NewsSpider(scrapy.Spider):
    outlet: ClassVar[str] = ""
    section: ClassVar[str] = "tech"
    timezone: ClassVar[str] = "+07:00"
    language: ClassVar[str] = "id"

    listings: ClassVar[Sequence[str]] = ()
    feeds: ClassVar[Sequence[str]] = ()
    sitemaps: ClassVar[Sequence[str]] = ()
    sitemap_follow: ClassVar[str] = r""
    # `{date}` is the day in `date_index_format`, URL-encoded; `{day:%Y/%m/%d}` and
    # `{next_day:…}` format the day (and the one after it) as they are.
    date_index: ClassVar[str | None] = None
    date_index_format: ClassVar[str] = "%Y-%m-%d"
    # Items per listing or date-index page, for templates that page by `{offset}`.
    page_size: ClassVar[int] = 20
    # CSS scope of article links on listing pages (the whole page when empty).
    listing_links: ClassVar[str] = ""
    # The listing lists every channel (discover keeps this one): like a date index, a page
    # without a story of this section is not the end of the listing, one without any new
    # story is.
    listing_all_channels: ClassVar[bool] = False

    # Article pages this parser reads (with an `id` group); `discover` narrows which of them
    # are followed from listings (detik's parser reads every detik channel, the spider
    # follows detikInet only).
    article_url: ClassVar[re.Pattern[str]]
    discover: ClassVar[re.Pattern[str] | None] = None
    deny: ClassVar[Sequence[str]] = ()
    host_aliases: ClassVar[dict[str, str]] = {}
    keep_params: ClassVar[tuple[str, ...]] = ()
    # Query added to article requests (e.g. {"page": "all"} for one-page articles).
    article_query: ClassVar[str] = ""

    layouts: ClassVar[Sequence[Layout]] = ()
    # Meta tags holding the publish time, in the site's local time unless they say otherwise.
    date_meta: ClassVar[Sequence[str]] = ()
    date_priority: ClassVar[Sequence[str]] = ("jsonld", "meta", "text", "url")
    jsonld_author_role: ClassVar[str] = "authors"
    # The site's own form of a photo credit closing a caption, where the shared splitter
    # reads none (no "Foto:" label, no parentheses): the first group that matched is the credit.
    caption_credit: ClassVar[re.Pattern[str] | None] = None

    # Follow page N+1 even when page N does not link it (pagers drawn by JavaScript).
    blind_pagination: ClassVar[bool] = False
    default_max_pages: ClassVar[int] = 3
    date_index_max_pages: ClassVar[int] = 30

    def __init__(
        self,
        since: str | None = None,
        until: str | None = None,
        max_pages: int | str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.since = parse_day(since, "since")
        self.until = parse_day(until, "until")
        if self.since and not self.until:
            self.until = datetime.now(timezone.utc).date()
        if self.until and not self.since:
            raise ValueError("until needs since")
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        self.max_pages = int(max_pages) if max_pages else self.default_max_pages
        self._deny = [re.compile(p) for p in self.deny]
        # Links listed in this run; bounded by one run's listing pages.
        self._listed: set[str] = set()
        self._listed_any: set[str] = set()

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        distributed.configure(settings)
        # Mirror responses are local files: throttling them only slows tests and demos.
        if settings.get("NEWSCRAWL_MIRROR"):
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")
            settings.set("NEWSCRAWL_BACKOFF_BASE", 0, priority="spider")

    # ------------------------------------------------------------------ discovery
    @property
    def window(self) -> tuple[datetime, datetime] | None:
        if not self.since or not self.until:
            return None
        offset = parse_offset(self.timezone)
        start = datetime.combine(self.since, datetime.min.time(), tzinfo=offset)
        end = datetime.combine(self.until, datetime.max.time(), tzinfo=offset)
        return start, end

    def in_window(self, when: datetime | None) -> bool:
        window = self.window
        return window is None or when is None or window[0] <= when <= window[1]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_requests_for_sources():
            yield request

    def start_requests_for_sources(self) -> Iterator[scrapy.Request]:
        if self.window and self.date_index:
            day = self.since
            assert day is not None and self.until is not None
            while day <= self.until:
                yield self._date_index_request(day, 1)
                day += timedelta(days=1)
        else:
            for template in self.listings:
                yield self._listing_request(template, 1)
        for url in self.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, meta={"newscrawl_kind": FEED})
        for url in self.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, meta={"newscrawl_kind": SITEMAP})

    def _listing_request(self, template: str, page: int) -> scrapy.Request:
        return scrapy.Request(
            template.format(page=page, offset=(page - 1) * self.page_size),
            callback=self.parse_listing,
            meta={"newscrawl_kind": LISTING, "template": template, "page": page},
        )

    def _date_index_request(self, day: date, page: int) -> scrapy.Request:
        assert self.date_index is not None
        url = self.date_index.format(
            date=quote(day.strftime(self.date_index_format), safe=""),
            day=day,
            next_day=day + timedelta(days=1),
            page=page,
            offset=(page - 1) * self.page_size,
        )
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            meta={"newscrawl_kind": LISTING, "day": day.isoformat(), "page": page},
        )

    def is_article_url(self, url: str) -> bool:
        return (
            bool(self.article_url.search(url))
            and (self.discover is None or bool(self.discover.search(url)))
            and not any(d.search(url) for d in self._deny)
        )

    def article_request(self, url: str, **meta: Any) -> scrapy.Request:
        # Requesting the canonical form drops tracking parameters before they reach the site
        # and lets Scrapy's dupefilter see one URL per article.
        url = self.canonicalize(url)
        self._inc("newscrawl/articles/discovered")
        if self.article_query:
            url += ("&" if "?" in url else "?") + self.article_query
        return scrapy.Request(
            url, callback=self.parse_article, meta={"newscrawl_kind": ARTICLE, **meta}
        )

    def _any_channel_links(self, response: TextResponse) -> set[str]:
        scope = response.css(self.listing_links) if self.listing_links else response
        urls = (response.urljoin(href.strip()) for href in scope.css("a::attr(href)").getall())
        return {self.canonicalize(u) for u in urls if self.article_url.search(u)}

    def _article_links(self, response: TextResponse) -> list[str]:
        scope = response.css(self.listing_links) if self.listing_links else response
        seen: dict[str, None] = {}
        non_articles = 0
        for href in scope.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if not url.startswith("http"):
                continue
            if self.is_article_url(url):
                seen.setdefault(url, None)
            elif self.article_url.search(url) or any(d.search(url) for d in self._deny):
                non_articles += 1
        if non_articles:
            self._inc("newscrawl/links/non_article", non_articles)
        return list(seen)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Scrapy's default callback (`scrapy parse --spider=<name> <url>`, `scrapy shell`,
        requests made without a callback): an article URL is read as an article, a sitemap or
        feed as such, any other page as a listing."""
        if self.article_url.search(response.url):
            return self.parse_article(response)
        head = response.body[:2048].lstrip()
        if head.startswith(b"\x1f\x8b") or b"<urlset" in head or b"<sitemapindex" in head:
            return self.parse_sitemap(response)
        if b"<rss" in head or b"<feed" in head:
            return self.parse_feed(response)
        return self.parse_listing(response)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        links = [url for url in self._article_links(response) if url not in self._listed]
        self._listed.update(links)
        self._inc("newscrawl/links/listed", len(links))
        for url in links:
            yield self.article_request(url)
        page = response.meta.get("page", 1)
        if "day" in response.meta or self.listing_all_channels:
            # A date index may list every channel: a page without a story of this section is
            # not the end of the day, one without any new story is.
            stories = self._any_channel_links(response) - self._listed_any
            self._listed_any |= stories
            if not stories:
                return
        elif not links:
            # A page with nothing new ends the pagination (past the end, or looping).
            return
        if "day" in response.meta and page < self.date_index_max_pages:
            following = self._date_index_request(date.fromisoformat(response.meta["day"]), page + 1)
        elif "template" in response.meta and page < self.max_pages:
            following = self._listing_request(response.meta["template"], page + 1)
        else:
            return
        if self.blind_pagination or self._links_to(response, following.url):
            yield following

    @staticmethod
    def _links_to(response: TextResponse, url: str) -> bool:
        target = canonicalize_url(url)
        return any(
            canonicalize_url(response.urljoin(href)) == target
            for href in response.css("a::attr(href)").getall()
        )

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            selector = Selector(text=response.text, type="xml")
        except (ValueError, AttributeError):
            self._broken_source(response, "unparsable feed")
            return
        selector.remove_namespaces()
        entries = selector.xpath("//item | //entry")
        if not entries:
            self._broken_source(response, "feed without items")
            return
        for entry in entries:
            link = entry.xpath("link/text()").get() or entry.xpath("link/@href").get()
            if not link:
                continue
            link = response.urljoin(link.strip())
            published = entry.xpath("pubDate/text() | published/text() | updated/text()").get()
            if not self.is_article_url(link):
                continue
            when = parse_date(published, default_offset=self.timezone) if published else None
            if not self.in_window(when):
                self._inc("newscrawl/skipped/outside_window")
                continue
            yield self.article_request(link)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except OSError:
                self._broken_source(response, "corrupt gzip sitemap")
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml raises several types on broken XML
            self._broken_source(response, "unparsable sitemap")
            return
        if sitemap.type == "sitemapindex":
            follow = re.compile(self.sitemap_follow) if self.sitemap_follow else None
            for entry in sitemap:
                loc = entry.get("loc", "")
                if loc and (follow is None or follow.search(loc)):
                    yield scrapy.Request(
                        loc, callback=self.parse_sitemap, meta={"newscrawl_kind": SITEMAP}
                    )
            return
        count = 0
        for loc, stamp in sitemap_entries(body):
            count += 1
            if not self.is_article_url(loc):
                continue
            when = parse_date(stamp, default_offset=self.timezone) if stamp else None
            if not self.in_window(when):
                self._inc("newscrawl/skipped/outside_window")
                continue
            yield self.article_request(loc)
        if not count:
            self._broken_source(response, "empty sitemap")

    def _broken_source(self, response: Response, reason: str) -> None:
        self._inc(f"newscrawl/source_errors/{reason.replace(' ', '_')}")
        logger.warning("%s: %s", reason, response.url)

    def _inc(self, key: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(key, count)

    # ------------------------------------------------------------------ article parsing
    def page_root(self, response: TextResponse) -> etree._Element:
        """The parsed page, once per response."""
        cached = getattr(self, "_root_cache", None)
        if cached is None or cached[0] is not response:
            cached = self._root_cache = (response, parse_html(response.text))
        return cached[1]

    def _page_cache(self, response: TextResponse) -> dict[Any, Any]:
        cached = getattr(self, "_select_cache", None)
        if cached is None or cached[0] is not response:
            cached = self._select_cache = (response, {})
        return cached[1]

    def _search_root(self, response: TextResponse, layout: Layout | None) -> etree._Element:
        """The layout's scope element when it has one and the page has it, else the page."""
        if layout is None or not layout.scope:
            return self.page_root(response)
        scope = self.select_first(response, layout.scope)
        return scope if scope is not None else self.page_root(response)

    def select(
        self, response: TextResponse, query: str, layout: Layout | None = None
    ) -> list[Any]:
        """What `query` selects on the page (inside `layout`'s scope when given), memoised per
        page: layout detection and extraction ask for the same containers."""
        results = self._page_cache(response)
        key = (query, layout.scope if layout else "")
        if key not in results:
            results[key] = select(self._search_root(response, layout), query)
        return results[key]

    def select_first(
        self, response: TextResponse, query: str, layout: Layout | None = None
    ) -> Any:
        """The first element (or string) `query` selects, or None; memoised like `select`."""
        results = self._page_cache(response)
        scope = layout.scope if layout else ""
        if (query, scope) in results:
            return next(iter(results[(query, scope)]), None)
        key = (query, scope, "first")
        if key not in results:
            root = self._search_root(response, layout)
            results[key] = next(iter(compile_query(query, True)(root)), None)
        return results[key]

    def detect_layout(self, response: TextResponse) -> Layout | None:
        for layout in self.layouts:
            if self.select_first(response, layout.detect) is not None:
                return layout
        return None

    def parse_article(self, response: Response) -> Iterator[Article]:
        if not isinstance(response, TextResponse):
            self._inc("newscrawl/dropped/not_html")
            logger.warning("Not an HTML page: %s", response.url)
            return
        item = self.extract_article(response)
        published = item.get("published_at")
        if published and not self.in_window(datetime.fromisoformat(published)):
            self._inc("newscrawl/skipped/outside_window")
            return
        yield item

    def extract_article(self, response: TextResponse) -> Article:
        """The record of one article page (before validation, dedupe and storage)."""
        layout = self.detect_layout(response)
        objects = jsonld_objects(self.head_tags(response).jsonld)
        ld = resolve_references(find_article(objects), objects)
        loader = ArticleLoader()
        flags: list[str] = []

        url = self.canonical_article_url(response)
        loader.add_value("url", url)
        loader.add_value("id", record_id(self.name, self.site_article_id(url), url))
        loader.add_value("source", self.name)
        loader.add_value("outlet", self.outlet)
        loader.add_value("section", self.section)
        root = self.page_root(response)
        lang = root.get("lang", "") if root.tag == "html" else ""
        loader.add_value("language", lang[:2] or self.language)
        loader.add_value("parser", f"{self.name}@{layout.version if layout else 'jsonld'}")

        if layout and layout.title:
            title = self.select_first(response, layout.title, layout)
            loader.add_value("title", element_text(title) if title is not None else None)
        loader.add_value("title", text_value(ld.get("headline")))
        loader.add_value("title", self.meta(response, "og:title"))

        loader.add_value("description", self.meta(response, "og:description", "description"))
        loader.add_value("description", text_value(ld.get("description")))

        authors, editors = self.extract_people(response, layout, ld)
        loader.add_value("authors", authors)
        loader.add_value("editors", editors)

        published, source = self.extract_published(response, layout, ld, flags)
        if published:
            loader.add_value("published_at", published)
            loader.add_value("date_source", source)
        loader.add_value("modified_at", self.extract_modified(response, ld))

        parts = self.extract_body(response, layout, ld)
        loader.add_value("body", parts.paragraphs)
        loader.add_value("editor_codes", parts.editor_codes)
        loader.add_value("editors", parts.editors)
        loader.add_value("dateline", parts.dateline)
        rights = self.extract_rights(response, parts)
        if rights:
            loader.add_value("rights", rights)

        tags = (
            _element_texts(self.select(response, layout.tags, layout))
            if layout and layout.tags
            else []
        )
        tags = tags or keywords(ld.get("keywords")) or keywords(self.meta(response, "keywords"))
        loader.add_value("tags", tags)

        if layout and layout.category:
            loader.add_value("category", _element_texts(self.select(response, layout.category))[-1:])
        loader.add_value("category", text_value(ld.get("articleSection")))
        crumbs = breadcrumb_names(objects)
        if len(crumbs) > 1:
            loader.add_value("category", crumbs[-1])

        loader.add_value("image", self.extract_image(response, layout, ld))
        loader.add_value(
            "crawled_at", datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        )

        item = loader.load_item()
        flags += self.page_flags(response)
        flags += self.quality_flags(item)
        item["quality_flags"] = list(dict.fromkeys(flags))
        return item

    # Each extract_* step is a method so that a site with a real quirk can override one step.
    def canonical_article_url(self, response: TextResponse) -> str:
        candidates = [
            self.head_tags(response).canonical,
            self.meta(response, "og:url"),
            response.url,
        ]
        for candidate in candidates:
            if candidate and self.article_url.search(response.urljoin(candidate)):
                return self.canonicalize(response.urljoin(candidate))
        return self.canonicalize(response.url)

    def site_article_id(self, url: str) -> str | None:
        """The site's own id from `article_url`'s `id` group; an optional `region` group
        (regional hosts numbering their articles separately) is kept in front of it."""
        site_id = article_id(url, self.article_url)
        match = self.article_url.search(url)
        region = match.groupdict().get("region") if match else None
        return f"{region}-{site_id}" if site_id and region else site_id

    def canonicalize(self, url: str) -> str:
        return canonical_url(url, host_aliases=self.host_aliases, keep_params=self.keep_params)

    def extract_people(
        self, response: TextResponse, layout: Layout | None, ld: dict[str, Any]
    ) -> tuple[list[str], list[str]]:
        authors: list[str] = []
        editors: list[str] = []
        if layout and layout.credits:
            texts = _element_texts(self.select(response, layout.credits, layout))
            credits = parse_credits(" ".join(texts))
            authors += credits.get("authors", [])
            editors += credits.get("editors", [])
        if layout and layout.authors and not authors:
            for text in _element_texts(self.select(response, layout.authors, layout)):
                authors += split_names(text)
        ld_names = names(ld.get("author"))
        if self.jsonld_author_role == "editors":
            editors = editors or ld_names
        elif not authors:
            authors = ld_names or split_names(self.meta(response, "author"))
        return authors, editors

    def date_candidates(
        self, response: TextResponse, layout: Layout | None, ld: dict[str, Any]
    ) -> Iterator[DateCandidate]:
        by_source: dict[str, list[Any]] = {
            "jsonld": [ld.get("datePublished"), ld.get("dateCreated")],
            "meta": [self.meta(response, name) for name in self.date_meta]
            + [self.meta(response, "article:published_time")],
            "text": (
                _element_texts(self.select(response, layout.date, layout))
                if layout and layout.date
                else []
            ),
            "url": [self.url_date(response.url)],
        }
        for source in self.date_priority:
            for value in by_source.get(source, []):
                if value:
                    yield DateCandidate(source, value)

    def extract_published(
        self,
        response: TextResponse,
        layout: Layout | None,
        ld: dict[str, Any],
        flags: list[str],
    ) -> tuple[str | None, str | None]:
        parsed: list[tuple[str, datetime]] = []
        for candidate in self.date_candidates(response, layout, ld):
            when = self.parse_when(candidate.value)
            if when is not None:
                parsed.append((candidate.source, when))
        if not parsed:
            return None, None
        source, when = parsed[0]
        if any(abs((other - when).total_seconds()) > 3600 for _, other in parsed[1:]):
            flags.append("date_disagreement")
        return to_iso(when), source

    def parse_when(self, value: Any) -> datetime | None:
        """A date with the offset the site prints. Instants a page gives in UTC (Kompas's
        meta and JSON-LD) are moved to the site's offset; a WITA or WIT time stays as is."""
        if isinstance(value, datetime):
            when: datetime | None = value
        else:
            when = parse_date(value, default_offset=self.timezone)
        if when is not None and when.utcoffset() == timedelta(0):
            when = in_offset(when, self.timezone)
        return when

    def extract_modified(self, response: TextResponse, ld: dict[str, Any]) -> str | None:
        for value in (ld.get("dateModified"), self.meta(response, "article:modified_time")):
            when = self.parse_when(value) if value else None
            if when:
                return to_iso(when)
        return None

    def url_date(self, url: str) -> datetime | None:
        """Publish time printed in the URL, for sites whose URL carries it (default: none)."""
        return None

    def extract_body(
        self, response: TextResponse, layout: Layout | None, ld: dict[str, Any]
    ) -> BodyParts:
        if layout and layout.body:
            container = self.select_first(response, layout.body, layout)
            if container is not None:
                # clean_body edits the tree it is given; a copy keeps the page intact.
                return clean_body(copy.deepcopy(container), layout.rules)
        article_body = text_value(ld.get("articleBody"))
        if article_body:
            paragraphs = "".join(f"<p>{_escape(p)}</p>" for p in article_body.split("\n"))
            rules = layout.rules if layout else self.generic_rules()
            return clean_body(paragraphs, rules)
        return BodyParts()

    def generic_rules(self) -> BodyRules:
        return self.layouts[0].rules if self.layouts else BodyRules()

    def extract_rights(self, response: TextResponse, parts: BodyParts) -> dict[str, Any] | None:
        robots = " ".join(self.head_tags(response).robots).lower()
        reserved_by_meta = any(tag in robots for tag in ("noai", "noimageai"))
        if parts.rights_notice or reserved_by_meta:
            return {"reserved": True, "notice": parts.rights_notice or f"robots: {robots}"}
        return None

    def extract_image(
        self, response: TextResponse, layout: Layout | None, ld: dict[str, Any]
    ) -> dict[str, Any] | None:
        url = None
        if layout and layout.image:
            image = self.select_first(response, layout.image, layout)
            # An <img> element, or its URL when the selector ends in ::attr(…).
            url = image if isinstance(image, str) or image is None else image.get("src")
        url = url or self.meta(response, "og:image") or image_url(ld.get("image"))
        caption = credit = None
        if layout and layout.caption:
            element = self.select_first(response, layout.caption, layout)
            text = element_text(element) if element is not None else ""
            if text:
                caption, credit = split_caption_credit(text)
        if caption and not credit and self.caption_credit is not None:
            match = self.caption_credit.search(caption)
            if match:
                credit = clean_text(next((g for g in match.groups() if g), match.group(0)))
                caption = clean_text(caption[: match.start()]) or None
        if not url and not caption:
            return None
        return {"url": response.urljoin(url) if url else None, "caption": caption, "credit": credit}

    def page_flags(self, response: TextResponse) -> list[str]:
        """Quality flags only the page can tell (e.g. that it is one page of several)."""
        return []

    def quality_flags(self, item: Article) -> list[str]:
        flags = []
        texts = [item.get("title"), item.get("body"), *(item.get("authors") or [])]
        if any(has_mojibake(t) for t in texts if t):
            flags.append("mojibake")
        min_words = 40
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            min_words = crawler.settings.getint("NEWSCRAWL_MIN_WORDS", 40)
        if item.get("body") and (item.get("word_count") or 0) < min_words:
            flags.append("short_body")
        return flags

    def meta(self, response: TextResponse, *names_: str) -> str | None:
        """The first non-empty <meta> content among `names_` (name, property or itemprop)."""
        tags = self.head_tags(response).meta
        for name in names_:
            value = tags.get(name)
            if value:
                return value
        return None

    def head_tags(self, response: TextResponse) -> HeadTags:
        """Meta tags, robots, canonical link and JSON-LD scripts, in one pass over those tags."""
        cached = getattr(self, "_head_cache", None)
        if cached is not None and cached[0] is response:
            return cached[1]
        head = HeadTags()
        for element in self.page_root(response).iter("meta", "link", "script"):
            tag = element.tag
            if tag == "meta":
                content = (element.get("content") or "").strip()
                if not content:
                    continue
                if element.get("name") == "robots":
                    head.robots.append(content)
                for key in ("property", "name", "itemprop"):
                    name = element.get(key)
                    if name:
                        head.meta.setdefault(name, content)
            elif tag == "link":
                if head.canonical is None and element.get("rel") == "canonical" and element.get("href"):
                    head.canonical = element.get("href")
            elif element.get("type") == "application/ld+json" and element.text:
                head.jsonld.append(element.text)
        self._head_cache = (response, head)
        return head


@dataclass
class HeadTags:
    """What a page says about itself outside the article markup."""

    meta: dict[str, str] = field(default_factory=dict)
    robots: list[str] = field(default_factory=list)
    canonical: str | None = None
    jsonld: list[str] = field(default_factory=list)


# Comments and processing instructions are never content, and nothing looks elements up by
# id through libxml2: skipping them makes parsing a 200 KB page ~5 % cheaper.
_HTML_PARSER = etree.HTMLParser(
    recover=True, encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False
)


def parse_html(text: str) -> etree._Element:
    """The tree of an HTML page, as parsel builds it but with plain lxml elements (lxml.html's
    element classes cost a Python call per element touched)."""
    body = text.strip().replace("\x00", "").encode("utf-8")
    root = etree.fromstring(body, parser=_HTML_PARSER) if body else None
    return root if root is not None else etree.fromstring(b"<html/>", parser=_HTML_PARSER)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
