"""`scrapy status` (also `newscrawl status`): each source's state over the recent crawlall runs,
for operators and monitoring scripts, without starting a crawl.

It reads the run reports under data/runs/ only. The exit code is the worst state in the last
run (the same codes as crawlall), or 7 when that run is older than `--max-age-hours`: a
monitoring check that also notices when cron stopped running the crawl at all.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scrapy.commands import ScrapyCommand

from newscrawl import runs
from newscrawl.commands import plural, survives_closed_pipe
from newscrawl.config import setting
from newscrawl.ledger_protocol import parse_iso


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--max-age-hours H]"

    def short_desc(self) -> str:
        return "Show each source's state over the recent crawlall runs (exit code for monitoring)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--max-age-hours", type=float,
            help="exit 7 when the last run finished longer ago than this",
        )

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        reports = runs.load_runs(data_dir / "runs")
        if not reports:
            print(f"no crawlall runs recorded under {data_dir / 'runs'}")
            self.exitcode = runs.EXIT_STALE if opts.max_age_hours is not None else runs.EXIT_OK
            return
        names = sorted(self.crawler_process.spider_loader.list())
        rows = [runs.source_status(name, reports) for name in names]
        self.exitcode = runs.exit_code(reports[0].get("sources", []))  # also if stdout closes
        print(f"last run {reports[0].get('run_id')} finished {reports[0].get('finished')}; "
              f"{plural(len(reports), 'run')} read")
        print(runs.render_status(rows))
        if opts.max_age_hours is not None:
            finished = parse_iso(reports[0].get("finished"))
            if finished is None:
                print("stale: the last run report has no finish time")
                self.exitcode = runs.EXIT_STALE
                return
            age = datetime.now(timezone.utc) - finished
            if age > timedelta(hours=opts.max_age_hours):
                print(f"stale: the last run finished {age.total_seconds() / 3600:.1f} hours ago "
                      f"(limit {opts.max_age_hours:g})")
                self.exitcode = runs.EXIT_STALE
