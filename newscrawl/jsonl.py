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


_SCAN_CHUNK = 1 << 20


def last_line_start(handle: int, end: int) -> int:
    """The offset where the line ending at `end` (exclusive of a final newline at end-1)
    starts: just after the previous newline, or 0. Reads back in chunks, however long the
    line is."""
    position = end
    while position > 0:
        start = max(0, position - _SCAN_CHUNK)
        chunk = os.pread(handle, position - start, start)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return start + found + 1
        position = start
    return 0


def repair_open_partition(handle: int, path: Path) -> int:
    """Cut a truncated or unparsable last line off an open (and locked) partition; returns
    the lines removed (0 or 1). A complete last line is kept whatever its length."""
    size = os.fstat(handle).st_size
    if size == 0:
        return 0
    if os.pread(handle, 1, size - 1) == b"\n":
        start = last_line_start(handle, size - 1)
        try:
            json.loads(os.pread(handle, size - start, start))
            return 0
        except ValueError:
            cut = start
    else:
        cut = last_line_start(handle, size)
    os.ftruncate(handle, cut)
    logger.warning("Repaired %s: removed a truncated last line (%d bytes)", path, size - cut)
    return 1


class StorageError(OSError):
    """A record could not be written whole; the partition was cut back to where it was."""


def append_line(handle: int, line: bytes, fsync: bool = False) -> tuple[int, int]:
    """Append `line` to an open (O_APPEND, locked) partition as one write; returns the
    (start, end) offsets. A failed or short write (a full disk) is undone: the partition is
    truncated back to its length before the write and StorageError is raised, so nothing
    half-written stays behind and nothing is recorded as stored."""
    start = os.fstat(handle).st_size
    try:
        written = os.write(handle, line)
        if written != len(line):
            raise StorageError(f"short write: {written} of {len(line)} bytes")
        if fsync:
            os.fsync(handle)
    except OSError as exc:
        try:
            os.ftruncate(handle, start)
        except OSError:
            logger.exception("Could not cut a failed write back from the partition")
        if isinstance(exc, StorageError):
            raise
        raise StorageError(f"{exc.strerror or exc}") from exc
    return start, start + len(line)


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
