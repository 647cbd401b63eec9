"""`scrapy stats` (also `newscrawl stats`): what the store holds, without exporting.

Records per source and month, the date range, stories, updates, fill rates and quality flags,
read from the store (the latest version of each article). `--json` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from newscrawl import runs
from newscrawl.commands import comma_separated, plural, survives_closed_pipe
from newscrawl.config import setting
from newscrawl.storeview import store_stats, summaries


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--only a,b] [--json]"

    def short_desc(self) -> str:
        return "Records per source and month, fill rates and flags of the store"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--only", help="comma-separated sources")
        parser.add_argument("--json", action="store_true", help="print JSON")

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        articles = data_dir / "articles"
        if not articles.is_dir():
            print(f"stats: no store under {articles} (crawl first)", file=sys.stderr)
            self.exitcode = runs.EXIT_FAILED
            return
        problems: list[dict] = []
        result = store_stats(summaries(data_dir, comma_separated(opts.only) or None, problems))
        result["lines_not_records"] = len(problems)
        if opts.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return
        print(render(result, articles))
        if problems:
            first = problems[0]
            print(f"{plural(len(problems), 'line')} of the store are not records (first: "
                  f"{first['file']} line {first['line']}, {first['reason']})", file=sys.stderr)


def render(result: dict, articles: Path) -> str:
    if not result["records"]:
        return f"{articles}: no records"
    lines = [f"{articles}: {plural(result['records'], 'record')} "
             f"({plural(result['stories'], 'story', 'stories')}), published "
             f"{result['published_from'][:10]} to {result['published_to'][:10]}", ""]
    table = [("source", "records", "updated", "copies", "from", "to", "authors", "tags",
              "image", "archived", "flags")]
    for name, info in result["sources"].items():
        rates = info["fill_rates"]
        flags = ", ".join(f"{flag} {count}" for flag, count in info["quality_flags"].items())
        table.append((name, info["records"], info["updated"], info["story_copies"],
                      info["published_from"][:10], info["published_to"][:10],
                      f"{rates['authors']:.0%}", f"{rates['tags']:.0%}", f"{rates['image']:.0%}",
                      f"{rates['archive']:.0%}", flags or "-"))
    lines += runs.aligned(table)
    lines += ["", "records per month (all sources):"]
    months = list(result["months"].items())
    for start in range(0, len(months), 6):
        lines.append("  " + "   ".join(f"{m} {c:>6,}" for m, c in months[start:start + 6]))
    return "\n".join(lines)
