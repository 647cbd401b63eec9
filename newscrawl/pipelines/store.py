"""Storage: JSON Lines partitions data/articles/<source>/<YYYY-MM>.jsonl.

Each record is written as one complete line with a single os.write on a file opened in append
mode, so a crash (even kill -9) can at worst leave one partial last line; that line is cut
off, and counted, the next time the partition is opened.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler

from newscrawl.loaders import complete_record

logger = logging.getLogger(__name__)


def repair_partition(path: Path) -> int:
    """Cut a truncated or unparsable last line off a partition; returns lines removed."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with path.open("rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        # Read back far enough to hold the last line (records are a few KB).
        chunk = min(size, 4 << 20)
        handle.seek(size - chunk)
        tail = handle.read(chunk)
        if tail.endswith(b"\n"):
            last_start = tail.rfind(b"\n", 0, len(tail) - 1) + 1
            try:
                json.loads(tail[last_start:])
                return 0
            except ValueError:
                cut = size - chunk + last_start
        else:
            cut = size - chunk + tail.rfind(b"\n") + 1
        handle.truncate(cut)
    logger.warning("Repaired %s: removed a truncated last line", path)
    return 1


def partition_path(root: Path, record: dict[str, Any]) -> Path:
    month = (record.get("published_at") or "unknown")[:7]
    return root / "articles" / record["source"] / f"{month}.jsonl"


def encode_record(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class JsonlStorePipeline:
    def __init__(self, crawler: Crawler):
        self.root = Path(crawler.settings.get("NEWSCRAWL_DATA_DIR", "data"))
        self.stats = crawler.stats
        self.fsync = crawler.settings.getbool("NEWSCRAWL_FSYNC", False)
        self.handles: dict[Path, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlStorePipeline:
        return cls(crawler)

    def open_partition(self, path: Path) -> int:
        handle = self.handles.get(path)
        if handle is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            repaired = repair_partition(path)
            if repaired:
                self.stats.inc_value("newscrawl/store/repaired_lines", repaired)
            handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self.handles[path] = handle
        return handle

    def process_item(self, item: object, spider: Spider | None = None) -> object:
        record = complete_record(ItemAdapter(item).item)
        path = partition_path(self.root, record)
        handle = self.open_partition(path)
        os.write(handle, encode_record(record))
        if self.fsync:
            os.fsync(handle)
        self.stats.inc_value("newscrawl/stored")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        for handle in self.handles.values():
            os.close(handle)
        self.handles.clear()
