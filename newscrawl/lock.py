"""One run at a time: an exclusive lock on a file under data/state/.

flock(2) is released by the kernel when its holder dies, even by kill -9, so a killed run
never blocks the next one; the PID and start time written into the file let the next run
say that it took over from a run that did not finish.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone
from pathlib import Path


class LockHeld(RuntimeError):
    """Another run holds the lock."""


class RunLock:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.handle: int | None = None
        self.stale: dict | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(handle)
            os.close(handle)
            raise LockHeld(
                f"another run is active (pid {holder.get('pid', '?')}, started "
                f"{holder.get('started', '?')}); lock file {self.path}"
            ) from None
        previous = _read(handle)
        # A file still naming a holder means that run ended without releasing: killed.
        self.stale = previous or None
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps({
            "pid": os.getpid(),
            "started": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        }).encode(), 0)
        self.handle = handle
        return self

    def release(self) -> None:
        if self.handle is not None:
            os.ftruncate(self.handle, 0)
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            os.close(self.handle)
            self.handle = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(handle: int) -> dict:
    try:
        raw = os.pread(handle, 4096, 0)
        return json.loads(raw) if raw.strip() else {}
    except (OSError, ValueError):
        return {}
