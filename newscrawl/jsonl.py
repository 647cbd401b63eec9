"""The JSON Lines store's file format: partitions, line encoding, crash repair. No Scrapy."""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@contextmanager
def partition_lock(handle: int) -> Iterator[None]:
    """Exclusive lock on an open partition: a manual `scrapy crawl` during a cron run may
    append to the same file, and a repair must never cut another process's line."""
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


def repair_open_partition(handle: int, path: Path) -> int:
    """Cut a truncated or unparsable last line off an open (and locked) partition; returns
    the lines removed (0 or 1)."""
    size = os.fstat(handle).st_size
    if size == 0:
        return 0
    # Read back far enough to hold the last line (records are a few KB).
    chunk = min(size, 4 << 20)
    tail = os.pread(handle, chunk, size - chunk)
    if tail.endswith(b"\n"):
        last_start = tail.rfind(b"\n", 0, len(tail) - 1) + 1
        try:
            json.loads(tail[last_start:])
            return 0
        except ValueError:
            cut = size - chunk + last_start
    else:
        cut = size - chunk + tail.rfind(b"\n") + 1
    os.ftruncate(handle, cut)
    logger.warning("Repaired %s: removed a truncated last line", path)
    return 1


def repair_partition(path: Path) -> int:
    """`repair_open_partition` on a path, under the partition lock."""
    if not path.exists():
        return 0
    handle = os.open(path, os.O_RDWR)
    try:
        with partition_lock(handle):
            return repair_open_partition(handle, path)
    finally:
        os.close(handle)


def partition_path(root: Path, record: dict[str, Any]) -> Path:
    month = (record.get("published_at") or "unknown")[:7]
    return root / "articles" / record["source"] / f"{month}.jsonl"


def encode_record(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
