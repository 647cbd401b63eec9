"""The crawl state one process shares: the ledger, the story index, and the store's offsets.

The JSONL store is the truth; the ledger is an index over it. Each partition's byte offset up
to which the ledger has taken in its records is kept in the ledger itself, written in the
same transaction as the record. When state is opened, every partition that grew past its
offset (a crash between writing a line and recording it) is read from that offset and
reconciled, after its truncated last line (a crash during the write) is cut off. So after
kill -9 at any moment, the next run knows exactly what is stored: nothing lost, nothing twice.

In a crawl the state is a component of the crawler (`CrawlState.of(crawler)`): opened by the
first component that asks for it (the skip-known middleware, the dedupe and store pipelines)
and closed when the crawler's engine has stopped, after all of them are done with it. Each
crawler of a `crawlall` process has its own; they meet in the ledger and the store's file
locks, as two processes do.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from newscrawl.config import setting
from newscrawl.jsonl import partition_lock, repair_open_partition
from newscrawl.ledger import PENDING_LIMIT, open_checked
from newscrawl.ledger_protocol import Ledger
from newscrawl.stories import StoryIndex

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

_OFFSET_KEY = "store_offset:"
_CRAWLER_ATTRIBUTE = "newscrawl_state"


class CrawlState:
    def __init__(self, data_dir: str | Path, redis_url: str | None = None,
                 redis_timeout: float | None = None, story_window_days: float = 0,
                 story_memory: int = PENDING_LIMIT):
        self.data_dir = Path(data_dir)
        self.articles_dir = self.data_dir / "articles"
        self.redis_url = redis_url
        self.ledger: Ledger
        self.ledger_moved: Path | None = None
        self.redis_epoch: str | None = None
        self.redis_was_empty = False
        if redis_url:
            # Distributed mode: one ledger for every process on every machine; each keeps
            # its own store, whose offsets are remembered per store.
            import redis

            from newscrawl.distributed import REDIS_TIMEOUTS
            from newscrawl.redis_ledger import RedisLedger

            timeouts = dict(REDIS_TIMEOUTS) if redis_timeout is None else {
                "socket_timeout": redis_timeout, "socket_connect_timeout": redis_timeout}
            self.ledger = RedisLedger(redis_url, client=redis.Redis.from_url(redis_url,
                                                                             **timeouts))
            self.store_id = f"{socket.gethostname()}:{self.articles_dir.resolve()}:"
            # No epoch in Redis: it holds no crawl state (new, or its data was lost), and
            # this store is read back into it below.
            self.redis_epoch, self.redis_was_empty = self.ledger.claim_epoch()
        else:
            # A damaged ledger is moved aside and rebuilt from the store below.
            self.ledger, self.ledger_moved = open_checked(
                self.data_dir / "state" / "ledger.sqlite3", pending_limit=story_memory
            )
            self.store_id = ""
        self.stories = StoryIndex(self.ledger)
        self.story_window_days = story_window_days
        self.repaired_lines = 0
        self.corrupt_lines = 0
        self.reconciled = self.catch_up_with_store()

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlState:
        """The crawl state the settings describe (data directory, Redis, story window)."""
        return cls(setting(settings, "NEWSCRAWL_DATA_DIR"),
                   setting(settings, "NEWSCRAWL_REDIS_URL") or None,
                   setting(settings, "NEWSCRAWL_REDIS_TIMEOUT"),
                   setting(settings, "NEWSCRAWL_STORY_WINDOW_DAYS"),
                   setting(settings, "NEWSCRAWL_STORY_MEMORY"))

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlState:
        """The crawl state of `crawler`, opened on first use. Raises what opening raises (a
        read-only data directory, an unreachable Redis); a later call tries again."""
        state = getattr(crawler, _CRAWLER_ATTRIBUTE, None)
        if state is None:
            state = cls.from_settings(crawler.settings)
            setattr(crawler, _CRAWLER_ATTRIBUTE, state)
            # engine_stopped comes after every pipeline's close_spider and every
            # spider_closed handler: nothing uses the state after it.
            crawler.signals.connect(state.close, signal=signals.engine_stopped, weak=False)
        return state

    def close(self) -> None:
        try:
            self.ledger.close()
        except Exception as exc:  # a Redis gone away: nothing is left to write
            logger.warning("Could not close the crawl state cleanly: %s", exc)

    def partition_key(self, path: Path) -> str:
        return _OFFSET_KEY + self.store_id + path.relative_to(self.articles_dir).as_posix()

    def catch_up_with_store(self) -> int:
        """Take into the ledger every stored record it does not know yet; returns how many."""
        if not self.articles_dir.exists():
            return 0
        added = 0
        matchable_since = (
            datetime.now(timezone.utc) - timedelta(days=self.story_window_days)
            if self.story_window_days > 0 else None
        )
        for path in sorted(self.articles_dir.rglob("*.jsonl")):
            offset = int(self.ledger.get_meta(self.partition_key(path)) or 0)
            if path.stat().st_size == offset:
                continue
            handle = os.open(path, os.O_RDWR)
            try:
                with partition_lock(handle):
                    self.repaired_lines += repair_open_partition(handle, path)
                    size = os.fstat(handle).st_size
                    if size < offset:
                        # The file shrank (edited by hand, restored from a backup): read it all.
                        offset = 0
                    records, corrupt = _read_records(path, offset, size)
                    self.corrupt_lines += corrupt
                    with self.ledger.batch():
                        added += self.ledger.reconcile(records)
                        self.stories.reconcile(records, matchable_since=matchable_since)
                        self.ledger.set_meta(self.partition_key(path), str(size))
            finally:
                os.close(handle)
        if added:
            logger.warning("Ledger caught up with the store: %d records added", added)
        return added

    def commit_stored(self, record: dict[str, Any], path: Path, start: int, end: int) -> None:
        """Record a line just appended to `path` (bytes `start` to `end`) in the ledger. The
        partition's offset moves only if the ledger already had every line before this one: a
        line another process wrote but did not record (it crashed) stays behind the offset,
        to be reconciled at the next start."""
        key = self.partition_key(path)
        with self.ledger.batch():
            self.ledger.record(
                record["id"],
                record["source"],
                record["url"],
                record["content_hash"],
                record["version"] or 1,
                record["story_id"],
                record["published_at"],
            )
            if record.get("published_at"):
                self.ledger.set_watermark(record["source"], record["published_at"])
            if int(self.ledger.get_meta(key) or 0) == start:
                self.ledger.set_meta(key, str(end))


def _read_records(path: Path, offset: int, end: int) -> tuple[list[dict[str, Any]], int]:
    """The records of `path` between two offsets, and how many lines were not records (not
    JSON, or JSON that is not an object): those are logged with their line number, skipped."""
    records = []
    corrupt = 0
    with path.open("rb") as handle:
        handle.seek(offset)
        for number, line in enumerate(handle.read(end - offset).splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict) and record.get("id"):
                records.append(record)
            elif line.strip():
                corrupt += 1
                logger.error("%s: line %d after byte %d is not a record; skipped", path,
                             number, offset)
    return records, corrupt
