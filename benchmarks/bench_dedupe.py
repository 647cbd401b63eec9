"""Story dedupe speed: MinHash-LSH ``StoryIndex.assign`` records/s at 100,000 records.

    python benchmarks/bench_dedupe.py                    # 100,000 records
    python benchmarks/bench_dedupe.py --records 20000    # quicker
    python benchmarks/bench_dedupe.py --batch 100        # 100 assign() per transaction
    python benchmarks/bench_dedupe.py --cache-mib 256    # SQLite page cache (default 16 MiB)

Records come from ``bench_ledger.synthetic_records`` (150-250-word bodies; every 10th is an
edited copy of one of the 2,000 before it). Each is assigned as the dedupe pipeline does it:
one ``assign()`` per record, one SQLite transaction each, in a fresh ledger in a temporary
directory (``--batch N``: N records per transaction instead, to measure what grouped commits
would give). Only ``assign()`` and the commits are timed (generating the bodies is not). Printed:
records/s overall and per 10,000 (does it slow as the index grows?), what share of the time
is the MinHash signature alone, whether the copies found their original's story, RSS
growth, and the index size on disk.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _machine import machine  # noqa: E402
from bench_ledger import synthetic_records  # noqa: E402

from newscrawl.ledger import SqliteLedger  # noqa: E402
from newscrawl.stories import StoryIndex  # noqa: E402

MiB = 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=10_000, help="report the rate every N")
    parser.add_argument("--batch", type=int, default=1,
                        help="records per ledger transaction (1: as the pipeline does it)")
    parser.add_argument("--cache-mib", type=int, default=None,
                        help="SQLite page cache of the ledger (default: the Ledger's, 16 MiB)")
    args = parser.parse_args()
    import datasketch

    print("# bench_dedupe")
    print(f"machine: {machine()}; SQLite {sqlite3.sqlite_version}; "
          f"datasketch {getattr(datasketch, '__version__', '?')}")
    process = psutil.Process()
    with tempfile.TemporaryDirectory(prefix="bench_dedupe_") as tmp:
        path = Path(tmp) / "state" / "ledger.sqlite3"
        ledger = SqliteLedger(path) if args.cache_mib is None else SqliteLedger(
            path, cache_kib=args.cache_mib * 1024
        )
        index = StoryIndex(ledger)
        cache = ledger.conn.execute("PRAGMA cache_size").fetchone()[0]
        print(f"index: threshold {index.threshold}, {index.num_perm} permutations, "
              f"{index.shingle_size}-word shingles, {index.bands} bands of {index.rows} rows; "
              f"SQLite cache {-cache / 1024:.0f} MiB, {args.batch} record(s) per transaction")
        gc.collect()
        rss0 = process.memory_info().rss
        story_of: dict[int, str] = {}
        joined = missed = false_joins = 0
        assign_s = signature_s = 0.0
        window_s, windows = 0.0, []
        perf = time.perf_counter
        batch = contextlib.ExitStack()
        for record_id, body, copy_of in synthetic_records(args.records):
            i = int(record_id.split(":")[1])
            t0 = perf()
            index.signature(body)
            t1 = perf()
            if args.batch > 1 and i % args.batch == 0:
                batch.close()  # commits the previous group
                batch.enter_context(ledger.batch())
            match = index.assign(record_id, body, None)
            if args.batch > 1 and (i + 1) % args.batch == 0:
                batch.close()
            t2 = perf()
            signature_s += t1 - t0
            assign_s += t2 - t1
            window_s += t2 - t1
            story_of[i] = match.story_id
            if copy_of is None:
                false_joins += match.duplicate_of is not None
            elif match.story_id == story_of.get(copy_of):
                joined += 1
            else:
                missed += 1
            if (i + 1) % args.window == 0:
                windows.append((i + 1, args.window / window_s))
                window_s = 0.0
        batch.close()
        n = len(story_of)
        gc.collect()
        rss1 = process.memory_info().rss
        ledger.close()
        db_bytes = sum(p.stat().st_size for p in path.parent.glob("ledger.sqlite3*"))

    rate = n / assign_s
    commits = "one commit each" if args.batch <= 1 else f"one commit per {args.batch}"
    print(f"\nassign(): {n:,} records in {assign_s:.1f} s = {rate:,.0f} records/s "
          f"({assign_s / n * 1e6:,.0f} us/record: signature + LSH band query + verify + insert, "
          f"{commits})")
    print(f"signature alone (normalise, 5-word shingles, 128-permutation MinHash): "
          f"{signature_s / n * 1e6:,.0f} us/record = {signature_s / assign_s:.0%} of assign()")
    if windows:
        print("records/s per window (records so far: rate): "
              + ", ".join(f"{k:,}: {v:,.0f}" for k, v in windows))
    print(f"copies joined their original's story: {joined:,}/{joined + missed:,}; "
          f"unrelated records wrongly joined: {false_joins:,}")
    print(f"RSS growth: {(rss1 - rss0) / MiB:,.1f} MiB (includes this benchmark's own "
          f"id->story dict of {n:,} entries); index on disk {db_bytes / MiB:,.1f} MiB")


if __name__ == "__main__":
    main()
