"""Crawl-ledger and story-index figures: lookups/s, RAM against an in-memory set, assign()/s.

    python3 benchmarks/bench_ledger.py                  # 1,000,000 URLs, 100,000 stories
    python3 benchmarks/bench_ledger.py --urls 200000 --stories 20000   # quicker

Everything runs in a fresh temporary directory. The set baseline is built in a child
process so the two memory figures do not mix.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.ledger import SqliteLedger  # noqa: E402
from newscrawl.stories import StoryIndex  # noqa: E402

MiB = 1024 * 1024
OUTLETS = [
    ("cnbcindonesia", "https://www.cnbcindonesia.com/tech/20240327095500-37-{n}/{slug}"),
    ("detik", "https://inet.detik.com/cyberlife/d-{n}/{slug}"),
    ("kompas", "https://tekno.kompas.com/read/2024/03/27/{n}/{slug}"),
    ("antara", "https://www.antaranews.com/berita/{n}/{slug}"),
    ("liputan6", "https://www.liputan6.com/tekno/read/{n}/{slug}"),
    ("tempo", "https://tekno.tempo.co/read/{n}/{slug}"),
    ("cnnindonesia", "https://www.cnnindonesia.com/teknologi/20240327095500-185-{n}/{slug}"),
    ("kumparan", "https://kumparan.com/kumparantech/{slug}-{n}"),
]
SLUG_WORDS = (
    "samsung galaxy rilis harga spesifikasi indonesia ponsel baru fitur aplikasi pengguna "
    "whatsapp meta google kecerdasan buatan startup pendanaan jaringan operator internet "
    "satelit data pribadi kebocoran siber keamanan laptop kamera baterai resmi"
).split()


def url_for(i: int) -> str:
    """A realistic-looking canonical article URL (about 90-110 characters), distinct per i."""
    _, pattern = OUTLETS[i % len(OUTLETS)]
    words = [SLUG_WORDS[(i * 7 + j * 13) % len(SLUG_WORDS)] for j in range(6)]
    return pattern.format(n=1_000_000 + i, slug="-".join(words))


def rss() -> int:
    return psutil.Process().memory_info().rss


def set_child(n: int) -> None:
    """Child process: RSS growth from holding n URL strings in a Python set."""
    gc.collect()
    before = rss()
    urls = {url_for(i) for i in range(n)}
    after = rss()
    avg_len = sum(map(len, list(urls)[:1000])) / 1000
    print(json.dumps({"n": len(urls), "growth": after - before, "avg_len": avg_len}))


def measure_set(n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--set-child", str(n)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


def lookups_per_s(fn, urls: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    hits = sum(1 for u in urls if fn(u))
    return len(urls) / (time.perf_counter() - t0), hits


def bench_ledger(tmp: Path, n_urls: int, n_lookups: int) -> None:
    print(f"\n## Ledger: {n_urls:,} known URLs")
    gc.collect()
    rss0 = rss()
    path = tmp / "state" / "ledger.sqlite3"
    led = SqliteLedger(path)

    def lines():
        for i in range(n_urls):
            source = OUTLETS[i % len(OUTLETS)][0]
            yield {
                "id": f"{source}:{1_000_000 + i}",
                "source": source,
                "url": url_for(i),
                "content_hash": f"{i:032x}",
                "story_id": f"{i:016x}",
                "published_at": "2024-03-27T09:55:00+07:00",
            }

    t0 = time.perf_counter()
    added = led.reconcile(lines())
    load_s = time.perf_counter() - t0
    gc.collect()
    rss_loaded = rss()
    print(f"load (reconcile, one transaction): {added:,} records in {load_s:.1f} s "
          f"= {added / load_s:,.0f} records/s; RSS growth {(rss_loaded - rss0) / MiB:,.1f} MiB")

    rng = random.Random(7)
    hits = [url_for(rng.randrange(n_urls)) for _ in range(n_lookups)]
    misses = [url_for(n_urls + rng.randrange(n_urls)) for _ in range(n_lookups)]
    aliases = [u + "?utm_source=twitter" for u in misses[:10]]  # never stored: must miss
    rate, found = lookups_per_s(led.is_known_url, hits)
    print(f"is_known_url, hits:   {rate:,.0f} lookups/s ({found:,}/{len(hits):,} found)")
    rate, found = lookups_per_s(led.is_known_url, misses)
    print(f"is_known_url, misses: {rate:,.0f} lookups/s ({found:,}/{len(misses):,} found)")
    assert not any(led.is_known_url(u) for u in aliases)
    rate, found = lookups_per_s(led.known, hits[: n_lookups // 2])
    print(f"known(url), hits:     {rate:,.0f} lookups/s ({found:,} found)")
    del hits, misses
    gc.collect()
    rss1 = rss()

    # Per-record writes, as the store pipeline would do them.
    n_writes = 20_000
    t0 = time.perf_counter()
    for i in range(n_urls, n_urls + n_writes):
        led.record(f"bench:{i}", "bench", url_for(i), f"{i:032x}", 1, None,
                   "2024-03-27T09:55:00+07:00")
    commit_each = n_writes / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for start in range(n_urls + n_writes, n_urls + 2 * n_writes, 100):
        with led.batch():
            for i in range(start, start + 100):
                led.record(f"bench:{i}", "bench", url_for(i), f"{i:032x}")
    batched = n_writes / (time.perf_counter() - t0)
    print(f"record(): {commit_each:,.0f} records/s committing each, "
          f"{batched:,.0f} records/s in batches of 100")
    led.close()

    db_bytes = sum(p.stat().st_size for p in path.parent.glob("ledger.sqlite3*"))
    base = measure_set(n_urls)
    print(f"process RSS growth with the ledger open after loading + lookups: "
          f"{(rss1 - rss0) / MiB:,.1f} MiB (total RSS {rss1 / MiB:,.1f} MiB; "
          f"SQLite page cache capped at 16 MiB)")
    print(f"the same {base['n']:,} URLs (avg {base['avg_len']:.0f} chars) in a Python set: "
          f"RSS growth {base['growth'] / MiB:,.1f} MiB (child process)")
    print(f"ledger on disk: {db_bytes / MiB:,.1f} MiB")


def synthetic_records(n: int, seed: int = 11, length: tuple[int, int] = (150, 250)):
    """(record_id, body, copy_of) triples: bodies of ``length`` (default 150-250) words from a
    6,000-word vocabulary;
    every 10th record is an edited copy (dateline, 5 changed words, a 10-word cut) of one of
    the 2,000 records before it, the rest are unrelated."""
    rng = random.Random(seed)
    syllables = ["ka", "ma", "ta", "pa", "sa", "ra", "la", "na", "ba", "da", "ga", "ja",
                 "ke", "me", "te", "pe", "se", "ri", "li", "ni", "bu", "du", "gu", "ju"]
    vocab = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(8000)})
    vocab = vocab[:6000]
    weights = [1 / (r + 10) for r in range(len(vocab))]  # Zipf-like: shared function words
    bodies: list[str] = []
    for i in range(n):
        if i >= 10 and i % 10 == 0:
            src = rng.randrange(max(0, i - 2000), i)  # copies appear soon after the original
            words = bodies[src].split()
            words[0] = "Surabaya,"
            for _ in range(5):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            cut = rng.randrange(20, len(words) - 20)
            del words[cut : cut + 10]
            body, copy_of = " ".join(words), src
        else:
            words = rng.choices(vocab, weights=weights, k=rng.randint(*length))
            body, copy_of = "Jakarta, " + " ".join(words), None
        bodies.append(body)
        if len(bodies) > 2000:  # keep only what copies may draw from
            bodies[len(bodies) - 2001] = ""
        yield f"synth:{i}", body, copy_of


def bench_stories(tmp: Path, n_target: int, budget_s: float, n_batched: int = 10_000) -> None:
    path = tmp / "stories" / "ledger.sqlite3"
    led = SqliteLedger(path)
    index = StoryIndex(led)
    probe = min(2000, n_target)
    records = synthetic_records(n_target + n_batched)
    gc.collect()
    rss0 = rss()
    t0 = time.perf_counter()
    done = joined = missed = false_joins = 0
    story_of: dict[int, str] = {}

    def run(count: int) -> None:
        nonlocal done, joined, missed, false_joins
        for record_id, body, copy_of in records:
            m = index.assign(record_id, body, None)
            i = int(record_id.split(":")[1])
            if copy_of is None:
                if m.duplicate_of is not None:
                    false_joins += 1
            elif m.story_id == story_of.get(copy_of):
                joined += 1
            else:
                missed += 1
            story_of[i] = m.story_id  # bench bookkeeping: a copy may be copied again
            done += 1
            if done >= count:
                return

    run(probe)
    rate = done / (time.perf_counter() - t0)
    n = n_target
    if n_target > 20_000 and n_target / rate > budget_s:
        n = 20_000
    if n == n_target:
        note = f"the full {n_target:,}"
    else:
        note = f"reduced from {n_target:,}: projected {n_target / rate:.0f} s > {budget_s:.0f} s"
    print(f"\n## StoryIndex.assign(): {n:,} synthetic records ({note})")
    run(n)
    elapsed = time.perf_counter() - t0
    gc.collect()
    print(f"assign(): {done / elapsed:,.0f} records/s ({done:,} in {elapsed:.1f} s, "
          "signature + LSH query + insert, one commit each)")
    print(f"copies joined their original's story: {joined:,}/{joined + missed:,}; "
          f"unrelated records wrongly joined: {false_joins:,}")
    print(f"process RSS growth during assign: {(rss() - rss0) / MiB:,.1f} MiB "
          "(includes the benchmark's own id->story bookkeeping)")
    extra, t0 = 0, time.perf_counter()
    for _ in range(n_batched // 100):
        with led.batch():
            for record_id, body, _copy in islice(records, 100):
                index.assign(record_id, body, None)
                extra += 1
    elapsed = time.perf_counter() - t0
    print(f"assign() inside ledger.batch() of 100 (bulk re-indexing), {extra:,} more records: "
          f"{extra / elapsed:,.0f} records/s")
    led.close()
    db_bytes = sum(p.stat().st_size for p in path.parent.glob("ledger.sqlite3*"))
    print(f"story index on disk: {db_bytes / MiB:,.1f} MiB ({db_bytes / (done + extra):,.0f} bytes/record)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=200_000)
    ap.add_argument("--stories", type=int, default=100_000)
    ap.add_argument("--story-budget", type=float, default=180.0,
                    help="seconds; above this projection the story run drops to 20,000")
    ap.add_argument("--set-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.set_child:
        set_child(args.set_child)
        return
    import datasketch

    print("# bench_ledger")
    print(f"machine: {platform.platform()}; {os.cpu_count()} CPUs ({platform.machine()}); "
          f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
          f"datasketch {getattr(datasketch, '__version__', '?')}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_ledger_") as tmp:
        bench_ledger(Path(tmp), args.urls, args.lookups)
        bench_stories(Path(tmp), args.stories, args.story_budget)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
