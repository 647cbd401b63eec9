"""Datasets for researchers: latest versions, reproducible files, story-aware splits."""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import date, datetime, timezone

import pyarrow.parquet as pq
import pytest
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


def test_an_export_killed_before_its_end_leaves_no_file_that_looks_whole(tmp_path):
    """kill -9 (here: the process ends at once, no clean-up runs) after the data files were
    written: they are still dot-files named *.partial, with no manifest, so no reader takes them
    for a dataset; the next export refuses the folder, and with --force replaces them."""
    import os

    import newscrawl.export as module

    data = tmp_path / "data"
    _store(data, [_record("a:1"), _record("a:2"), _record("b:1")])
    out = tmp_path / "out"
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit code is what the test reads
        try:
            module.write_plot = lambda *args: os._exit(9)  # dies right after the data files
            export(data, out, ["jsonl", "csv", "parquet"])
        finally:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    left = sorted(p.name for p in out.iterdir())
    assert left == [".articles.csv.partial", ".articles.jsonl.partial",
                    ".articles.parquet.partial"]
    with pytest.raises(module.ExportFolderNotEmpty, match="interrupted"):
        export(data, out, ["jsonl"])
    manifest = export(data, out, ["jsonl", "csv", "parquet"], force=True)
    assert manifest["records"] == 3
    assert not [p.name for p in out.iterdir() if p.name.endswith(".partial")]
    assert len(pq.read_table(out / "articles.parquet")) == 3


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
        "articles.datasheet.md", "articles.jsonl", "articles.manifest.json",
        "articles.per-day.png", "articles.sha256"]
    assert len((out / "articles.jsonl").read_text().splitlines()) == 1
    check = subprocess.run(["sha256sum", "-c", "articles.sha256"], cwd=out, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 4  # data, plot, datasheet, manifest

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
    manifest = export(data, tmp_path / "out", ["jsonl"], with_split=True, include_reserved=True)
    sheet = (tmp_path / "out" / "articles.datasheet.md").read_text(encoding="utf-8")
    assert "| `detikinet` | detikInet | 2 | 2024-03-27T09:55:00+07:00 | 2024-03-28T10:00:00+07:00 |" in sheet
    assert "| `antaratekno` | ANTARA | 1 |" in sheet
    assert f"`{manifest['files']['articles.jsonl']['sha256']}`" in sheet
    assert f'"{notice}"' in sheet and "1 records in this dataset carry a reservation" in sheet
    assert "`partial_body` 1" in sheet
    assert "train" in sheet and manifest["files"]["articles.datasheet.md"]["format"] == "datasheet"
    assert "![Articles per day per outlet](articles.per-day.png)" in sheet
    again = export(data, tmp_path / "again", ["jsonl"], with_split=True, include_reserved=True)
    assert again["files"] == manifest["files"]  # the datasheet and the plot are reproducible too


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
                   since=date(2030, 1, 1))
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


# --- The streaming export against a straightforward in-memory one ------------------------------
# The reference is the export as it was before it streamed: every record read into a dict, the
# latest versions sorted, filtered, and each file written from the whole list.


def _reference_latest(data_dirs: list, sources=None) -> tuple[list[dict], list[dict]]:
    from newscrawl.export import read_store

    problems: list[dict] = []
    latest: dict = {}
    for data_dir in data_dirs:
        for record in read_store(data_dir / "articles", sources, problems):
            current = latest.get(record["id"])
            if current is None or (record.get("version") or 1) >= (current.get("version") or 1):
                latest[record["id"]] = record
    instant = lambda r: datetime.fromisoformat(r["published_at"]).astimezone(timezone.utc)  # noqa: E731
    return sorted(latest.values(), key=lambda r: (instant(r), r["id"])), problems


def _reference_select(records, since=None, until=None, unique_stories=False, with_split=False,
                      exclude_flags=(), include_reserved=False):
    out = []
    for record in records:
        if not include_reserved and (record.get("rights") or {}).get("reserved"):
            continue
        day = datetime.fromisoformat(record["published_at"]).date()
        if (since and day < since) or (until and day > until):
            continue
        if unique_stories and record.get("duplicate_of"):
            continue
        if set(exclude_flags).intersection(record.get("quality_flags") or ()):
            continue
        if with_split:
            record = {**record, "split": split_of(record.get("story_id"), record["id"])}
        out.append(record)
    return out


