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
from pathlib import Path

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from newscrawl.config import setting
from newscrawl.datadir import FIX, write_problem
from newscrawl.state import CrawlState

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (OSError, sqlite3.Error, RedisError)
STORAGE_FAILED = "storage_failed"


def storage_failed(crawler: Crawler | None) -> bool:
    """Whether this crawl has already failed to store: what still runs while it winds down
    must not wait on the broken store or Redis again."""
    return bool(getattr(crawler, "_newscrawl_storage_failed", False))


class StorageGuard:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stopping = False

    @contextmanager
    def writing(self, url: str) -> Iterator[None]:
        """Run a store or ledger write; a storage error drops the record and stops the crawl."""
        if storage_failed(self.crawler):
            raise DropItem(f"{STORAGE_FAILED}: {url}")
        try:
            yield
        except STORAGE_ERRORS as exc:
            self.fail(exc)
            raise DropItem(f"{STORAGE_FAILED}: {exc}: {url}") from exc

    def open_state(self) -> CrawlState | None:
        """The crawler's crawl state, or None when it cannot be opened (a read-only or full
        data directory, an unreachable Redis): then the crawl stops at once, saying why."""
        data_dir = Path(setting(self.crawler.settings, "NEWSCRAWL_DATA_DIR"))
        problem = write_problem(data_dir)
        if problem is None:
            try:
                return CrawlState.of(self.crawler)
            except STORAGE_ERRORS as exc:
                problem = f"cannot open the crawl state under {data_dir}: {exc}"
        self.fail(OSError(f"{problem}; {FIX}"))
        return None

    def fail(self, exc: BaseException) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"newscrawl/dropped/{STORAGE_FAILED}")
            stats.set_value("newscrawl/storage_error", str(exc) if type(exc) is OSError
                            else f"{type(exc).__name__}: {exc}")
        # Both writing pipelines have a guard: the crawl is stopped, and said so, once.
        if self.stopping or getattr(self.crawler, "_newscrawl_storage_failed", False):
            return
        self.stopping = True
        self.crawler._newscrawl_storage_failed = True  # type: ignore[attr-defined]
        logger.error("Cannot store records (%s: %s); stopping the crawl", type(exc).__name__, exc)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None and engine._slot is not None:
            deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED))
        else:
            # Still opening: the engine is told to stop as soon as it runs.
            self.crawler.signals.connect(self._stop_when_open, signal=signals.spider_opened)

    def _stop_when_open(self, spider: object) -> None:
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED))
