"""Storage: JSON Lines partitions data/articles/<source>/<YYYY-MM>.jsonl.

Each record is written as one complete line with a single os.write on a file opened in append
mode, so a crash (even kill -9) can at worst leave one partial last line; that line is cut
off, and counted, the next time the partition is opened. Only after the line is written is
the record entered in the ledger (with the partition's new length), so the store stays the
truth and the ledger can always catch up with it (newscrawl/state.py).
"""

from __future__ import annotations

import logging
import os
import statistics
from datetime import datetime, timedelta, timezone
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.config import default, setting
from newscrawl.jsonl import (
    append_line,
    encode_record,
    partition_lock,
    partition_path,
    repair_open_partition,
)
from newscrawl.loaders import complete_record
from newscrawl.pipelines.dedupe import Duplicate
from newscrawl.pipelines.guard import StorageGuard
from newscrawl.state import CrawlState

logger = logging.getLogger(__name__)

# A stored line longer than this is refused (a 300,000-character body is ~0.6 MB in UTF-8).
MAX_RECORD_BYTES = default("NEWSCRAWL_MAX_RECORD_BYTES")


class JsonlStorePipeline:
    def __init__(self, crawler: Crawler):
        self.root = Path(setting(crawler.settings, "NEWSCRAWL_DATA_DIR"))
        self.stats = crawler.stats
        self.fsync = setting(crawler.settings, "NEWSCRAWL_FSYNC")
        self.min_words = setting(crawler.settings, "NEWSCRAWL_MIN_WORDS")
        self.story_window_days = setting(crawler.settings, "NEWSCRAWL_STORY_WINDOW_DAYS")
        self.handles: dict[Path, int] = {}
        self.guard = StorageGuard(crawler)
        self.max_record_bytes = setting(crawler.settings, "NEWSCRAWL_MAX_RECORD_BYTES")
        self.state: CrawlState | None = None
        # Body lengths of this run's records, for the run report's median (one int each).
        self.body_words: list[int] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlStorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.state = self.guard.open_state()
        if self.state is None:
            return
        if self.story_window_days > 0:
            # Copies of a story appear within days: older records stop being matched before
            # this crawl matches anything, so the story index stays small (they keep their
            # story_id).
            cutoff = datetime.now(timezone.utc) - timedelta(days=self.story_window_days)
            self.stats.set_value("newscrawl/stories/pruned", self.state.stories.prune(cutoff))
        if self.state.repaired_lines:
            self.stats.set_value("newscrawl/store/repaired_lines", self.state.repaired_lines)
        if self.state.reconciled:
            self.stats.set_value("newscrawl/store/reconciled", self.state.reconciled)
        if self.state.corrupt_lines:
            self.stats.set_value("newscrawl/store/corrupt_lines", self.state.corrupt_lines)
        if self.state.redis_was_empty and self.state.reconciled:
            self.stats.set_value("newscrawl/state/redis_refilled", self.state.reconciled)
        if self.state.redis_epoch:
            self.stats.set_value("newscrawl/state/redis_epoch", self.state.redis_epoch)
        if self.state.ledger_moved is not None:
            self.stats.set_value("newscrawl/state/ledger_rebuilt", str(self.state.ledger_moved))

    def open_partition(self, path: Path) -> int:
        handle = self.handles.get(path)
        if handle is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            with partition_lock(handle):
                repaired = repair_open_partition(handle, path)
            if repaired:
                self.stats.inc_value("newscrawl/store/repaired_lines", repaired)
            self.handles[path] = handle
        return handle

    def process_item(self, item: object, spider: Spider | None = None) -> object:
        if self.state is None:
            raise DropItem(f"storage_failed: {ItemAdapter(item).get('url')}")
        record = complete_record(ItemAdapter(item).item)
        path = partition_path(self.root, record)
        with self.guard.writing(record["url"]):
            handle = self.open_partition(path)
        assert self.state is not None
        line = encode_record(record)
        if len(line) > self.max_record_bytes:
            # No article makes a line this long (titles and bodies are capped before): some
            # other field ran away. Not stored, not recorded.
            self.stats.inc_value("newscrawl/dropped/record_too_large")
            raise DropItem(f"record_too_large: {len(line)} bytes: {record['url']}")
        # The last check, the write and the ledger commit are one step for every process
        # writing this partition (the file lock) and, in distributed mode, for every process
        # sharing the ledger (its write lock), so no two crawls both store an article.
        # A failed write is undone before anything is recorded (append_line); a failed ledger
        # commit after a good write leaves a line the next start reconciles (the store is
        # the truth). Either way the crawl stops with `storage_failed`.
        with self.guard.writing(record["url"]), partition_lock(handle), self.state.ledger.batch():
            stored = self.state.ledger.known(record_id=record["id"])
            if stored is not None and (stored.version or 1) >= (record["version"] or 1):
                self.stats.inc_value("newscrawl/duplicate/concurrent")
                raise Duplicate(f"stored meanwhile by another process: {record['url']}",
                                "concurrent")
            start, end = append_line(handle, line, self.fsync)
            self.state.commit_stored(record, path, start, end)
        self.count_fill(record)
        return item

    def count_fill(self, record: dict) -> None:
        """Field fill counts for the run report and its layout-drift monitors."""
        self.stats.inc_value("newscrawl/stored")
        for field in ("authors", "editor_codes", "dateline", "image"):
            if record.get(field):
                self.stats.inc_value(f"newscrawl/fill/{field}")
        words = record.get("word_count") or 0
        self.body_words.append(words)
        if words >= self.min_words:
            self.stats.inc_value("newscrawl/fill/long_body")

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.body_words:
            self.stats.set_value(
                "newscrawl/body_words_median", int(statistics.median(self.body_words))
            )
        for handle in self.handles.values():
            os.close(handle)
        self.handles.clear()