def _reference_files(records, with_split) -> dict[str, bytes]:
    import io

    import pyarrow as pa

    from newscrawl.export import csv_cell, parquet_row, parquet_schema

    jsonl = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                    for r in records)
    text = io.StringIO(newline="")
    columns = list(FIELD_ORDER) + (["split"] if with_split else [])
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    for record in records:
        writer.writerow({c: csv_cell(c, record.get(c)) for c in columns})
    schema = parquet_schema(with_split)
    table = pa.Table.from_pylist(
        [{f.name: row.get(f.name) for f in schema} for row in map(parquet_row, records)],
        schema=schema)
    parquet = io.BytesIO()
    pq.write_table(table, parquet, compression="zstd")
    return {"jsonl": jsonl.encode(), "csv": text.getvalue().encode(),
            "parquet": parquet.getvalue()}


def _reference_manifest_figures(records, kept, with_split, problems) -> dict:
    def flags(items):
        counts: dict = {}
        for record in items:
            for flag in record.get("quality_flags") or ():
                counts[flag] = counts.get(flag, 0) + 1
        return dict(sorted(counts.items()))

    by_source: dict = {}
    for record in records:
        by_source[record["source"]] = by_source.get(record["source"], 0) + 1
    return {
        "records": len(records),
        "by_source": dict(sorted(by_source.items())),
        "stories": len({r.get("story_id") or r["id"] for r in records}),
        "published_from": records[0]["published_at"] if records else None,
        "published_to": records[-1]["published_at"] if records else None,
        "quality_flags": flags(records),
        "quality_flags_before_exclusion": flags(kept),
        "splits": ({s: sum(r["split"] == s for r in records) for s in ("train", "dev", "test")}
                   if with_split else None),
        "fill_rates": {
            name: round(sum(1 for r in records if r.get(name) not in (None, [], ""))
                        / len(records), 4) for name in FIELD_ORDER} if records else {},
        "rights_reserved": sum(1 for r in records if (r.get("rights") or {}).get("reserved")),
        "corrupt_lines": {"count": len(problems), "first": problems[:100]},
    }


def _reference_facts(records):
    from newscrawl.datasheet import DatasheetFacts, SourceFacts

    facts = DatasheetFacts()
    by_source: dict = {}
    for record in records:
        by_source.setdefault(record["source"], []).append(record)
    for source, items in by_source.items():
        published = sorted(r["published_at"] for r in items)
        facts.sources[source] = SourceFacts(len(items), items[0].get("outlet"), published[0],
                                            published[-1])
    crawled = sorted(r["crawled_at"] for r in records if r.get("crawled_at"))
    facts.crawled_first, facts.crawled_last = (crawled[0], crawled[-1]) if crawled else (None,
                                                                                      None)
    facts.notices = sorted({(r.get("rights") or {}).get("notice") or "" for r in records
                            if (r.get("rights") or {}).get("reserved")} - {""})[:5]
    return facts


_TEXTS = [
    "Biasa saja.", 'Kata "kutip", koma', "=SUM(A1)", "+62 juta", "-1", "@kominfo", "\tTab",
    "\rCR", "Baris\nbaru", "Unicode “ok” – é 日本", "ctrl \x00 \x1f \x7f", "sep \u2028 \u2029",
    "back\\slash \\u0041", "", "C:\\users\\n", "a\r\nb", "/slash/", "koma,saja", 'akhir \\',
]


def _odd_record(rng, number: int, source: str) -> dict:
    """A record with a random mix of what stores hold: quotes, commas, control characters,
    non-ASCII text, empty and null fields, other offsets, extra fields."""
    offset = rng.choice(["+07:00", "+08:00", "+09:00", "+00:00", "-05:00"])
    record = _record(
        f"{source}:{number}",
        outlet=rng.choice([None, source.upper(), ""]), title=rng.choice(_TEXTS),
        description=rng.choice([*_TEXTS, None]),
        authors=rng.choice([[], ["Ana"], ["Ana", "Bu,di"], None]),
        published_at=f"2024-0{rng.randint(1, 3)}-{rng.randint(1, 28):02d}T"
                     f"{rng.choice([0, 5, 23]):02d}:{rng.choice([0, 30]):02d}:00{offset}",
        modified_at=rng.choice([None, "", "2024-04-01T10:00:00+07:00", "2024-04-01T10:00:00"]),
        body=rng.choice(_TEXTS) * rng.choice([1, 40, 300]) + "x" * rng.randint(0, 300),
        tags=rng.choice([["AI"], [], ["a", "b"]]),
        image=rng.choice([None, {"url": "u", "caption": rng.choice(_TEXTS), "credit": "c"}, {}]),
        word_count=rng.choice([1, 0, 1.5, None, 300]), version=rng.choice([1, 1, None, 0]),
        story_id=rng.choice([None, f"s{rng.randint(0, 20)}", ""]),
        duplicate_of=rng.choice([None, None, f"{source}:0"]),
        rights=rng.choice([None, {}, {"reserved": False, "notice": None},
                           {"reserved": True, "notice": f"Notice {rng.randint(0, 8)}",
                            "signals": []}, {"reserved": True, "notice": None}]),
        archive=rng.choice([None, {"file": "f", "offset": 1, "length": 2}]),
        crawled_at=rng.choice([None, f"2024-05-0{rng.randint(1, 9)}T00:00:00+00:00"]),
        quality_flags=rng.choice([[], ["short_body"], ["partial_body", "short_body"],
                                  ["mojibake", "mojibake"], None]),
    )
    if rng.random() < 0.1:
        record["extra"] = {"nested": [1, 2.5, True, None]}
    if rng.random() < 0.05:
        record["split"] = "stored"
    return record


