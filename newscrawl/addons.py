"""Scrapy add-ons (the `ADDONS` setting): infrastructure a crawl is switched to in one place.

- :class:`OfflineMirror`: with NEWSCRAWL_MIRROR (pages from a directory) or
  NEWSCRAWL_HOST_OVERRIDE (every request to one loopback server), newscrawl's download
  handler serves http and https; a mirror crawl is not throttled (its pages are local files).
  Without either, nothing changes: live crawls use Scrapy's own handlers.
- :class:`Distributed`: with NEWSCRAWL_REDIS_URL, scrapy-redis' scheduler and dupefilter
  share each spider's requests between processes (newscrawl/distributed.py), and the crawl
  state keeps its ledger in that Redis (newscrawl/state.py reads the same setting).

Both are listed in newscrawl/settings.py and act only when their setting is given (in
settings, as an environment variable or with `-s`). They set what they configure at the
`spider` priority, above the project's settings.py (the polite DOWNLOAD_DELAY there must not
throttle a mirror), below `-s` on the command line, which still wins.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings

from newscrawl.config import setting

# Above settings.py ("project"), below `-s` ("cmdline").
PRIORITY = "spider"
HANDLER = "newscrawl.mirror.MirrorDownloadHandler"


class OfflineMirror:
    """Pages from NEWSCRAWL_MIRROR, or every request to NEWSCRAWL_HOST_OVERRIDE."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not (setting(settings, "NEWSCRAWL_MIRROR")
                or setting(settings, "NEWSCRAWL_HOST_OVERRIDE")):
            raise NotConfigured  # a live crawl: Scrapy's handlers, untouched

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OfflineMirror:
        return cls(crawler)

    def update_settings(self, settings: Settings) -> None:
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.update(http=HANDLER, https=HANDLER)
        settings.set("DOWNLOAD_HANDLERS", handlers, PRIORITY)
        if setting(settings, "NEWSCRAWL_MIRROR"):
            # Mirror responses are local files: throttling them only slows tests and demos.
            for name, value in (("AUTOTHROTTLE_ENABLED", False), ("DOWNLOAD_DELAY", 0),
                                ("NEWSCRAWL_BACKOFF_BASE", 0)):
                settings.set(name, value, PRIORITY)


class Distributed:
    """Requests, dupefilter and ledger shared through the Redis at NEWSCRAWL_REDIS_URL."""

    def __init__(self, crawler: Crawler):
        if not setting(crawler.settings, "NEWSCRAWL_REDIS_URL"):
            raise NotConfigured

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Distributed:
        return cls(crawler)

    def update_settings(self, settings: Settings) -> None:
        # scrapy-redis is imported only by crawls that use it.
        from newscrawl.distributed import configure

        configure(settings, PRIORITY)

