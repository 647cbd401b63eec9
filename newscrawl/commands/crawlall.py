"""`scrapy crawlall`: every spider (or a subset) in one process, for cron.

One run at a time (a lock under data/state/), one log file per run under data/logs/, one JSON
report per run under data/runs/ plus a table on stdout, layout-drift monitors per source, and
an exit code that says the worst state of any source (see newscrawl/runs.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newscrawl import datadir, runs
from newscrawl.commands import SetupChecked, comma_separated, survives_closed_pipe
from newscrawl.config import setting
from newscrawl.lock import LockHeld, RunLock
from newscrawl.monitoring import SourceVerdict, source_verdict
from newscrawl.spiders.base import parse_day

logger = logging.getLogger(__name__)


class Command(SetupChecked, ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return ("[--only a,b] [--skip c] [--since YYYY-MM-DD [--until YYYY-MM-DD]] "
                "[--max-pages N] [--keep-days D]")

    def short_desc(self) -> str:
        return "Run every spider (or a subset) once, with a lock, a report and drift monitors"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--only", help="comma-separated spiders to run")
        parser.add_argument("--skip", help="comma-separated spiders to leave out")
        parser.add_argument("--since", help="backfill from this day (YYYY-MM-DD)")
        parser.add_argument("--until", help="backfill up to this day (YYYY-MM-DD)")
        parser.add_argument(
            "--max-pages", type=int,
            help="listing pages to read per listing, for every spider (default: each "
            "spider's own, 3 for most)",
        )
        parser.add_argument(
            "--keep-days", type=float, default=30,
            help="delete crawlall logs older than this many days (default 30)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if args:
            raise UsageError(f"crawlall takes no spider names (got {' '.join(args)}); "
                             "use --only a,b or --skip c")
        if opts.keep_days < 0:
            raise UsageError(f"--keep-days must be 0 or more, got {opts.keep_days:g}")
        self.selected = self.selection(opts)
        self.spider_args = self.arguments(opts)
        self.started = datetime.now(timezone.utc).replace(microsecond=0)
        self.run_id = self.started.strftime("%Y%m%dT%H%M%SZ")
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        self.data_dir = data_dir
        self.log_file: Path | None = None
        if self.check_setup(self.settings):
            if datadir.write_problem(data_dir) is None:
                self.log_file = data_dir / "logs" / f"crawlall-{self.run_id}.log"
            return
        logs = data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log_file = logs / f"crawlall-{self.run_id}.log"
        # Every run logs to a file of its own; stdout gets the summary table.
        if not self.settings.get("LOG_FILE"):
            self.settings.set("LOG_FILE", str(self.log_file), priority="cmdline")
        # A log file that cannot be written (a full disk) must not flood cron's mail with a
        # traceback per log line: the report says what failed.
        logging.raiseExceptions = False
        runs.prune(logs, "crawlall-*.log", opts.keep_days)

    def selection(self, opts: argparse.Namespace) -> list[str]:
        assert self.settings is not None
        available = sorted(get_spider_loader(self.settings).list())
        only, skip = comma_separated(opts.only), comma_separated(opts.skip)
        unknown = sorted(set(only + skip) - set(available))
        if unknown:
            raise UsageError(f"unknown spiders: {', '.join(unknown)} (see `scrapy list`)")
        selected = [n for n in (only or available) if n not in skip]
        if not selected:
            raise UsageError("no spider selected")
        return selected

    def arguments(self, opts: argparse.Namespace) -> dict[str, Any]:
        """The spider arguments of this run, checked against every selected spider."""
        assert self.settings is not None
        try:
            since, until = parse_day(opts.since, "--since"), parse_day(opts.until, "--until")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if until and not since:
            raise UsageError("--until needs --since")
        if since and until and since > until:
            raise UsageError(f"--since {since} is after --until {until}")
        spider_args: dict[str, Any] = {}
        if opts.since:
            spider_args["since"] = opts.since
            if opts.until:
                spider_args["until"] = opts.until
        if opts.max_pages is not None:
            spider_args["max_pages"] = opts.max_pages
        loader = get_spider_loader(self.settings)
        for name in self.selected:
            try:
                loader.load(name).check_arguments(dict(spider_args))
            except ValueError as exc:
                message = str(exc).replace("max_pages", "--max-pages")
                raise UsageError(f"{name}: {message}" if "first day" in message
                                 else message) from None
        return spider_args

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None
        message = self.said_setup_problem("crawlall")
        if message is not None:
            if self.exitcode != runs.EXIT_USAGE and self.log_file is not None:
                # The data directory works (it is a service that does not): report it.
                self.not_started(message, opts)
            return
        lock = RunLock(self.data_dir / "state" / "crawlall.lock")
        try:
            lock.acquire()
        except LockHeld as exc:
            print(f"crawlall: {exc}; exiting", file=sys.stderr)
            self.exitcode = runs.EXIT_LOCKED
            return
        try:
            if lock.stale:
                logger.warning("Previous run (pid %s, started %s) did not finish; took over its "
                               "lock", lock.stale.get("pid", "?"), lock.stale.get("started", "?"))
                print(f"crawlall: the previous run (pid {lock.stale.get('pid', '?')}, started "
                      f"{lock.stale.get('started', '?')}) did not finish; took over its lock")
            self.exitcode = self.crawl(self.selected, opts)
        finally:
            lock.release()

    def crawl(self, selected: list[str], opts: argparse.Namespace) -> int:
        assert self.crawler_process is not None
        spider_args = self.spider_args
        print(f"crawlall {self.run_id}: {', '.join(selected)} (log: {self.log_file})")
        crawlers = {}
        for name in selected:
            crawler = self.crawler_process.create_crawler(name)
            crawlers[name] = crawler
            self.crawler_process.crawl(crawler, **spider_args)
        self.crawler_process.start()

        history = runs.load_history(self.data_dir / "runs")
        sources = []
        for name, crawler in crawlers.items():
            verdict = crawler.get_extension(SourceVerdict) if started(crawler) else None
            if verdict is not None and verdict.report is not None:
                sources.append(verdict.report)
            elif started(crawler):
                sources.append(source_verdict(crawler, history.get(name, [])))
            else:  # its spider refused to start
                report = runs.source_report(name, {})
                report["finish_reason"] = "not_started"
                sources.append(runs.judge(report, history.get(name, [])))
        return self.finish(sources, opts)

    def finish(self, sources: list[dict[str, Any]], opts: argparse.Namespace) -> int:
        """Print the table, write the run report; the exit code."""
        code, path, problem = runs.finish_run(
            self.data_dir / "runs", self.run_id, self.started, sources, "crawlall",
            window={"since": opts.since, "until": opts.until} if opts.since else None,
            log_file=self.log_file)
        print(runs.render_table(sources))
        if problem:
            # The table above still reaches cron's mail; the exit code says the run failed.
            print(f"crawlall: {problem}", file=sys.stderr)
        else:
            print(f"report: {path}  exit code: {code}")
        return code

    def not_started(self, failure: str, opts: argparse.Namespace) -> int:
        """A run that could not start (Redis unreachable): every source failed, for that
        reason, in the table and the report, so `scrapy status` and cron's mail say it."""
        sources = []
        for name in self.selected:
            report = runs.source_report(name, {})
            report.update(finish_reason="not_started", failure=failure)
            sources.append(runs.judge(report, []))
        return self.finish(sources, opts)


def started(crawler: Any) -> bool:
    """Whether a crawler got as far as having stats (its spider did not refuse to start)."""
    try:
        return crawler.stats is not None
    except RuntimeError:
        return False
