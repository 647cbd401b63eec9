"""A live progress line per source while a crawl runs, for a person at a terminal.

On when stdout is a terminal (NEWSCRAWL_PROGRESS unset), always with 1, never with 0: cron
mails stay as they were. Every 15 seconds when something changed, and once at the end, on
stderr:

    [00:01:10] detikinet: 120 pages, 45 stored, 0 dropped, 0 errors, 1.7 pages/s
"""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newscrawl.config import setting

EVERY_S = 15.0


def wanted(settings: Any) -> bool:
    """Whether progress lines are wanted: the setting, else whether a person is watching."""
    chosen = setting(settings, "NEWSCRAWL_PROGRESS")
    return sys.stdout.isatty() if chosen is None else bool(chosen)


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def progress_line(name: str, stats: dict[str, Any], seconds: float) -> str:
    pages = int(stats.get("response_received_count", 0))
    dropped = sum(int(v) for k, v in stats.items() if k.startswith("newscrawl/dropped/"))
    rate = pages / seconds if seconds > 0 else 0.0
    return (f"[{clock(seconds)}] {name}: {pages:,} pages, "
            f"{int(stats.get('newscrawl/stored', 0)):,} stored, {dropped:,} dropped, "
            f"{int(stats.get('log_count/ERROR', 0)):,} errors, {rate:.1f} pages/s")


class Progress:
    def __init__(self, crawler: Crawler, every: float):
        self.crawler = crawler
        self.every = every
        self.started = time.monotonic()
        self.task: Any = None
        self.last: tuple[int, ...] = ()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not wanted(crawler.settings):
            raise NotConfigured
        progress = cls(crawler, EVERY_S)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.show, spider)
        self.task.start(self.every, now=False)

    def show(self, spider: Spider) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        counts = tuple(int(stats.get(k, 0)) for k in ("response_received_count",
                                                       "newscrawl/stored", "log_count/ERROR"))
        # A source with nothing new since the last line (waiting on its politeness delay,
        # or done) does not repeat itself.
        if counts != self.last:
            print(progress_line(spider.name, stats, time.monotonic() - self.started),
                  file=sys.stderr, flush=True)
        self.last = counts

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        print(progress_line(spider.name, stats, time.monotonic() - self.started)
              + f" — {reason}", file=sys.stderr, flush=True)
