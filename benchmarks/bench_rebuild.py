"""Rebuilding a lost ledger from the store: `scrapy catchup` on a large store.

    python benchmarks/bench_rebuild.py                      # 100,000 synthetic articles, 3 runs
    python benchmarks/bench_rebuild.py --records 20000 --runs 1
    python benchmarks/bench_rebuild.py --store DIR          # a store synthstore.py wrote

A synthetic store (benchmarks/synthstore.py: 15 sources, 300-1,500-word bodies, published over
the three years up to now) is written once; then, per run, its ledger is deleted and
`python -m scrapy catchup` reads the store back into a new one, as an operator does after
losing data/state/ (a crawl does the same when it starts). Each run is timed from the command
line (start-up included), with the story window at its default (30 days) and with no window
(`-s NEWSCRAWL_STORY_WINDOW_DAYS=0`: every record signed and matchable), interleaved.
Printed per run: wall seconds, story members that are matchable afterwards, the ledger's size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import machine  # noqa: E402
from synthstore import WIB, write_store  # noqa: E402


def rebuild(data_dir: Path, window_days: float) -> tuple[float, int, int, float]:
    """(seconds, members, matchable members, ledger MB) of one `scrapy catchup`."""
    shutil.rmtree(data_dir / "state", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_DATA_DIR"] = str(data_dir)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "catchup", "-s",
         f"NEWSCRAWL_STORY_WINDOW_DAYS={window_days:g}"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"catchup failed ({done.returncode}): {done.stderr[-2000:]}")
    ledger = data_dir / "state" / "ledger.sqlite3"
    with sqlite3.connect(ledger) as conn:
        members, matchable = conn.execute(
            "SELECT COUNT(*), COUNT(signature) FROM story_members").fetchone()
    size = sum(p.stat().st_size for p in ledger.parent.glob("ledger.sqlite3*")) / 1e6
    return seconds, members, matchable, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", type=Path, help="a data directory synthstore.py wrote")
    args = parser.parse_args()
    print("# bench_rebuild")
    print(f"machine: {machine()}; load {' / '.join(f'{x:.2f}' for x in os.getloadavg()[:2])}")
    with tempfile.TemporaryDirectory(prefix="bench_rebuild_") as tmp:
        data_dir = args.store or Path(tmp) / "data"
        if args.store is None:
            began = time.perf_counter()
            lines = write_store(data_dir, args.records,
                                until=datetime.now(timezone.utc).astimezone(WIB))
            print(f"store: {args.records:,} articles, {lines:,} lines "
                  f"({time.perf_counter() - began:.0f} s to write)")
        print("| window | run | seconds | story members | matchable | ledger MB | load |")
        print("|---|---|---|---|---|---|---|")
        times: dict[float, list[float]] = {30.0: [], 0.0: []}
        for run in range(1, args.runs + 1):
            for window in times:
                seconds, members, matchable, size = rebuild(data_dir, window)
                times[window].append(seconds)
                load = os.getloadavg()[0]
                label = f"{window:g} days" if window else "none"
                print(f"| {label} | {run} | {seconds:.1f} | {members:,} | {matchable:,} | "
                      f"{size:,.0f} | {load:.2f} |", flush=True)
        for window, values in times.items():
            label = f"{window:g} days" if window else "none"
            print(f"window {label}: min / median / max {min(values):.1f} / "
                  f"{statistics.median(values):.1f} / {max(values):.1f} s")


if __name__ == "__main__":
    main()
