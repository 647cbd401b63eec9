"""`scrapy evaluate [--pages DIR] [--layouts on|off] [--json OUT] [--no-baseline]`: field
accuracy and body F1 on saved pages with expected records, ours next to trafilatura's.

Every `<name>.html` under the directory (recursively) that has a `<name>.expected.json`
beside it is a scored page; the expected file names the spider in `source` and the URL the
page was fetched from in `_fetched_from` (else `url`). A `source` that is no spider (a page
of another outlet) is read by the generic site: JSON-LD, meta and the generic body path.
Without `--pages` the gold set is scored: every such page under the project's
`tests/mirror/` and `tests/fixtures/`. Fields the expected file leaves out are not scored.

`--layouts off` switches every site's layouts off (everything else stays on: JSON-LD,
meta, the site's clean-up rules and hooks, the generic body path): it scores the fallback
paths alone, i.e. what a crawl keeps when a site's layout changes overnight.

Each page goes through the spider's article parser exactly as `scrapy extract` runs it, and
through `trafilatura.extract(html, url=…, with_metadata=True, output_format="json")`. Both
are scored with newscrawl/evaluation.py: exact match of title, authors, editors,
editor_codes, dateline and tags; published_at to the minute with the right UTC offset; the
body by the 4-gram shingle precision/recall/F1 of the ScrapingHub article-extraction
benchmark. trafilatura is scored on what it returns (title, author, date, text); its author
string is split on ";" and ",".

A table (sites as rows) goes to stdout, the full result (per page too) to a JSON file:
`--json OUT`, by default `<NEWSCRAWL_DATA_DIR>/evaluation/<UTC timestamp>.json`. A missing
directory, or one without expected files, is reported as skipped (exit 0); a page whose
spider is unknown or whose expected file is unreadable is listed as skipped, not fatal.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand

from newscrawl.commands import survives_closed_pipe
from newscrawl.commands.extract import extract_file
from newscrawl.config import setting
from newscrawl.evaluation import EXACT_FIELDS, PageScore, aggregate, score_record
from newscrawl.extraction import ExtractOptions, GenericSite

TRAFILATURA_FIELDS = ("title", "authors", "published_at")
EXPECTED_SUFFIX = ".expected.json"


def gold_dirs() -> list[Path]:
    """The project's own gold set: tests/mirror and tests/fixtures next to the package."""
    import newscrawl

    tests = Path(newscrawl.__file__).resolve().parent.parent / "tests"
    return [d for d in (tests / "mirror", tests / "fixtures") if d.is_dir()]


def find_pages(dirs: list[Path]) -> list[tuple[Path, Path]]:
    """(html, expected) pairs under ``dirs``: every `*.expected.json` with its `.html`."""
    pairs = []
    for base in dirs:
        for expected in sorted(base.rglob("*" + EXPECTED_SUFFIX)):
            html = expected.with_name(expected.name[: -len(EXPECTED_SUFFIX)] + ".html")
            pairs.append((html, expected))
    return pairs


def trafilatura_record(html: str, url: str) -> dict[str, Any]:
    """trafilatura's output as the fields we score (title, authors, published_at, body)."""
    import trafilatura

    raw = trafilatura.extract(html, url=url, with_metadata=True, output_format="json")
    data = json.loads(raw) if raw else {}
    author = data.get("author") or ""
    return {
        "title": data.get("title"),
        "authors": [a.strip() for a in re.split(r"[;,]", author) if a.strip()],
        "published_at": data.get("date"),
        "body": data.get("text") or "",
    }


