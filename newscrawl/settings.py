"""Scrapy settings for newscrawl: polite defaults, and the components wired in.

Every NEWSCRAWL_* setting can also be given as an environment variable of the same name, so a
crontab line or a shell can set them without editing files; `-s NAME=value` still wins.
"""

import os

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
COMMANDS_MODULE = "newscrawl.commands"

# --- newscrawl's own settings -------------------------------------------------------------
NEWSCRAWL_DATA_DIR = os.environ.get("NEWSCRAWL_DATA_DIR", "data")
# A directory with manifest.jsonl: every request is answered from it (see newscrawl/mirror.py).
NEWSCRAWL_MIRROR = os.environ.get("NEWSCRAWL_MIRROR") or None
# Send every request to this host:port instead (a stand-in server on loopback for tests and
# benchmarks; see newscrawl/mirror.py).
NEWSCRAWL_HOST_OVERRIDE = os.environ.get("NEWSCRAWL_HOST_OVERRIDE") or None
# Distributed mode (newscrawl/distributed.py): a Redis shared by every crawler process.
NEWSCRAWL_REDIS_URL = os.environ.get("NEWSCRAWL_REDIS_URL") or None
# Processes with the same run id split one crawl; default: the UTC hour they started in.
NEWSCRAWL_RUN_ID = os.environ.get("NEWSCRAWL_RUN_ID") or None
# Articles published within this many hours are fetched again to catch updates (0 = never).
NEWSCRAWL_REVISIT_HOURS = float(os.environ.get("NEWSCRAWL_REVISIT_HOURS", "0"))
# ... but not more often than every this many hours per article.
NEWSCRAWL_REVISIT_EVERY_HOURS = float(os.environ.get("NEWSCRAWL_REVISIT_EVERY_HOURS", "6"))
# New records are matched into stories against records stored within this many days.
NEWSCRAWL_STORY_WINDOW_DAYS = float(os.environ.get("NEWSCRAWL_STORY_WINDOW_DAYS", "30"))
# Bodies shorter than this many words are flagged as "short_body" (not dropped).
NEWSCRAWL_MIN_WORDS = 40
# When no declared layout of a site finds an article's body (the site changed its markup), the
# generic extractor reads it and the record is flagged `generic_body`. 0 turns that off: such
# articles are then dropped as `missing_body`.
NEWSCRAWL_GENERIC_BODY = os.environ.get("NEWSCRAWL_GENERIC_BODY", "1")
# Records with a longer title or body are dropped (title_too_long, body_too_long): no article
# is that long, a page that gives one is broken.
NEWSCRAWL_MAX_TITLE_CHARS = int(os.environ.get("NEWSCRAWL_MAX_TITLE_CHARS", "1000"))
NEWSCRAWL_MAX_BODY_CHARS = int(os.environ.get("NEWSCRAWL_MAX_BODY_CHARS", "300000"))
# A stored line (one record as JSON) over this many bytes is dropped as record_too_large.
NEWSCRAWL_MAX_RECORD_BYTES = int(os.environ.get("NEWSCRAWL_MAX_RECORD_BYTES", str(2 << 20)))

# Keep every fetched article, listing, feed and sitemap page as received, in WARC files under
# <data dir>/warc/ (newscrawl/archive.py): records point at their page, and `scrapy reextract`
# runs today's parsers over them without fetching again. 0 turns it off.
NEWSCRAWL_ARCHIVE = os.environ.get("NEWSCRAWL_ARCHIVE", "1")
# A WARC file is closed and a new one started past this size.
NEWSCRAWL_ARCHIVE_MAX_BYTES = int(os.environ.get("NEWSCRAWL_ARCHIVE_MAX_BYTES", str(100 << 20)))
# gzip level of the archive's records: 6 (zlib's default) costs ~2.4 ms per article page;
# 1 costs ~1 ms and makes the archive ~18 % larger.
NEWSCRAWL_ARCHIVE_GZIP_LEVEL = int(os.environ.get("NEWSCRAWL_ARCHIVE_GZIP_LEVEL", "6"))

# --- politeness ---------------------------------------------------------------------------
USER_AGENT = (
    "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl; research crawler of Indonesian tech news)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# Real article pages are 0.1-0.4 MB: a response (after decompression, so a gzip bomb too)
# over 16 MB is cancelled and counted, instead of costing minutes and gigabytes to parse.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "id-ID,id;q=0.9,en;q=0.6",
}

# --- components ---------------------------------------------------------------------------
DOWNLOAD_HANDLERS = {
    "http": "newscrawl.mirror.MirrorDownloadHandler",
    "https": "newscrawl.mirror.MirrorDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # Replaces Scrapy's RetryMiddleware: same retries, plus backoff that honours Retry-After.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.middlewares.BackoffRetryMiddleware": 550,
    # Next to the downloader: it archives responses as the server sent them (before
    # decompression, retries and redirects).
    "newscrawl.archiving.ArchiveMiddleware": 960,
}
SPIDER_MIDDLEWARES = {
    "newscrawl.spidermiddlewares.SkipKnownMiddleware": 950,
}
ITEM_PIPELINES = {
    "newscrawl.pipelines.validate.ValidatePipeline": 100,
    "newscrawl.pipelines.dedupe.DedupePipeline": 500,
    "newscrawl.pipelines.store.JsonlStorePipeline": 800,
}
LOG_FORMATTER = "newscrawl.logformatter.NewsLogFormatter"
# `scrapy check`: contracts on what a user of the records relies on (newscrawl/contracts.py).
SPIDER_CONTRACTS = {
    "newscrawl.contracts.ListingInScope": 10,
    "newscrawl.contracts.DeclaredLayout": 10,
}

# The item pipelines are synchronous: Scrapy's default of 100 concurrent items only creates
# asyncio tasks for every callback's output (36 % of a crawl's CPU in
# benchmarks/bench_crawl.py). 16 measured 20-25 % faster than 100, and 4 another ~8 %.
CONCURRENT_ITEMS = 4

LOG_LEVEL = os.environ.get("NEWSCRAWL_LOG_LEVEL", "INFO")
LOGSTATS_INTERVAL = 60.0
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
