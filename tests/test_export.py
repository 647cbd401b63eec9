"""Datasets for researchers: latest versions, reproducible files, story-aware splits."""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import datetime, timezone

import pyarrow.parquet as pq
from conftest import mirror_ids, run_scrapy

from newscrawl.export import export, split_of
from newscrawl.items import FIELD_ORDER


def _record(record_id: str, **fields) -> dict:
    record = {name: None for name in FIELD_ORDER}
    record.update(
        id=record_id, source=record_id.split(":")[0], url=f"https://x.id/{record_id}",
        title="Judul", body="Isi berita.", authors=["Ana", "Budi"], editors=[], editor_codes=[],
        tags=["AI"], quality_flags=[], version=1, story_id=f"s-{record_id}",
        published_at="2024-03-27T09:55:00+07:00",
        image={"url": "https://x.id/a.jpg", "caption": "Foto", "credit": "AP/Susan Walsh"},
    )
    record.update(fields)
    return record


def _store(data, records):
    for record in records:
        path = data / "articles" / record["source"] / f"{record['published_at'][:7]}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_latest_version_unique_stories_and_byte_identical_reexport(tmp_path):
    data = tmp_path / "data"
    _store(data, [
        _record("a:1", body="Versi pertama."),
        _record("b:7", published_at="2024-03-26T08:00:00+07:00"),
        _record("a:1", body="Versi kedua.", version=2),
        _record("c:3", story_id="s-a:1", duplicate_of="a:1",
                published_at="2024-03-27T03:00:00+00:00"),
    ])
    manifest = export(data, tmp_path / "one", ["jsonl", "csv", "parquet"])
    lines = (tmp_path / "one" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    # Ordered by instant: b:7 (08:00 WIB on the 26th), a:1 (09:55 WIB), c:3 (10:00 WIB).
    assert [r["id"] for r in records] == ["b:7", "a:1", "c:3"]
    assert records[1]["body"] == "Versi kedua." and records[1]["version"] == 2
    assert manifest["records"] == 3 and manifest["stories"] == 2
    again = export(data, tmp_path / "two", ["jsonl", "csv", "parquet"])
    assert again["files"] == manifest["files"]  # same sha256 for every file
    unique = export(data, tmp_path / "u", ["jsonl"], unique_stories=True)
    assert unique["records"] == 2


def test_csv_and_parquet_keep_lists_and_objects(tmp_path):
    data = tmp_path / "data"
    _store(data, [_record("a:1")])
    export(data, tmp_path / "out", ["csv", "parquet"])
    with (tmp_path / "out" / "articles.csv").open(encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["authors"] == "Ana | Budi"
    assert json.loads(row["image"])["credit"] == "AP/Susan Walsh"
    table = pq.read_table(tmp_path / "out" / "articles.parquet").to_pylist()
    assert table[0]["authors"] == ["Ana", "Budi"]
    assert table[0]["image"]["credit"] == "AP/Susan Walsh"
    # Instants are timestamps (UTC); the offset the site printed is kept beside them.
    assert table[0]["published_at"] == datetime(2024, 3, 27, 2, 55, tzinfo=timezone.utc)
    assert table[0]["published_at_offset"] == "+07:00"
    schema = pq.read_schema(tmp_path / "out" / "articles.parquet")
    assert str(schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("crawled_at").type) == "timestamp[us, tz=UTC]"


def test_split_follows_the_story_not_the_record():
    splits = {split_of("story-42", f"x:{n}") for n in range(50)}
    assert len(splits) == 1
    spread = [split_of(f"story-{n}", "x") for n in range(2000)]
    assert 0.07 < spread.count("test") / 2000 < 0.13
    assert 0.07 < spread.count("dev") / 2000 < 0.13


def test_export_command_after_a_crawl(tmp_path):
    data = tmp_path / "data"
    run_scrapy(["crawl", "detikinet"], data)
    result = run_scrapy(
        ["export", "--format", "jsonl,parquet", "--split", "--exclude-flags", "partial_body"],
        data, mirror=None,
    )
    assert result.returncode == 0, result.log
    count = len(mirror_ids("detikinet"))
    assert f"{count} records ({count} stories) from 1 source," in result.log
    out = data / "exports" / "articles"
    manifest = json.loads((out / "articles.manifest.json").read_text(encoding="utf-8"))
    assert manifest["by_source"] == {"detikinet": count}
    assert sum(manifest["splits"].values()) == count
    assert manifest["filters"]["exclude_flags"] == ["partial_body"]
    assert manifest["command"][:2] == ["scrapy", "export"] and "--split" in manifest["command"]
    assert manifest["software"]["newscrawl"]
    assert run_scrapy(["export", "--format", "xlsx"], data, mirror=None).returncode == 2


def test_a_second_export_into_the_same_folder_is_refused_or_replaces_the_first(tmp_path):
    data = tmp_path / "data"
    _store(data, [_record("a:1"), _record("a:2"), _record("b:1")])
    out = tmp_path / "out"
    first = run_scrapy(["export", "--format", "jsonl,csv,parquet", "--out", str(out)], data,
                       mirror=None)
    assert first.returncode == 0, first.log
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    again = run_scrapy(["export", "--only", "b", "--out", str(out)], data, mirror=None)
    assert again.returncode == 2
    assert "is not empty" in again.log and "--force" in again.log and "Traceback" not in again.log
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    forced = run_scrapy(["export", "--only", "b", "--out", str(out), "--force"], data,
                        mirror=None)
    assert forced.returncode == 0, forced.log
    assert sorted(p.name for p in out.iterdir()) == [
        "articles.datasheet.md", "articles.jsonl", "articles.manifest.json", "articles.sha256"]
    assert len((out / "articles.jsonl").read_text().splitlines()) == 1
    check = subprocess.run(["sha256sum", "-c", "articles.sha256"], cwd=out, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 3

    # A folder with someone else's files is never cleared.
    (out / "notes.txt").write_text("mine")
    refused = run_scrapy(["export", "--out", str(out), "--force"], data, mirror=None)
    assert refused.returncode == 2 and "notes.txt" in refused.log
    assert (out / "notes.txt").read_text() == "mine" and (out / "articles.jsonl").exists()


def test_export_refuses_unknown_sources_and_backwards_windows(tmp_path):
    data = tmp_path / "data"
    _store(data, [_record("a:1")])
    unknown = run_scrapy(["export", "--only", "nosuch"], data, mirror=None)
    assert unknown.returncode == 2 and "unknown sources: nosuch" in unknown.log
    backwards = run_scrapy(["export", "--since", "2024-05-02", "--until", "2024-05-01"], data,
                           mirror=None)
    assert backwards.returncode == 2 and "is after --until" in backwards.log
    empty = run_scrapy(["export", "--since", "2030-01-01"], data, mirror=None)
    assert empty.returncode == 0 and "0 records: nothing in the store matches" in empty.log


def test_records_with_excluded_quality_flags_are_left_out_and_counted(tmp_path):
    data = tmp_path / "data"
    _store(data, [
        _record("a:1"),
        _record("a:2", quality_flags=["partial_body"]),
        _record("a:3", quality_flags=["short_body", "date_disagreement"]),
    ])
    everything = export(data, tmp_path / "all", ["jsonl"])
    assert everything["records"] == 3
    assert everything["quality_flags"] == {
        "date_disagreement": 1, "partial_body": 1, "short_body": 1,
    }
    clean = export(data, tmp_path / "clean", ["jsonl"], exclude_flags=["partial_body", "short_body"])
    lines = (tmp_path / "clean" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a:1"]
    assert clean["filters"]["exclude_flags"] == ["partial_body", "short_body"]
    assert clean["quality_flags"] == {}
    assert clean["quality_flags_before_exclusion"] == everything["quality_flags"]


def test_stores_of_several_data_directories_make_one_dataset(tmp_path):
    """Distributed mode: each machine's data directory holds the records it stored."""
    _store(tmp_path / "one", [_record("a:1"), _record("a:2", body="Lama.")])
    _store(tmp_path / "two", [_record("b:1"), _record("a:2", body="Baru.", version=2)])
    manifest = export(tmp_path / "one", tmp_path / "out", ["jsonl"], include=[tmp_path / "two"])
    lines = (tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    records = {json.loads(line)["id"]: json.loads(line) for line in lines}
    assert sorted(records) == ["a:1", "a:2", "b:1"]
    assert records["a:2"]["body"] == "Baru."  # the latest version, wherever it was stored
    assert manifest["filters"]["stores"] == 2


def test_datasheet_describes_the_exported_files(tmp_path):
    data = tmp_path / "data"
    notice = "Dilarang keras mengambil konten untuk AI tanpa izin tertulis."
    _store(data, [
        _record("antaratekno:1", outlet="ANTARA", rights={"reserved": True, "notice": notice}),
        _record("detikinet:2", outlet="detikInet", published_at="2024-03-28T10:00:00+07:00"),
        _record("detikinet:3", outlet="detikInet", quality_flags=["partial_body"]),
    ])
    manifest = export(data, tmp_path / "out", ["jsonl"], with_split=True)
    sheet = (tmp_path / "out" / "articles.datasheet.md").read_text(encoding="utf-8")
    assert "| `detikinet` | detikInet | 2 | 2024-03-27T09:55:00+07:00 | 2024-03-28T10:00:00+07:00 |" in sheet
    assert "| `antaratekno` | ANTARA | 1 |" in sheet
    assert f"`{manifest['files']['articles.jsonl']['sha256']}`" in sheet
    assert f'"{notice}"' in sheet and "1 records carry an explicit reservation" in sheet
    assert "`partial_body` 1" in sheet
    assert "train" in sheet and manifest["files"]["articles.datasheet.md"]["format"] == "datasheet"
    again = export(data, tmp_path / "again", ["jsonl"], with_split=True)
    assert again["files"] == manifest["files"]  # the datasheet is reproducible too


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path):
    data = tmp_path / "data"
    titles = ["=HYPERLINK(\"http://x\")", "+62 juta", "-1 persen", "@kominfo", "\tTab", "\rCR",
              "Biasa", "Rp=10"]
    _store(data, [_record(f"a:{n}", title=t) for n, t in enumerate(titles)])
    export(data, tmp_path / "out", ["csv", "jsonl"])
    with (tmp_path / "out" / "articles.csv").open(encoding="utf-8", newline="") as handle:
        cells = sorted(row["title"] for row in csv.DictReader(handle))
    assert sorted(cells) == sorted(["'=HYPERLINK(\"http://x\")", "'+62 juta", "'-1 persen",
                                    "'@kominfo", "'\tTab", "'\rCR", "Biasa", "Rp=10"])
    # The JSONL keeps the text as stored.
    jsonl = [json.loads(line) for line in (tmp_path / "out" / "articles.jsonl").open()]
    assert sorted(r["title"] for r in jsonl) == sorted(titles)


def test_lines_that_are_not_records_are_skipped_and_located_in_the_manifest(tmp_path):
    data = tmp_path / "data"
    _store(data, [_record("a:1")])
    partition = data / "articles" / "a" / "2024-03.jsonl"
    with partition.open("a", encoding="utf-8") as handle:
        handle.write("[1, 2, 3]\n{\"no\": \"id\"}\nnot json at all\n")
        handle.write(json.dumps(_record("a:2")) + "\n")
    manifest = export(data, tmp_path / "out", ["jsonl"])
    assert manifest["records"] == 2
    assert manifest["corrupt_lines"]["count"] == 3
    assert [(p["line"], p["reason"]) for p in manifest["corrupt_lines"]["first"]] == [
        (2, "not a record"), (3, "not a record"), (4, "not JSON"),
    ]


def test_export_names_cannot_leave_the_output_folder(tmp_path):
    data = tmp_path / "data"
    _store(data, [_record("a:1")])
    for name in ("../../../x", "/etc/passwd", "a/b", ".hidden", ""):
        try:
            export(data, tmp_path / "out", ["jsonl"], name=name)
        except ValueError:
            continue
        raise AssertionError(f"{name!r} accepted")
    assert not (tmp_path / "x.jsonl").exists()
    result = run_scrapy(["export", "--name", "../../../x"], data, mirror=None)
    assert result.returncode == 2 and "--name" in result.log


def test_an_empty_split_export_keeps_the_parquet_schema(tmp_path):
    data = tmp_path / "data"
    _store(data, [_record("a:1")])
    full = export(data, tmp_path / "full", ["parquet"], with_split=True)
    empty = export(data, tmp_path / "empty", ["parquet"], with_split=True,
                   since=__import__("datetime").date(2030, 1, 1))
    assert (full["records"], empty["records"]) == (1, 0)
    schema = pq.read_schema(tmp_path / "full" / "articles.parquet")
    assert pq.read_schema(tmp_path / "empty" / "articles.parquet") == schema
    assert "split" in schema.names


def test_scrapy_feeds_carry_the_record_as_stored(tmp_path):
    """`scrapy crawl <spider> -o items.jsonl -o items.csv`: every field, in the stored order;
    CSV as `scrapy export` writes it."""
    data = tmp_path / "data"
    feed_jsonl, feed_csv = tmp_path / "items.jsonl", tmp_path / "items.csv"
    result = run_scrapy(["crawl", "detikinet", "-o", str(feed_jsonl), "-o", str(feed_csv)], data)
    assert result.returncode == 0, result.log[-2000:]
    lines = [json.loads(line) for line in feed_jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(mirror_ids("detikinet"))
    assert all(list(record) == list(FIELD_ORDER) for record in lines)
    stored = {r["id"]: r for r in result.records()}
    assert {r["id"]: r for r in lines} == stored
    with feed_csv.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == list(FIELD_ORDER)
        rows = {row["id"]: row for row in reader}
    for record_id, record in stored.items():
        row = rows[record_id]
        assert row["authors"] == " | ".join(record["authors"])
        assert json.loads(row["image"]) == record["image"]
        assert json.loads(row["archive"]) == record["archive"]
