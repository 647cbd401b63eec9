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

from datetime import datetime, timezone
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

KEY_PREFIX = "newscrawl:"
RUN_KEY_TTL_SECONDS = 2 * 24 * 3600


def run_id(settings: Any) -> str:
    return settings.get("NEWSCRAWL_RUN_ID") or datetime.now(timezone.utc).strftime("%Y%m%d%H")


def configure(settings: Any) -> None:
    """Switch a crawler's settings to distributed mode when NEWSCRAWL_REDIS_URL is set."""
    url = settings.get("NEWSCRAWL_REDIS_URL")
    if not url:
        return
    run = run_id(settings)
    for name, value in {
        "REDIS_URL": url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # The queue outlives a process: what one leaves, the next takes over.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": KEY_PREFIX + "%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": KEY_PREFIX + "%(spider)s:dupefilter:" + run,
    }.items():
        settings.set(name, value, priority="spider")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["newscrawl.distributed.ExpireRunKeys"] = 0
    settings.set("EXTENSIONS", extensions, priority="spider")


class ExpireRunKeys:
    """Lets a run's dupefilter expire once the run is over (it is only that run's)."""

    def __init__(self, crawler: Crawler):
        self.settings = crawler.settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExpireRunKeys:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider) -> None:
        import redis

        key = self.settings.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": spider.name}
        with redis.Redis.from_url(self.settings.get("REDIS_URL")) as client:
            client.expire(key, RUN_KEY_TTL_SECONDS)
