"""`scrapy show <id|url>` (also `newscrawl show`): one stored record, pretty.

The latest version of the article with that record id (`detikinet:7301234`) or URL; with
`--all-versions` every stored version, oldest first. Exit 1 when the store holds no such
article.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.commands import survives_closed_pipe
from newscrawl.config import setting
from newscrawl.storeview import find, ordered


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "<record id | url> [--all-versions] [--json]"

    def short_desc(self) -> str:
        return "Print one stored record (its latest version) by id or URL"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--all-versions", action="store_true",
                            help="every stored version, oldest first")
        parser.add_argument("--json", action="store_true", help="one JSON line per record")

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) != 1:
            raise UsageError("give one record id (source:id) or URL")
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        versions = find(data_dir, args[0])
        if not versions:
            print(f"show: no stored article {args[0]!r} under {data_dir / 'articles'}",
                  file=sys.stderr)
            self.exitcode = 1
            return
        shown = versions if opts.all_versions else versions[-1:]
        for record in shown:
            if opts.json:
                print(json.dumps(ordered(record), ensure_ascii=False))
            else:
                print(f"# {record['id']}: version {record.get('version') or 1} of "
                      f"{len(versions)}", file=sys.stderr)
                print(json.dumps(ordered(record), ensure_ascii=False, indent=2))
