"""`scrapy crawl <spider>`: Scrapy's command, with every mistake said in one line before
anything starts.

Checked first: the spider name, the spider arguments (`-a since/until/max_pages`: their form,
the window, unknown names), the mirror directory and the data directory. Exit codes: 0 the crawl
ran; 2 a usage error (one line on stderr, Scrapy's usage line above it); 6 the data directory
cannot be written; 1 the crawl could not start (Scrapy's own code).
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newscrawl.commands import setup_problem


class Command(ScrapyCrawl):
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
        self.problem = setup_problem(self.settings)
        if self.problem:
            # Said in one line by run(); nothing is started or logged.
            self.settings.set("LOG_ENABLED", False, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if self.problem:
            self.exitcode, message = self.problem
            print(f"crawl: {message}", file=sys.stderr)
            return
        super().run(args, opts)
