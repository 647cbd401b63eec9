"""Scrapy settings for newscrawl: polite defaults, and the components wired in.

Every NEWSCRAWL_* setting can also be given as an environment variable of the same name, so a
crontab line or a shell can set them without editing files; `-s NAME=value` still wins.
"""

import os

from newscrawl.config import LOG_LEVEL_VARIABLE, from_environment
from newscrawl.items import FIELD_ORDER

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
COMMANDS_MODULE = "newscrawl.commands"

# --- newscrawl's own settings -------------------------------------------------------------
# Declared once, with their defaults and meanings, in newscrawl/config.py; the environment
# variable of the same name overrides the default here, `-s NAME=value` overrides both.
globals().update(from_environment(os.environ))

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
# Each acts only when its setting is given: the offline mirror / loopback handler
# (NEWSCRAWL_MIRROR, NEWSCRAWL_HOST_OVERRIDE) and distributed mode (NEWSCRAWL_REDIS_URL).
ADDONS = {
    "newscrawl.addons.OfflineMirror": 100,
    "newscrawl.addons.Distributed": 200,
}
DOWNLOADER_MIDDLEWARES = {
    # Replaces Scrapy's RetryMiddleware: same retries, plus backoff that honours Retry-After.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.middlewares.BackoffRetryMiddleware": 550,
    # Under the retries: an unreachable robots.txt, once retried, disallows the host (RFC 9309).
    "newscrawl.middlewares.RobotsUnreachableMiddleware": 540,
    # After robots.txt (100): the host's TDMRep rules and robots.txt's rules for AI crawlers.
    "newscrawl.middlewares.HostRightsMiddleware": 120,
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
EXTENSIONS = {
    # Every crawl's source report and drift monitors, when its engine stops.
    "newscrawl.monitoring.SourceVerdict": 600,
    # A progress line per source on a terminal (NEWSCRAWL_PROGRESS; quiet under cron).
    "newscrawl.progress.Progress": 500,
}
# `scrapy check`: contracts on what a user of the records relies on (newscrawl/contracts.py).
SPIDER_CONTRACTS = {
    "newscrawl.contracts.ListingInScope": 10,
    "newscrawl.contracts.DeclaredLayout": 10,
}

# The item pipelines are synchronous: Scrapy's default of 100 concurrent items only creates
# asyncio tasks for every callback's output (36 % of a crawl's CPU in
# benchmarks/bench_crawl.py). 16 measured 20-25 % faster than 100, and 4 another ~8 %.
CONCURRENT_ITEMS = 4

LOG_LEVEL = os.environ.get(LOG_LEVEL_VARIABLE) or "INFO"
LOGSTATS_INTERVAL = 60.0
FEED_EXPORT_ENCODING = "utf-8"
# `-o items.jsonl` / `-o items.csv`: every field of the record, in the stored order; CSV as
# `scrapy export` writes it (newscrawl/feeds.py).
FEED_EXPORT_FIELDS = list(FIELD_ORDER)
FEED_EXPORTERS = {"csv": "newscrawl.feeds.RecordCsvExporter"}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
