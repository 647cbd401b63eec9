"""`scrapy export` (JSONL + CSV + Parquet) of 100,000 and 1,000,000 synthetic records: wall time
and peak RSS per size, and the RSS growth between the sizes.

    python benchmarks/bench_export.py                               # 100k x 3 runs, 1M x 1 run
    python benchmarks/bench_export.py --runs 3 --large-runs 3       # as docs/benchmarks.md
    python benchmarks/bench_export.py --sizes 100000 --runs 5       # 100k only
    python benchmarks/bench_export.py --store 1000000=/data/s1m     # reuse a store synthstore wrote
    python benchmarks/bench_export.py --work /big/disk --keep       # where stores go; keep them

Stores come from benchmarks/synthstore.py (15 sources, 300-1,500-word bodies, 5 % syndicated,
2 % updated; ~7.8 KB a line: 0.8 GB at 100k, 7.8 GB at 1M) and are written under --work (the
system's temporary directory by default; 1M needs ~25 GB free with its export). Each run is
`python -m scrapy export --format jsonl,csv,parquet` as a user runs it, in a fresh process
(start-up included), into an empty folder that is deleted afterwards. Its RSS is sampled every
0.1 s (psutil): the peak of the export process and its worker processes together, and the
largest single process. The CPU time of the export and its workers is printed beside the wall
time, with the load average before and after each run: the machine may be shared, and then the
export gets fewer cores than it could use.

Targets (issue 15): 1,000,000 records in <= 3 minutes; RSS growth <= 200 MB from 100k to 1M.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import machine  # noqa: E402
from synthstore import write_store  # noqa: E402

MB = 1e6
TARGET_S = 180.0
TARGET_GROWTH_MB = 200.0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) / {five:.2f} (5 min)"


class RssSampler(threading.Thread):
    """Peak RSS of a process and its descendants, summed, and of the largest one."""

    def __init__(self, pid: int, every_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.every_s = every_s
        self.peak_total = 0
        self.peak_single = 0
        self.processes = 1
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                family = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes = []
            for process in family:
                try:
                    sizes.append(process.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            if sizes:
                self.peak_total = max(self.peak_total, sum(sizes))
                self.peak_single = max(self.peak_single, max(sizes))
                self.processes = max(self.processes, len(sizes))
            self.done.wait(self.every_s)


def export_once(data_dir: Path, out: Path) -> dict:
    """One `scrapy export` in a fresh process: wall time, peak RSS, files written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_DATA_DIR"] = str(data_dir)
    env["NEWSCRAWL_PROGRESS"] = "0"
    shutil.rmtree(out, ignore_errors=True)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "export", "--format", "jsonl,csv,parquet",
         "--out", str(out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(child.pid)
    sampler.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the export and its workers
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    if child.returncode != 0:
        sys.exit(f"scrapy export failed ({child.returncode}):\n{stderr[-3000:]}")
    sizes = {p.suffix[1:]: p.stat().st_size for p in out.iterdir()
             if p.suffix in (".jsonl", ".csv", ".parquet")}
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "cpu": cpu, "total_mb": sampler.peak_total / MB,
            "single_mb": sampler.peak_single / MB, "processes": sampler.processes,
            "sizes": sizes, "summary": stdout.splitlines()[0] if stdout else ""}


def spread(values: list[float], unit: str, digits: int = 1) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f} {unit}"
    return (f"min {min(values):.{digits}f} / median {statistics.median(values):.{digits}f} / "
            f"max {max(values):.{digits}f} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated record counts (default 100000,1000000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size below 1,000,000")
    parser.add_argument("--large-runs", type=int, default=1,
                        help="runs per size of 1,000,000 records or more")
    parser.add_argument("--store", action="append", default=[], metavar="N=DIR",
                        help="use the data directory DIR (its articles/ written by "
                        "synthstore.py --records N) instead of writing one")
    parser.add_argument("--work", type=Path, help="where stores and exports go")
    parser.add_argument("--keep", action="store_true", help="keep the stores written")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    given = {int(k): Path(v) for k, v in (item.split("=", 1) for item in args.store)}
    print("# bench_export")
    print(f"machine: {machine()}, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM")
    work = Path(tempfile.mkdtemp(prefix="bench_export_", dir=args.work))
    results: dict[int, list[dict]] = {}
    try:
        for size in sizes:
            data = given.get(size)
            if data is None:
                data = work / f"store-{size}"
                start = time.perf_counter()
                lines = write_store(data, size)
                store_mb = sum(p.stat().st_size
                               for p in (data / "articles").rglob("*.jsonl")) / MB
                print(f"store {size:,}: {lines:,} lines, {store_mb:,.0f} MB, written in "
                      f"{time.perf_counter() - start:.0f} s ({data})")
            else:
                store_mb = sum(p.stat().st_size
                               for p in (data / "articles").rglob("*.jsonl")) / MB
                print(f"store {size:,}: {store_mb:,.0f} MB, given ({data})")
            runs = args.large_runs if size >= 1_000_000 else args.runs
            results[size] = []
            for run in range(1, runs + 1):
                before = load()
                result = export_once(data, work / "export")
                after = load()
                results[size].append(result)
                files = ", ".join(f"{k} {v / MB:,.0f} MB" for k, v in result["sizes"].items())
                print(f"  {size:,} run {run}: {result['seconds']:.1f} s ({result['cpu']:.0f} s CPU, "
                      f"{result['cpu'] / result['seconds']:.2f} cores), peak RSS "
                      f"{result['total_mb']:.0f} MB over {result['processes']} processes "
                      f"(largest {result['single_mb']:.0f} MB); before: {before}, after: "
                      f"{after}; {files}",
                      flush=True)
            print(f"  export said: {results[size][-1]['summary']}")
            if given.get(size) is None and not args.keep:
                shutil.rmtree(data, ignore_errors=True)
        print()
        for size, runs in results.items():
            print(f"{size:,} records, {len(runs)} run{'s' if len(runs) > 1 else ''}: "
                  f"wall {spread([r['seconds'] for r in runs], 's')}; CPU "
                  f"{spread([r['cpu'] for r in runs], 's', 0)}; peak RSS "
                  f"{spread([r['total_mb'] for r in runs], 'MB', 0)} (all processes), "
                  f"{spread([r['single_mb'] for r in runs], 'MB', 0)} (largest)")
        if len(results) >= 2:
            small, large = min(results), max(results)
            grow_total = (max(r["total_mb"] for r in results[large])
                          - max(r["total_mb"] for r in results[small]))
            grow_single = (max(r["single_mb"] for r in results[large])
                           - max(r["single_mb"] for r in results[small]))
            grow_median = (statistics.median(r["total_mb"] for r in results[large])
                           - statistics.median(r["total_mb"] for r in results[small]))
            print(f"RSS growth {small:,} -> {large:,} (highest peak to highest peak): "
                  f"{grow_total:+.0f} MB (all processes), {grow_single:+.0f} MB (largest "
                  f"process); median to median {grow_median:+.0f} MB (all processes); target <= "
                  f"{TARGET_GROWTH_MB:.0f} MB: "
                  f"{'met' if max(grow_total, grow_single) <= TARGET_GROWTH_MB else 'MISSED'}")
        if 1_000_000 in results:
            best = statistics.median(r["seconds"] for r in results[1_000_000])
            print(f"1,000,000 records: median {best:.1f} s; target <= {TARGET_S:.0f} s: "
                  f"{'met' if best <= TARGET_S else 'MISSED'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: {work}")


if __name__ == "__main__":
    main()
