"""`scrapy export`: a dataset from the store (latest version of each article)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newscrawl import runs
from newscrawl.commands import comma_separated, plural, quality_flags_option, survives_closed_pipe
from newscrawl.config import setting
from newscrawl.export import FORMATS, SAFE_NAME, URLS_FORMAT, ExportFolderNotEmpty, export
from newscrawl.progress import wanted
from newscrawl.spiders.base import parse_day


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return (
            "[--format jsonl,csv,parquet] [--out DIR] [--only a,b] [--since D] [--until D] "
            "[--unique-stories] [--exclude-flags f,g] [--split] [--include DIR ...] [--force] "
            "[--include-reserved] [--license L] [--urls-only]"
        )

    def short_desc(self) -> str:
        return "Write a dataset (JSONL, CSV, Parquet) of the latest version of each stored article"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", default="jsonl", help="comma-separated: jsonl,csv,parquet")
        parser.add_argument("--out", help="output directory (default <data>/exports/<name>)")
        parser.add_argument("--name", default="articles", help="file name stem")
        parser.add_argument("--only", help="comma-separated sources")
        parser.add_argument("--since", help="first publish day (YYYY-MM-DD)")
        parser.add_argument("--until", help="last publish day (YYYY-MM-DD)")
        parser.add_argument(
            "--unique-stories", action="store_true",
            help="leave out later copies of a story (records with duplicate_of)",
        )
        parser.add_argument(
            "--include", action="append", default=[], metavar="DIR",
            help="also read the store of this data directory (repeatable: other machines' "
            "data directories in distributed mode)",
        )
        parser.add_argument(
            "--exclude-flags", default="",
            help="comma-separated quality flags (e.g. partial_body,short_body,mojibake): "
            "leave out records carrying any of them",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="replace an earlier export in the output folder (only the files it wrote)",
        )
        parser.add_argument(
            "--split", action="store_true",
            help="add a train/dev/test column assigned by story (80/10/10)",
        )
        parser.add_argument(
            "--include-reserved", action="store_true",
            help="also export records whose publishers reserve text and data mining (their "
            "`rights`: TDMRep, robots.txt rules for AI crawlers, printed notices); left out by "
            "default, and the datasheet says how many",
        )
        parser.add_argument(
            "--license", default="other",
            help="the license you declare for the dataset, for the dataset card (default "
            "'other', with the rights summary)",
        )
        parser.add_argument(
            "--urls-only", action="store_true",
            help="write <name>.urls.jsonl (id, source, url, published_at, content_hash per "
            "record) instead of the texts, for `scrapy rehydrate`",
        )

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        formats = comma_separated(opts.format)
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown or not formats:
            raise UsageError(f"formats are {', '.join(FORMATS)}; got {opts.format!r}")
        if opts.urls_only:
            if opts.format != "jsonl":
                raise UsageError("--urls-only writes a URL list, not --format "
                                 f"{opts.format}")
            formats = [URLS_FORMAT]
        try:
            since, until = parse_day(opts.since, "--since"), parse_day(opts.until, "--until")
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if since and until and since > until:
            raise UsageError(f"--since {since} is after --until {until}")
        data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
        for directory in (data_dir, *map(Path, opts.include)):
            if not (directory / "articles").exists():
                raise UsageError(f"no stored articles under {directory}/articles (crawl first)")
        if not SAFE_NAME.fullmatch(opts.name):
            raise UsageError(f"--name {opts.name!r}: letters, digits, '.', '_' and '-' only "
                             "(the files go into the output folder)")
        exclude_flags = quality_flags_option(opts.exclude_flags, "--exclude-flags")
        out = Path(opts.out) if opts.out else data_dir / "exports" / opts.name
        sources = comma_separated(opts.only)
        known = set(get_spider_loader(self.settings).list()) | {
            p.name for d in (data_dir, *map(Path, opts.include))
            for p in (d / "articles").iterdir() if p.is_dir()}
        unknown = sorted(set(sources) - known)
        if unknown:
            raise UsageError(f"unknown sources: {', '.join(unknown)} (see `scrapy list`)")
        try:
            manifest = export(
                data_dir, out, formats, sources=sources, since=since, until=until,
                unique_stories=opts.unique_stories, with_split=opts.split, name=opts.name,
                exclude_flags=exclude_flags, include_reserved=opts.include_reserved,
                license=opts.license,
                include=[Path(d) for d in opts.include], force=opts.force,
                command=["scrapy", "export", *sys.argv[2:]],
                progress=(lambda line: print(line, file=sys.stderr, flush=True))
                if wanted(self.settings) else None,
            )
        except ExportFolderNotEmpty as exc:
            raise UsageError(str(exc)) from None
        except (OSError, RuntimeError) as exc:  # a full disk, an unreadable store, a lost worker
            print(f"export failed: {exc}; the files it had begun in {out} were removed",
                  file=sys.stderr)
            self.exitcode = runs.EXIT_FAILED
            return
        if manifest["records"]:
            print(f"{plural(manifest['records'], 'record')} "
                  f"({plural(manifest['stories'], 'story', 'stories')}) from "
                  f"{plural(len(manifest['by_source']), 'source')}, published "
                  f"{manifest['published_from']} to {manifest['published_to']}")
        else:
            print("0 records: nothing in the store matches the selection (the files are written "
                  "empty)")
        rights = manifest["rights"]
        if rights["include_reserved"] and rights["reserved_written"]:
            print(f"  included on request: {plural(rights['reserved_written'], 'record')} whose "
                  "publishers reserve text and data mining")
        elif rights["reserved_left_out"]:
            print(f"  left out: {plural(rights['reserved_left_out'], 'record')} whose publishers "
                  "reserve text and data mining (--include-reserved includes them)")
        corrupt = manifest["corrupt_lines"]
        if corrupt["count"]:
            first = corrupt["first"][0]
            print(f"  {corrupt['count']} stored lines are not records and were skipped (first: "
                  f"{first['file']} line {first['line']}, {first['reason']}; all in the manifest)",
                  file=sys.stderr)
        for file, info in manifest["files"].items():
            print(f"  {out / file}  {info['bytes']} bytes  sha256 {info['sha256'][:16]}…")
        print(f"  {out / (opts.name + '.manifest.json')}")
        print(f"  {out / (opts.name + '.sha256')}  (check: cd {shlex.quote(str(out))} && sha256sum -c "
              f"{opts.name}.sha256)")