def _odd_store(data, seed: int) -> None:
    """Partitions of odd records, some updated (a higher version, or an equal one: the later
    line wins), in three JSON spellings, with corrupt, blank, CRLF, lone-CR, invalid-UTF-8 and
    truncated lines, and one line whose body key comes twice."""
    import random

    rng = random.Random(seed)
    for source in ("a", "b", "c"):
        for month in ("2024-01", "2024-02"):
            path = data / "articles" / source / f"{month}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                for _ in range(40):
                    record = _odd_record(rng, rng.randint(0, 50), source)
                    if rng.random() < 0.15:
                        record["version"] = rng.choice([2, 3])
                    spelling = rng.random()
                    line = (json.dumps(record, ensure_ascii=False, separators=(",", ":"))
                            if spelling < 0.6 else json.dumps(record, ensure_ascii=False)
                            if spelling < 0.8 else json.dumps(record))
                    handle.write(line.encode("utf-8", "surrogatepass")
                                 + rng.choice([b"\n"] * 8 + [b"\r\n"]))
                    handle.write(rng.choice([b""] * 14 + [
                        b"not json\n", b"[1,2]\n", b"\n  \n", b'{"id":"x"}\r{"id":"y"}\n',
                        b'{"id":"a:bad\xff","published_at":"2024-01-05T00:00:00+07:00",'
                        b'"source":"a"}\n',
                        b'\xef\xbb\xbf{"id":"a:bom"}\n',
                    ]))
                if source == "a" and month == "2024-01":
                    twice = json.dumps(_record("a:twice", body="Isi asli yang panjang. " * 20),
                                       ensure_ascii=False, separators=(",", ":"))
                    twice = twice.replace('"body":', '"body":"x","body":', 1)
                    handle.write(twice.encode() + b"\n")
                    # Lines written as read into the JSONL, one with a field named split.
                    for number, extra in enumerate([{}, {"split": "stored"}]):
                        plain = _record(f"a:plain{number}", body='Kata "dia", – “ya”.\n\n' * 30,
                                        **extra)
                        handle.write(json.dumps(plain, ensure_ascii=False,
                                                separators=(",", ":")).encode() + b"\n")
                handle.write(b'{"id":"trunc')


FILTERS = [
    {},
    {"with_split": True},
    {"unique_stories": True},
    {"exclude_flags": ["short_body"]},
    {"since": date(2024, 2, 1)},
    {"until": date(2024, 1, 31), "with_split": True},
    {"sources": ["a", "c"], "exclude_flags": ["mojibake", "partial_body"],
     "unique_stories": True, "with_split": True},
    {"include_reserved": True, "exclude_flags": ["short_body"]},
    {"since": date(2030, 1, 1), "with_split": True},  # last: nothing selected
]


