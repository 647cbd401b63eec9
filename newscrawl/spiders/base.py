"""NewsSpider: everything a news site spider does, so a site file only declares what differs.

A site declares
- where articles are listed: `listings` (section index pages, `{page}` in the URL, or
  `{offset}`, the first item's offset, for indexes that page by item), `feeds`
  (RSS/Atom), `sitemaps` (news sitemaps or sitemap indexes), `date_index` (a page of one day's
  articles, `{date}` or `{day:…}` and `{page}` or `{offset}` in the URL;
  `date_index_first_page` where a day's first page has no page number) for
  `-a since=… -a until=…` backfills;
- which URLs are articles: `article_url` (a regex with an `id` group) and `deny`;
- how its article template reads: one or more `Layout`s (a version, a CSS test that tells the
  layout apart, and selectors), and the `BodyRules` its bodies need;
- how it credits people where a labelled byline does not say it: `unlabelled_credit`,
  `author_meta` / `editor_meta`, `run_on_byline`, `credit_footer`, `credit_paragraphs`,
  `contributors` (documented on `SiteParser`, newscrawl/extraction/parser.py).

This module is discovery: which pages to fetch, and what kind each is. Reading an article
page is extraction (newscrawl/extraction/): a NewsSpider is a `SiteParser`, and
`parse_article` hands the page to `extract_article`, the same function `scrapy extract`,
`scrapy evaluate` and re-extraction call.
"""

from __future__ import annotations

import logging
import os
import re
import struct
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import scrapy
from lxml import etree
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from newscrawl.config import setting
from newscrawl.extraction import ExtractOptions, Page, SiteParser
from newscrawl.extraction.page import looks_truncated
from newscrawl.items import Article
from newscrawl.loaders import complete_record
from newscrawl.normalize.dates import parse_date, parse_offset
from newscrawl.normalize.encoding import decode_page
from newscrawl.rights import response_signals, rights_of
from newscrawl.urllist import UrlEntry, UrlListError, entries_for, read_url_list

logger = logging.getLogger(__name__)

ARTICLE = "article"
LISTING = "listing"
FEED = "feed"
SITEMAP = "sitemap"


def _link_key(url: str) -> int:
    """A link as the run's per-link state keeps it. ``hash()`` is 64 bits and cached in the
    string; two of a run's ~10**5 links share one with odds of ~10**-9 (a link then counts as
    listed before), and nothing keyed by it outlives the process."""
    return hash(url)


def parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ValueError(f"{name} must be YYYY-MM-DD, got {value!r}") from exc


