"""Distributed mode: crawler processes on several machines share one crawl through Redis.

With ``NEWSCRAWL_REDIS_URL`` set, every spider:
- takes its requests from one queue per spider in Redis (scrapy-redis' scheduler), so the
  processes split the downloads, and a request left in the queue by a process that died is
  done by the next one;
- filters duplicate requests with one dupefilter per spider *and run* (``NEWSCRAWL_RUN_ID``,
  by default the UTC hour the process started in: processes a cron line starts together share
  it, the next run starts afresh); the filter expires two days after its run;
- keeps its ledger (known articles, content hashes, stories, watermarks) in Redis
  (:mod:`newscrawl.redis_ledger`), so an article stored by one process is known to all.

Each process still writes the records it stores to its own ``NEWSCRAWL_DATA_DIR``; no record
is in two of them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from redis.exceptions import RedisError
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy_redis.scheduler import Scheduler as _RedisScheduler

from newscrawl.config import setting
from newscrawl.pipelines.guard import StorageGuard, storage_failed

logger = logging.getLogger(__name__)
KEY_PREFIX = "newscrawl:"
RUN_KEY_TTL_SECONDS = 2 * 24 * 3600


def run_id(settings: Any) -> str:
    return settings.get("NEWSCRAWL_RUN_ID") or datetime.now(timezone.utc).strftime("%Y%m%d%H")


REDIS_LOST_DURING_RUN = (
    "Redis lost its data during the run (its request queue and shared ledger were emptied): "
    "the run stopped early; run `newscrawl catchup` on every machine, then crawl again"
)
# No Redis command of ours legitimately takes this long (NEWSCRAWL_REDIS_TIMEOUT).
REDIS_TIMEOUTS = {"socket_timeout": 10, "socket_connect_timeout": 10}


def redis_timeouts(settings: Any) -> dict[str, float]:
    """Connection and command timeouts for every Redis client of a crawl."""
    seconds = setting(settings, "NEWSCRAWL_REDIS_TIMEOUT")
    return {"socket_timeout": seconds, "socket_connect_timeout": seconds}


def redis_problem(url: str, timeouts: dict[str, float] = REDIS_TIMEOUTS) -> str | None:
    """Why the Redis at `url` cannot be used, in words (it is asked once), or None."""
    import redis

    try:
        with redis.Redis.from_url(url, **timeouts) as client:
            client.ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"the Redis at {url} cannot be reached: {exc}"
    return None


def configure(settings: Any, priority: str) -> None:
    """Switch a crawler's settings to distributed mode (the `Distributed` add-on,
    newscrawl/addons.py, calls this when NEWSCRAWL_REDIS_URL is set)."""
    url = settings.get("NEWSCRAWL_REDIS_URL")
    run = run_id(settings)
    for name, value in {
        "REDIS_URL": url,
        "SCHEDULER": "newscrawl.distributed.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # The queue outlives a process: what one leaves, the next takes over.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": KEY_PREFIX + "%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": KEY_PREFIX + "%(spider)s:dupefilter:" + run,
        # A Redis that stops answering (a partition, a hung server) fails the crawl within
        # seconds instead of holding it, and the crawlall lock, for minutes.
        "REDIS_PARAMS": {**redis_timeouts(settings), "retry_on_timeout": False},
    }.items():
        settings.set(name, value, priority)
    settings.set_in_component_priority_dict("EXTENSIONS", ExpireRunKeys, 0)


class ExpireRunKeys:
    """Lets a run's dupefilter expire once the run is over (it is only that run's)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.settings = crawler.settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExpireRunKeys:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider) -> None:
        import redis

        if storage_failed(self.crawler):
            return  # Redis is gone; the key expires with the run id anyway
        key = self.settings.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": spider.name}
        stats = self.crawler.stats
        started_on = stats.get_value("newscrawl/state/redis_epoch") if stats else None
        try:
            with redis.Redis.from_url(self.settings.get("REDIS_URL"),
                                      **redis_timeouts(self.settings)) as client:
                client.expire(key, RUN_KEY_TTL_SECONDS)
                now_on = client.get(KEY_PREFIX + "epoch")
        except RedisError as exc:
            logger.warning("Could not set the run's dupefilter to expire: %s", exc)
            return
        now_on = now_on.decode() if isinstance(now_on, bytes) else now_on
        if started_on and now_on != started_on and stats is not None:
            # Redis was flushed or restarted empty during the run: the queue went with it,
            # so the run ended early, not finished.
            stats.set_value("newscrawl/storage_error", REDIS_LOST_DURING_RUN)
            stats.set_value("newscrawl/state/redis_lost_during_run", 1)
            logger.error(REDIS_LOST_DURING_RUN)


class Scheduler(_RedisScheduler):
    """scrapy-redis' scheduler, with Redis failures turned into a stopped crawl.

    Scrapy calls the scheduler from its engine loop, where an exception (Redis gone) left the
    engine unable to close: the crawl hung, holding crawlall's lock. Here a Redis error stops
    the crawl with `storage_failed` and the reason (as the writing pipelines do) and the queue
    reads as empty, so the engine winds down."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Scheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.guard = StorageGuard(crawler)
        return scheduler

    def _lost(self, exc: RedisError) -> None:
        self.guard.fail(exc)

    def open(self, spider: Spider) -> None:
        try:
            super().open(spider)
        except RedisError as exc:
            self._lost(exc)

    def enqueue_request(self, request: Any) -> bool:
        if storage_failed(self.guard.crawler):
            return False
        try:
            return super().enqueue_request(request)
        except RedisError as exc:
            self._lost(exc)
            return False

    def next_request(self) -> Any:
        if storage_failed(self.guard.crawler):
            return None
        try:
            return super().next_request()
        except RedisError as exc:
            self._lost(exc)
            return None

    def has_pending_requests(self) -> bool:
        if storage_failed(self.guard.crawler):
            return False
        try:
            return super().has_pending_requests()
        except RedisError as exc:
            self._lost(exc)
            return False

    def close(self, reason: str) -> None:
        try:
            super().close(reason)
        except RedisError:
            pass  # already reported
