"""`scrapy reextract` (also `newscrawl reextract`): today's parsers over the archived pages.

    scrapy reextract [--only a,b] [--since D] [--until D] [--flags generic_body]
                     [--dry-run] [--include DIR ...]

Reads the WARC archive (newscrawl/archive.py), never the network or a mirror, and sends each
record through validate -> dedupe -> store: an unchanged record writes nothing, a changed one
becomes the next version of its article. Prints a progress line, a table per source, and
writes the report to <data>/runs/reextract/<run id>.json. Exit code: 0 done; 4 some archived
pages could not be read; 3 another re-extraction holds the lock; 6 the store failed.
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

from newscrawl import runs
from newscrawl.archive import archive_files, recover_open_files
from newscrawl.commands import (
    SetupChecked,
    comma_separated,
    quality_flags_option,
    survives_closed_pipe,
)
from newscrawl.config import setting
from newscrawl.lock import LockHeld, RunLock
from newscrawl.progress import wanted
from newscrawl.reextract import Comparison, plan, stored_records
from newscrawl.replay import PREFIX, ReextractSpider
from newscrawl.spiders.base import parse_day

OUTCOMES = ("replayed", "new", "changed", "unchanged")
logger = logging.getLogger(__name__)


class Command(SetupChecked, ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return ("[--only a,b] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--flags f,g] "
                "[--dry-run] [--include DIR ...]")

    def short_desc(self) -> str:
        return "Extract the archived pages again with today's parsers (no network)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--only", help="comma-separated sources")
        parser.add_argument("--since", help="pages fetched on or after this day (UTC)")
        parser.add_argument("--until", help="pages fetched on or before this day (UTC)")
        parser.add_argument(
            "--flags", default="",
            help="comma-separated quality flags (e.g. generic_body): only the pages of stored "
            "records carrying any of them",
        )
        parser.add_argument("--dry-run", action="store_true",
                            help="count what would change, write nothing")
        parser.add_argument(
            "--include", action="append", default=[], metavar="DIR",
            help="also read this data directory's archive and store (repeatable: other "
            "machines' data directories in distributed mode)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        try:
            self.since = parse_day(opts.since, "--since")
            self.until = parse_day(opts.until, "--until")
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if self.since and self.until and self.since > self.until:
            raise UsageError("--since must not be after --until")
        self.flags = quality_flags_option(opts.flags, "--flags")
        if args:
            raise UsageError(f"reextract takes no positional arguments (got {' '.join(args)}); "
                             "use --only a,b")
        self.include = [Path(d) for d in opts.include]
        for directory in self.include:
            if not directory.is_dir():
                raise UsageError(f"--include {directory}: not a directory")
        self.only = comma_separated(opts.only)
        unknown = sorted(set(self.only) - set(get_spider_loader(self.settings).list()))
        if unknown:
            raise UsageError(f"unknown sources: {', '.join(unknown)} (see `scrapy list`)")
        self.data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        if self.check_setup(self.settings, writes=not opts.dry_run, uses_mirror=False):
            return
        self.started = datetime.now(timezone.utc).replace(microsecond=0)
        self.run_id = self.started.strftime("%Y%m%dT%H%M%SZ")
        # Archived pages are not fetched: nothing here may throttle, retry or ask robots.txt.
        self.settings.set("NEWSCRAWL_ARCHIVE", "0", priority="cmdline")
        if not self.settings.get("LOG_FILE") and not opts.logfile:
            logs = self.data_dir / "logs"
            self.log_file: Path | None = logs / f"reextract-{self.run_id}.log"
            try:
                logs.mkdir(parents=True, exist_ok=True)
                self.settings.set("LOG_FILE", str(self.log_file), priority="cmdline")
            except OSError:
                self.log_file = None
        else:
            self.log_file = Path(self.settings.get("LOG_FILE") or opts.logfile)

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None
        include, only = self.include, self.only
        if self.said_setup_problem("reextract"):
            return
        lock = RunLock(self.data_dir / "state" / "reextract.lock")
        try:
            lock.acquire()
        except LockHeld as exc:
            print(f"reextract: {exc}; exiting", file=sys.stderr)
            self.exitcode = runs.EXIT_LOCKED
            return
        try:
            self.exitcode = self.reextract(opts, only or None, include)
        finally:
            lock.release()

    def reextract(self, opts: argparse.Namespace, only: list[str] | None,
                  include: list[Path]) -> int:
        assert self.crawler_process is not None
        for directory in (self.data_dir, *include):
            for recovered in recover_open_files(directory):
                print(f"reextract: recovered {recovered.path} left by a stopped run "
                      f"({recovered.cut_bytes} bytes of an unfinished record cut)")
        flags = self.flags
        stored = stored_records([self.data_dir, *include], only)
        selection = plan(self.data_dir, include=include, sources=only, since=self.since,
                         until=self.until, flags=flags, stored=stored)
        for source, problems in selection.damaged.items():
            for problem in problems:
                logger.warning("Archive record of %s not readable: %s", source, problem)
        loader = self.crawler_process.spider_loader
        sources = sorted({r.source for r in selection.replays}
                         | set(selection.not_archived) | set(selection.damaged))
        sites = {name: loader.load(name) for name in sources if name in loader.list()}
        mode = " (dry run: nothing is written)" if opts.dry_run else ""
        print(f"reextract {self.run_id}: {len(selection.replays):,} archived pages of "
              f"{len(sources)} sources{mode}" + (f" (log: {self.log_file})" if self.log_file
                                                 else ""), flush=True)
        comparison = Comparison(stored, dry_run=opts.dry_run)
        stats: dict[str, Any] = {}
        finish_reason = "finished"
        if selection.replays:
            crawler = self.crawler_process.create_crawler(ReextractSpider)
            self.crawler_process.crawl(crawler, replays=selection.replays, sites=sites,
                                       comparison=comparison, progress=wanted(self.settings))
            self.crawler_process.start()
            stats = crawler.stats.get_stats() if crawler.stats else {}
            finish_reason = stats.get("finish_reason") or "not_started"
        rows = [source_row(name, stats, selection) for name in sources]
        if not selection.replays and not opts.flags and not archive_files(self.data_dir):
            print(f"reextract: no archived pages under {self.data_dir / 'warc'} (pages are "
                  "archived by crawls with NEWSCRAWL_ARCHIVE on, the default)")
        failure = stats.get("newscrawl/storage_error") or (
            None if finish_reason == "finished" else f"finish reason {finish_reason}")
        code = runs.EXIT_OK
        if any(row["unreadable"] for row in rows):
            code = runs.EXIT_DEGRADED
        if failure:
            code = runs.EXIT_FAILED
        report = {
            "run_id": self.run_id,
            "started": self.started.isoformat(),
            "finished": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "dry_run": opts.dry_run,
            "selection": {"only": only, "since": opts.since, "until": opts.until,
                          "flags": flags or None, "include": [str(d) for d in include]},
            "pages": len(selection.replays),
            "finish_reason": finish_reason,
            "failure": failure,
            "exit_code": code,
            "log_file": str(self.log_file) if self.log_file else None,
            "sources": rows,
        }
        print(render(rows, opts.dry_run))
        if failure:
            print(f"reextract: failed: {failure}", file=sys.stderr)
        if opts.dry_run:
            print(f"exit code: {code}")
            return code
        path = self.data_dir / "runs" / "reextract" / f"{self.run_id}.json"
        return runs.save_report(path, report, code, "reextract")


def source_row(source: str, stats: dict[str, Any], selection: Any) -> dict[str, Any]:
    """One source's outcome from the run's stats."""
    prefix = f"{PREFIX}/{source}/"
    counts = {k[len(prefix):]: v for k, v in stats.items()
              if k.startswith(prefix) and isinstance(v, int)}
    dropped = {k[len("dropped/"):]: v for k, v in counts.items() if k.startswith("dropped/")}
    damaged = selection.damaged.get(source, [])
    unreadable = dropped.pop("archive_unreadable", 0) + len(damaged)
    return {
        "source": source,
        **{name: counts.get(name, 0) for name in OUTCOMES},
        "alias": counts.get("duplicate/alias", 0),
        "dropped": dict(sorted(dropped.items())),
        "unreadable": unreadable,
        "not_archived": selection.not_archived.get(source, 0),
        "damaged_records": damaged,
        "unknown_source": counts.get("unknown_source", 0),
        "parsers": {k[len("parser/"):]: v for k, v in counts.items() if k.startswith("parser/")},
    }


def render(rows: list[dict[str, Any]], dry_run: bool) -> str:
    changed = "would change" if dry_run else "changed"
    new = "would add" if dry_run else "new"
    table = [("source", "pages", new, changed, "unchanged", "dropped", "unreadable")]
    for row in rows:
        table.append((row["source"], row["replayed"], row["new"], row["changed"],
                      row["unchanged"], sum(row["dropped"].values()), row["unreadable"]))
    lines = runs.aligned(table)
    for row in rows:
        if row["dropped"]:
            why = ", ".join(f"{reason} {count}" for reason, count in row["dropped"].items())
            lines.append(f"{row['source']}: dropped: {why}")
        if row["not_archived"]:
            lines.append(f"{row['source']}: {row['not_archived']} selected records have no "
                         "archived page (crawled with NEWSCRAWL_ARCHIVE=0)")
        for problem in row["damaged_records"][:5]:
            lines.append(f"{row['source']}: archive record not readable: {problem}")
        if len(row["damaged_records"]) > 5:
            lines.append(f"{row['source']}: … {len(row['damaged_records']) - 5} more (see the "
                         "report)")
        if row["unknown_source"]:
            lines.append(f"{row['source']}: no spider of this name: "
                         f"{row['unknown_source']} pages left")
    return "\n".join(lines)
