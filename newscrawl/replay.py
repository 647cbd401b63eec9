"""The spider `scrapy reextract` runs: archived pages through today's site parsers.

One spider reads every selected source's pages, in the order they were fetched (one at a
time), so that a store rebuilt from the archive assigns stories as the crawl did. Each page
goes to its site's `parse_article` (the function the site spider calls on a fresh page), and
each record through the same validate -> dedupe -> store pipelines; the dedupe stage compares
it field by field with the stored version (newscrawl/reextract.py). Nothing reaches the
network: the replay middleware answers every request from the archive or refuses it.

Counts per source are kept under `newscrawl/reextract/<source>/…` for the report.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from twisted.python.failure import Failure

from newscrawl.archiving import POINTER_KEY, REPLAY_KEY
from newscrawl.pipelines.dedupe import DryRun, Duplicate
from newscrawl.reextract import Comparison, Replay
from newscrawl.spiders.base import ARTICLE, NewsSpider

logger = logging.getLogger(__name__)

PREFIX = "newscrawl/reextract"
SOURCE_KEY = "newscrawl_source"
PROGRESS_EVERY_S = 5.0


class _SourceStats:
    """A site parser's stats during re-extraction: every count also under its source."""

    def __init__(self, stats: Any, source: str):
        self.stats = stats
        self.source = source

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.stats.inc_value(key, count, start)
        if key.startswith("newscrawl/"):
            self.stats.inc_value(f"{PREFIX}/{self.source}/{key[len('newscrawl/'):]}", count, start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stats, name)


class _SourceCrawler:
    """What a site parser reads from its crawler: the settings, and per-source stats."""

    def __init__(self, crawler: Crawler, source: str):
        self.settings = crawler.settings
        self.stats = _SourceStats(crawler.stats, source)


class ReextractSpider(scrapy.Spider):
    name = "reextract"
    custom_settings = {
        "DOWNLOADER_MIDDLEWARES": {"newscrawl.archiving.ReplayMiddleware": 50},
        # Known articles are what re-extraction is for; its runs are not crawl runs.
        "SPIDER_MIDDLEWARES": {"newscrawl.spidermiddlewares.SkipKnownMiddleware": None},
        # Its own progress line counts pages of the plan (see finished_one).
        "EXTENSIONS": {"newscrawl.progress.Progress": None},
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "RETRY_ENABLED": False,
        # One page at a time, first fetched first: a rebuilt store assigns stories in the
        # crawl's order. Extraction is CPU-bound: concurrency would not make it faster.
        "CONCURRENT_REQUESTS": 1,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
        "LOGSTATS_INTERVAL": 0,
    }

    def __init__(
        self,
        replays: Sequence[Replay] = (),
        sites: Mapping[str, type[NewsSpider]] | None = None,
        comparison: Comparison | None = None,
        progress: bool = True,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.replays = list(replays)
        self.site_classes = dict(sites or {})
        self.comparison = comparison or Comparison({})
        self.progress = progress
        self.parsers: dict[str, NewsSpider] = {}
        self.done = 0
        self.started = time.monotonic()
        self.last_progress = self.started

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReextractSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        return spider

    def parser_for(self, source: str) -> NewsSpider:
        parser = self.parsers.get(source)
        if parser is None:
            parser = self.site_classes[source]()
            parser.crawler = _SourceCrawler(self.crawler, source)  # type: ignore[assignment]
            self.parsers[source] = parser
        return parser

    def count(self, source: str, outcome: str, amount: int = 1) -> None:
        self.crawler.stats.inc_value(f"{PREFIX}/{source}/{outcome}", amount)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for replay in self.replays:
            if replay.source not in self.site_classes:
                self.count(replay.source, "unknown_source")
                self.finished_one()
                continue
            yield scrapy.Request(
                replay.url, callback=self.parse_replay, errback=self.replay_failed,
                dont_filter=True,
                meta={"newscrawl_kind": ARTICLE, SOURCE_KEY: replay.source,
                      REPLAY_KEY: replay.replay_pointer, POINTER_KEY: replay.record_pointer},
            )

    def parse_replay(self, response: Response) -> Iterator[Any]:
        source = response.meta[SOURCE_KEY]
        if "newscrawl_truncated" not in response.meta:
            self.count(source, "replayed")
        yielded = False
        for output in self.parser_for(source).parse_article(response):
            yielded = True
            yield output
        if not yielded:
            self.finished_one()

    def replay_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        source = request.meta.get(SOURCE_KEY, "?") if request is not None else "?"
        message = failure.getErrorMessage()
        self.count(source, "dropped/archive_unreadable")
        logger.warning("Archived page not read: %s", message)
        self.finished_one()

    def item_scraped(self, item: Any, response: Response, spider: Any = None) -> None:
        self.count(item["source"], "changed" if (item.get("version") or 1) > 1 else "new")
        self.finished_one()

    def item_dropped(self, item: Any, response: Response, exception: BaseException,
                     spider: Any = None) -> None:
        source = item.get("source") or "?"
        if isinstance(exception, Duplicate):
            self.count(source, "unchanged" if exception.reason == "unchanged"
                       else f"duplicate/{exception.reason}")
        elif isinstance(exception, DryRun):
            self.count(source, exception.reason)
        elif isinstance(exception, DropItem):
            reason = str(exception).split(":", 1)[0]
            self.count(source, f"dropped/{reason if reason.isidentifier() else 'other'}")
        self.finished_one()

    def finished_one(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.progress and (now - self.last_progress >= PROGRESS_EVERY_S
                              or self.done == len(self.replays)):
            self.last_progress = now
            print(progress_line(self.crawler.stats.get_stats(), self.done, len(self.replays),
                                now - self.started), file=sys.stderr, flush=True)


def outcome_totals(stats: Mapping[str, Any]) -> dict[str, int]:
    """new / changed / unchanged / dropped over every source."""
    totals = {"new": 0, "changed": 0, "unchanged": 0, "dropped": 0}
    for key, value in stats.items():
        if not key.startswith(PREFIX + "/") or not isinstance(value, int):
            continue
        outcome = key[len(PREFIX) + 1:].split("/", 1)[-1]
        if outcome in totals:
            totals[outcome] += value
        elif outcome.startswith("dropped/"):
            totals["dropped"] += value
    return totals


def progress_line(stats: Mapping[str, Any], done: int, total: int, seconds: float) -> str:
    totals = outcome_totals(stats)
    share = f" ({done / total:.0%})" if total else ""
    rate = done / seconds if seconds > 0 else 0.0
    return (f"reextract: {done:,}/{total:,} pages{share}, {rate:.0f} pages/s, "
            f"new {totals['new']:,}, changed {totals['changed']:,}, "
            f"unchanged {totals['unchanged']:,}, dropped {totals['dropped']:,}")
