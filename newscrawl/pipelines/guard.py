"""What a crawl does when it cannot store: one place for both writing pipelines.

A full disk, a read-only data directory, a ledger that answers "database or disk is full" or
a Redis that went away: the record at hand is not stored and not entered in the ledger, so a
later run fetches it again; the crawl stops at once (every further record would fail the same
way) with the finish reason `storage_failed`, which the run report judges `failed`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import RedisError
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (OSError, sqlite3.Error, RedisError)
STORAGE_FAILED = "storage_failed"


class StorageGuard:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stopping = False

    @contextmanager
    def writing(self, url: str) -> Iterator[None]:
        """Run a store or ledger write; a storage error drops the record and stops the crawl."""
        try:
            yield
        except STORAGE_ERRORS as exc:
            self.fail(exc)
            raise DropItem(f"{STORAGE_FAILED}: {exc}: {url}") from exc

    def fail(self, exc: BaseException) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"newscrawl/dropped/{STORAGE_FAILED}")
            stats.set_value("newscrawl/storage_error", f"{type(exc).__name__}: {exc}")
        if self.stopping:
            return
        self.stopping = True
        logger.error("Cannot store records (%s: %s); stopping the crawl", type(exc).__name__, exc)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED))
