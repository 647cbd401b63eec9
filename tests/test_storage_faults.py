"""Storage faults: long lines, short and failed writes, full disks. Nothing stored may be lost,
cut or doubled, and what could not be stored must be fetched again by a later run."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import MIRROR, gold_pages, run_scrapy

from newscrawl import jsonl, runs
from newscrawl.jsonl import StorageError, append_line, encode_record, repair_partition


def record(n: int, body_chars: int = 200) -> dict:
    return {"id": f"site:{n}", "source": "site", "published_at": "2025-06-01T10:00:00+07:00",
            "body": ("kata " * (body_chars // 5))[:body_chars]}


def write_lines(path: Path, *records: dict) -> bytes:
    data = b"".join(encode_record(r) for r in records)
    path.write_bytes(data)
    return data


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_repair_keeps_a_complete_last_line_of_any_length(tmp_path):
    # A 6 MiB record is longer than any fixed read-back window (it was 4 MiB).
    partition = tmp_path / "2025-06.jsonl"
    data = write_lines(partition, record(1), record(2, body_chars=6 << 20))
    assert repair_partition(partition) == 0
    assert partition.read_bytes() == data


def test_repair_cuts_only_the_torn_line_after_a_long_record(tmp_path):
    partition = tmp_path / "2025-06.jsonl"
    data = write_lines(partition, record(1), record(2, body_chars=6 << 20))
    with partition.open("ab") as handle:
        handle.write(encode_record(record(3))[:40])  # killed mid-write
    assert repair_partition(partition) == 1
    assert partition.read_bytes() == data
    # The next record lands on a line of its own: three whole records, none glued.
    handle = os.open(partition, os.O_WRONLY | os.O_APPEND)
    try:
        append_line(handle, encode_record(record(3)))
    finally:
        os.close(handle)
    assert [r["id"] for r in lines(partition)] == ["site:1", "site:2", "site:3"]


def test_repair_of_a_file_that_is_one_torn_line(tmp_path):
    partition = tmp_path / "2025-06.jsonl"
    partition.write_bytes(encode_record(record(1))[:-10])
    assert repair_partition(partition) == 1
    assert partition.read_bytes() == b""


def test_repair_cuts_an_unparsable_complete_last_line(tmp_path):
    partition = tmp_path / "2025-06.jsonl"
    data = write_lines(partition, record(1))
    with partition.open("ab") as handle:
        handle.write(b'{"id": "site:2", "body": "no closing brace\n')
    assert repair_partition(partition) == 1
    assert partition.read_bytes() == data


def test_a_short_write_is_undone_and_reported(tmp_path, monkeypatch):
    partition = tmp_path / "2025-06.jsonl"
    data = write_lines(partition, record(1))
    real_write = os.write
    # What write(2) does on a nearly full disk: it writes what fits and says so.
    monkeypatch.setattr(jsonl.os, "write", lambda fd, buf: real_write(fd, buf[:17]))
    handle = os.open(partition, os.O_WRONLY | os.O_APPEND)
    try:
        with pytest.raises(StorageError, match="short write: 17 of"):
            append_line(handle, encode_record(record(2)))
    finally:
        os.close(handle)
    assert partition.read_bytes() == data


def test_a_failed_write_is_undone_and_reported(tmp_path, monkeypatch):
    partition = tmp_path / "2025-06.jsonl"
    data = write_lines(partition, record(1))
    real_write = os.write

    def full_disk(fd: int, buf: bytes) -> int:
        real_write(fd, buf[:5])  # some filesystems keep a partial block before failing
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jsonl.os, "write", full_disk)
    handle = os.open(partition, os.O_WRONLY | os.O_APPEND)
    try:
        with pytest.raises(StorageError, match="No space left on device"):
            append_line(handle, encode_record(record(2)))
    finally:
        os.close(handle)
    assert partition.read_bytes() == data


# ------------------------------------------------------------------ a real full disk
FULL_DISK_SPIDERS = ("cnbcindonesia", "detikinet", "kompastekno", "antaratekno")


def mount_tmpfs(mount_point: Path, size: str) -> None:
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True, text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")


@pytest.fixture
def small_filesystem(tmp_path):
    """A 256 KiB tmpfs: too small for the ledger and the records of four outlets."""
    mount_point = tmp_path / "small"
    mount_tmpfs(mount_point, "256k")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def stored_ids(data: Path) -> list[str]:
    ids = []
    for partition in sorted((data / "articles").rglob("*.jsonl")):
        for line in partition.read_bytes().splitlines():
            ids.append(json.loads(line)["id"])  # every line whole, valid JSON
    return ids


def test_a_full_disk_stops_the_crawl_loses_nothing_and_the_next_run_catches_up(
    small_filesystem, tmp_path
):
    data = small_filesystem / "data"
    only = ["--only", ",".join(FULL_DISK_SPIDERS)]
    full = run_scrapy(["crawlall", *only], data)
    assert full.returncode == runs.EXIT_FAILED, full.log[-2000:]
    assert "(finish reason: storage_failed)" in full.log
    assert "could not write the run report" in full.log
    assert "Traceback" not in full.log
    assert not list((data / "runs").glob("*.tmp"))
    # What was stored is whole, and the ledger knows exactly that.
    partial = stored_ids(data)
    assert len(partial) == len(set(partial))
    ledger = sqlite3.connect(data / "state" / "ledger.sqlite3")
    known = {row[0] for row in ledger.execute("SELECT record_id FROM articles")}
    ledger.close()
    assert known <= set(partial)
    # The disk is replaced by a bigger one: the next run stores what the full one missed.
    bigger = tmp_path / "bigger"
    shutil.copytree(data, bigger)
    again = run_scrapy(["crawlall", *only], bigger)
    assert again.returncode == runs.EXIT_OK, again.log[-3000:]
    expected = {
        page.expected["id"] for page in gold_pages()
        if page.spider in FULL_DISK_SPIDERS and MIRROR in page.html.parents
    }
    final = stored_ids(bigger)
    assert sorted(final) == sorted(expected)


def test_an_export_to_a_full_disk_is_one_line_exit_6_and_leaves_nothing_half_written(
    small_filesystem, tmp_path
):
    """A researcher's export runs out of space: no traceback, exit 6, and no truncated dataset
    file left to be mistaken for a whole one (in one process and with worker processes)."""
    from newscrawl.export import export

    data = tmp_path / "data"
    crawled = run_scrapy(["crawlall", "--only", ",".join(FULL_DISK_SPIDERS)], data)
    assert crawled.returncode == runs.EXIT_OK, crawled.log[-2000:]
    filler = small_filesystem / "other-files"  # the disk holds other things too: kept
    filler.write_bytes(b"x" * 230_000)
    used = shutil.disk_usage(small_filesystem).used
    out = small_filesystem / "dataset"
    failed = run_scrapy(["export", "--out", str(out), "--format", "jsonl,csv,parquet"], data,
                        mirror=None)
    assert failed.returncode == runs.EXIT_FAILED, failed.log[-2000:]
    assert "export failed: [Errno 28] No space left on device" in failed.log
    assert "Traceback" not in failed.log
    assert sorted(p.name for p in small_filesystem.iterdir()) == ["other-files"]
    with pytest.raises(OSError):
        export(data, out, ["jsonl", "csv", "parquet"], workers=2)
    assert sorted(p.name for p in small_filesystem.iterdir()) == ["other-files"]
    # No handle is left open on a removed file: the space is free again.
    assert shutil.disk_usage(small_filesystem).used <= used
    # With room, the same export is whole.
    room = tmp_path / "room"
    assert run_scrapy(["export", "--out", str(room)], data, mirror=None).returncode == 0
    assert (room / "articles.manifest.json").exists()


# ------------------------------------------------------------------ a damaged ledger
def test_a_damaged_ledger_is_moved_aside_and_rebuilt_from_the_store(tmp_path):
    data = tmp_path / "data"
    only = ["--only", "cnbcindonesia,detikinet"]
    first = run_scrapy(["crawlall", *only], data)
    assert first.returncode == runs.EXIT_OK, first.log[-2000:]
    before = stored_ids(data)
    ledger = data / "state" / "ledger.sqlite3"
    ledger.write_bytes(os.urandom(300_000))  # what `head -c 300000 /dev/urandom >` leaves
    for suffix in ("-wal", "-shm"):
        ledger.with_name(ledger.name + suffix).unlink(missing_ok=True)
    second = run_scrapy(["crawlall", *only], data)
    assert second.returncode == runs.EXIT_OK, second.log[-2000:]
    assert "ledger was damaged: moved to" in second.log
    assert f"rebuilt from the store ({len(before)} records)" in second.log
    assert len(list(ledger.parent.glob("ledger.sqlite3.corrupt-*"))) == 1
    # The rebuilt ledger knows every stored article: nothing fetched or stored again.
    assert stored_ids(data) == before
    report = json.loads(sorted((data / "runs").glob("*.json"))[-1].read_text())
    assert all(s["new"] == 0 and s["skipped"] >= 3 for s in report["sources"])
    assert report["sources"][0]["state"]["ledger_rebuilt_from_store"].startswith(str(ledger))
    # A third run finds a sound ledger and says nothing about it.
    third = run_scrapy(["crawlall", *only], data)
    assert third.returncode == runs.EXIT_OK and "ledger was damaged" not in third.log


def test_lines_that_are_not_records_are_skipped_counted_and_located(tmp_path, caplog):
    from newscrawl.state import CrawlState

    partition = tmp_path / "articles" / "site" / "2025-06.jsonl"
    partition.parent.mkdir(parents=True)
    good = [dict(record(n), url=f"https://site.example/{n}", version=1, content_hash=f"h{n}",
                 story_id=f"s{n}") for n in (1, 2)]
    partition.write_bytes(
        encode_record(good[0]) + b"[1, 2, 3]\n" + b"\x00\x01 not json\n" + encode_record(good[1])
    )
    state = CrawlState(tmp_path)
    try:
        assert state.reconciled == 2 and state.corrupt_lines == 2
        assert state.ledger.known(record_id="site:2") is not None
    finally:
        state.ledger.close()
    assert "2025-06.jsonl: line 2 after byte 0 is not a record" in caplog.text


# ------------------------------------------------------------------ an unusable data directory
@pytest.fixture
def read_only_data(tmp_path):
    """A data directory with one crawl's records, on a filesystem then remounted read-only."""
    mount_point = tmp_path / "ro"
    mount_tmpfs(mount_point, "8m")
    try:
        data = mount_point / "data"
        assert run_scrapy(["crawlall", "--only", "detikinet"], data).returncode == runs.EXIT_OK
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        yield data, stored_ids(data)
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_read_only_data_directory_is_one_line_and_exit_6(read_only_data):
    data, before = read_only_data
    result = run_scrapy(["crawlall", "--only", "detikinet"], data)
    assert result.returncode == runs.EXIT_FAILED
    assert result.log.strip() == (
        f"crawlall: cannot write to the data directory {data}: Read-only file system; "
        "set NEWSCRAWL_DATA_DIR (or -s NEWSCRAWL_DATA_DIR=...) to a writable directory"
    )
    # scrapy crawl says the same in one line before it starts, with the same exit code.
    crawl = run_scrapy(["crawl", "detikinet"], data)
    assert crawl.returncode == runs.EXIT_FAILED
    assert crawl.log.strip() == result.log.strip().replace("crawlall:", "crawl:", 1)
    assert stored_ids(data) == before


def test_a_data_directory_that_is_a_file(tmp_path):
    data = tmp_path / "data"
    data.write_text("not a directory")
    result = run_scrapy(["crawlall", "--only", "detikinet"], data)
    assert result.returncode == runs.EXIT_FAILED
    assert "is a file, not a directory" in result.log and "Traceback" not in result.log


def test_an_outlet_that_never_answers_is_failed_not_healthy(tmp_path):
    # Nothing listens on port 9 of 127.0.0.1: every request is refused, as with a DNS failure.
    data = tmp_path / "data"
    result = run_scrapy(
        ["crawlall", "--only", "detikinet", "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=0"],
        data, mirror=None, env={"NEWSCRAWL_HOST_OVERRIDE": "127.0.0.1:9"},
    )
    assert result.returncode == runs.EXIT_FAILED
    assert "detikinet: failed: no response to any of" in result.log
    assert "DownloadConnectionRefusedError" in result.log