def per_page_line(pages: list[dict[str, Any]], baseline: bool) -> str:
    """Mean per-page body F1, ours (and trafilatura's), and the pages where trafilatura's
    body scores higher than ours."""
    def f1(entry: dict[str, Any], who: str) -> float:
        body = (entry.get(who) or {}).get("body") or {}
        return float(body.get("f1") or 0.0)

    line = f"body F1 per page: mean ours {statistics.mean(f1(p, 'ours') for p in pages):.3f}"
    if not baseline:
        return line
    line += f", trafilatura {statistics.mean(f1(p, 'trafilatura') for p in pages):.3f}"
    behind = [p for p in pages if f1(p, "trafilatura") > f1(p, "ours") + 1e-9]
    line += f"; pages where trafilatura's body F1 is higher: {len(behind)}"
    for page in behind:
        line += (f"\n  {page['file']}: ours {f1(page, 'ours'):.3f}, "
                 f"trafilatura {f1(page, 'trafilatura'):.3f}")
    return line


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render_table(result: dict[str, Any], baseline: bool) -> str:
    """Sites as rows; per field ours (and trafilatura's next to it where it has one)."""
    columns: list[tuple[str, str, str | None, int]] = [
        # (header, field, baseline field or None, digits)
        ("title", "title", "title", 2),
        ("authors", "authors", "authors", 2),
        ("published", "published_at", "published_at", 2),
        ("editors", "editors", None, 2),
        ("ed.codes", "editor_codes", None, 2),
        ("dateline", "dateline", None, 2),
        ("tags", "tags", None, 2),
        ("body F1", "f1", "f1", 3),
        ("body P", "precision", "precision", 3),
        ("body R", "recall", "recall", 3),
    ]
    body_keys = {"f1", "precision", "recall"}

    def cell(summary: dict[str, Any] | None, key: str | None, digits: int) -> str:
        if summary is None or key is None:
            return "–"
        if key in body_keys:
            return _fmt(summary["body"][key], digits)
        return _fmt(summary["fields"].get(key), digits)

    header1, header2, widths = ["site", ""], ["", "pages"], [18, 5]
    for title, _key, other, digits in columns:
        w = digits + 2
        if baseline and other:
            header1.append(title)
            header2.append(f"{'ours':>{w}} {'traf':>{w}}")
            widths.append(2 * w + 1)
        else:
            header1.append(title)
            header2.append(f"{'ours':>{w}}")
            widths.append(max(w, len(title)))
    rows = []
    sites = result["ours"]["sites"]
    names = [*sites, "overall"]
    for name in names:
        ours = result["ours"]["overall"] if name == "overall" else sites[name]
        theirs = None
        if baseline:
            agg = result["trafilatura"]
            theirs = agg["overall"] if name == "overall" else agg["sites"].get(name)
        row = [name, str(ours["pages"])]
        for _title, key, other, digits in columns:
            w = digits + 2
            if baseline and other:
                row.append(f"{cell(ours, key, digits):>{w}} {cell(theirs, other, digits):>{w}}")
            else:
                row.append(f"{cell(ours, key, digits):>{w}}")
        rows.append(row)

    def line(parts: list[str], left: int = 1) -> str:
        out = []
        for i, (part, width) in enumerate(zip(parts, widths, strict=True)):
            out.append(f"{part:<{width}}" if i < left else f"{part:>{width}}")
        return "  ".join(out).rstrip()

    sep = "-" * len(line(header1))
    body = [line(r) for r in rows[:-1]]
    return "\n".join(
        [line(header1), line(header2), sep, *body, sep, line(rows[-1])]
    )


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--pages DIR] [--layouts on|off] [--json OUT] [--no-baseline]"

    def short_desc(self) -> str:
        return "Score extraction against pages with expected JSON (the gold set), vs trafilatura"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--pages",
            metavar="DIR",
            help="score the saved pages under DIR (<name>.html + <name>.expected.json) "
            "instead of the gold set",
        )
        parser.add_argument(
            "--json",
            metavar="OUT",
            help="write the result here (by default <NEWSCRAWL_DATA_DIR>/evaluation/<timestamp>.json)",
        )
        parser.add_argument(
            "--no-baseline", action="store_true", help="do not run trafilatura"
        )
        parser.add_argument(
            "--layouts", choices=("on", "off"), default="on",
            help="off: score the fallback paths alone (site layouts switched off; JSON-LD, "
            "meta, the sites' clean-up and the generic body path on)",
        )

    @survives_closed_pipe
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None and self.settings is not None
        if opts.pages:
            base = Path(opts.pages)
            if not base.is_dir():
                print(f"evaluate: no such directory: {base}; skipped (nothing scored)")
                return
            dirs = [base]
        else:
            dirs = gold_dirs()
            if not dirs:
                print("evaluate: no gold set found (tests/mirror, tests/fixtures); skipped; "
                      "use --pages DIR")
                return
        pairs = find_pages(dirs)
        where = ", ".join(str(d) for d in dirs)
        if not pairs:
            print(f"evaluate: no pages with {EXPECTED_SUFFIX} files under {where}; "
                  "skipped (nothing scored)")
            return

        baseline = not opts.no_baseline
        if baseline:
            try:
                import trafilatura  # noqa: F401
            except ImportError:
                print("evaluate: trafilatura is not installed; scoring without the baseline "
                      "(pip install -e '.[dev]')", file=sys.stderr)
                baseline = False
            # trafilatura logs every page it finds little text on.
            logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

        loader = self.crawler_process.spider_loader
        options = ExtractOptions(layouts=opts.layouts == "on")
        ours: list[PageScore] = []
        theirs: list[PageScore] = []
        pages: list[dict[str, Any]] = []
        skipped: list[dict[str, str]] = []
        timing = {"ours": 0.0, "trafilatura": 0.0}
        for html, expected_path in pairs:
            try:
                expected = json.loads(expected_path.read_text(encoding="utf-8"))
                site = expected["source"]
                url = expected.get("_fetched_from") or expected["url"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                skipped.append({"file": str(expected_path),
                                "reason": f"unreadable expected file: {exc!r}"})
                continue
            if not html.is_file():
                skipped.append({"file": str(expected_path), "reason": f"no page {html.name}"})
                continue
            try:
                spidercls = loader.load(site)
            except KeyError:
                # Another outlet: what a site file that declares nothing makes of it.
                spidercls = GenericSite

            record, error = None, None
            start = time.perf_counter()
            try:
                record = extract_file(spidercls, html, url, options)
            except Exception as exc:  # a broken page is a score of 0, not a crash
                error = f"{type(exc).__name__}: {exc}"
            timing["ours"] += time.perf_counter() - start
            score = score_record(site, expected, record, error=error)
            ours.append(score)
            entry: dict[str, Any] = {"file": str(html), "site": site, "url": url,
                                     "ours": score.as_dict()}
            if baseline:
                other, error = None, None
                start = time.perf_counter()
                try:
                    other = trafilatura_record(
                        html.read_bytes().decode("utf-8", errors="replace"), url
                    )
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                timing["trafilatura"] += time.perf_counter() - start
                score = score_record(site, expected, other, TRAFILATURA_FIELDS, error=error)
                theirs.append(score)
                entry["trafilatura"] = score.as_dict()
            pages.append(entry)

        for item in skipped:
            print(f"evaluate: skipped {item['file']}: {item['reason']}", file=sys.stderr)
        if not ours:
            print(f"evaluate: no page under {where} could be scored; skipped")
            return

        result: dict[str, Any] = {
            "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "pages_dirs": [str(d) for d in dirs],
            "gold_set": not opts.pages,
            "layouts": opts.layouts,
            "metric": {
                "fields": list(EXACT_FIELDS) + ["published_at"],
                "exact": "strings NFC + whitespace collapsed; lists in order",
                "published_at": "same local minute and same UTC offset",
                "body": "4-gram shingle precision/recall/F1, ScrapingHub "
                        "article-extraction-benchmark definition",
                "trafilatura_fields": [*TRAFILATURA_FIELDS, "body"],
            },
            "seconds": {k: round(v, 3) for k, v in timing.items() if k == "ours" or baseline},
            "ours": aggregate(ours),
            "trafilatura": aggregate(theirs) if baseline else None,
            "pages": pages,
            "skipped": skipped,
        }
        if opts.json:
            out = Path(opts.json)
        else:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            data_dir = Path(setting(self.settings, "NEWSCRAWL_DATA_DIR"))
            out = data_dir / "evaluation" / f"{stamp}.json"
        written, self.write_error = write_result(out, result)

        print(f"evaluate: {len(ours)} pages under {where}"
              + (f" ({len(skipped)} skipped)" if skipped else "")
              + ("; layouts off: fallback paths alone" if opts.layouts == "off" else ""))
        print(render_table(result, baseline))
        print(per_page_line(pages, baseline))
        n = len(ours)
        line = f"time: ours {timing['ours'] / n * 1000:.1f} ms/page"
        if baseline:
            line += f", trafilatura {timing['trafilatura'] / n * 1000:.1f} ms/page"
        print(line + " (one pass, includes warm-up; benchmarks/bench_extraction.py times properly)")
        if written:
            print(f"result: {out}")
        else:
            # The scores above still reach the terminal; the exit code says the file is missing.
            print(f"evaluate: could not write the result to {out}: {self.write_error}",
                  file=sys.stderr)
            self.exitcode = 6


def write_result(out: Path, result: dict) -> tuple[bool, str]:
    """Write the result atomically; (False, why) when the disk or the path refuses."""
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False, exc.strerror or str(exc)
    return True, ""
