"""`scrapy catchup` (also `newscrawl catchup`): read this data directory's store into the crawl
state and exit, without crawling.

Every crawl does this when it starts (the store is the truth; the ledger is an index over it).
On its own it is the operator's step after the shared Redis of distributed mode lost its data:
run it on every machine before the crawls resume, so that no machine fetches and stores again
what another machine's store already holds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from newscrawl import datadir, runs
from newscrawl.commands import survives_closed_pipe
from newscrawl.config import setting
from newscrawl.pipelines.guard import STORAGE_ERRORS
from newscrawl.state import CrawlState


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return ""

    def short_desc(self) -> str:
        return "Read this machine's stored records into the crawl state (ledger or Redis), no crawl"

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        redis_url = setting(self.settings, "NEWSCRAWL_REDIS_URL")
        problem = datadir.write_problem(data_dir)
        if problem:
            print(f"catchup: {problem}; {datadir.FIX}", file=sys.stderr)
            self.exitcode = runs.EXIT_FAILED
            return
        try:
            state = CrawlState.from_settings(self.settings)
        except STORAGE_ERRORS as exc:
            where = redis_url or str(data_dir / "state")
            print(f"catchup: cannot open the crawl state at {where}: {exc}", file=sys.stderr)
            self.exitcode = runs.EXIT_FAILED
            return
        try:
            where = redis_url or str(state.ledger.path)
            print(f"catchup: {state.reconciled} records of {data_dir / 'articles'} read into "
                  f"{where} ({state.ledger.count()} known in all)")
            if state.repaired_lines:
                print(f"  {state.repaired_lines} torn last lines cut")
            if state.corrupt_lines:
                print(f"  {state.corrupt_lines} lines that are not records skipped (see the log)")
            if state.ledger_moved is not None:
                print(f"  the ledger was damaged: moved to {state.ledger_moved} and rebuilt")
        finally:
            state.ledger.close()
