"""Every crawl judged: the source's report and its monitors, when the crawler's engine stops.

`SourceVerdict` (an extension in settings.py) builds the run report of a news spider's crawl
from its stats, runs the monitors against the source's earlier reports under `<data>/runs/`
(newscrawl/runs.py) and logs the verdict in one line, for every way a crawl is run:
`scrapy crawl` writes that report as a run of one source and exits with its code,
`crawlall` gathers its crawlers' reports into one run, and a script running a crawler reads
`crawler.get_extension(SourceVerdict).report`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl import runs
from newscrawl.config import setting

logger = logging.getLogger(__name__)


def source_verdict(crawler: Crawler, history: list[dict[str, Any]] | None = None
                   ) -> dict[str, Any]:
    """The judged report of `crawler`'s source; `history` (its earlier reports, newest first)
    is read from `<data>/runs/` when not given."""
    spider = crawler.spider
    name = spider.name if spider is not None else str(getattr(crawler.spidercls, "name", "?"))
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    report = runs.source_report(name, stats)
    # In distributed mode this process did only its share of each source's work.
    report["distributed"] = bool(setting(crawler.settings, "NEWSCRAWL_REDIS_URL"))
    # A backfill (or a crawl of a URL list) is judged against the pages it read, not against
    # hourly runs of the listings.
    report["backfill"] = bool(getattr(spider, "since", None)) or (
        getattr(spider, "url_list", None) is not None)
    if history is None:
        runs_dir = Path(setting(crawler.settings, "NEWSCRAWL_DATA_DIR")) / "runs"
        history = runs.load_history(runs_dir).get(name, [])
    return runs.judge(report, history)


class SourceVerdict:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.report: dict[str, Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceVerdict:
        extension = cls(crawler)
        # After spider_closed: every component has put its last figures in the stats.
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        from newscrawl.spiders.base import NewsSpider

        if not isinstance(self.crawler.spider, NewsSpider):
            return  # `scrapy reextract` reports per source itself
        try:
            self.report = source_verdict(self.crawler)
        except Exception:  # a report that cannot be made must not hide the crawl's end
            logger.exception("Could not judge the crawl of %s", self.crawler.spider.name)
            return
        failed = [m["detail"] for m in self.report["monitors"] if not m["passed"]]
        why = self.report.get("failure") or "; ".join(failed)
        level = logging.INFO if self.report["status"] == "healthy" else logging.WARNING
        logger.log(level, "%s: %s%s", self.report["source"], self.report["status"],
                   f": {why}" if why else "")
