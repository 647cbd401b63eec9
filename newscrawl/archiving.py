"""Downloader middlewares that keep raw pages in the WARC archive and read them back.

`ArchiveMiddleware` (on by default, NEWSCRAWL_ARCHIVE=0 turns it off) writes each 2xx
response of an article, listing, feed or sitemap request as received: it sits next to the
downloader (after HttpCompression, retries and redirects see the response), so the headers
and the still content-encoded body are the server's. The response's pointer goes into
`request.meta["newscrawl_archive"]`, from where the spider puts it in the record.

`ReplayMiddleware` (only in `scrapy reextract`) answers a request carrying
`meta["newscrawl_replay"]` from the archive, before anything could reach the network; the
answer then passes every other middleware exactly as the original response did.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from newscrawl.archive import (
    ArchivedResponse,
    ArchiveError,
    ArchivePointer,
    ArchiveWriter,
    read_response,
    recover_open_files,
)
from newscrawl.config import setting

logger = logging.getLogger(__name__)

ARCHIVED_KINDS = frozenset({"article", "listing", "feed", "sitemap"})
POINTER_KEY = "newscrawl_archive"
REPLAY_KEY = "newscrawl_replay"
# The records a worker process already extracted from the page (newscrawl/replay.py).
EXTRACTED_KEY = "newscrawl_extracted"
# The host's rights signals of an article request (newscrawl/middlewares.py HostRights).
HOST_RIGHTS_KEY = "newscrawl_host_rights"


def origin_of(settings: Any) -> str:
    """Where this crawl's pages come from, for the warcinfo record."""
    if settings.get("NEWSCRAWL_MIRROR"):
        return f"offline mirror {settings.get('NEWSCRAWL_MIRROR')} (not fetched from the sites)"
    if settings.get("NEWSCRAWL_HOST_OVERRIDE"):
        return (f"stand-in host {settings.get('NEWSCRAWL_HOST_OVERRIDE')} "
                "(not fetched from the sites)")
    return "live"


def _text_headers(headers: Headers) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


class ArchiveMiddleware:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not setting(settings, "NEWSCRAWL_ARCHIVE"):
            raise NotConfigured("NEWSCRAWL_ARCHIVE is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.data_dir = Path(setting(settings, "NEWSCRAWL_DATA_DIR"))
        self.max_bytes = setting(settings, "NEWSCRAWL_ARCHIVE_MAX_BYTES")
        self.level = setting(settings, "NEWSCRAWL_ARCHIVE_GZIP_LEVEL")
        self.fsync = setting(settings, "NEWSCRAWL_FSYNC")
        self.info = {
            "origin": origin_of(settings),
            "http-header-user-agent": settings.get("USER_AGENT", ""),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }
        self.writer: ArchiveWriter | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        try:
            recovered = recover_open_files(self.data_dir)
        except OSError as exc:
            logger.warning("Could not recover unfinished archive files: %s", exc)
            recovered = []
        if recovered:
            self.stats.inc_value("newscrawl/archive/recovered_files", len(recovered))
        self.writer = ArchiveWriter(self.data_dir, spider.name, self.info,
                                    max_bytes=self.max_bytes, level=self.level,
                                    fsync=self.fsync)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writer is not None:
            self.writer.close()
            self.stats.set_value("newscrawl/archive/files", len(self.writer.files))

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        kind = request.meta.get("newscrawl_kind")
        if (self.writer is None or self.failed or REPLAY_KEY in request.meta
                or kind not in ARCHIVED_KINDS or not 200 <= response.status < 300):
            return response
        if "cached" in response.flags:
            # Scrapy's HTTP cache (HTTPCACHE_ENABLED) answered: no fetch happened now, and a
            # record dated now would misstate when the page was served; the first fetch's copy
            # is in the archive already, when it was archived then.
            self.stats.inc_value("newscrawl/archive/skipped_cached")
            return response
        try:
            pointer = self.writer.write(
                url=response.url,
                status=response.status,
                headers=_text_headers(response.headers),
                body=response.body,
                request_headers=_text_headers(request.headers),
                method=request.method,
                kind=kind,
                ip_address=str(response.ip_address) if response.ip_address else None,
                host_rights=request.meta.get(HOST_RIGHTS_KEY),
            )
        except OSError as exc:
            # The crawl goes on (the records are what users asked for); the report says the
            # archive stopped, and the records from here on carry no pointer.
            self.failed = True
            self.stats.set_value("newscrawl/archive/failed", str(exc))
            logger.error("The archive could not be written (%s): archiving stops for this "
                         "run, records are still stored", exc)
            return response
        request.meta[POINTER_KEY] = pointer.as_dict()
        self.stats.inc_value("newscrawl/archive/pages")
        self.stats.inc_value("newscrawl/archive/bytes", len(response.body))
        return response


class ReplayMiddleware:
    """Answers replay requests from the archive; never lets one through to the network."""

    def process_request(self, request: Request, spider: Spider | None = None) -> Response | None:
        if EXTRACTED_KEY in request.meta:  # read and extracted by a worker already
            return Response(url=request.url, status=200, body=b"", request=request)
        replay = request.meta.get(REPLAY_KEY)
        if replay is None:
            raise IgnoreRequest(f"not an archived page, not fetched: {request.url}")
        pointer = ArchivePointer.from_value(replay)
        if pointer is None:
            raise IgnoreRequest(f"archive_unreadable: no pointer for {request.url}")
        try:
            # The replay pointer names its file by a path that opens from here (the record's
            # own pointer, relative to its data directory, is in meta["newscrawl_archive"]).
            archived = read_response(Path(), pointer)
        except ArchiveError as exc:
            raise IgnoreRequest(f"archive_unreadable: {exc}") from exc
        request.meta[HOST_RIGHTS_KEY] = archived.host_rights
        return replayed(archived, request)


def replayed(archived: ArchivedResponse, request: Request) -> Response:
    """The response an archived page gives `request`, under the archived URL (a plan made
    from stored records asks by the record's canonical URL)."""
    headers = Headers(archived.headers)
    response_class = responsetypes.from_args(headers=headers, url=archived.url,
                                             body=archived.body)
    return response_class(url=archived.url, status=archived.status, headers=headers,
                          body=archived.body, request=request)
