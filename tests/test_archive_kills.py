"""kill -9 during a crawl that archives, and during `scrapy reextract`: afterwards every
article is stored once, every WARC file reads to its end, every JSONL line is a record.

A stand-in detikInet on 127.0.0.1 (tests/faultserver.py, no faults) serves a few hundred
articles, so that kills land while pages are being archived and records stored.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import start_command
from faultserver import FaultServer
from loopback import FIRST_ID

from newscrawl.archive import ArchivePointer, archive_files, complete_length, read_response

ARTICLES = 240
CRAWL_KILLS = 5
REEXTRACT_KILLS = 4


def environment(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_DATA_DIR=str(data), **extra)
    return env


def stored_count(data: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in (data / "articles").rglob("*.jsonl"))


def run(command: list[str], env: dict[str, str], data: Path, kill_after_records: int | None,
        rng: random.Random) -> str:
    """Run a command; with `kill_after_records`, SIGKILL it once it has stored that many more
    records (plus a random few milliseconds), so that the kill lands mid-work."""
    start = stored_count(data) if (data / "articles").exists() else 0
    process = start_command(command, env, output=False)
    if kill_after_records is not None:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if (data / "articles").exists() and stored_count(data) - start >= kill_after_records:
                time.sleep(rng.uniform(0, 0.05))
                process.send_signal(signal.SIGKILL)
                process.wait()
                return "killed"
            time.sleep(0.01)
    code = process.wait(timeout=300)
    return f"exit {code}"


def store_lines(data: Path) -> list[dict]:
    lines = []
    for path in sorted((data / "articles").rglob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            lines.append(json.loads(line))  # a torn or corrupt line fails here
    return lines


def assert_archive_whole(data: Path) -> None:
    assert not list(data.glob("warc/*/*/*.open")), "a killed run's file was not recovered"
    files = archive_files(data)
    assert files
    for path in files:
        with open(path, "rb") as handle:
            assert complete_length(handle)[0] == path.stat().st_size, path
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout[-2000:]


@pytest.mark.slow
def test_kill_9_during_archiving_crawls_and_reextraction_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(12)
    data = tmp_path / "data"
    expected = {f"detikinet:{FIRST_ID + n}" for n in range(ARTICLES)}
    outcomes = []
    with FaultServer(ARTICLES) as server:
        env = environment(data, NEWSCRAWL_HOST_OVERRIDE=server.address)
        crawl = ["crawlall", "--only", "detikinet", "--max-pages", str(ARTICLES // 20 + 1),
                 "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                 "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
        for _ in range(CRAWL_KILLS):
            outcomes.append(run(crawl, env, data, rng.randint(5, 50), rng))
        for _ in range(3):  # to the end: a round that adds nothing
            before = len(store_lines(data))
            outcomes.append(run(crawl, env, data, None, rng))
            if len(store_lines(data)) == before:
                break
    assert outcomes.count("killed") == CRAWL_KILLS, outcomes

    lines = store_lines(data)
    ids = Counter(r["id"] for r in lines)
    assert set(ids) == expected and max(ids.values()) == 1
    assert_archive_whole(data)
    for record in lines:
        page = read_response(data, ArchivePointer.from_value(record["archive"]))
        assert page.url.split("?")[0] == record["url"].split("?")[0]
    crawled = {r["id"]: r for r in lines}

    # Rebuild the store from the archive, killed again and again.
    shutil.rmtree(data / "articles")
    shutil.rmtree(data / "state")
    # Killed with its worker pool (the default) and in one process, in turn: both paths'
    # stores must come back whole (the pool's start-up is ~2 s of CPU, so not every round).
    pooled = environment(data, NEWSCRAWL_REEXTRACT_WORKERS="2")
    single = environment(data, NEWSCRAWL_REEXTRACT_WORKERS="1")
    outcomes = [run(["reextract"], pooled if n % 2 else single, data, rng.randint(5, 60), rng)
                for n in range(REEXTRACT_KILLS)]
    outcomes.append(run(["reextract"], pooled, data, None, rng))
    assert outcomes == ["killed"] * REEXTRACT_KILLS + ["exit 0"]

    lines = store_lines(data)
    ids = Counter(r["id"] for r in lines)
    assert set(ids) == expected and max(ids.values()) == 1
    for record in lines:
        original = crawled[record["id"]]
        assert {k: v for k, v in record.items() if k != "crawled_at"} == {
            k: v for k, v in original.items() if k != "crawled_at"}
    assert_archive_whole(data)
