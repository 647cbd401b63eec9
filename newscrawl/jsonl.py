"""The JSON Lines store's file format: partitions, line encoding, crash repair. No Scrapy."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

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
