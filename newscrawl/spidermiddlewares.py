"""Skip before download: an article the ledger already holds is not requested again.

Listing, feed and sitemap pages always pass. With NEWSCRAWL_REVISIT_HOURS > 0, an article
published within that many hours is requested again so that updates are caught (the dedupe
stage stores it as a new version only if its body changed).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from newscrawl.config import setting
from newscrawl.pipelines.guard import STORAGE_ERRORS, storage_failed
from newscrawl.spiders.base import ARTICLE
from newscrawl.state import CrawlState

logger = logging.getLogger(__name__)


class SkipKnownMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        hours = setting(crawler.settings, "NEWSCRAWL_REVISIT_HOURS")
        self.revisit = timedelta(hours=hours) if hours > 0 else None
        # An hourly cron would otherwise re-fetch every recent article every hour.
        every = setting(crawler.settings, "NEWSCRAWL_REVISIT_EVERY_HOURS")
        self.revisit_every = timedelta(hours=every)
        self.state: CrawlState | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipKnownMiddleware:
        from scrapy import signals

        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        try:
            self.state = CrawlState.of(self.crawler)
        except STORAGE_ERRORS:
            # The store pipeline says why and stops the crawl; nothing is skipped meanwhile.
            self.state = None

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.state is None:
            return
        try:
            if reason == "finished" and not storage_failed(self.crawler):
                self.state.ledger.mark_run(spider.name)
        except STORAGE_ERRORS as exc:
            logger.warning("Could not mark the run in the ledger: %s", exc)
        self.state = None

    def keep(self, request: Any, spider: Spider) -> bool:
        if not isinstance(request, Request) or request.meta.get("newscrawl_kind") != ARTICLE:
            return True
        if request.meta.get("newscrawl_refetch"):  # a URL list asks for these pages again
            return True
        if self.state is None or storage_failed(self.crawler):
            return True
        canonicalize = getattr(spider, "canonicalize", None)
        url = canonicalize(request.url) if canonicalize else request.url
        ledger = self.state.ledger
        try:
            known = ledger.is_known_url(url)
        except STORAGE_ERRORS:
            # The ledger is gone (Redis lost): the pipelines stop the crawl and say why.
            return True
        if not known:
            return True
        now = datetime.now(timezone.utc)
        if self.revisit and ledger.needs_revisit(
            url, self.revisit, now, min_interval=self.revisit_every
        ):
            self.stats.inc_value("newscrawl/revisited")
            return True
        self.stats.inc_value("newscrawl/skipped/known")
        return False

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider | None = None
    ) -> Iterable[Any]:
        spider = spider or self.crawler.spider
        return (r for r in result if self.keep(r, spider))

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        spider = spider or self.crawler.spider
        async for r in result:
            if self.keep(r, spider):
                yield r
