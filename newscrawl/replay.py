"""The spider `scrapy reextract` runs: archived pages through today's site parsers.

One spider reads every selected source's pages, in the order they were fetched (one at a
time), so that a store rebuilt from the archive assigns stories as the crawl did. Each page
goes to its site's `parse_article` (the function the site spider calls on a fresh page), and
each record through the same validate -> dedupe -> store pipelines; the dedupe stage compares
it field by field with the stored version (newscrawl/reextract.py). Nothing reaches the
network: the replay middleware answers every request from the archive or refuses it.

Counts per source are kept under `newscrawl/reextract/<source>/…` for the report.

With NEWSCRAWL_REEXTRACT_WORKERS other than 1, reading and extracting the pages (the CPU-bound
part) runs in a pool of worker processes, a window of pages ahead of the pipelines; the
results come back in fetch order, so the pipelines (dedupe, stories, store) still see the
pages one at a time in the crawl's order, in this process. A worker also makes the MinHash
signature of each record of a page no stored record came from (a record likely new) with the
story index's spec, given at the pool's start; the record carries it to the dedupe stage as a
private attribute of the item (`SIGNATURE_ATTR`, not a field: nothing stores or exports it),
which uses it only for the very body it was made of (newscrawl/pipelines/dedupe.py).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from twisted.python.failure import Failure

from newscrawl.archive import ArchiveError, ArchivePointer, read_response
from newscrawl.archiving import EXTRACTED_KEY, HOST_RIGHTS_KEY, POINTER_KEY, REPLAY_KEY, replayed
from newscrawl.config import setting
from newscrawl.items import Article
from newscrawl.pipelines.dedupe import DryRun, Duplicate, attach_signature
from newscrawl.reextract import Comparison, Replay
from newscrawl.spiders.base import ARTICLE, NewsSpider
from newscrawl.stories import SignatureSpec
from newscrawl.workers import forkserver_pool, watch_parent

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


class _RecordingStats:
    """A worker's stats: the increments, handed back with the page's records."""

    def __init__(self) -> None:
        self.increments: list[tuple[str, int]] = []

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.increments.append((key, count))

    def set_value(self, key: str, value: Any) -> None:
        pass

    def get_value(self, key: str, default: Any = None) -> Any:
        return default


class _WorkerCrawler:
    def __init__(self, settings: dict[str, Any]):
        from scrapy.settings import Settings

        self.settings = Settings(settings)
        self.stats = _RecordingStats()


_WORKER_PARSERS: dict[str, NewsSpider] = {}
# The story index's signature parameters, given at the pool's start (None: make no signatures).
_WORKER_SPEC: SignatureSpec | None = None


def extract_in_worker(site: str, source: str, replay_pointer: dict[str, Any],
                      record_pointer: dict[str, Any], settings: dict[str, Any],
                      sign: bool = True) -> dict[str, Any]:
    """In a worker process: read one archived page and run its site's `parse_article` on it
    (a page cut off is re-read as the crawl would ask again). Returns the records (as dicts),
    the stats increments, and `error` when the page could not be read; with `sign` (the page's
    record is likely new) and a spec, each record's MinHash signature under `signatures`
    (the values, or None for a body too short to match), in the records' order."""
    parser = _WORKER_PARSERS.get(source)
    if parser is None:
        module, _, name = site.rpartition(".")
        parser = getattr(importlib.import_module(module), name)()
        parser.crawler = _WorkerCrawler(settings)  # type: ignore[assignment]
        _WORKER_PARSERS[source] = parser
    stats = parser.crawler.stats  # type: ignore[attr-defined]
    stats.increments = []
    pointer = ArchivePointer.from_value(replay_pointer)
    if pointer is None:
        return {"error": f"archive_unreadable: no pointer for {source}", "items": [],
                "stats": []}
    try:
        archived = read_response(Path(), pointer)
    except ArchiveError as exc:
        return {"error": f"archive_unreadable: {exc}", "items": [], "stats": []}
    request = scrapy.Request(archived.url, meta={
        "newscrawl_kind": ARTICLE, SOURCE_KEY: source, REPLAY_KEY: replay_pointer,
        POINTER_KEY: record_pointer, HOST_RIGHTS_KEY: archived.host_rights})
    items: list[dict[str, Any]] = []
    while request is not None:
        response = replayed(archived, request)
        request = None
        for output in parser.parse_article(response):
            if isinstance(output, scrapy.Request):  # cut off: asked again, bounded by the parser
                request = output
            else:
                items.append(dict(output))
    signatures = None
    if sign and _WORKER_SPEC is not None:
        signatures = [_WORKER_SPEC.values(item.get("body") or "") for item in items]
    return {"error": None, "items": items, "stats": stats.increments, "signatures": signatures}


def _start_worker(main: int, spec: SignatureSpec | None) -> None:
    global _WORKER_SPEC
    _WORKER_SPEC = spec
    watch_parent(main)


def worker_pool(workers: int, spec: SignatureSpec | None = None) -> ProcessPoolExecutor:
    """Workers started by a fork server (see :mod:`newscrawl.workers`). `spec`: how the story
    index makes signatures (None: the workers make none)."""
    return forkserver_pool(workers, _start_worker, (os.getpid(), spec))


