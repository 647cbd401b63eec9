"""The WARC archive's cost: size per 1,000 articles, crawl speed with and without it, and the
speed of `scrapy reextract`.

    python benchmarks/bench_archive.py                 # 3,000 synthetic pages + real pages
    python benchmarks/bench_archive.py --pages 10000
    python benchmarks/bench_archive.py --keep /tmp/crawl      # ... and keep the crawled data
    python benchmarks/bench_archive.py --data /tmp/crawl --runs 5   # only 3., on that crawl

1. Writing: every real page of ../shared/realpages (when present) and the synthetic detikInet
   page archived 20 times at gzip levels 1, 6 (the default) and 9: ms per page and the
   archive's size per 1,000 such pages (response + request records, warcinfo amortised).
2. Crawl: bench_crawl.py's full pipeline against its loopback site, once with the archive
   (the default) and once with NEWSCRAWL_ARCHIVE=0: pages/s of each, and the archive's size.
3. Re-extraction of that crawl: the store and ledger deleted and rebuilt from the archive
   (every record new), then again (every record unchanged): pages/s in one process
   (NEWSCRAWL_REEXTRACT_WORKERS=1) and with a worker process per core, `--runs` times each,
   one process and pool interleaved (so a change of load hits both); min / median / max of
   each, and the ratio of the medians (and of the best runs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _machine import machine  # noqa: E402
from bench_crawl import run as crawl_run  # noqa: E402
from bench_crawl import start_server  # noqa: E402

from newscrawl.archive import ArchiveWriter  # noqa: E402

REALPAGES = ROOT.parent / "shared" / "realpages"
SYNTHETIC = ROOT / "tests" / "mirror" / "detikinet" / "articles" / "d-7301234.html"
COPIES = 20


def write_figures(pages: dict[str, bytes], level: int) -> tuple[float, float]:
    """(ms per page, MB per 1,000 pages) of archiving `pages`, each COPIES times."""
    with tempfile.TemporaryDirectory() as tmp:
        writer = ArchiveWriter(Path(tmp), "bench", level=level)
        start = time.perf_counter()
        count = 0
        for name, body in pages.items():
            for n in range(COPIES):
                writer.write(url=f"https://example.com/{name}/{n}", status=200,
                             headers=[("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(body)))],
                             body=body, request_headers=[("User-Agent", "bench")],
                             kind="article")
                count += 1
        elapsed = time.perf_counter() - start
        writer.close()
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*.warc.gz"))
    return elapsed / count * 1000, size / count * 1000 / 1e6


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# `scrapy reextract` in a process that says, on its way out, the CPU seconds it used itself
# (its threads; not the worker processes'): the serial part, which bounds the pool's speed-up.
CPU_WRAPPER = """\
import atexit, resource, runpy, sys
def said():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"bench-cpu {usage.ru_utime + usage.ru_stime:.3f}", file=sys.stderr, flush=True)
atexit.register(said)
sys.argv = ["scrapy", "reextract"]
runpy.run_module("scrapy", run_name="__main__", alter_sys=True)
"""


def reextract(data_dir: Path, workers: int) -> tuple[float, float, float, str]:
    """(wall seconds, pages/s as the command reports it, CPU seconds of the command's own
    process, its last progress line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_DATA_DIR"] = str(data_dir)
    env["NEWSCRAWL_REEXTRACT_WORKERS"] = str(workers)
    env["NEWSCRAWL_PROGRESS"] = "1"  # its last progress line gives pages/s
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CPU_WRAPPER], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"reextract failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-2000:]}")
    lines = proc.stderr.strip().splitlines()
    cpu = float(lines[-1].split()[-1])
    last = [line for line in lines if line.startswith("reextract:")][-1]
    rate = float(re.search(r"(\d+) pages/s", last).group(1))
    return wall, rate, cpu, last


def spread(values: list[float], digits: int = 0) -> str:
    return (f"min {min(values):,.{digits}f} / median {statistics.median(values):,.{digits}f} / "
            f"max {max(values):,.{digits}f}")