def whole_number(value: int | str, name: str, minimum: int = 1) -> int:
    """An argument that must be a whole number (pages, days), as a clear error if not."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}")
    return number


# What `-a name=value` a news spider takes (Scrapyd adds its own, starting with "_").
SPIDER_ARGUMENTS = ("since", "until", "max_pages", "urls")


# What a .xml.gz sitemap may unpack to when no crawler says (the project's DOWNLOAD_MAXSIZE).
SITEMAP_MAX_UNPACKED = 16 * 1024 * 1024


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


class NewsSpider(SiteParser, scrapy.Spider):
    listings: ClassVar[Sequence[str]] = ()
    feeds: ClassVar[Sequence[str]] = ()
    sitemaps: ClassVar[Sequence[str]] = ()
    sitemap_follow: ClassVar[str] = r""
    # `{date}` is the day in `date_index_format`, URL-encoded; `{day:%Y/%m/%d}` and
    # `{next_day:…}` format the day (and the one after it) as they are.
    date_index: ClassVar[str | None] = None
    date_index_format: ClassVar[str] = "%Y-%m-%d"
    # A day's first page, where its URL is not `date_index` with page 1 or offset 0 (an index
    # whose first page carries no page number: Okezone's /indeks/2025/06/16, then …/16/10).
    # Same placeholders.
    date_index_first_page: ClassVar[str | None] = None
    # Items per listing or date-index page, for templates that page by `{offset}`.
    page_size: ClassVar[int] = 20
    # CSS scope of article links on listing pages (the whole page when empty).
    listing_links: ClassVar[str] = ""
    # The listing lists every channel (discover keeps this one): like a date index, a page
    # without a story of this section is not the end of the listing, one without any new
    # story is.
    listing_all_channels: ClassVar[bool] = False

    # Which article pages discovery follows: `article_url` (SiteParser; with an `id` group)
    # says which pages the parser reads, `discover` narrows which of them are followed from
    # listings (detik's parser reads every detik channel, the spider follows detikInet only).
    article_url: ClassVar[re.Pattern[str]]
    discover: ClassVar[re.Pattern[str] | None] = None
    deny: ClassVar[Sequence[str]] = ()
    # Query added to article requests (e.g. {"page": "all"} for one-page articles).
    article_query: ClassVar[str] = ""

    # An article URL of the offline mirror in the current layout, for `scrapy check`.
    contract_article: ClassVar[str] = ""

    # The first day the outlet has articles online: a backfill never starts earlier. No
    # Indonesian outlet was online before 1995; a site file may declare a later day.
    archive_start: ClassVar[date] = date(1995, 1, 1)

    # Follow page N+1 even when page N does not link it (pagers drawn by JavaScript).
    blind_pagination: ClassVar[bool] = False
    default_max_pages: ClassVar[int] = 3
    date_index_max_pages: ClassVar[int] = 30

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Scrapy contracts for this site's callbacks, generated from its declarations (see
        newscrawl/contracts.py): the shared callbacks are wrapped per site so that each site's
        `scrapy check` fetches its own listing, feed, sitemap and article pages."""
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "name", ""):
            return
        for callback, lines in site_contracts(cls).items():
            original = getattr(cls, callback)

            def checked(self: Any, response: Any, _original: Any = original, **kw: Any) -> Any:
                return _original(self, response, **kw)

            checked.__name__ = callback
            checked.__doc__ = "\n".join(lines)
            setattr(cls, callback, checked)

    def __init__(
        self,
        since: str | None = None,
        until: str | None = None,
        max_pages: int | str | None = None,
        urls: str | None = None,
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
        if self.since and self.since < self.archive_start:
            # `since=0001-01-01` would walk ~740,000 index days that never existed.
            raise ValueError(
                f"since {self.since} is before {self.archive_start}, the first day "
                f"{self.outlet or self.name} is known to have articles online"
            )
        if self.until and self.until > datetime.now(timezone.utc).date() + timedelta(days=1):
            raise ValueError(f"until {self.until} is in the future")
        self.max_pages = self.default_max_pages if max_pages is None else whole_number(
            max_pages, "max_pages")
        self._deny = [re.compile(p) for p in self.deny]
        # `-a urls=FILE` (a URL list, newscrawl/urllist.py): fetch exactly those articles.
        self.url_list: list[UrlEntry] | None = None
        if urls is not None:
            try:
                entries = read_url_list(Path(urls))
            except UrlListError as exc:
                raise ValueError(f"urls: {exc}") from None
            self.url_list = list(entries_for(entries, self.name, self.is_article_url))
        # Per-link state for the whole run, a crawl's largest per-page memory, so links are
        # kept as `_link_key`s (an int, ~60 bytes a link with its slot, not ~190 for the URL).
        # Links listed in this run; bounded by one run's listing pages.
        self._listed: set[int] = set()
        # Which discovery sources gave each article link this run (for the cross-check): one
        # bit per source (`_source_bits`) in a small int, not a set per link (216 bytes each).
        self._sources: dict[int, int] = {}
        self._source_bits: dict[str, int] = {}
        self._listed_any: set[int] = set()

    @classmethod
    def check_arguments(cls, arguments: dict[str, Any]) -> None:
        """Raise ValueError, in words, for spider arguments this spider would refuse: what
        `scrapy crawl` and `crawlall` check before anything starts."""
        unknown = sorted(k for k in arguments if k not in SPIDER_ARGUMENTS
                         and not k.startswith("_"))
        if unknown:
            raise ValueError(f"unknown spider argument {', '.join(unknown)} (a news spider "
                             f"takes {', '.join(SPIDER_ARGUMENTS)})")
        cls(**{k: v for k, v in arguments.items() if k in SPIDER_ARGUMENTS})

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
        if self.url_list is not None:
            for entry in self.url_list:
                # Fetched even when the ledger knows it: the point is what the page says now.
                yield self.article_request(entry.url, via="url-list", newscrawl_refetch=True)
            return
        for request in self.start_requests_for_sources():
            yield request

    def start_requests_for_sources(self) -> Iterator[scrapy.Request]:
        if self.window and self.date_index:
            day = self.since
            assert day is not None and self.until is not None
            while day <= self.until:
                yield self.date_index_request(day, 1)
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

    def date_index_request(self, day: date, page: int) -> scrapy.Request:
        """The request for page `page` of `day`'s date index, from `date_index` (and
        `date_index_first_page` for page 1)."""
        template = (page == 1 and self.date_index_first_page) or self.date_index
        assert template is not None
        url = template.format(
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

    def article_request(self, url: str, via: str = "", **meta: Any) -> scrapy.Request:
        """The request of an article page; `via` names the discovery source that gave the
        link (listing, listing-fallback, date-index, feed, sitemap), counted for the report's
        cross-check of sources."""
        # Requesting the canonical form drops tracking parameters before they reach the site
        # and lets Scrapy's dupefilter see one URL per article.
        url = self.canonicalize(url)
        self._inc("newscrawl/articles/discovered")
        if via:
            self._inc(f"newscrawl/links/from/{via}")
            kind = via.removesuffix("-fallback")
            bit = self._source_bits.setdefault(kind, 1 << len(self._source_bits))
            key = _link_key(url)
            self._sources[key] = self._sources.get(key, 0) | bit
            meta["newscrawl_via"] = via
        if self.article_query:
            url += ("&" if "?" in url else "?") + self.article_query
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed,
            meta={"newscrawl_kind": ARTICLE, **meta},
        )

    def article_failed(self, failure: Failure) -> None:
        """An article that could not be fetched (retries spent, an HTTP error, a response
        over the size limit, a connection lost): counted by reason for the run report. It is
        not in the ledger, so a later run fetches it again."""
        if failure.check(HttpError):
            reason = f"http_{failure.value.response.status}"
        elif "max size" in str(failure.value) or "DOWNLOAD_MAXSIZE" in str(failure.value):
            reason = "too_large"  # declared over DOWNLOAD_MAXSIZE, or over it once decompressed
        elif failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            reason = "robots_forbidden"
        else:
            reason = failure.type.__name__ if failure.type else "unknown"
        self._inc(f"newscrawl/fetch_failed/{reason}")
        request = getattr(failure, "request", None)
        logger.warning("Article not fetched (%s): %s", reason,
                       request.url if request is not None else failure.getErrorMessage())

    def _any_channel_links(self, response: TextResponse) -> set[str]:
        """Stories of any channel on a date-index page: whether the day goes on. Read inside
        the declared container; the whole page only when the container is gone (a page with
        the container and no story is the end of the day, whatever its side boxes link)."""
        scope = response.css(self.listing_links) if self.listing_links else response
        if self.listing_links and not scope:
            scope = response
        urls = [response.urljoin(href.strip()) for href in scope.css("a::attr(href)").getall()]
        return {self.canonicalize(u) for u in urls if self.article_url.search(u)}

    def _links_in(self, response: TextResponse, scope: Any) -> tuple[list[str], int]:
        """Article links under `scope` in page order, and how many links looked like
        articles but are not followed (another channel, a gallery, a video)."""
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
        return list(seen), non_articles

    def _scope_works(self, response: TextResponse, scope: Any, links: list[str]) -> bool:
        """Whether the declared link container did its job on this page: no container is
        declared, or it gave article links, or (on an index of every channel) it holds
        stories, only none of this section."""
        if links or not self.listing_links:
            return True
        all_channels = "day" in response.meta or self.listing_all_channels
        return bool(scope) and all_channels and bool(self._any_channel_links(response))

    def _article_links(self, response: TextResponse) -> tuple[list[str], bool]:
        """The listing page's article links, and whether the declared scope had to be left:
        when `listing_links` matches nothing, or nothing under it is an article link (the
        listing was redesigned), every article link of the page is read, in page order, and
        the report says "listing drift" while the crawl goes on."""
        scope = response.css(self.listing_links) if self.listing_links else response
        links, non_articles = self._links_in(response, scope)
        fallback = False
        if not self._scope_works(response, scope, links):
            links, non_articles = self._links_in(response, response)
            fallback = bool(links)
            if fallback:
                self._inc("newscrawl/links/listing_fallback_pages")
                crawler = getattr(self, "crawler", None)
                if crawler is not None and crawler.stats is not None:
                    crawler.stats.set_value("newscrawl/links/listing_scope", self.listing_links)
                logger.warning("Listing drift: no article link under %r on %s; read %d from "
                               "the whole page", self.listing_links, response.url, len(links))
        if non_articles:
            self._inc("newscrawl/links/non_article", non_articles)
        return links, fallback

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
        found, fallback = self._article_links(response)
        links = [url for url in found if _link_key(url) not in self._listed]
        self._listed.update(map(_link_key, links))
        self._inc("newscrawl/links/listed", len(links))
        via = "date-index" if "day" in response.meta else "listing"
        if fallback:
            via += "-fallback"
        for url in links:
            yield self.article_request(url, via=via)
        page = response.meta.get("page", 1)
        if "day" in response.meta or self.listing_all_channels:
            # A date index may list every channel: a page without a story of this section is
            # not the end of the day, one without any new story is.
            stories = set(map(_link_key, self._any_channel_links(response))) - self._listed_any
            self._listed_any |= stories
            if not stories:
                return
        elif not links:
            # A page with nothing new ends the pagination (past the end, or looping).
            return
        if "day" in response.meta and page < self.date_index_max_pages:
            following = self.date_index_request(date.fromisoformat(response.meta["day"]), page + 1)
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
            yield self.article_request(link, via="feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            # A .xml.gz file (no Content-Encoding, so the download's size cap has not applied to
            # what it unpacks to): capped here, as Scrapy's SitemapSpider caps it.
            crawler = getattr(self, "crawler", None)
            limit = response.meta.get("download_maxsize", crawler.settings.getint(
                "DOWNLOAD_MAXSIZE") if crawler else SITEMAP_MAX_UNPACKED)
            try:
                # Scrapy's gunzip: stops past `max_size` (a ValueError), gives what a cut file
                # holds.
                body = gunzip(body, max_size=limit)
            except ValueError:
                self._broken_source(response, f"gzip sitemap over {limit:,} bytes unpacked")
                return
            except (OSError, EOFError, struct.error):
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
            yield self.article_request(loc, via="sitemap")
        if not count:
            self._broken_source(response, "empty sitemap")

    def closed(self, reason: str) -> None:
        """Links only one discovery source knew, per source: when one source stops giving
        links while another still does, the report can say which."""
        kinds = {bit: kind for kind, bit in self._source_bits.items()}
        only: dict[str, int] = {}
        for bits in self._sources.values():
            kind = kinds.get(bits)  # a single bit: one source gave the link
            if kind is not None:
                only[kind] = only.get(kind, 0) + 1
        for kind, count in only.items():
            self._inc(f"newscrawl/links/only/{kind}", count)

    def _broken_source(self, response: Response, reason: str) -> None:
        self._inc(f"newscrawl/source_errors/{reason.replace(' ', '_')}")
        logger.warning("%s: %s", reason, response.url)

    def _inc(self, key: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(key, count)

    # ------------------------------------------------------------------ article pages
    @property
    def extract_options(self) -> ExtractOptions:
        """Extraction as this crawl's settings ask for it."""
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return ExtractOptions()
        settings = crawler.settings
        return ExtractOptions(
            generic_body=setting(settings, "NEWSCRAWL_GENERIC_BODY"),
            min_words=setting(settings, "NEWSCRAWL_MIN_WORDS"),
        )

    def parse_article(self, response: Response) -> Iterator[Article]:
        if not isinstance(response, TextResponse):
            self._inc("newscrawl/dropped/not_html")
            logger.warning("Not an HTML page: %s", response.url)
            return
        page = page_of(response)
        unusable = unusable_page(page.html)
        if unusable:
            self._inc(f"newscrawl/dropped/{unusable}")
            logger.warning("%s, not stored: %s", unusable.replace("_", " ").capitalize(),
                           response.url)
            return
        if looks_truncated(page.html):
            yield from self.truncated(response)
            return
        item = self.extract_article(page, self.extract_options)
        # Where the raw page is kept (newscrawl/archiving.py), for re-extraction and readers.
        item["archive"] = response.meta.get("newscrawl_archive")
        item["rights"] = rights_of([
            *((item.get("rights") or {}).get("signals") or []),
            *response_signals(response.headers.get(b"tdm-reservation"),
                              response.headers.get(b"tdm-policy")),
            *response.meta.get("newscrawl_host_rights", []),
        ])
        # Every field, in the stored order: what `-o` feeds and `scrapy parse` show.
        item = Article(complete_record(item))
        if item.get("body"):
            # Which path each body came from: the run report's drift monitor reads these.
            self._inc(f"newscrawl/parser/{item.get('parser')}")
        published = item.get("published_at")
        if published and not self.in_window(datetime.fromisoformat(published)):
            self._inc("newscrawl/skipped/outside_window")
            return
        yield item


    def truncated(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """A page cut off in transfer is fetched again (twice at most); if it stays cut it is
        dropped, not stored and not recorded, so a later run fetches it again."""
        tries = response.meta.get("newscrawl_truncated", 0)
        if tries < TRUNCATED_RETRIES:
            self._inc("newscrawl/retried/truncated_page")
            meta = {**response.meta, "newscrawl_truncated": tries + 1}
            yield response.request.replace(dont_filter=True, meta=meta)
            return
        self._inc("newscrawl/dropped/truncated_page")
        logger.warning("Page cut off in transfer (%d bytes, %d tries), not stored: %s",
                       len(response.body), tries + 1, response.url)


def unusable_page(html: str) -> str | None:
    """Why a 200 answer cannot be an article page at all: "empty_page" (nothing in it),
    "not_html" (no markup: binary or plain bytes served as text/html); else None."""
    head = html[:4096]
    if not head.strip():
        return "empty_page"
    if "<" not in head or (head.count("\ufffd") + len(_CONTROL_CHARS.findall(head))
                           > len(head) // 20):
        return "not_html"
    return None


# Control characters no text page holds (tab, line feed and carriage return aside); counted in C,
# not per character in Python (~0.2 ms a page).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# A page cut off in transfer is asked for this many more times before it is given up on.
TRUNCATED_RETRIES = 2


def site_contracts(cls: type[NewsSpider]) -> dict[str, list[str]]:
    """The contract lines of each callback of a site. The article contract names a page of
    the offline mirror: it is generated when NEWSCRAWL_MIRROR is set in the environment
    (`NEWSCRAWL_MIRROR=tests/mirror scrapy check`); a live `scrapy check <spider>` checks the
    outlet's listing, feed and sitemap."""
    contracts: dict[str, list[str]] = {}
    if cls.listings:
        first = cls.listings[0].format(page=1, offset=0)
        contracts["parse_listing"] = [f"@url {first}", "@returns requests 1",
                                      "@listing_in_scope"]
    if cls.feeds:
        contracts["parse_feed"] = [f"@url {cls.feeds[0]}", "@returns requests 1"]
    if cls.sitemaps:
        contracts["parse_sitemap"] = [f"@url {cls.sitemaps[0]}", "@returns requests 1"]
    if cls.contract_article and os.environ.get("NEWSCRAWL_MIRROR"):
        url = cls.contract_article  # requested as a crawl requests it (`article_query`)
        if cls.article_query and cls.article_query not in url:
            url += ("&" if "?" in url else "?") + cls.article_query
        contracts["parse_article"] = [
            f"@url {url}", "@returns items 1 1",
            "@scrapes url title published_at body", "@declared_layout",
        ]
    return contracts


def page_of(response: TextResponse) -> Page:
    """The extraction's view of a response: its text and URL. A page whose bytes do not match
    its label (Windows-1252 bytes in a UTF-8 page, a UTF-8 page labelled Latin-1) is decoded as
    its bytes are and flagged `encoding_repaired` (newscrawl/normalize/encoding.py)."""
    text, repaired = decode_page(response.body, response.encoding, response.text)
    return Page(text, response.url, flags=("encoding_repaired",) if repaired else ())
