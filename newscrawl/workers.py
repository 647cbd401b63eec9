"""Worker processes for CPU-bound work (no Scrapy imports): started by a fork server, so they
inherit none of the parent's open files (a forked worker would keep the run lock and the ledger
open after the parent died), and each ends itself when its parent is gone."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def watch_parent(main: int) -> None:
    """In a worker: exit as soon as process ``main`` is gone (killed with -9 it cannot say
    so), instead of waiting forever for work that will not come."""
    server = os.getppid()  # the fork server, which ends with the main process

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def watch() -> None:
        while os.getppid() == server and alive(main):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def forkserver_pool(
    workers: int, initializer: Callable[..., None] = watch_parent, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes from a fork server; ``initializer`` runs in each (by
    default :func:`watch_parent` of this process) and must call :func:`watch_parent`."""
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("forkserver"),
        initializer=initializer, initargs=initargs or (os.getpid(),),
    )
