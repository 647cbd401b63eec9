"""The WARC archive (newscrawl/archive.py) and the re-extraction plan (newscrawl/reextract.py),
without Scrapy: what is written, read back, recovered after a kill, and chosen for replay."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
import zlib
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from conftest import MIRROR
from warcio.archiveiterator import ArchiveIterator

from newscrawl.archive import (
    OPEN_SUFFIX,
    ArchiveError,
    ArchivePointer,
    ArchiveWriter,
    archive_files,
    complete_length,
    read_response,
    recover_open_files,
    scan,
)
from newscrawl.jsonl import StorageError
from newscrawl.reextract import Comparison, fingerprint, plan, stored_records

PAGE = (MIRROR / "detikinet" / "articles" / "d-7301234.html").read_bytes()
URL = "https://inet.detik.com/consumer/d-7301234/ponsel-lipat-murah-mulai-masuk-indonesia"


def write_pages(writer: ArchiveWriter, count: int, kind: str = "article",
                when: datetime | None = None) -> list[ArchivePointer]:
    return [
        writer.write(url=f"{URL}-{n}", status=200,
                     headers=[("Content-Type", "text/html; charset=utf-8"),
                              ("Transfer-Encoding", "chunked")],
                     body=PAGE + f"<!-- {n} -->".encode(), kind=kind,
                     request_headers=[("User-Agent", "newscrawl-test")], when=when)
        for n in range(count)
    ]


def warcio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warcio.cli", *args], capture_output=True,
                          text=True, timeout=60)


def test_pages_read_back_by_pointer_as_received(tmp_path):
    writer = ArchiveWriter(tmp_path, "detikinet", {"origin": "test"})
    pointers = write_pages(writer, 3)
    writer.close()
    for n, pointer in enumerate(pointers):
        page = read_response(tmp_path, pointer)
        assert page.url == f"{URL}-{n}"
        assert page.status == 200
        assert page.body == PAGE + f"<!-- {n} -->".encode()
        assert (page.source, page.kind) == ("detikinet", "article")
        # The body is de-chunked: the header saying otherwise is not kept.
        assert ("Content-Type", "text/html; charset=utf-8") in page.headers
        assert not any(name.lower() == "transfer-encoding" for name, _ in page.headers)
    path = tmp_path / pointers[0].file
    assert path.name.endswith(".warc.gz") and path.parts[-3:-1] == ("detikinet",
                                                                     datetime.now(timezone.utc)
                                                                     .strftime("%Y-%m"))
    check = warcio("check", "-v", str(path))
    assert check.returncode == 0, check.stdout
    assert check.stdout.count("digest pass") >= 6  # every response and request record
    index = [json.loads(line) for line in warcio("index", str(path)).stdout.splitlines()]
    assert [row["warc-type"] for row in index] == ["warcinfo"] + ["response", "request"] * 3
    assert [int(row["offset"]) for row in index if row["warc-type"] == "response"] == [
        p.offset for p in pointers]


def test_warcinfo_says_where_the_pages_came_from(tmp_path):
    writer = ArchiveWriter(tmp_path, "detikinet", {"origin": "offline mirror tests/mirror"})
    pointer = write_pages(writer, 1)[0]
    writer.close()
    with open(tmp_path / pointer.file, "rb") as handle:
        first = next(iter(ArchiveIterator(handle)))
        info = first.content_stream().read().decode()
    assert first.rec_type == "warcinfo"
    assert "origin: offline mirror tests/mirror" in info
    assert "format: WARC File Format 1.1" in info


def test_files_rotate_by_size_and_are_never_reopened(tmp_path):
    writer = ArchiveWriter(tmp_path, "detikinet", max_bytes=8_000)
    pointers = write_pages(writer, 8)
    writer.close()
    files = archive_files(tmp_path)
    assert len(files) >= 3
    for file in files:
        with open(file, "rb") as handle:
            assert complete_length(handle)[0] == file.stat().st_size
    for pointer in pointers:
        assert read_response(tmp_path, pointer).status == 200
    # A second writer (the next run) starts new files.
    again = ArchiveWriter(tmp_path, "detikinet")
    write_pages(again, 1)
    again.close()
    assert len(archive_files(tmp_path)) == len(files) + 1


def test_a_file_being_written_is_readable_and_named_open(tmp_path):
    writer = ArchiveWriter(tmp_path, "detikinet")
    pointer = write_pages(writer, 1)[0]
    assert not (tmp_path / pointer.file).exists()
    assert (tmp_path / (pointer.file + OPEN_SUFFIX)).exists()
    assert read_response(tmp_path, pointer).url == f"{URL}-0"
    # A live writer's file is not "recovered" by another process.
    assert recover_open_files(tmp_path) == []
    writer.close()
    assert (tmp_path / pointer.file).exists()


def test_a_killed_writers_file_is_cut_to_its_last_complete_record(tmp_path):
    writer = ArchiveWriter(tmp_path, "detikinet")
    pointers = write_pages(writer, 4)
    open_path = tmp_path / (pointers[0].file + OPEN_SUFFIX)
    size = open_path.stat().st_size
    # A kill -9 in the middle of the last page's write: its bytes are partly on disk.
    cut_at = pointers[3].offset + pointers[3].length // 2
    # The writer's lock dies with the process.
    fcntl.flock(writer.handle, fcntl.LOCK_UN)
    os.close(writer.handle)
    os.truncate(open_path, cut_at)

    recovered = recover_open_files(tmp_path)

    assert len(recovered) == 1 and recovered[0].cut_bytes == cut_at - pointers[3].offset
    final = tmp_path / pointers[0].file
    assert final.exists() and not open_path.exists()
    assert final.stat().st_size == pointers[3].offset < size
    for pointer in pointers[:3]:
        assert read_response(tmp_path, pointer).status == 200
    with pytest.raises(ArchiveError):
        read_response(tmp_path, pointers[3])
    assert warcio("check", str(final)).returncode == 0
    entries = list(scan(final, tmp_path))
    assert [e.pointer for e in entries] == pointers[:3]


def test_a_damaged_record_is_refused_not_misread(tmp_path):
    writer = ArchiveWriter(tmp_path, "detikinet")
    pointer = write_pages(writer, 1)[0]
    writer.close()
    path = tmp_path / pointer.file
    data = path.read_bytes()
    # One letter of the page changed, in a record that is still valid gzip: only the WARC
    # payload digest can tell.
    member = zlib.decompress(data[pointer.offset:pointer.offset + pointer.length], 31)
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    rewritten = compressor.compress(member.replace(b"Ponsel", b"ponsel", 1)) + compressor.flush()
    path.write_bytes(data[:pointer.offset] + rewritten + data[pointer.offset + pointer.length:])
    with pytest.raises(ArchiveError, match="digest"):
        read_response(tmp_path, ArchivePointer(pointer.file, pointer.offset, len(rewritten)))
    with pytest.raises(ArchiveError):
        read_response(tmp_path, ArchivePointer(pointer.file, pointer.offset + 1, pointer.length))
    with pytest.raises(ArchiveError):
        read_response(tmp_path, ArchivePointer("warc/detikinet/none.warc.gz", 0, 10))


def test_a_full_disk_leaves_nothing_half_written(tmp_path, monkeypatch):
    writer = ArchiveWriter(tmp_path, "detikinet")
    first = write_pages(writer, 1)[0]
    path = tmp_path / (first.file + OPEN_SUFFIX)
    size = path.stat().st_size
    real_write = os.write

    def short_write(handle: int, data: bytes) -> int:
        real_write(handle, data[: len(data) // 3])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", short_write)
    with pytest.raises(StorageError):
        write_pages(writer, 1)
    monkeypatch.undo()
    assert path.stat().st_size == size
    second = write_pages(writer, 1)[0]
    writer.close()
    assert read_response(tmp_path, first).status == read_response(tmp_path, second).status == 200


# ------------------------------------------------------------------ the re-extraction plan
def store(data_dir: Path, *records: dict) -> None:
    for record in records:
        path = data_dir / "articles" / record["source"] / "2026-11.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def record(record_id: str, version: int = 1, **fields) -> dict:
    return {"id": record_id, "source": "detikinet", "url": f"{URL}-{record_id}",
            "title": "Judul", "body": "Isi.", "published_at": "2026-11-01T10:00:00+07:00",
            "version": version, "crawled_at": "2026-11-02T00:00:00+00:00",
            "quality_flags": [], **fields}


def test_the_plan_takes_the_newest_copy_of_each_page_in_fetch_order(tmp_path):
    old = ArchiveWriter(tmp_path, "detikinet")
    first = write_pages(old, 2, when=datetime(2026, 11, 1, tzinfo=timezone.utc))
    write_pages(old, 1, kind="listing", when=datetime(2026, 11, 1, tzinfo=timezone.utc))
    old.close()
    new = ArchiveWriter(tmp_path, "detikinet")
    again = write_pages(new, 1, when=datetime(2026, 11, 3, tzinfo=timezone.utc))
    new.close()

    replays = plan(tmp_path).replays
    assert [(r.url, r.offset) for r in replays] == [(f"{URL}-1", first[1].offset),
                                                    (f"{URL}-0", again[0].offset)]
    assert replays[1].record_pointer == again[0].as_dict()
    assert [r.url for r in plan(tmp_path, until=date(2026, 11, 2)).replays] == [
        f"{URL}-0", f"{URL}-1"]
    assert [r.url for r in plan(tmp_path, since=date(2026, 11, 2)).replays] == [f"{URL}-0"]
    assert plan(tmp_path, sources=["kompastekno"]).replays == []


def test_the_flags_plan_reads_the_pages_flagged_records_came_from(tmp_path):
    writer = ArchiveWriter(tmp_path, "detikinet")
    pointers = write_pages(writer, 3)
    writer.close()
    store(tmp_path,
          record("a", archive=pointers[0].as_dict(), quality_flags=["generic_body"]),
          record("b", archive=pointers[1].as_dict()),
          record("c", archive=None, quality_flags=["generic_body"]),
          record("b", version=2, archive=pointers[2].as_dict(), quality_flags=["generic_body"]))
    stored = stored_records([tmp_path])
    assert stored["b"].version == 2
    selection = plan(tmp_path, flags=["generic_body"], stored=stored)
    assert sorted(r.offset for r in selection.replays) == [pointers[0].offset,
                                                           pointers[2].offset]
    assert selection.not_archived == {"detikinet": 1}


def test_another_machines_archive_is_read_and_pointed_at_relative_to_this_store(tmp_path):
    here, there = tmp_path / "a" / "data", tmp_path / "b" / "data"
    here.mkdir(parents=True)
    writer = ArchiveWriter(there, "detikinet")
    pointer = write_pages(writer, 1)[0]
    writer.close()
    replay = plan(here, include=[there]).replays[0]
    assert replay.record_pointer["file"].startswith("../../b/data/warc/detikinet/")
    assert read_response(here, ArchivePointer.from_value(replay.record_pointer)).url == replay.url
    assert replay.offset == pointer.offset


def test_a_record_changes_with_any_extracted_field_not_with_crawl_bookkeeping(tmp_path):
    base = record("a", authors=["Ana"], story_id="s1", archive={"file": "x", "offset": 0,
                                                               "length": 1})
    store(tmp_path, base)
    same = {**base, "crawled_at": "2027-01-01T00:00:00+00:00", "version": 3, "story_id": "s2",
            "previous_content_hash": "f" * 32, "duplicate_of": "b", "archive": None}
    assert fingerprint(same) == fingerprint(base)
    for field, value in {"authors": ["Ana", "Budi"], "parser": "detikinet@2026",
                         "quality_flags": ["generic_body"], "body": "Isi lain."}.items():
        assert fingerprint({**base, field: value}) != fingerprint(base), field
    comparison = Comparison(stored_records([tmp_path]))
    assert comparison.unchanged("a", same) is True
    assert comparison.unchanged("a", {**base, "title": "Baru"}) is False
    assert comparison.unchanged("zzz", base) is None
    comparison.remember("a", {**base, "title": "Baru"})
    assert comparison.unchanged("a", {**base, "title": "Baru"}) is True


def test_an_article_of_another_machines_store_continues_its_numbering(tmp_path):
    store(tmp_path, record("a", version=3, content_hash="c" * 32, story_id="s1",
                           duplicate_of="b"))
    comparison = Comparison(stored_records([tmp_path]))
    known = comparison.known_elsewhere("a")
    assert (known.version, known.content_hash) == (3, "c" * 32)
    assert comparison.story_of("a") == ("s1", "b")
    assert comparison.known_elsewhere("zzz") is None