def reextract_figures(data: Path, runs: int) -> dict[str, float]:
    """Section 3 on a crawled data directory (its store and state are deleted and rebuilt)."""
    print(f"\n## 3. reextract: one process, and a worker per core ({os.cpu_count()}), "
          f"{runs} runs each, interleaved")
    rates: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    for run in range(1, runs + 1):
        # The pool explicitly (one per core): 0 would keep a run under 1,000 pages in-process.
        for workers, label in ((1, "one process"), (os.cpu_count() or 1, "workers")):
            for case in ("rebuild", "again"):
                if case == "rebuild":
                    shutil.rmtree(data / "articles", ignore_errors=True)
                    shutil.rmtree(data / "state", ignore_errors=True)
                wall, rate, cpu, line = reextract(data, workers)
                rates.setdefault(f"{case} {label}", []).append(rate)
                cpus.setdefault(f"{case} {label}", []).append(cpu)
                what = "every record new" if case == "rebuild" else "every record unchanged"
                print(f"run {run}, {label}, {case} ({what}): {rate:,.0f} pages/s, {wall:.1f} s "
                      f"wall with start-up, {cpu:.1f} s CPU in the main process; {line}",
                      flush=True)
    summary: dict[str, float] = {}
    for case in ("rebuild", "again"):
        one, pool = rates[f"{case} one process"], rates[f"{case} workers"]
        one_cpu, pool_cpu = cpus[f"{case} one process"], cpus[f"{case} workers"]
        print(f"{case}: one process {spread(one)} pages/s; workers {spread(pool)} pages/s; "
              f"workers / one process = {statistics.median(pool) / statistics.median(one):.2f}x "
              f"(medians), {max(pool) / max(one):.2f}x (best runs); CPU of the main process: "
              f"one process {spread(one_cpu, 1)} s, with workers {spread(pool_cpu, 1)} s, "
              f"bound {min(one_cpu) / min(pool_cpu):.2f}x (least CPU of each)")
        summary[f"{case} one process"] = statistics.median(one)
        summary[f"{case} workers"] = statistics.median(pool)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3000, help="synthetic pages crawled")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="reextract runs of each kind")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="copy the crawled data directory here (for --data)")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="only section 3, on this crawled data directory (from --keep; "
                        "its store and state are rebuilt)")
    args = parser.parse_args()
    print("# bench_archive")
    print(f"machine: {machine()}")
    if args.data:
        print(json.dumps(reextract_figures(args.data, args.runs)))
        return

    print("\n## 1. writing (ms per page; MB per 1,000 pages)")
    sets = {"synthetic detikInet page": {"synthetic": SYNTHETIC.read_bytes()}}
    real = {p.stem: p.read_bytes() for p in sorted(REALPAGES.rglob("*.html"))}
    if real:
        sets[f"{len(real)} real pages (../shared/realpages)"] = real
    write_figures(sets["synthetic detikInet page"], 6)  # warm-up: imports, first file
    for label, pages in sets.items():
        mean_kb = sum(map(len, pages.values())) / len(pages) / 1024
        figures = ", ".join(
            "level {}: {:.2f} ms, {:.1f} MB".format(level, *write_figures(pages, level))
            for level in (1, 6, 9))
        print(f"{label} (mean {mean_kb:.0f} KB): {figures}")

    print(f"\n## 2. crawl of {args.pages:,} synthetic pages, archive on and off")
    tmp = Path(tempfile.mkdtemp(prefix="bench_archive_"))
    crawl_args = argparse.Namespace(pages=args.pages, per_listing=20,
                                    concurrency=args.concurrency, rss_every=10**9, set=[])
    server, port = start_server(args.pages, 20)
    try:
        with_archive = crawl_run("full", crawl_args, port, tmp / "on")
        crawl_args.set = ["NEWSCRAWL_ARCHIVE=0"]
        without = crawl_run("full", crawl_args, port, tmp / "off")
    finally:
        server.terminate()
        server.wait()
    data = tmp / "on" / "full"
    warc = du(data / "warc")
    records = with_archive["records_stored"]
    print(f"archive on: {with_archive['rate']:,.0f} pages/s; off: {without['rate']:,.0f} "
          f"pages/s ({with_archive['rate'] / without['rate']:.2f}x)")
    print(f"archive: {warc / 1e6:.1f} MB for {records:,} articles (with their index pages) = "
          f"{warc / records * 1000 / 1e6:.1f} MB per 1,000 articles; the store "
          f"{du(data / 'articles') / records * 1000 / 1e6:.1f} MB per 1,000")

    if args.keep:
        shutil.copytree(data, args.keep)
    rates = reextract_figures(data, args.runs)
    print(json.dumps({"crawl_on": with_archive["rate"], "crawl_off": without["rate"],
                      "archive_mb_per_1000": warc / records * 1000 / 1e6, **rates}))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
