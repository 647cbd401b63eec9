"""`scrapy rehydrate FILE` (also `newscrawl rehydrate`): rebuild a dataset from its URL list.

    scrapy rehydrate articles.urls.jsonl [--only a,b]

FILE is what `scrapy export --urls-only` writes (or one URL a line). Each source's spider
fetches exactly its URLs (`-a urls=FILE`: robots.txt, delays and retries as in any crawl) and
the records go through the usual pipelines into the data directory. Then every URL is
compared with the list: `same` (the stored text has the published content hash), `changed`,
`fetched` (the list had no hash), or `gone` (nothing stored: not found, refused, no longer an
article; the reasons per source are in the table). A table on stdout and a report under
`<data>/runs/rehydrate/`. Exit code: 0 every URL same or fetched; 4 some changed or gone;
2 a usage error (an unreadable list, an unknown source); 6 a source's crawl failed.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newscrawl import runs
from newscrawl.commands import SetupChecked, comma_separated, survives_closed_pipe
from newscrawl.config import setting
from newscrawl.monitoring import SourceVerdict
from newscrawl.state import CrawlState
from newscrawl.urllist import OUTCOMES, UrlListError, outcome, read_url_list


class Command(SetupChecked, ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "FILE [--only a,b]"

    def short_desc(self) -> str:
        return "Fetch the articles of a URL list (export --urls-only) and compare their hashes"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--only", help="comma-separated sources of the list to fetch")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if len(args) != 1:
            raise UsageError("give one URL list (what `scrapy export --urls-only` writes)")
        self.list_path = Path(args[0])
        try:
            entries = read_url_list(self.list_path)
        except UrlListError as exc:
            raise UsageError(str(exc)) from None
        loader = get_spider_loader(self.settings)
        available = sorted(loader.list())
        only = comma_separated(opts.only)
        named = sorted({e.source for e in entries if e.source} | set(only))
        unknown = [name for name in named if name not in available]
        if unknown:
            raise UsageError(f"unknown sources: {', '.join(unknown)} (see `scrapy list`)")
        self.plan: dict[str, list[Any]] = {}
        for name in only or available:
            spider = loader.load(name)(urls=str(self.list_path))
            if spider.url_list:
                self.plan[name] = spider.url_list
        claimed = {id(e) for listed in self.plan.values() for e in listed}
        unclaimed = [e for e in entries if id(e) not in claimed and e.source is None]
        if not self.plan:
            raise UsageError(f"{self.list_path}: no URL of {', '.join(only) or 'any source'}")
        self.unclaimed = len(unclaimed)
        self.check_setup(self.settings)

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None and self.settings is not None
        if self.said_setup_problem("rehydrate"):
            return
        started = datetime.now(timezone.utc).replace(microsecond=0)
        crawlers = {}
        for name in self.plan:
            crawler = self.crawler_process.create_crawler(name)
            crawlers[name] = crawler
            self.crawler_process.crawl(crawler, urls=str(self.list_path))
        self.crawler_process.start()

        state = CrawlState.from_settings(self.settings)
        sources = []
        try:
            for name, entries in self.plan.items():
                spider = crawlers[name].spider
                counts: Counter[str] = Counter()
                differing = []
                for entry in entries:
                    known = (state.ledger.known(record_id=entry.id) if entry.id else None) or \
                        state.ledger.known(url=spider.canonicalize(entry.url))
                    result = outcome(entry, known.content_hash if known else None)
                    counts[result] += 1
                    if result in ("changed", "gone"):
                        differing.append({"url": entry.url, "id": entry.id, "outcome": result})
                verdict = crawlers[name].get_extension(SourceVerdict)
                report = verdict.report if verdict is not None else None
                sources.append({
                    "source": name, "urls": len(entries),
                    **{key: counts[key] for key in OUTCOMES},
                    "status": report["status"] if report else "failed",
                    "requests": (report or {}).get("requests", 0),
                    "links": ((report or {}).get("discovery") or {}).get("links", {}),
                    "why_gone": {**(report or {}).get("fetch_failed", {}),
                                 **(report or {}).get("dropped", {})},
                    "differing": differing,
                })
        finally:
            state.close()
        self.exitcode = self.finish(started, sources)

    def finish(self, started: datetime, sources: list[dict[str, Any]]) -> int:
        rows = [("source", "urls", *OUTCOMES, "why gone")]
        for s in sources:
            why = ", ".join(f"{k} {v}" for k, v in sorted(s["why_gone"].items())) or "-"
            rows.append((s["source"], s["urls"], *(s[k] for k in OUTCOMES), why))
        print("\n".join(runs.aligned(rows)))
        if self.unclaimed:
            print(f"rehydrate: {self.unclaimed} URLs of the list belong to no spider; not fetched")
        if any(s["status"] == "failed" for s in sources):
            code = runs.EXIT_FAILED
        elif any(s["changed"] or s["gone"] for s in sources) or self.unclaimed:
            code = runs.EXIT_DEGRADED
        else:
            code = runs.EXIT_OK
        assert self.settings is not None
        path = (Path(setting(self.settings, "NEWSCRAWL_DATA_DIR")) / "runs" / "rehydrate"
                / f"{started:%Y%m%dT%H%M%SZ}.json")
        report = {"list": str(self.list_path), "started": started.isoformat(), "exit_code": code,
                  "unclaimed": self.unclaimed, "sources": sources}
        return runs.save_report(path, report, code, "rehydrate")
