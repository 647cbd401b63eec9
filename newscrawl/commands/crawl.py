"""`scrapy crawl <spider>`: Scrapy's command, with every mistake said in one line before
anything starts, and the crawl judged as `crawlall` judges it.

Checked first: the spider name, the spider arguments (`-a since/until/max_pages`: their form,
the window, unknown names), the mirror directory and the data directory. After the crawl its
source report and monitors (newscrawl/monitoring.py) are written to `<data>/runs/` as a run of
one source, and the verdict table goes to stderr (stdout may carry a `-o -` feed).
Exit codes as crawlall's: 0 healthy; 2 a usage error (one line on stderr, Scrapy's usage line
above it); 4 degraded; 5 blocked; 6 failed, or the data directory cannot be written; 1 the
crawl could not start (Scrapy's own code).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newscrawl import runs
from newscrawl.commands import SetupChecked, survives_closed_pipe
from newscrawl.config import setting
from newscrawl.monitoring import SourceVerdict


class Command(SetupChecked, ScrapyCrawl):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if len(args) != 1:
            raise UsageError("give one spider name (see `scrapy list`)" if not args else
                             f"one spider at a time, got {' '.join(args)} (crawlall --only a,b "
                             "runs several)")
        loader = get_spider_loader(self.settings)
        if args[0] not in loader.list():
            raise UsageError(f"unknown spider {args[0]!r} (see `scrapy list`)")
        check = getattr(loader.load(args[0]), "check_arguments", None)
        if check is not None:
            try:
                check(dict(opts.spargs))
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        self.check_setup(self.settings)

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None and self.settings is not None
        if self.said_setup_problem("crawl"):
            return
        started = datetime.now(timezone.utc).replace(microsecond=0)
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        verdict = crawler.get_extension(SourceVerdict)
        if verdict is None or verdict.report is None:
            return  # SourceVerdict switched off in EXTENSIONS: Scrapy's behaviour
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        spider = verdict.report["source"]
        self.exitcode, path, problem = runs.finish_run(
            data_dir / "runs", f"{started:%Y%m%dT%H%M%SZ}-{spider}", started, [verdict.report],
            "crawl", window={"since": opts.spargs.get("since"), "until": opts.spargs.get("until")}
            if opts.spargs.get("since") else None,
            log_file=Path(self.settings["LOG_FILE"]) if self.settings.get("LOG_FILE") else None)
        print(runs.render_table([verdict.report]), file=sys.stderr)
        print(f"crawl: {problem}" if problem else f"report: {path}  exit code: {self.exitcode}",
              file=sys.stderr)
