"""The crawl state one process shares: the ledger, the story index, and the store's offsets.

The JSONL store is the truth; the ledger is an index over it. Each partition's byte offset up
to which the ledger has taken in its records is kept in the ledger itself, written in the
same transaction as the record. When state is opened, every partition that grew past its
offset (a crash between writing a line and recording it) is read from that offset and
reconciled, after its truncated last line (a crash during the write) is cut off. So after
kill -9 at any moment, the next run knows exactly what is stored: nothing lost, nothing twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

from newscrawl.jsonl import partition_lock, repair_open_partition
from newscrawl.ledger import open_checked
from newscrawl.stories import StoryIndex

logger = logging.getLogger(__name__)

_OFFSET_KEY = "store_offset:"
_OPEN: dict[tuple[Path, str | None], CrawlState] = {}


class CrawlState:
    def __init__(self, data_dir: str | Path, redis_url: str | None = None):
        self.data_dir = Path(data_dir)
        self.articles_dir = self.data_dir / "articles"
        self.redis_url = redis_url
        self.ledger: Any
        self.ledger_moved: Path | None = None
        self.redis_epoch: str | None = None
        self.redis_was_empty = False
        if redis_url:
            # Distributed mode: one ledger for every process on every machine; each keeps
            # its own store, whose offsets are remembered per store.
            from newscrawl.redis_ledger import RedisLedger

            self.ledger = RedisLedger(redis_url)
            self.store_id = f"{socket.gethostname()}:{self.articles_dir.resolve()}:"
            # No epoch in Redis: it holds no crawl state (new, or its data was lost), and
            # this store is read back into it below.
            self.redis_epoch, self.redis_was_empty = self.ledger.claim_epoch()
        else:
            # A damaged ledger is moved aside and rebuilt from the store below.
            self.ledger, self.ledger_moved = open_checked(
                self.data_dir / "state" / "ledger.sqlite3"
            )
            self.store_id = ""
        self.stories = StoryIndex(self.ledger)
        self.users = 0
        self.repaired_lines = 0
        self.corrupt_lines = 0
        self.reconciled = self.catch_up_with_store()

    @classmethod
    def acquire(cls, data_dir: str | Path, redis_url: str | None = None) -> CrawlState:
        """The process-wide state for `data_dir` (crawlall runs many spiders in one process)."""
        key = (Path(data_dir).resolve(), redis_url or None)
        state = _OPEN.get(key)
        if state is None:
            state = _OPEN[key] = cls(data_dir, redis_url)
        state.users += 1
        return state

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0:
            _OPEN.pop((self.data_dir.resolve(), self.redis_url or None), None)
            self.ledger.close()

    def partition_key(self, path: Path) -> str:
        return _OFFSET_KEY + self.store_id + path.relative_to(self.articles_dir).as_posix()

    def catch_up_with_store(self) -> int:
        """Take into the ledger every stored record it does not know yet; returns how many."""
        if not self.articles_dir.exists():
            return 0
        added = 0
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
                        self.stories.reconcile(records)
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
