"""`scrapy sample [--only a,b] [-n 5] [--seed S]` (also `newscrawl sample`): a few stored
articles drawn at random, to see what the store holds: source, date, title, URL and the first
lines of the body. `--json` prints the records."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl import runs
from newscrawl.commands import comma_separated, survives_closed_pipe
from newscrawl.config import setting
from newscrawl.storeview import ordered, sample

BODY_CHARS = 300


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--only a,b] [-n N] [--seed S] [--json]"

    def short_desc(self) -> str:
        return "Show a few stored articles drawn at random"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--only", help="comma-separated sources")
        parser.add_argument("-n", type=int, default=5, help="how many (default 5)")
        parser.add_argument("--seed", type=int, help="the same seed draws the same articles")
        parser.add_argument("--json", action="store_true", help="one JSON line per record")

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if args:
            raise UsageError(f"sample takes no positional arguments (got {' '.join(args)})")
        if opts.n < 1:
            raise UsageError(f"-n must be at least 1, got {opts.n}")
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        if not (data_dir / "articles").is_dir():
            print(f"sample: no store under {data_dir / 'articles'} (crawl first)",
                  file=sys.stderr)
            self.exitcode = runs.EXIT_FAILED
            return
        for record in sample(data_dir, opts.n, comma_separated(opts.only) or None, opts.seed):
            if opts.json:
                print(json.dumps(ordered(record), ensure_ascii=False))
                continue
            body = record.get("body") or ""
            lead = body[:BODY_CHARS] + ("…" if len(body) > BODY_CHARS else "")
            print(f"[{record['source']}] {record['published_at']}  {record.get('title')}")
            print(f"  {record['url']}")
            print(textwrap.indent(textwrap.fill(lead, 96), "  "))
            print()
