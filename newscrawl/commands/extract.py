"""`scrapy extract <spider> <file.html> --url <original-url> [--layouts off]`: the record of a
saved page.

Runs the spider's article parser on a file, exactly as a crawl would (the same
`extract_record`, decoding the bytes as Scrapy decodes a response), and prints the record as
JSON, before validation, dedupe and storage. Used to debug a page and to re-extract archived
pages. `--layouts off` switches the site's layouts off, to see what the fallback paths
(JSON-LD, meta, the generic body extractor) make of the page.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.http import HtmlResponse

from newscrawl.commands import survives_closed_pipe
from newscrawl.extraction import ExtractOptions, SiteParser
from newscrawl.extraction.parser import DEFAULT_OPTIONS
from newscrawl.loaders import complete_record
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.base import page_of


def extract_file(
    site: type[SiteParser] | SiteParser,
    path: Path,
    url: str,
    options: ExtractOptions = DEFAULT_OPTIONS,
) -> dict:
    """The record `site` makes of the page saved at `path` (as if fetched from `url`),
    decoded as a crawl decodes the response (BOM, meta charset, mislabelled bytes)."""
    page = page_of(HtmlResponse(url=url, body=path.read_bytes()))
    parser = site() if isinstance(site, type) else site
    return complete_record(parser.extract_article(page, options))


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "<spider> <file.html> --url <original-url>"

    def short_desc(self) -> str:
        return "Print the record a spider extracts from a saved article page, as JSON"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--url", required=True, help="URL the page was fetched from")
        parser.add_argument("--compact", action="store_true", help="one line of JSON")
        parser.add_argument(
            "--layouts", choices=("on", "off"), default="on",
            help="off: the site's layouts switched off (JSON-LD, meta and the generic body "
            "path alone)",
        )

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 2:
            raise UsageError("expected a spider name and a file")
        name, file = args
        path = Path(file)
        if not path.is_file():
            raise UsageError(f"no such file: {file}")
        assert self.crawler_process is not None
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError as exc:
            raise UsageError(f"unknown spider: {name}") from exc
        options = ExtractOptions(layouts=opts.layouts == "on")
        record = extract_file(spidercls, path, opts.url, options)
        indent = None if opts.compact else 2
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=indent) + "\n")
        reason = missing_reason(record)
        if reason:
            sys.stderr.write(f"this record would be dropped: {reason}\n")
            self.exitcode = 1
