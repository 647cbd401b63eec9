"""Soak: many pages through the fault server, random faults, random kill -9s; then the store is
checked against the site's article list.

    python benchmarks/soak.py                      # 10,000 articles, 5 % faults, 6 kills
    python benchmarks/soak.py --articles 2000 --kills 3 --fault-rate 0.1

A stand-in detikInet (tests/faultserver.py) serves N articles; every article request draws a
transient fault at --fault-rate (503 bursts, 429 with Retry-After, connections lost mid-body,
pages cut at 75 %, answers slower than the download timeout). `crawlall --only detikinet`
runs against it (NEWSCRAWL_HOST_OVERRIDE) in rounds: the first --kills rounds are killed with
SIGKILL at a random moment, then rounds run to their end until one adds nothing. Printed:
articles expected, stored, lost, duplicated, corrupt lines, and the rounds and time it took.
Then the WARC archive is checked: every file whole, every record's page read back by its
pointer. The target is 0 lost, 0 duplicated, 0 corrupt, the archive whole.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _machine import machine  # noqa: E402
from faultserver import FaultServer  # noqa: E402
from loopback import FIRST_ID  # noqa: E402

from newscrawl.archive import (  # noqa: E402
    ArchiveError,
    ArchivePointer,
    archive_files,
    complete_length,
    read_response,
)


def read_store(data: Path) -> tuple[list[str], int]:
    """Every stored record id (with repeats) and the number of lines that are not records."""
    ids, corrupt = [], 0
    for partition in sorted((data / "articles").rglob("*.jsonl")):
        for line in partition.read_bytes().splitlines():
            try:
                ids.append(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                corrupt += 1
    return ids, corrupt


def check_archive(data: Path) -> tuple[int, int, int, int]:
    """(files, files not whole, records whose pointer reads back, records in all)."""
    files = archive_files(data)
    broken = len(list(data.glob("warc/*/*/*.open")))
    for path in files:
        with open(path, "rb") as handle:
            broken += complete_length(handle)[0] != path.stat().st_size
    good = total = 0
    for partition in sorted((data / "articles").rglob("*.jsonl")):
        for line in partition.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            total += 1
            pointer = ArchivePointer.from_value(record.get("archive"))
            try:
                good += pointer is not None and read_response(data, pointer).status == 200
            except ArchiveError:
                pass
    return len(files), broken, good, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--max-rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: a temp dir)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="newscrawl-soak-")) / "data"
    expected = {f"detikinet:{FIRST_ID + n}" for n in range(args.articles)}
    pages = (args.articles + 19) // 20 + 1
    print(f"machine: {machine()}")
    print(f"soak: {args.articles} articles, fault rate {args.fault_rate:.0%}, "
          f"{args.kills} kill -9s, data {data}")
    started = time.monotonic()
    rounds = []
    with FaultServer(args.articles, random_rate=args.fault_rate, slow_seconds=2.0,
                     seed=args.seed) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
        env.update(NEWSCRAWL_DATA_DIR=str(data), NEWSCRAWL_HOST_OVERRIDE=server.address)
        command = [
            sys.executable, "-m", "scrapy", "crawlall", "--only", "detikinet",
            "--max-pages", str(pages), "-s", "DOWNLOAD_TIMEOUT=1", "-s", "DOWNLOAD_DELAY=0",
            "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            "-s", "NEWSCRAWL_BACKOFF_BASE=0.1", "-s", "NEWSCRAWL_BACKOFF_MAX=1",
        ]
        for number in range(1, args.max_rounds + 1):
            before = len(set(read_store(data)[0])) if data.exists() else 0
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            killed = number <= args.kills
            if killed:
                time.sleep(rng.uniform(2.0, 12.0))
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
            code = process.wait()
            after = len(set(read_store(data)[0]))
            rounds.append((number, "killed" if killed else f"exit {code}", after - before))
            print(f"  round {number}: {rounds[-1][1]}, +{after - before} records ({after} in all)",
                  flush=True)
            if not killed and (after - before == 0 or expected <= set(read_store(data)[0])):
                break
        server.set_faults({}, random_rate=0.0)

    ids, corrupt = read_store(data)
    stored = set(ids)
    print(f"\narticles expected {len(expected)}, stored {len(stored & expected)}, "
          f"lost {len(expected - stored)}, duplicated {len(ids) - len(stored)}, "
          f"not in the site {len(stored - expected)}, corrupt lines {corrupt}")
    print(f"{len(rounds)} rounds ({sum(r[1] == 'killed' for r in rounds)} killed), "
          f"{time.monotonic() - started:.0f} s")
    files, broken, readable, records = check_archive(data)
    print(f"archive: {files} WARC files, {broken} not whole; {readable} of {records} records' "
          "pages read back by their pointer")
    ok = (not (expected - stored) and len(ids) == len(stored) and not corrupt and not broken
          and readable == records)
    print("target 0 lost, 0 duplicated, 0 corrupt, archive whole: " + ("met" if ok else "MISSED"))


if __name__ == "__main__":
    main()