# With NEWSCRAWL_REEXTRACT_WORKERS 0, runs of fewer pages than this extract in the crawl process:
# starting the pool (each worker imports Scrapy and the parsers, ~1 s) costs more than it saves
# (3,000 pages: 239 pages/s in one process, 344 with two workers, docs/archive.md).
POOL_FROM_PAGES = 1000


def worker_count(settings: Any, pages: int) -> int:
    """How many processes extract `pages` pages: NEWSCRAWL_REEXTRACT_WORKERS; 0 for one per core
    from POOL_FROM_PAGES pages on, else 1 (in this process)."""
    wanted = setting(settings, "NEWSCRAWL_REEXTRACT_WORKERS")
    if wanted > 0:
        return wanted
    return (os.cpu_count() or 1) if pages >= POOL_FROM_PAGES else 1


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
        self.pool: ProcessPoolExecutor | None = None
        self.spec: SignatureSpec | None = None
        # The pages the stored records came from: their records are most likely stored
        # already (unchanged or a new version), so no worker makes their signatures.
        self.stored_pages = {
            (str(r.data_dir / r.pointer.file), r.pointer.offset)
            for r in self.comparison.stored.values() if r.pointer is not None}
        # One bound method each, kept: Scrapy checks every callback's source for a `return`
        # with a value (inspect + ast, ~0.5 ms) and caches the verdict by a weak reference to
        # the callable, which a new bound method per request would lose every time.
        self.on_page = self.parse_replay
        self.on_failure = self.replay_failed
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

    def request_for(self, replay: Replay, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            replay.url, callback=self.on_page, errback=self.on_failure,
            dont_filter=True,
            meta={"newscrawl_kind": ARTICLE, SOURCE_KEY: replay.source,
                  REPLAY_KEY: replay.replay_pointer, POINTER_KEY: replay.record_pointer, **meta},
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        known = [r for r in self.replays if r.source in self.site_classes]
        for replay in self.replays:
            if replay.source not in self.site_classes:
                self.count(replay.source, "unknown_source")
                self.finished_one()
        workers = worker_count(self.crawler.settings, len(known))
        if workers == 1 or len(known) < 2:
            for replay in known:
                yield self.request_for(replay)
            return
        async for request in self.extracted_ahead(known, workers):
            yield request

    async def extracted_ahead(self, replays: list[Replay], workers: int
                              ) -> AsyncIterator[scrapy.Request]:
        """Requests carrying each page's records, extracted by the pool a window ahead and
        handed on in fetch order."""
        settings = {name: self.crawler.settings.get(name) for name in
                    ("NEWSCRAWL_GENERIC_BODY", "NEWSCRAWL_MIN_WORDS")}
        self.spec = self.signature_spec()
        self.pool = worker_pool(workers, self.spec)
        window = 4 * workers
        pending: deque[tuple[Replay, Future[dict[str, Any]]]] = deque()
        upcoming = iter(replays)
        try:
            while True:
                while len(pending) < window:
                    replay = next(upcoming, None)
                    if replay is None:
                        break
                    site = self.site_classes[replay.source]
                    pending.append((replay, self.pool.submit(
                        extract_in_worker, f"{site.__module__}.{site.__qualname__}",
                        replay.source, replay.replay_pointer, replay.record_pointer, settings,
                        (replay.path, replay.offset) not in self.stored_pages)))
                if not pending:
                    return
                replay, future = pending.popleft()
                result = await asyncio.wrap_future(future)
                yield self.request_for(replay, **{EXTRACTED_KEY: result})
        finally:
            self.pool.shutdown(cancel_futures=True)

    def signature_spec(self) -> SignatureSpec | None:
        """How the story index makes signatures, for the workers to make them; None in a dry
        run (nothing is assigned) or when the crawl state cannot be opened (the pipelines
        stop the run, saying why)."""
        if self.comparison.dry_run:
            return None
        from newscrawl.pipelines.guard import STORAGE_ERRORS
        from newscrawl.state import CrawlState

        try:
            return CrawlState.of(self.crawler).stories.spec
        except STORAGE_ERRORS:
            return None

    def closed(self, reason: str) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def parse_replay(self, response: Response) -> Iterator[Any]:
        source = response.meta[SOURCE_KEY]
        extracted = response.meta.get(EXTRACTED_KEY)
        if extracted is not None:
            yield from self.from_worker(source, extracted)
            return
        if "newscrawl_truncated" not in response.meta:
            self.count(source, "replayed")
        yielded = False
        for output in self.parser_for(source).parse_article(response):
            yielded = True
            yield output
        if not yielded:
            self.finished_one()

    def from_worker(self, source: str, extracted: dict[str, Any]) -> Iterator[Any]:
        if extracted["error"]:
            self.count(source, "dropped/archive_unreadable")
            logger.warning("Archived page not read: %s", extracted["error"])
            self.finished_one()
            return
        self.count(source, "replayed")
        stats = self.parser_for(source).crawler.stats
        for key, amount in extracted["stats"]:
            stats.inc_value(key, amount)
        signatures = extracted.get("signatures")
        for n, values in enumerate(extracted["items"]):
            item = Article(values)
            if signatures is not None and self.spec is not None:
                attach_signature(item, self.spec, item.get("body"), signatures[n])
            yield item
        if not extracted["items"]:
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