@pytest.mark.parametrize("workers", [0, 2])
def test_streaming_export_matches_the_in_memory_reference(tmp_path, workers):
    """Byte for byte (JSONL, CSV, Parquet of one row group, datasheet; manifest figures),
    with every filter, two stores, updates, copies and corrupt lines; in one process and with
    worker processes."""
    from newscrawl import datasheet

    _odd_store(tmp_path / "one", 1)
    _odd_store(tmp_path / "two", 2)
    stores = [tmp_path / "one", tmp_path / "two"]
    for number, options in enumerate(FILTERS):
        out = tmp_path / f"out{number}"
        manifest = export(stores[0], out, ["jsonl", "csv", "parquet"], include=stores[1:],
                          workers=workers, **options)
        selection = {k: v for k, v in options.items() if k != "sources"}
        latest, problems = _reference_latest(stores, options.get("sources"))
        records = _reference_select(latest, **selection)
        kept = _reference_select(latest, include_reserved=True, **{
            k: v for k, v in selection.items()
            if k not in ("exclude_flags", "with_split", "include_reserved")})
        with_split = options.get("with_split", False)
        expected = _reference_files(records, with_split)
        for fmt, content in expected.items():
            assert (out / f"articles.{fmt}").read_bytes() == content, (fmt, options)
        figures = _reference_manifest_figures(records, kept, with_split, problems)
        assert {k: manifest[k] for k in figures} == figures, options
        sheet = datasheet.render("articles", _reference_facts(records), manifest)
        assert (out / "articles.datasheet.md").read_text(encoding="utf-8") == sheet
    assert manifest["corrupt_lines"]["count"] > 20 and records == []
    assert any(r["id"] == "a:twice" for r in latest)


def test_parquet_in_several_row_groups_holds_the_same_rows(tmp_path, monkeypatch):
    import newscrawl.export as module

    _odd_store(tmp_path / "data", 3)
    whole = export(tmp_path / "data", tmp_path / "whole", ["parquet"], with_split=True)
    monkeypatch.setattr(module, "PARQUET_ROWS_PER_GROUP", 7)
    monkeypatch.setattr(module, "PARQUET_CONVERT_EVERY", 3)
    for workers in (0, 2):
        out = tmp_path / f"groups{workers}"
        export(tmp_path / "data", out, ["parquet", "jsonl"], with_split=True, workers=workers)
        grouped = pq.ParquetFile(out / "articles.parquet")
        assert grouped.metadata.num_row_groups == -(-whole["records"] // 7)
        assert grouped.read().equals(pq.read_table(tmp_path / "whole" / "articles.parquet"))


def test_stored_lines_are_written_as_read_only_when_they_are_the_canonical_json(tmp_path):
    """The JSONL writer copies a stored line when it is json.dumps's own spelling of its
    record: never when it is not, whatever the line holds."""
    import random

    from newscrawl.export import record_json, stored_as_written

    rng = random.Random(7)
    copied = 0
    for number in range(3000):
        record = _odd_record(rng, number, "a")
        record["body"] = rng.choice(_TEXTS) * rng.choice([1, 30]) + rng.choice(_TEXTS)
        canonical = record_json(record)
        for line in (canonical, json.dumps(record, ensure_ascii=False), json.dumps(record),
                     canonical.replace('"body":', '"body":"x","body":', 1),
                     canonical.replace('"body":', '"body":"x\\",\\"","body":', 1),
                     canonical.replace("/", "\\/")):
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            raw = line.encode("utf-8", "surrogatepass")
            if stored_as_written(parsed, raw):
                copied += 1
                assert raw == record_json(parsed).encode("utf-8", "surrogatepass"), line
    assert copied > 300  # the canonical lines of records without odd escapes are copied


def test_csv_cells_are_written_as_the_csv_module_writes_them():
    import io
    import random

    from newscrawl.export import csv_field

    rng = random.Random(3)
    alphabet = ['"', ",", "\r", "\n", "a", " ", "\t", "\x00", "é", "“", "'", "=", "\\"]
    for _ in range(2000):
        row = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
               for _ in range(rng.randint(2, 5))]
        row += [rng.choice([None, 0, 1.5, True, ["x"], {"a": 1}])]
        text = io.StringIO(newline="")
        csv.writer(text).writerow(row)
        assert ",".join(map(csv_field, row)) + "\r\n" == text.getvalue()


def test_the_export_leaves_no_scratch_files_and_reports_worker_errors(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    data = tmp_path / "data"
    _store(data, [_record("a:1")])
    with (data / "articles" / "a" / "2024-03.jsonl").open("a") as handle:  # a lone surrogate
        handle.write(json.dumps(_record("a:2", body="Isi \ud800 rusak.")) + "\n")
    for workers in (0, 2):
        with pytest.raises(UnicodeEncodeError):
            export(data, tmp_path / f"out{workers}", ["jsonl", "csv", "parquet"],
                   workers=workers)
    export(data, tmp_path / "fine", ["jsonl"], since=date(2030, 1, 1), workers=2)
    assert list(scratch.iterdir()) == []
