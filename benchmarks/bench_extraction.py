"""Per-page extraction time: newscrawl's site parsers vs trafilatura, on the same pages.

Usage: python benchmarks/bench_extraction.py [--repeat N]

Every gold page of the test suite (tests/mirror/*/articles and tests/fixtures) is parsed by
the spider that owns it (`extract_file`: response, selectors, JSON-LD, loader, normalisers)
and by `trafilatura.extract(..., with_metadata=True)`; both are timed on the same bytes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from _machine import machine  # noqa: E402
from conftest import gold_pages  # noqa: E402
from scrapy.spiderloader import SpiderLoader  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402

from newscrawl.commands.extract import extract_file  # noqa: E402


def time_per_page(func, pages, repeat: int) -> list[float]:
    per_page = []
    for page in pages:
        func(page)  # warm-up: imports and caches
        start = time.perf_counter()
        for _ in range(repeat):
            func(page)
        per_page.append((time.perf_counter() - start) / repeat)
    return per_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
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

    our_times = time_per_page(ours, pages, args.repeat)
    their_times = time_per_page(theirs, pages, args.repeat)
    ours_ms = statistics.median(our_times) * 1000
    theirs_ms = statistics.median(their_times) * 1000
    print(f"machine: {machine()}")
    print(f"pages: {len(pages)} gold pages, {args.repeat} runs each")
    print(f"{'extractor':<12} {'median ms/page':>15} {'pages/s':>9}")
    print(f"{'newscrawl':<12} {ours_ms:>15.2f} {1000 / ours_ms:>9.0f}")
    print(f"{'trafilatura':<12} {theirs_ms:>15.2f} {1000 / theirs_ms:>9.0f}")
    print(f"speed ratio (newscrawl / trafilatura pages/s): {theirs_ms / ours_ms:.1f}x")


if __name__ == "__main__":
    main()
