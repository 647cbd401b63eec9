"""Per-page extraction time: newscrawl's site parsers vs trafilatura, on the same pages.

Usage: python benchmarks/bench_extraction.py [--repeat N] [--realpages DIR]

Every gold page of the test suite (tests/mirror/*/articles and tests/fixtures) is parsed by
the spider that owns it (`extract_file`: response, selectors, JSON-LD, loader, normalisers)
and by `trafilatura.extract(..., with_metadata=True)`; both are timed on the same bytes.

The gold pages are small (3-9 KB: the article markup without the outlets' navigation, ads and
scripts). When ../shared/realpages is there, its complete article pages as the sites served
them (140-330 KB) are timed the same way in a second table (skipped when absent; the spider
is the one whose `article_url` matches the page's original URL in SOURCES.md).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from _machine import machine  # noqa: E402
from conftest import gold_pages  # noqa: E402
from scrapy.spiderloader import SpiderLoader  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402

from newscrawl.commands.extract import extract_file  # noqa: E402

TARGET_RATIO = 10.0


def time_per_page(func, pages, repeat: int) -> list[float]:
    per_page = []
    for page in pages:
        func(page)  # warm-up: imports and caches
        start = time.perf_counter()
        for _ in range(repeat):
            func(page)
        per_page.append((time.perf_counter() - start) / repeat)
    return per_page


def real_pages(directory: Path, spiders: SpiderLoader) -> list[SimpleNamespace]:
    """Complete article pages listed in `directory`/SOURCES.md with their original URL."""
    sources = directory / "SOURCES.md"
    if not sources.is_file():
        return []
    pages = []
    for line in sources.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[2] != "article" or not re.match(r"https?://", cells[3]):
            continue
        html, url = directory / cells[0], cells[3]
        owner = [n for n in spiders.list() if spiders.load(n).article_url.search(url)]
        if html.is_file() and owner:
            pages.append(SimpleNamespace(spider=owner[0], html=html, fetch_url=url))
    return pages


def report(title: str, pages, ours, theirs, repeat: int) -> None:
    our_times = time_per_page(ours, pages, repeat)
    their_times = time_per_page(theirs, pages, repeat)
    ours_ms = statistics.median(our_times) * 1000
    theirs_ms = statistics.median(their_times) * 1000
    kb = statistics.median(p.html.stat().st_size for p in pages) / 1024
    ratio = theirs_ms / ours_ms
    print(f"\n## {title}: {len(pages)} pages (median {kb:.0f} KB), {repeat} runs each")
    print(f"{'extractor':<12} {'median ms/page':>15} {'pages/s':>9}")
    print(f"{'newscrawl':<12} {ours_ms:>15.2f} {1000 / ours_ms:>9.0f}")
    print(f"{'trafilatura':<12} {theirs_ms:>15.2f} {1000 / theirs_ms:>9.0f}")
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    print(f"speed ratio (newscrawl / trafilatura pages/s): {ratio:.1f}x "
          f"(target >= {TARGET_RATIO:.0f}x: {verdict})")
    if len(pages) <= 10:
        for page, mine, other in zip(pages, our_times, their_times, strict=True):
            print(f"  {page.html.name:<48} {page.html.stat().st_size / 1024:>5.0f} KB  "
                  f"newscrawl {mine * 1000:6.2f} ms  trafilatura {other * 1000:6.2f} ms  "
                  f"{other / mine:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--realpages", type=Path, default=ROOT.parent / "shared" / "realpages",
                        help="directory of complete real pages with SOURCES.md (optional)")
    args = parser.parse_args()

    import trafilatura

    spiders = SpiderLoader.from_settings(get_project_settings())
    pages = gold_pages()

    def ours(page):
        return extract_file(spiders.load(page.spider), page.html, page.fetch_url)

    def theirs(page):
        return trafilatura.extract(
            page.html.read_text(encoding="utf-8"), url=page.fetch_url, with_metadata=True,
            output_format="json",
        )

    print(f"machine: {machine()}")
    report("gold pages (tests/mirror, tests/fixtures)", pages, ours, theirs, args.repeat)
    real = real_pages(args.realpages, spiders) if args.realpages.is_dir() else []
    if real:
        report(f"real pages ({args.realpages})", real, ours, theirs, args.repeat)
    else:
        print(f"\nreal pages: {args.realpages} absent or without article pages; skipped")


if __name__ == "__main__":
    main()
