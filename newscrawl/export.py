"""Datasets from the store: the latest version of each article, as JSONL, CSV or Parquet.

No Scrapy imports. The store is append-only (an update is a new line with a higher `version`),
so an export keeps, per `id`, the line with the highest version. Records are ordered by
(`published_at` instant, `id`), so the same store always gives byte-identical files. Each
export writes a manifest (counts, date range, per-field fill rates, sha256 of every file) and a
datasheet (newscrawl/datasheet.py: composition, collection, preprocessing, rights) beside the
data, so a dataset can be cited, understood and checked.

Splits are assigned by a hash of `story_id`, so copies of one story never straddle train and
test.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from newscrawl import datasheet
from newscrawl.items import FIELD_ORDER

FORMATS = ("jsonl", "csv", "parquet")
# An export's file-name stem: no path separators, so files stay in the output folder.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
LIST_FIELDS = ("authors", "editors", "editor_codes", "tags", "quality_flags")
OBJECT_FIELDS = ("image", "rights", "archive")


def read_store(
    articles_dir: Path,
    sources: Iterable[str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> Iterator[dict]:
    """The stored records. A line that is not a record (not JSON, JSON that is not an object,
    an object without id or published_at) is skipped and, with `problems`, noted there with
    its file and line number."""
    wanted = set(sources or [])
    for path in sorted(articles_dir.glob("*/*.jsonl")):
        if wanted and path.parent.name not in wanted:
            continue
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if isinstance(record, dict) and record.get("id") and record.get("published_at"):
                    yield record
                elif problems is not None:
                    problems.append({"file": str(path), "line": number,
                                     "reason": "not JSON" if record is None else "not a record"})


def counted(items: Iterable[dict], report: Callable[[int], None],
            every_s: float = 2.0) -> Iterator[dict]:
    """`items` unchanged; `report(n)` every `every_s` seconds while they are read."""
    import time

    last = time.monotonic()
    for number, item in enumerate(items, 1):
        if number % 1000 == 0 and time.monotonic() - last >= every_s:
            last = time.monotonic()
            report(number)
        yield item


def latest_versions(records: Iterable[dict]) -> list[dict]:
    latest: dict[str, dict] = {}
    for record in records:
        current = latest.get(record["id"])
        if current is None or (record.get("version") or 1) >= (current.get("version") or 1):
            latest[record["id"]] = record
    return sorted(latest.values(), key=lambda r: (_instant(r["published_at"]), r["id"]))


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


def split_of(story_id: str | None, record_id: str, dev: float = 0.1, test: float = 0.1) -> str:
    """train/dev/test from a hash of the story (stable across runs and machines)."""
    key = (story_id or record_id).encode("utf-8")
    bucket = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64
    return "test" if bucket < test else "dev" if bucket < test + dev else "train"


def select(
    records: list[dict],
    *,
    since: date | None = None,
    until: date | None = None,
    unique_stories: bool = False,
    with_split: bool = False,
    exclude_flags: Iterable[str] = (),
) -> list[dict]:
    excluded = frozenset(exclude_flags)
    out = []
    for record in records:
        day = datetime.fromisoformat(record["published_at"]).date()
        if (since and day < since) or (until and day > until):
            continue
        if unique_stories and record.get("duplicate_of"):
            continue
        if excluded.intersection(record.get("quality_flags") or ()):
            continue
        if with_split:
            record = {**record, "split": split_of(record.get("story_id"), record["id"])}
        out.append(record)
    return out


def write_jsonl(records: list[dict], path: Path, with_split: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


# A cell a spreadsheet would read as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe (OWASP's advice), so
    a title such as "=HYPERLINK(…)" stays text in Excel or LibreOffice."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_cell(name: str, value: Any) -> Any:
    """A field as a spreadsheet cell: lists joined with " | ", objects as JSON text, text that
    starts like a formula neutralised."""
    if name in LIST_FIELDS:
        value = " | ".join(value or [])
    elif name in OBJECT_FIELDS:
        value = json.dumps(value, ensure_ascii=False) if value else ""
    return neutralise(value)


def write_csv(records: list[dict], path: Path, with_split: bool = False) -> None:
    """Lists joined with " | ", objects as JSON text, formula-like cells neutralised: one row
    per article for spreadsheets."""
    columns = list(FIELD_ORDER) + (["split"] if with_split else [])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for record in records:
            writer.writerow({c: csv_cell(c, record.get(c)) for c in columns})


# Instants as Parquet timestamps (UTC); the printed offset ("+07:00") in a column beside each.
TIMESTAMP_FIELDS = ("published_at", "modified_at", "crawled_at")
OFFSET_FIELDS = ("published_at", "modified_at")


def parquet_schema(with_split: bool = False) -> Any:
    """The Parquet columns: the record's fields in order, instants as timestamp[us, UTC] with
    `<field>_offset` after published_at and modified_at, lists as lists, objects as structs."""
    import pyarrow as pa

    text, integer, strings = pa.string(), pa.int64(), pa.list_(pa.string())
    types = {name: text for name in FIELD_ORDER}
    types.update({name: strings for name in LIST_FIELDS})
    types.update({name: pa.timestamp("us", tz="UTC") for name in TIMESTAMP_FIELDS})
    types.update(
        word_count=integer, version=integer,
        image=pa.struct([("url", text), ("caption", text), ("credit", text)]),
        rights=pa.struct([("reserved", pa.bool_()), ("notice", text)]),
        archive=pa.struct([("file", text), ("offset", integer), ("length", integer)]),
    )
    fields = []
    for name in FIELD_ORDER:
        fields.append(pa.field(name, types[name]))
        if name in OFFSET_FIELDS:
            fields.append(pa.field(f"{name}_offset", text))
    if with_split:  # the same schema whether or not any record was selected
        fields.append(pa.field("split", text))
    return pa.schema(fields)


def offset_text(when: datetime) -> str | None:
    """"+07:00" for a WIB time: the offset the site printed."""
    offset = when.utcoffset()
    if offset is None:
        return None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parquet_row(record: dict) -> dict:
    row = dict(record)
    for name in TIMESTAMP_FIELDS:
        value = record.get(name)
        when = datetime.fromisoformat(value) if value else None
        row[name] = when.astimezone(timezone.utc) if when and when.tzinfo else None
        if name in OFFSET_FIELDS:
            row[f"{name}_offset"] = offset_text(when) if when else None
    return row


def write_parquet(records: list[dict], path: Path, with_split: bool = False) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(with_split)
    table = pa.Table.from_pylist(
        [{f.name: row.get(f.name) for f in schema} for row in map(parquet_row, records)],
        schema=schema,
    )
    pq.write_table(table, path, compression="zstd")


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}


def fill_rates(records: list[dict]) -> dict[str, float]:
    if not records:
        return {}
    return {
        name: round(sum(1 for r in records if r.get(name) not in (None, [], "")) / len(records), 4)
        for name in FIELD_ORDER
    }


def flag_counts(records: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        for flag in record.get("quality_flags") or ():
            counts[flag] = counts.get(flag, 0) + 1
    return dict(sorted(counts.items()))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export(
    data_dir: Path,
    out_dir: Path,
    formats: Iterable[str] = ("jsonl",),
    *,
    sources: Iterable[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    unique_stories: bool = False,
    with_split: bool = False,
    exclude_flags: Iterable[str] = (),
    name: str = "articles",
    include: Iterable[Path] = (),
    force: bool = False,
    command: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the dataset files, `<name>.datasheet.md`, `<name>.manifest.json` and
    `<name>.sha256` (for `sha256sum -c`); returns the manifest. `include`: more data
    directories whose stores are read too (other machines' in distributed mode). An output
    folder holding anything is refused (ExportFolderNotEmpty) unless `force`, which removes
    the files earlier exports there listed in their manifests (and nothing else)."""
    if not SAFE_NAME.fullmatch(name):
        raise ValueError(f"export name {name!r}: letters, digits, '.', '_' and '-' only")
    clear_folder(out_dir, force)
    sources = list(sources or [])
    stores = [data_dir, *include]
    problems: list[dict[str, Any]] = []
    say = progress or (lambda message: None)
    latest = latest_versions(counted(
        (record for store in stores
         for record in read_store(store / "articles", sources, problems)),
        lambda n: say(f"export: {n:,} stored lines read"),
    ))
    say(f"export: {len(latest):,} articles (latest versions) from {len(stores)} "
        f"store{'s' if len(stores) > 1 else ''}")
    records = select(
        latest, since=since, until=until, unique_stories=unique_stories, with_split=with_split,
        exclude_flags=exclude_flags,
    )
    kept = select(latest, since=since, until=until, unique_stories=unique_stories)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        WRITERS[fmt](records, path, with_split)
        say(f"export: wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
        files[path.name] = {"format": fmt, "sha256": sha256_of(path), "bytes": path.stat().st_size}
    by_source: dict[str, int] = {}
    for record in records:
        by_source[record["source"]] = by_source.get(record["source"], 0) + 1
    manifest = {
        "records": len(records),
        "by_source": dict(sorted(by_source.items())),
        "stories": len({r.get("story_id") or r["id"] for r in records}),
        "published_from": records[0]["published_at"] if records else None,
        "published_to": records[-1]["published_at"] if records else None,
        "filters": {
            "sources": sorted(sources or []), "since": str(since) if since else None,
            "until": str(until) if until else None, "unique_stories": unique_stories,
            "exclude_flags": sorted(exclude_flags),
            "stores": len(stores),
        },
        # Records carrying each quality flag, among those written and among those the other
        # filters kept (the difference is what --exclude-flags left out).
        "quality_flags": flag_counts(records),
        "quality_flags_before_exclusion": flag_counts(kept),
        "splits": (
            {s: sum(r["split"] == s for r in records) for s in ("train", "dev", "test")}
            if with_split else None
        ),
        "fill_rates": fill_rates(records),
        "rights_reserved": sum(1 for r in records if (r.get("rights") or {}).get("reserved")),
        # Lines of the store that are not records, skipped (the first 100 located).
        "corrupt_lines": {"count": len(problems), "first": problems[:100]},
        "files": files,
        "schema": "newscrawl/schema/article.schema.json",
        "software": software(),
        "command": command,
    }
    sheet = out_dir / f"{name}.datasheet.md"
    sheet.write_text(datasheet.render(name, records, manifest), encoding="utf-8")
    files[sheet.name] = {"format": "datasheet", "sha256": sha256_of(sheet), "bytes": sheet.stat().st_size}
    manifest_path = out_dir / f"{name}.manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    sums = [*files, manifest_path.name]
    (out_dir / f"{name}.sha256").write_text(
        "".join(f"{sha256_of(out_dir / file)}  {file}\n" for file in sums), encoding="utf-8"
    )
    return manifest


class ExportFolderNotEmpty(ValueError):
    """The output folder holds files; an export there would mix with them."""


def clear_folder(out_dir: Path, force: bool) -> None:
    """Make `out_dir` ready for an export: it must be empty, or (with `force`) hold only what
    earlier exports wrote there (their manifests say which files), which is removed."""
    if not out_dir.exists():
        return
    present = {p.name for p in out_dir.iterdir()}
    if not present:
        return
    if not force:
        raise ExportFolderNotEmpty(
            f"{out_dir} is not empty ({len(present)} files, e.g. {sorted(present)[0]}): "
            "--force replaces an earlier export there, or choose another --out"
        )
    ours: set[str] = set()
    for manifest in out_dir.glob("*.manifest.json"):
        stem = manifest.name[: -len(".manifest.json")]
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError):
            continue
        ours |= {manifest.name, f"{stem}.sha256", *listed}
    foreign = sorted(present - ours)
    if foreign:
        raise ExportFolderNotEmpty(
            f"{out_dir} holds files no earlier export wrote ({', '.join(foreign[:3])}"
            f"{' …' if len(foreign) > 3 else ''}); not removing them: choose another --out"
        )
    for file in present:
        (out_dir / file).unlink()


def software() -> dict[str, str | None]:
    """What made the export: newscrawl's version and, in a git checkout, its commit."""
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("newscrawl")
    except PackageNotFoundError:
        release = None
    commit = None
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                              capture_output=True, text=True, timeout=5)
        if done.returncode == 0:
            commit = done.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"newscrawl": release, "git_commit": commit}
