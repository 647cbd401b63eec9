"""Per-page extraction time: newscrawl's site parsers vs trafilatura, on the same pages.

Usage: python benchmarks/bench_extraction.py [--repeat N] [--realpages DIR]

Every gold page of the test suite (tests/mirror/*/articles and tests/fixtures) is parsed by
the spider that owns it (`extract_file`: decoding, selectors, JSON-LD, loader, normalisers)
and by `trafilatura.extract(..., with_metadata=True)`; both are timed on the same bytes.
Each set of pages is timed twice: with the sites' layouts (the known-layout path) and with
`--layouts off` (the fallback paths alone: JSON-LD, meta and the generic body extractor,
what a crawl runs on a page of a layout no site file declares). A last line times the
ArticleLoader (itemloaders) alone: the values one page's extraction adds, replayed.

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
from newscrawl.extraction import ExtractOptions, GenericSite  # noqa: E402
from newscrawl.loaders import ArticleLoader  # noqa: E402

LAYOUTS_OFF = ExtractOptions(layouts=False)

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


def other_outlet_page(directory: Path) -> SimpleNamespace | None:
    """The MediaIndonesia page (gzip, Fundus's test page), unpacked to a temporary file."""
    packed = directory / "mediaindonesia" / "MediaIndonesia_2026_01_20.html.gz"
    if not packed.is_file():
        return None
    import gzip
    import tempfile

    target = Path(tempfile.gettempdir()) / "newscrawl-bench-mediaindonesia.html"
    target.write_bytes(gzip.decompress(packed.read_bytes()))
    url = ("https://mediaindonesia.com/ekonomi/851796/dari-petani-hingga-pendidik-bangsa-begini"
           "-pesan-kuat-di-wisuda-igi-school-of-economics-jakarta-2025")
    return SimpleNamespace(spider="mediaindonesia", html=target, fetch_url=url)


def report(title: str, pages, paths: dict, theirs, repeat: int) -> None:
    """One table: each of our paths (name -> function) and trafilatura on the same pages."""
    their_times = time_per_page(theirs, pages, repeat)
    theirs_ms = statistics.median(their_times) * 1000
    kb = statistics.median(p.html.stat().st_size for p in pages) / 1024
    print(f"\n## {title}: {len(pages)} pages (median {kb:.0f} KB), {repeat} runs each")
    print(f"{'extractor':<26} {'median ms/page':>15} {'pages/s':>9} {'vs trafilatura':>15}")
    ours_by_path = {}
    for name, ours in paths.items():
        our_times = ours_by_path[name] = time_per_page(ours, pages, repeat)
        ours_ms = statistics.median(our_times) * 1000
        print(f"{name:<26} {ours_ms:>15.2f} {1000 / ours_ms:>9.0f} "
              f"{theirs_ms / ours_ms:>14.1f}x")
    print(f"{'trafilatura':<26} {theirs_ms:>15.2f} {1000 / theirs_ms:>9.0f}")
    known = ours_by_path.get("newscrawl (layouts)")
    if known:
        ratio = theirs_ms / (statistics.median(known) * 1000)
        verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
        print(f"known-layout speed ratio (newscrawl / trafilatura pages/s): {ratio:.1f}x "
              f"(target >= {TARGET_RATIO:.0f}x: {verdict})")
    fallback = ours_by_path.get("newscrawl (layouts off)")
    if fallback:
        slower = sum(mine > other for mine, other in zip(fallback, their_times, strict=True))
        print(f"fallback paths slower than trafilatura on {slower} of {len(pages)} pages "
              "(target: 0)")
    if len(pages) <= 10:
        for i, page in enumerate(pages):
            cells = "  ".join(
                f"{name.split()[-1].strip('()')} {times[i] * 1000:6.2f} ms"
                for name, times in ours_by_path.items()
            )
            print(f"  {page.html.name:<48} {page.html.stat().st_size / 1024:>5.0f} KB  "
                  f"{cells}  trafilatura {their_times[i] * 1000:6.2f} ms")


def loader_cost(pages, spiders, repeat: int) -> float:
    """Median ms per page of ArticleLoader alone: every add_value one extraction makes,
    replayed into a fresh loader, then load_item."""
    calls_per_page = []
    original = ArticleLoader.add_value
    for page in pages:
        calls: list[tuple[str, object]] = []

        def recording(self, field_name, value, *args, _calls=calls, **kwargs):
            _calls.append((field_name, value))
            return original(self, field_name, value, *args, **kwargs)

        ArticleLoader.add_value = recording
        try:
            extract_file(spiders.load(page.spider), page.html, page.fetch_url)
        finally:
            ArticleLoader.add_value = original
        calls_per_page.append(calls)

    def replay(calls):
        loader = ArticleLoader()
        for field_name, value in calls:
            loader.add_value(field_name, value)
        loader.load_item()

    times = []
    for calls in calls_per_page:
        replay(calls)
        start = time.perf_counter()
        for _ in range(repeat):
            replay(calls)
        times.append((time.perf_counter() - start) / repeat)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--realpages", type=Path, default=ROOT.parent / "shared" / "realpages",
                        help="directory of complete real pages with SOURCES.md (optional)")
    args = parser.parse_args()

    import trafilatura

    spiders = SpiderLoader.from_settings(get_project_settings())
    pages = gold_pages()

    def site_of(page):
        return spiders.load(page.spider) if page.spider in spiders.list() else GenericSite

    def ours(page):
        return extract_file(site_of(page), page.html, page.fetch_url)

    def fallback(page):
        return extract_file(site_of(page), page.html, page.fetch_url, LAYOUTS_OFF)

    paths = {"newscrawl (layouts)": ours, "newscrawl (layouts off)": fallback}

    def theirs(page):
        return trafilatura.extract(
            page.html.read_text(encoding="utf-8"), url=page.fetch_url, with_metadata=True,
            output_format="json",
        )

    print(f"machine: {machine()}")
    report("gold pages (tests/mirror, tests/fixtures)", pages, paths, theirs, args.repeat)
    real = real_pages(args.realpages, spiders) if args.realpages.is_dir() else []
    if real:
        report(f"real pages ({args.realpages})", real, paths, theirs, args.repeat)
    else:
        print(f"\nreal pages: {args.realpages} absent or without article pages; skipped")
    other = other_outlet_page(args.realpages)
    if other:
        report("a real page of an outlet no site file declares (generic site)", [other],
               {"newscrawl (layouts off)": fallback}, theirs, args.repeat)
    print(f"\nArticleLoader (itemloaders) alone: {loader_cost(pages, spiders, args.repeat):.3f} "
          "ms per gold page (median)")


if __name__ == "__main__":
    main()
