"""The data directory: whether records, state, reports and logs can be written there."""

from __future__ import annotations

import os
from pathlib import Path


def write_problem(data_dir: Path) -> str | None:
    """Why nothing can be written under `data_dir`, in words (with the path), or None."""
    if data_dir.exists() and not data_dir.is_dir():
        return f"the data directory {data_dir} is a file, not a directory"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / f".newscrawl-write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return f"cannot write to the data directory {data_dir}: {exc.strerror or exc}"
    return None


FIX = "set NEWSCRAWL_DATA_DIR (or -s NEWSCRAWL_DATA_DIR=...) to a writable directory"
