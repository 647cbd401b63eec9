"""How fast `scrapy stats`, `scrapy show` and `scrapy sample` answer on a large store.

    python benchmarks/bench_storeview.py                 # 100,000 synthetic articles
    python benchmarks/bench_storeview.py --records 20000

A synthetic store (benchmarks/synthstore.py) is written to a temporary directory; each command
then runs as a user runs it (`python -m scrapy …`, a fresh process, start-up included), three
times; the median wall time is printed. Target: `stats` under 5 s at 100,000 records.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import machine  # noqa: E402
from synthstore import write_store  # noqa: E402

TARGET_STATS_S = 5.0


def timed(args: list[str], data_dir: Path, runs: int = 3) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_DATA_DIR"] = str(data_dir)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    print("# bench_storeview")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench_storeview_") as tmp:
        data = Path(tmp) / "data"
        start = time.perf_counter()
        lines = write_store(data, args.records)
        size = sum(p.stat().st_size for p in (data / "articles").rglob("*.jsonl"))
        print(f"store: {args.records:,} articles, {lines:,} lines, {size / 1e6:.0f} MB "
              f"(written in {time.perf_counter() - start:.0f} s)")
        baseline = timed(["list"], data)
        print(f"`scrapy list` (start-up alone): {baseline:.2f} s")
        results = {
            "stats": timed(["stats"], data),
            "stats --json": timed(["stats", "--json"], data),
            "show <id>": timed(["show", "detikinet:1000004"], data),
            "sample -n 5": timed(["sample", "-n", "5", "--seed", "1"], data),
        }
        for name, seconds in results.items():
            print(f"`scrapy {name}`: {seconds:.2f} s (median of 3, start-up included)")
        verdict = "met" if results["stats"] < TARGET_STATS_S else "MISSED"
        print(f"target: stats under {TARGET_STATS_S:g} s at 100,000 records: "
              f"{results['stats']:.2f} s ({verdict})")


if __name__ == "__main__":
    main()
