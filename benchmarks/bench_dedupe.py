"""Story dedupe speed: ``StoryIndex.assign`` records/s with 10,000, 100,000 and 1,000,000 records
already in the story index, and the process RSS.

    python benchmarks/bench_dedupe.py                          # at 10,000 and 100,000 records
    python benchmarks/bench_dedupe.py --records 1000000        # and at 1,000,000 (~2 min)
    python benchmarks/bench_dedupe.py --window 0               # every member matchable (worst case)
    python benchmarks/bench_dedupe.py --assigns 2000           # fewer timed assigns per size
    python benchmarks/bench_dedupe.py --words 150-250          # short bodies, not news-length
    python benchmarks/bench_dedupe.py --batch 500              # only assign_many, 500 a call
    python benchmarks/bench_dedupe.py --batch 0                # only assign(), one at a time
    python benchmarks/bench_dedupe.py --hashfunc sha1_hash32   # an index made before poly64
    python benchmarks/bench_dedupe.py --story-memory 32768     # NEWSCRAWL_STORY_MEMORY=32768 (default 65,536)

For each size and each way of assigning a fresh ledger in a temporary directory is filled through
the bulk path (``Ledger.add_story_members``, as ``StoryIndex.reconcile`` uses it) with that many
synthetic members: random 128-value signatures and their 42 LSH band keys, the rows real records
leave. Then ``--assigns`` records (default 10,000) are assigned, and only that is timed: by
default once through ``StoryIndex.assign_many`` 5,000 at a time (one transaction a call, as
``reconcile`` and backfills use it; issue 15's target, >= 5,000/s with 1,000,000 stored, is for
this row) and once through ``StoryIndex.assign`` one at a time, one transaction each, as the
crawl's dedupe stage calls it (``--batch`` chooses). Their bodies come from
``bench_ledger.synthetic_records`` (300-1,500 words, or ``--words LO-HI``; every 10th an edited
copy of one of the 2,000 before it, so copies must find their original's story among all the
members).

``--window N`` (default 30,000) keeps signatures and band keys only for the newest N members, as
``StoryIndex.prune`` leaves the index when a crawl prunes to its 30-day window (~27,000 records at
1,000,000 over three years); ``--window 0`` keeps every member matchable, a worst case no crawl
meets. The assigns are not pruned as they go: with the default window they make 40,000 pending
members, which the default ``NEWSCRAWL_STORY_MEMORY`` (65,536) holds; at ``--story-memory 32768``
the oldest 8,192 pending members move into ``story_bands`` once in the 10,000 and later lookups
ask both tiers.

Printed per row: assigns/s of wall time and per CPU-second of this process (on a shared machine
the second moves less with the load), us per assign and the signature's share, whether the copies
found their story, the process RSS with the ledger just opened and after the timed assigns (the
prefill runs in a child process, so its garbage is not counted), the ledger's size on disk, and
the load average before the assigns (the machine may be shared); then the prefill's rate.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _machine import machine  # noqa: E402
from bench_ledger import synthetic_records  # noqa: E402

from newscrawl.ledger import PENDING_LIMIT, SqliteLedger  # noqa: E402
from newscrawl.ledger_protocol import NewStoryMember  # noqa: E402
from newscrawl.stories import StoryIndex, band_keys, story_id_for  # noqa: E402

MiB = 2**20
SIZES = (10_000, 100_000, 1_000_000)
# A 30-day story window of a 1,000,000-record corpus gathered over three years holds ~27,000.
WINDOW = 30_000
TARGET = 5_000  # issue 15: assigns/s, batched, with 1,000,000 stored


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} / {five:.2f}"


def synthetic_members(
    start: int, count: int, rows: int, window_start: int, band_hash: str, seed: int = 7
) -> Iterator[tuple[NewStoryMember, list[int]]]:
    """Members ``fill:start`` ... with random signatures; those numbered below ``window_start``
    carry none (pruned)."""
    rng = np.random.default_rng(seed + start)
    for first in range(start, start + count, 10_000):
        n = min(10_000, start + count - first)
        signatures = rng.integers(0, 2**32, size=(n, 128), dtype=np.uint32)
        for offset in range(n):
            number = first + offset
            record_id = f"fill:{number}"
            if number < window_start:
                member = NewStoryMember(record_id, story_id_for(record_id), None, None, None, None)
                yield member, []
            else:
                values = signatures[offset]
                member = NewStoryMember(
                    record_id, story_id_for(record_id), None, None, None, values.tobytes()
                )
                yield member, band_keys(values, rows, band_hash)


def batches(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(items, size)):
        yield batch


def fill(ledger: SqliteLedger, members: Iterator[tuple[NewStoryMember, list[int]]]) -> None:
    if hasattr(ledger, "add_story_members"):
        ledger.add_story_members(members)
        return
    for chunk in iter(lambda: list(islice(members, 10_000)), []):
        with ledger.batch():
            for member, keys in chunk:
                ledger.add_story_member(*member, keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000,
                        help="the largest size: measured at 10,000, 100,000, 1,000,000 up to it")
    parser.add_argument("--assigns", type=int, default=10_000, help="timed assign() calls per size")
    parser.add_argument("--words", default="300-1500",
                        help="body length range of the timed records (default: news-length, "
                             "as issue 15's synthetic store), e.g. 150-250")
    parser.add_argument("--window", type=int, default=WINDOW,
                        help="only the newest N members keep band keys and signatures, as "
                             "pruning to a 30-day window leaves the index (default: "
                             f"{WINDOW:,}; 0: every member matchable)")
    parser.add_argument("--batch", default="5000,0",
                        help="how the timed records are assigned, one row each: N for "
                             "assign_many() with N records a call, 0 for assign() one at a "
                             "time (default: 5000,0)")
    parser.add_argument("--hashfunc", default="poly64", choices=["poly64", "sha1_hash32"],
                        help="the shingle hash of the index (sha1_hash32: made before poly64)")
    parser.add_argument("--story-memory", type=int, default=PENDING_LIMIT,
                        help="NEWSCRAWL_STORY_MEMORY: members whose band keys stay in memory")
    parser.add_argument("--cache-mib", type=int, default=None,
                        help="SQLite page cache of the ledger (default: the ledger's, 16 MiB)")
    parser.add_argument("--prefill", metavar="LEDGER", help=argparse.SUPPRESS)
    parser.add_argument("--window-start", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    low, _, high = args.words.partition("-")
    words = (int(low), int(high or low))
    if args.prefill:  # the child that fills a ledger, so its garbage stays out of the RSS
        with SqliteLedger(args.prefill, pending_limit=args.story_memory) as ledger:
            index = StoryIndex(ledger, hashfunc=args.hashfunc)
            fill(ledger, synthetic_members(0, args.records, index.rows, args.window_start,
                                           index.band_hash))
        return
    sizes = [size for size in SIZES if size <= args.records]
    if args.records not in sizes:
        sizes.append(args.records)

    import datasketch

    print("# bench_dedupe")
    print(f"machine: {machine()}; SQLite {sqlite3.sqlite_version}; numpy {np.__version__}; "
          f"datasketch {getattr(datasketch, '__version__', '?')}; load {load()}")
    window = "every member matchable" if not args.window else (
        f"only the newest {args.window:,} matchable")
    modes = [int(mode) for mode in args.batch.split(",")]
    print(f"{window}; {args.assigns:,} timed records per row, through assign_many() (N a call, "
          "one transaction each) or assign() (one at a time, one transaction each, as a crawl "
          f"does); {low}-{high or low}-word bodies; shingle hash {args.hashfunc}; "
          f"{args.story_memory:,} members' band keys in memory (NEWSCRAWL_STORY_MEMORY); a fresh "
          "ledger per row")
    process = psutil.Process()
    gc.collect()
    rss_start = process.memory_info().rss
    print(f"RSS at start: {rss_start / MiB:,.0f} MiB\n")
    print("| members in the index | calls | assigns/s | per CPU-second | us/assign | signature | "
          "copies found | "
          "false joins | RSS MiB (opened → after) | on disk MiB | load (1 min / 5 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    batched_at: dict[int, float] = {}
    for size, batch_size in [(size, mode) for size in sizes for mode in modes]:
        with tempfile.TemporaryDirectory(prefix="bench_dedupe_") as tmp:
            path = Path(tmp) / "state" / "ledger.sqlite3"
            window_start = max(0, size - args.window) if args.window else 0
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, __file__, "--prefill", str(path), "--records", str(size),
                 "--window-start", str(window_start), "--hashfunc", args.hashfunc,
                 "--story-memory", str(args.story_memory)],
                check=True,
            )
            fill_s = time.perf_counter() - t0
            ledger = SqliteLedger(path, pending_limit=args.story_memory) if (
                args.cache_mib is None) else SqliteLedger(
                path, cache_kib=args.cache_mib * 1024, pending_limit=args.story_memory)
            index = StoryIndex(ledger, hashfunc=args.hashfunc)
            if not notes:
                cache = ledger.conn.execute("PRAGMA cache_size").fetchone()[0]
                notes.append(
                    f"index: threshold {index.threshold}, {index.num_perm} permutations, "
                    f"{index.shingle_size}-word shingles, {index.bands} bands of {index.rows} "
                    f"rows; SQLite cache {-cache / 1024:.0f} MiB"
                )
            signature = index.signature_values
            gc.collect()
            rss_open = process.memory_info().rss
            load_before = load()

            story_of: dict[int, str] = {}
            joined = missed = false_joins = 0
            assign_s = signature_s = assign_cpu_s = 0.0
            perf, cpu = time.perf_counter, time.process_time
            records = synthetic_records(args.assigns, seed=size, length=words)
            for batch in batches(records, max(1, batch_size)):
                t1 = perf()
                if batch_size:  # as assign_many() makes them
                    index.spec.values_many([body for _, body, _ in batch])
                else:
                    signature(batch[0][1])
                t2, c2 = perf(), cpu()
                if batch_size:
                    matches = index.assign_many(
                        [(f"s{size}:{record_id}", body, None) for record_id, body, _ in batch])
                else:
                    (record_id, body, _), = batch
                    matches = [index.assign(f"s{size}:{record_id}", body, None)]
                t3, c3 = perf(), cpu()
                signature_s += t2 - t1
                assign_s += t3 - t2
                assign_cpu_s += c3 - c2
                for (record_id, _body, copy_of), match in zip(batch, matches, strict=True):
                    i = int(record_id.split(":")[1])
                    story_of[i] = match.story_id
                    if copy_of is None:
                        false_joins += match.duplicate_of is not None
                    elif match.story_id == story_of.get(copy_of):
                        joined += 1
                    else:
                        missed += 1
            n = len(story_of)
            gc.collect()
            rss = process.memory_info().rss
            db = sum(p.stat().st_size for p in path.parent.glob("ledger.sqlite3*"))
            ledger.close()
        calls = f"assign_many(), {batch_size:,}" if batch_size else "assign()"
        if batch_size:
            batched_at[size] = n / assign_s
        print(f"| {size:,} | {calls} | {n / assign_s:,.0f} | {n / assign_cpu_s:,.0f} | "
              f"{assign_s / n * 1e6:,.0f} | "
              f"{signature_s / assign_s:.0%} | {joined:,}/{joined + missed:,} | "
              f"{false_joins} | {rss_open / MiB:,.0f} → {rss / MiB:,.0f} | {db / MiB:,.0f} | "
              f"{load_before} |", flush=True)
        notes.append(f"{size:,} ({calls}): prefill {fill_s:.1f} s ({size / fill_s:,.0f} members/s, "
                     "in a child process)")
    print("\n" + "\n".join(notes))
    print(f"RSS growth over the run: {(rss - rss_start) / MiB:,.1f} MiB; load {load()}")
    if 1_000_000 in batched_at:
        rate = batched_at[1_000_000]
        print(f"target: >= {TARGET:,} assigns/s batched with 1,000,000 stored: {rate:,.0f}/s, "
              f"{'met' if rate >= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
