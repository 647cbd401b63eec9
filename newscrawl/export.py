"""Datasets from the store: the latest version of each article, as JSONL, CSV or Parquet.

No Scrapy imports. The store is append-only (an update is a new line with a higher `version`),
so an export keeps, per `id`, the line with the highest version. Records are ordered by
(`published_at` instant, `id`), so the same store always gives byte-identical files. Each
export writes a manifest (counts, date range, per-field fill rates, sha256 of every file) and a
datasheet (newscrawl/datasheet.py: composition, collection, preprocessing, rights) beside the
data, so a dataset can be cited, understood and checked.

An export streams, so a store of a million articles (several GB) needs no more memory than one
of a thousand:

- pass 1 reads every stored line once and keeps, per id, only where the line of its latest
  version is (file, offset, length), its sort key, what the filters decide and whether the line
  already is its JSONL line, in a temporary SQLite database (`LatestIndex`); on a large store
  it parses the partitions in worker processes, one per core;
- pass 2 reads the kept lines back in the dataset's order, parses each once and hands it to
  the writers (JSONL, CSV, Parquet in row groups of `PARQUET_ROWS_PER_GROUP`, compressed in a
  thread) while the manifest's and the datasheet's figures are counted.

Splits are assigned by a hash of `story_id`, so copies of one story never straddle train and
test.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from newscrawl import datasheet
from newscrawl.fields import FIELD_ORDER
from newscrawl.urllist import url_row

FORMATS = ("jsonl", "csv", "parquet")
# `--urls-only`: id, source, url, published_at and content_hash of each record.
URLS_FORMAT = "urls"
PLOT_SUFFIX = "per-day.png"
# An export's file-name stem: no path separators, so files stay in the output folder.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
LIST_FIELDS = ("authors", "editors", "editor_codes", "tags", "quality_flags")
OBJECT_FIELDS = ("image", "rights", "archive")
# Rows per Parquet row group: ~65 MB of text for articles of ~900 words, so a reader can take
# one group at a time and the export holds about two. An export of up to this many records is
# one row group, byte for byte as `pyarrow.parquet.write_table` writes it.
PARQUET_ROWS_PER_GROUP = 8192
# Gathered values become Arrow arrays this often, so a group is held as compact UTF-8, not as
# Python strings (two bytes a character once a text has a curly quote).
PARQUET_CONVERT_EVERY = 1024
# Lines of the store that are not records are counted; the manifest locates the first ones.
PROBLEMS_LOCATED = 100
# From this many bytes of store on, the passes run in worker processes (below, starting them
# costs more than they save).
PARALLEL_FROM_BYTES = 256 * 1024 * 1024


def read_store(
    articles_dir: Path,
    sources: Iterable[str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> Iterator[dict]:
    """The stored records. A line that is not a record (not JSON, JSON that is not an object,
    an object without id or published_at) is skipped and, with `problems`, noted there with
    its file and line number."""
    for path in partitions(articles_dir, sources):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                if line.isspace():  # blank
                    continue
                record, reason = parse_line(line)
                if record is not None:
                    yield record
                elif problems is not None:
                    problems.append({"file": str(path), "line": number, "reason": reason})


def partitions(articles_dir: Path, sources: Iterable[str] | None = None) -> list[Path]:
    """The store's partition files in reading order, those of `sources` only if given."""
    wanted = set(sources or [])
    return [path for path in sorted(articles_dir.glob("*/*.jsonl"))
            if not wanted or path.parent.name in wanted]


def parse_line(text: str) -> tuple[dict | None, str]:
    """The record on a stored line, or None and why it is not one."""
    try:
        record = json.loads(text)
    except ValueError:
        return None, "not JSON"
    if isinstance(record, dict) and record.get("id") and record.get("published_at"):
        return record, ""
    return None, "not a record"


_LINE_END = re.compile(rb"\r\n|\r|\n")


def located_lines(path: Path) -> Iterator[tuple[int, int, bytes, str, bool]]:
    """(line number, offset, bytes, text, exact) of each line of a partition file, without its
    end. Lines are split and numbered as `read_store` reads them in text mode (a lone "\\r" ends
    a line too) and decoded the same way (undecodable bytes become U+FFFD, and `exact` is
    false), so both see the same records and locate the same problems."""
    number = offset = 0
    with path.open("rb") as handle:
        for chunk in handle:
            # A lone "\r" never occurs in a line the store wrote; split on it only where it does.
            pieces = _universal_lines(chunk) if b"\r" in chunk else (chunk,)
            for piece in pieces:
                number += 1
                end = len(piece)
                if piece.endswith(b"\n"):
                    end -= 2 if piece.endswith(b"\r\n") else 1
                elif piece.endswith(b"\r"):
                    end -= 1
                line = piece[:end]
                try:
                    text, exact = line.decode("utf-8"), True
                except UnicodeDecodeError:
                    text, exact = line.decode("utf-8", "replace"), False
                yield number, offset, line, text, exact
                offset += len(piece)


def _universal_lines(chunk: bytes) -> list[bytes]:
    pieces, start = [], 0
    for match in _LINE_END.finditer(chunk):
        pieces.append(chunk[start:match.end()])
        start = match.end()
    if start < len(chunk):
        pieces.append(chunk[start:])
    return pieces


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def split_of(story_id: str | None, record_id: str, dev: float = 0.1, test: float = 0.1) -> str:
    """train/dev/test from a hash of the story (stable across runs and machines)."""
    key = (story_id or record_id).encode("utf-8")
    bucket = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64
    return "test" if bucket < test else "dev" if bucket < test + dev else "train"


# --- Pass 1: where the latest version of each article is ---------------------------------------


@dataclass(frozen=True)
class Selection:
    """The filters of an export, decided per record in pass 1."""

    since: date | None = None
    until: date | None = None
    unique_stories: bool = False
    exclude_flags: frozenset[str] = frozenset()
    # Records whose `rights` reserve text and data mining are left out unless asked for.
    include_reserved: bool = False
    # Whether a JSONL file is written (then pass 1 tells which lines can be copied into it)
    # and with a split column.
    jsonl: bool = False
    with_split: bool = False


# (id, version, instant in µs or None, file, offset, length, kept, written, story, copy)
IndexRow = tuple[Any, Any, "int | None", int, int, int, bool, bool, Any, bool]


@dataclass
class PartitionIndex:
    """One partition file read in pass 1."""

    rows: list[IndexRow] = field(default_factory=list)
    lines: int = 0
    problem_count: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)  # the first PROBLEMS_LOCATED


def reserved(record: dict) -> bool:
    rights = record.get("rights")
    return bool(isinstance(rights, dict) and rights.get("reserved"))


def _version(record: dict) -> Any:
    version = record.get("version") or 1
    # A number as the schema says; anything else counts as a first version.
    return version if isinstance(version, (int, float)) else 1


def index_partition(path: Path, file: int, selection: Selection) -> PartitionIndex:
    """Pass 1 for one partition file (in a worker process on a large store): a row per
    record, in line order, and the lines that are not records."""
    out = PartitionIndex()
    rows = out.rows
    since, until = selection.since, selection.until
    unique_stories, exclude_flags = selection.unique_stories, selection.exclude_flags
    include_reserved = selection.include_reserved
    check_copy, with_split = selection.jsonl, selection.with_split
    for number, offset, raw, text, exact in located_lines(path):
        out.lines += 1
        if not text or text.isspace():  # blank (strip() would copy the line)
            continue
        record, reason = parse_line(text)
        if record is None:
            out.problem_count += 1
            if len(out.problems) < PROBLEMS_LOCATED:
                out.problems.append({"file": str(path), "line": number, "reason": reason})
            continue
        try:
            when = datetime.fromisoformat(record["published_at"])
            instant = (when.astimezone(timezone.utc) - _EPOCH) // _MICROSECOND
            day = when.date()
        except (TypeError, ValueError, OverflowError):
            # An error only if this turns out to be the latest version (as it always was).
            instant = day = None
        kept = day is not None and not (
            (since and day < since) or (until and day > until)
            or (unique_stories and record.get("duplicate_of"))
        )
        written = kept and not exclude_flags.intersection(record.get("quality_flags") or ()) \
            and (include_reserved or not reserved(record))
        # Checked here, in the workers, so pass 2 copies the line without a look (~25 µs).
        copy = written and check_copy and exact and not (with_split and "split" in record) \
            and stored_as_written(record, raw)
        rows.append((record["id"], _version(record), instant, file, offset, len(raw), kept,
                     written, record.get("story_id") or record["id"], copy))
    return out


class LatestIndex:
    """Per article id, where the line of its latest version is, with its place in the dataset's
    order and what the filters decided about it: a temporary SQLite database, on disk.

    Measured on 1,000,000 ids (2 % with a second version): 92 MB peak RSS for the upserts and
    the ORDER BY, where a dict of the same tuples took 561 MB and numpy arrays 227 MB; SQLite's
    page cache is bounded and its sorter spills to disk, so memory stays the same at any size.
    """

    def __init__(self, folder: Path, cache_mib: int = 16) -> None:
        self.path = folder / "latest.sqlite"
        self._db = sqlite3.connect(self.path, isolation_level=None)
        # A scratch database: nothing to recover after a crash, so no journal and no fsync.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{cache_mib * 1024}",
                       "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE latest (id PRIMARY KEY, version, instant INTEGER, file INTEGER, "
            "offset INTEGER, length INTEGER, kept INTEGER, written INTEGER, story, "
            "copy INTEGER) WITHOUT ROWID"
        )
        self._db.execute("BEGIN")

    def add(self, rows: list[IndexRow]) -> None:
        """Stored lines, in reading order: each replaces what the index holds for its id unless
        that has a higher version (of equal versions the later line wins, as it always has)."""
        self._db.executemany(
            "INSERT INTO latest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) "
            "DO UPDATE SET version = excluded.version, instant = excluded.instant, "
            "file = excluded.file, offset = excluded.offset, length = excluded.length, "
            "kept = excluded.kept, written = excluded.written, story = excluded.story, "
            "copy = excluded.copy WHERE excluded.version >= latest.version", rows)

    def finish(self) -> None:
        """The kept lines in the dataset's order, sorted once into a table that each pass-2
        process reads by rowid (`kept_lines`)."""
        self._db.execute(
            "CREATE TABLE ordered AS SELECT file, offset, length, written, copy FROM latest "
            "WHERE kept ORDER BY instant, id")
        self._db.execute("COMMIT")

    def articles(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM latest").fetchone()[0]

    def unparsable_date(self) -> tuple[int, int, int] | None:
        """(file, offset, length) of a latest version whose published_at is no ISO 8601 time."""
        return self._db.execute(
            "SELECT file, offset, length FROM latest WHERE instant IS NULL LIMIT 1").fetchone()

    def stories(self) -> int:
        """Distinct stories among the written records; on its own connection, so it can run in
        a thread while pass 2 reads (SQLite releases the GIL while it works)."""
        with sqlite3.connect(self.path) as db:
            return db.execute(
                "SELECT COUNT(DISTINCT story) FROM latest WHERE written").fetchone()[0]

    def close(self) -> None:
        self._db.close()


def kept_lines(index_path: Path) -> Iterator[tuple[int, int, int, int, int]]:
    """(file, offset, length, written, copy) of the records the filters kept, in the dataset's
    order; `written` is false for those only --exclude-flags or their rights leave out;
    `copy`: the stored line is the JSONL line."""
    db = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)
    try:
        yield from db.execute(
            "SELECT file, offset, length, written, copy FROM ordered ORDER BY rowid")
    finally:
        db.close()


def index_stores(
    files: list[Path],
    selection: Selection,
    index: LatestIndex,
    workers: list[Worker],
    progress: Callable[[str], None],
) -> tuple[int, list[dict[str, Any]]]:
    """Pass 1: every line of `files` into `index`, in reading order, the files parsed by
    `workers` if any. Returns the count of lines that are not records and where the first
    PROBLEMS_LOCATED of them are."""
    problem_count = 0
    problems: list[dict[str, Any]] = []
    lines_read = 0
    last_report = time.monotonic()
    for part in _in_order(files, selection, workers):
        index.add(part.rows)
        problem_count += part.problem_count
        problems.extend(part.problems[:PROBLEMS_LOCATED - len(problems)])
        lines_read += part.lines
        if time.monotonic() - last_report >= 2.0:
            last_report = time.monotonic()
            progress(f"export: {lines_read:,} stored lines read")
    index.finish()
    return problem_count, problems


def _in_order(files: list[Path], selection: Selection,
              workers: list[Worker]) -> Iterator[PartitionIndex]:
    if not workers:
        for file, path in enumerate(files):
            yield index_partition(path, file, selection)
        return
    # File i goes to worker i mod n, each worker at most two files ahead of the one being
    # added to the index: the workers stay busy, and parsed rows cannot pile up in memory when
    # the index is the slower side.
    count = len(workers)
    for file in range(min(len(files), 2 * count)):
        workers[file % count].send(index_partition, files[file], file, selection)
    for file in range(len(files)):
        yield workers[file % count].receive()
        if file + 2 * count < len(files):
            following = file + 2 * count
            workers[file % count].send(index_partition, files[following], following, selection)


# --- Pass 2: the kept lines, in order, to every writer -------------------------------------------


class StoredLines:
    """Reads stored lines back by position, keeping a bounded number of partition files open."""

    def __init__(self, files: list[Path], keep_open: int = 64) -> None:
        self._files = files
        self._keep_open = keep_open
        self._open: dict[int, int] = {}

    def read(self, file: int, offset: int, length: int) -> bytes:
        handle = self._open.pop(file, None)
        if handle is None:
            if len(self._open) >= self._keep_open:
                os.close(self._open.pop(next(iter(self._open))))
            handle = os.open(self._files[file], os.O_RDONLY)
        self._open[file] = handle  # most recently used last
        data = os.pread(handle, length, offset)
        if len(data) != length:
            raise RuntimeError(f"{self._files[file]} changed during the export (cut short)")
        return data

    def close(self) -> None:
        for handle in self._open.values():
            os.close(handle)
        self._open.clear()


@dataclass(slots=True)
class ReadBack:
    """A kept record as pass 2 read it: `record` is what is written (with its split when
    asked), parsed from the stored line `raw`; `copy`: `raw` is its JSONL line (pass 1 checked
    it with `stored_as_written`)."""

    record: dict
    raw: bytes
    copy: bool


class HashedFile:
    """A binary file written in ~1 MiB blocks, its sha256 and size counted on the way: no
    second read of a file of several GB for the manifest."""

    def __init__(self, path: Path, block: int = 1 << 20) -> None:
        self.path = path
        self._handle = path.open("wb")
        self._digest = hashlib.sha256()
        self._buffer = bytearray()
        self._block = block
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self._buffer += data
        if len(self._buffer) >= self._block:
            self.flush()

    def flush(self) -> None:
        self._digest.update(self._buffer)
        self._handle.write(self._buffer)
        self.size += len(self._buffer)
        del self._buffer[:]

    def close(self) -> dict[str, Any]:
        try:
            self.flush()
        finally:  # also on a full disk: an open handle would keep a removed file's space taken
            self._handle.close()
        return {"sha256": self._digest.hexdigest(), "bytes": self.size}


# json.dumps with these arguments, without building an encoder per call (~1.5 µs each).
_record_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_cell_json = json.JSONEncoder(ensure_ascii=False).encode


def record_json(record: dict) -> str:
    """The record as a JSONL line (without its newline)."""
    return _record_json(record)


# Whether a stored line already is record_json(its record): then it is written as read, which
# saves the ~60 µs json.dumps spends escaping a body of ~6,000 characters and re-encoding it.
# The check: json.dumps of the record with the body replaced by a mark gives every byte but the
# body's, and the body's are the stored ones if they are one JSON string token whose escapes
# are json.dumps's own. Without the escapes below anywhere in the line, a string's only escapes
# are \" and \n (json.dumps's for a quote and a newline), a control character other than "\n"
# can be in none (JSON allows none raw), so the mark, a control character, is found once; and
# the stored body bytes are one token when they hold as many quotes as the body, all escaped
# then (the body's own token is among them and has that many escaped quotes already).
# Searches on bytes and regexes with a literal first character: `in`, find and count with a
# two-character needle take ~8 µs on such a line, these ~3 µs.
_NOT_PLAIN_ESCAPE = re.compile(rb"\\[utrbf\\/]")
_BODY_MARK = "\x01"
_BODY_MARK_JSON = json.dumps(_BODY_MARK)


def stored_as_written(record: dict, raw: bytes) -> bool:
    """`raw`, the stored line (valid UTF-8) `record` was parsed from, is record_json(record)
    encoded, byte for byte (a False may be wrong, a True never is)."""
    body = record.get("body")
    if type(body) is not str or _NOT_PLAIN_ESCAPE.search(raw):
        return False
    rest = _record_json({**record, "body": _BODY_MARK})
    mark = rest.find(_BODY_MARK_JSON)
    prefix = rest[:mark].encode("utf-8")
    suffix = rest[mark + len(_BODY_MARK_JSON):].encode("utf-8")
    start, end = len(prefix), len(raw) - len(suffix)
    return (end - start >= 2 and raw.startswith(prefix) and raw.endswith(suffix)
            and raw[start] == raw[end - 1] == ord('"') and raw[end - 2] != ord("\\")
            and raw.count(b'"', start + 1, end - 1) == body.count('"'))


class JsonlWriter:
    def __init__(self, path: Path, with_split: bool) -> None:
        self._file = HashedFile(path)
        self._with_split = with_split

    def write(self, line: ReadBack) -> None:
        record = line.record
        if not line.copy:
            self._file.write((record_json(record) + "\n").encode("utf-8"))
            return
        if self._with_split:  # added last, `{**record, "split": …}`: the stored line has none
            self._file.write(memoryview(line.raw)[:-1])
            self._file.write(b',"split":' + json.dumps(record["split"]).encode() + b"}")
        else:
            self._file.write(line.raw)
        self._file.write(b"\n")

    def close(self) -> dict[str, Any]:
        return self._file.close()


class UrlsWriter:
    """`--urls-only`: a URL list (newscrawl/urllist.py) others can rehydrate, no text."""

    def __init__(self, path: Path, with_split: bool) -> None:
        self._file = HashedFile(path)
        self.with_split = with_split

    def write(self, line: ReadBack) -> None:
        row = url_row(line.record)
        if self.with_split:
            row["split"] = line.record["split"]
        self._file.write((json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
                         .encode("utf-8"))

    def close(self) -> dict[str, Any]:
        return self._file.close()


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


def csv_field(value: Any) -> str:
    """A cell as csv.writer writes it (excel dialect, QUOTE_MINIMAL): quoted when it holds a
    comma, a quote or a line end, quotes doubled. csv.writer looks at a cell one character at
    a time (~170 µs for an article's row); str methods do it in ~20 µs."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) \
        else str(value)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


class CsvWriter:
    """Lists joined with " | ", objects as JSON text, formula-like cells neutralised: one row
    per article for spreadsheets. Each row is `csv_field(csv_cell(name, value))` per column,
    inlined: ~30 cells a row, so a function call per cell is a third of the cost."""

    def __init__(self, path: Path, with_split: bool) -> None:
        self._columns = [(name, name in LIST_FIELDS, name in OBJECT_FIELDS)
                         for name in [*FIELD_ORDER, *(["split"] if with_split else [])]]
        self._file = HashedFile(path)
        header = ",".join(csv_field(name) for name, _, _ in self._columns) + "\r\n"
        self._file.write(header.encode("utf-8"))

    def write(self, line: ReadBack) -> None:
        cells = []
        add = cells.append
        get = line.record.get
        for name, is_list, is_object in self._columns:
            value = get(name)
            if is_list:
                value = " | ".join(value or [])
            elif is_object:
                value = _cell_json(value) if value else ""
            if value is None:
                add("")
                continue
            if type(value) is str:
                if value.startswith(_FORMULA_START):
                    value = "'" + value
            else:
                value = repr(value) if isinstance(value, float) else str(value)
            if '"' in value:
                add('"' + value.replace('"', '""') + '"')
            elif "," in value or "\n" in value or "\r" in value:
                add('"' + value + '"')
            else:
                add(value)
        cells[-1] += "\r\n"
        self._file.write(",".join(cells).encode("utf-8"))

    def close(self) -> dict[str, Any]:
        return self._file.close()


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
        rights=pa.struct([
            ("reserved", pa.bool_()), ("notice", text),
            ("signals", pa.list_(pa.struct([("source", text), ("reserved", pa.bool_()),
                                            ("detail", text)]))),
        ]),
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


class ParquetWriter:
    """Rows gathered column by column and written PARQUET_ROWS_PER_GROUP at a time, zstd.
    Every PARQUET_CONVERT_EVERY rows the gathered values become Arrow arrays; a full group is
    joined into one table, then compressed and written in a thread (pyarrow releases the GIL
    there) while the next group is gathered."""

    def __init__(self, path: Path, with_split: bool, rows_per_group: int | None = None) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self._rows_per_group = rows_per_group or PARQUET_ROWS_PER_GROUP
        self._schema = parquet_schema(with_split)
        self._values: dict[str, list] = {name: [] for name in self._schema.names}
        self._plain = [(name, self._values[name]) for name in self._schema.names
                       if name not in TIMESTAMP_FIELDS and not name.endswith("_offset")]
        self._timestamps = [(name, self._values[name], self._values.get(f"{name}_offset"))
                            for name in TIMESTAMP_FIELDS]
        self._chunks: list[list] = [[] for _ in self._schema.names]
        self._gathered = 0  # rows in self._values
        self._grouped = 0  # rows in self._chunks
        self._rows = 0
        self._writer = pq.ParquetWriter(path, self._schema, compression="zstd")
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
        self._writing: Future | None = None

    def write(self, line: ReadBack) -> None:
        get = line.record.get
        for name, values in self._plain:
            values.append(get(name))
        # As parquet_row: an instant in UTC, the printed offset beside it; naive times as null.
        for name, values, offsets in self._timestamps:
            text = get(name)
            when = datetime.fromisoformat(text) if text else None
            values.append(when.astimezone(timezone.utc) if when and when.tzinfo else None)
            if offsets is not None:
                offsets.append(offset_text(when) if when else None)
        self._gathered += 1
        if self._gathered >= PARQUET_CONVERT_EVERY:
            self._convert()
        if self._grouped + self._gathered >= self._rows_per_group:
            self._write_group()

    def _convert(self) -> None:
        import pyarrow as pa

        for chunks, column in zip(self._chunks, self._schema, strict=True):
            values = self._values[column.name]
            chunks.append(pa.array(values, type=column.type))
            values.clear()
        self._grouped += self._gathered
        self._gathered = 0

    def _write_group(self) -> None:
        import pyarrow as pa

        if self._gathered or not self._chunks[0]:
            self._convert()
        # One chunk per column, as Table.from_pylist makes it: the file is then byte for byte
        # what write_table writes for the same rows.
        columns = [pa.concat_arrays(chunks) if len(chunks) > 1 else chunks[0]
                   for chunks in self._chunks]
        table = pa.Table.from_arrays(columns, schema=self._schema)
        for chunks in self._chunks:
            chunks.clear()
        self._rows += self._grouped
        self._grouped = 0
        self._wait()
        self._writing = self._thread.submit(self._writer.write_table, table)

    def _wait(self) -> None:
        if self._writing is not None:
            self._writing.result()
            self._writing = None

    def close(self) -> dict[str, Any]:
        try:
            # An export of no records still holds one (empty) row group, as write_table makes.
            if self._gathered or self._grouped or not self._rows:
                self._write_group()
            self._wait()
        finally:
            self._thread.shutdown()
            self._writer.close()
        return {"sha256": sha256_of(self.path), "bytes": self.path.stat().st_size}


WRITERS = {"jsonl": JsonlWriter, "csv": CsvWriter, "parquet": ParquetWriter,
           URLS_FORMAT: UrlsWriter}
# The file each format is written to (`<name>.<suffix>`).
SUFFIXES = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet", URLS_FORMAT: "urls.jsonl"}

_EMPTY_VALUES = (None, [], "")


class ManifestCounts:
    """The manifest's figures, counted one record at a time in the dataset's order."""

    def __init__(self, with_split: bool) -> None:
        self.records = 0
        self.published_from: str | None = None
        self.published_to: str | None = None
        self.flags: dict[str, int] = {}
        self.flags_before_exclusion: dict[str, int] = {}
        self.splits = dict.fromkeys(("train", "dev", "test"), 0) if with_split else None
        self.filled = dict.fromkeys(FIELD_ORDER, 0)
        self.rights_reserved = 0
        # Records with a reservation among those the other filters kept, and per source the
        # records each kind of rights signal reserved (the datasheet's table).
        self.reserved_kept = 0
        self.reserving_signals: dict[str, dict[str, int]] = {}
        # Articles per source and publish day (the datasheet's plot).
        self.per_day: dict[str, dict[date, int]] = {}

    def kept(self, record: dict) -> None:
        """A record the filters kept, written or left out (by --exclude-flags, or for its
        rights)."""
        for flag in record.get("quality_flags") or ():
            self.flags_before_exclusion[flag] = self.flags_before_exclusion.get(flag, 0) + 1
        if reserved(record):
            self.reserved_kept += 1
            signals = self.reserving_signals.setdefault(record.get("source") or "?", {})
            for found in record["rights"].get("signals") or [{"source": "notice",
                                                             "reserved": True}]:
                if found.get("reserved"):
                    signals[found["source"]] = signals.get(found["source"], 0) + 1

    def written(self, record: dict) -> None:
        self.records += 1
        if self.published_from is None:
            self.published_from = record["published_at"]
        self.published_to = record["published_at"]
        for flag in record.get("quality_flags") or ():
            self.flags[flag] = self.flags.get(flag, 0) + 1
        if self.splits is not None:
            self.splits[record["split"]] += 1
        filled = self.filled
        get = record.get
        for name in FIELD_ORDER:
            if get(name) not in _EMPTY_VALUES:
                filled[name] += 1
        if reserved(record):
            self.rights_reserved += 1
        day = datetime.fromisoformat(record["published_at"]).date()
        per_day = self.per_day.setdefault(record["source"], {})
        per_day[day] = per_day.get(day, 0) + 1

    def fill_rates(self) -> dict[str, float]:
        if not self.records:
            return {}
        return {name: round(count / self.records, 4) for name, count in self.filled.items()}


def write_datasets(
    index_path: Path,
    files: list[Path],
    out_dir: Path,
    name: str,
    formats: list[str],
    with_split: bool,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, dict[str, Any]], ManifestCounts, datasheet.DatasheetFacts]:
    """Pass 2 for `formats` (in a worker process for the CSV on a large store): the kept
    records in order, each read and parsed once and handed to every writer, counted for the
    manifest and the datasheet. Returns the files written (sha256, bytes), the counts and the
    datasheet's facts."""
    writers: dict[str, Any] = {}
    stored = StoredLines(files)
    try:
        for fmt in formats:
            writers[fmt] = WRITERS[fmt](partial_path(out_dir, f"{name}.{SUFFIXES[fmt]}"),
                                        with_split)
        counts = ManifestCounts(with_split)
        facts = datasheet.DatasheetFacts()
        outputs = list(writers.values())
        last_report = time.monotonic()
        for file, offset, length, written, copy in kept_lines(index_path):
            raw = stored.read(file, offset, length)
            record = json.loads(raw.decode("utf-8", "replace"))
            counts.kept(record)
            if not written:
                continue
            if with_split:
                record = {**record, "split": split_of(record.get("story_id"), record["id"])}
            line = ReadBack(record, raw, copy)
            for writer in outputs:
                writer.write(line)
            counts.written(record)
            facts.add(record)
            if progress and not counts.records % 10_000 \
                    and time.monotonic() - last_report >= 2.0:
                last_report = time.monotonic()
                progress(f"export: {counts.records:,} records written")
        written_files = {}
        for fmt in list(writers):
            info = writers.pop(fmt).close()
            written_files[f"{name}.{SUFFIXES[fmt]}"] = {"format": fmt, **info}
        return written_files, counts, facts
    finally:
        stored.close()
        for writer in writers.values():  # after an error: close what is open
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass


def write_plot(out_dir: Path, name: str, per_day: dict[str, dict[date, int]]
               ) -> dict[str, dict[str, Any]]:
    """`<name>.articles-per-day.png` when matplotlib is installed (the `plot` extra)."""
    from newscrawl import plot

    if not plot.available():
        return {}
    path = out_dir / f"{name}.{PLOT_SUFFIX}"
    plot.articles_per_day(per_day, path, title=f"{name}: articles per day per outlet")
    return {path.name: {"format": "plot", "sha256": sha256_of(path),
                        "bytes": path.stat().st_size}}


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
    name: str = "articles",
    force: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Write the dataset files, `<name>.datasheet.md`, `<name>.manifest.json` and
    `<name>.sha256` (for `sha256sum -c`); returns the manifest. `include`: more data
    directories whose stores are read too (other machines' in distributed mode). An output
    folder holding anything is refused (ExportFolderNotEmpty) unless `force`, which removes
    the files earlier exports there listed in their manifests (and nothing else). Records
    whose `rights` reserve text and data mining are left out unless `include_reserved`;
    `license` is what the user declares for the dataset card (default "other").

    Memory does not grow with the store (the module's docstring says how). `workers`: worker
    processes for pass 1, 0 for none; by default one per core from PARALLEL_FROM_BYTES of store
    on.

    The export is whole or absent: when it fails (a full disk, a worker that died), the files it
    had begun are removed, and the folder too if it made it; the error is raised.
    Options: sources, since, until, unique_stories, with_split, exclude_flags, include, command,
    progress, workers, include_reserved, license (see `_export_into`)."""
    if not SAFE_NAME.fullmatch(name):
        raise ValueError(f"export name {name!r}: letters, digits, '.', '_' and '-' only")
    clear_folder(out_dir, force)
    made_folder = not out_dir.exists()
    try:
        return _export_into(data_dir, out_dir, formats, name=name, **options)
    except BaseException:
        remove_partial_export(out_dir, name, made_folder)
        raise


def partial_path(out_dir: Path, file: str) -> Path:
    """Where a dataset file is written until the export is complete."""
    return out_dir / f".{file}.partial"


def is_partial(file: str) -> bool:
    return file.startswith(".") and file.endswith(".partial")


def remove_partial_export(out_dir: Path, name: str, made_folder: bool) -> None:
    """Remove what a failed export into the (empty or cleared) folder began."""
    if not out_dir.is_dir():
        return
    for path in out_dir.iterdir():
        ours = path.name.startswith(f"{name}.") or (
            is_partial(path.name) and path.name.startswith(f".{name}."))
        if ours and path.is_file():
            path.unlink(missing_ok=True)
    if made_folder:
        try:
            out_dir.rmdir()
        except OSError:  # someone else put something there meanwhile: leave it
            pass


def _export_into(
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
    command: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
    include_reserved: bool = False,
    license: str = "other",
) -> dict[str, Any]:
    """`export` after the folder is ready."""
    formats = list(dict.fromkeys(formats))
    sources = list(sources or [])
    exclude_flags = sorted(exclude_flags)
    stores = [data_dir, *include]
    say = progress or (lambda message: None)
    files = [path for store in stores for path in partitions(store / "articles", sources)]
    if workers is None:
        size = sum(path.stat().st_size for path in files)
        workers = (os.cpu_count() or 1) if size >= PARALLEL_FROM_BYTES else 0
    selection = Selection(since, until, unique_stories, frozenset(exclude_flags),
                          include_reserved, jsonl="jsonl" in formats, with_split=with_split)
    with tempfile.TemporaryDirectory(prefix="newscrawl-export-") as scratch:
        index = LatestIndex(Path(scratch))
        try:
            with Workers(workers) as helpers:  # gone before pass 2, with their memory
                problem_count, problems = index_stores(files, selection, index, helpers, say)
            unparsable = index.unparsable_date()
            if unparsable:  # the error the in-memory export raised
                stored = StoredLines(files)
                try:
                    _instant(json.loads(stored.read(*unparsable).decode("utf-8", "replace"))
                             ["published_at"])
                finally:
                    stored.close()
            say(f"export: {index.articles():,} articles (latest versions) from "
                f"{len(stores)} store{'s' if len(stores) > 1 else ''}")
            out_dir.mkdir(parents=True, exist_ok=True)
            # Pass 2: this process parses each record once for its formats and the counts; on
            # a large store a worker parses it again for the CSV (its rows, ~33 µs a record,
            # were the longest share of this process's time, and the second core had little
            # else to do than Parquet's compression).
            apart = ["csv"] if workers and "csv" in formats and len(formats) > 1 else []
            here = [fmt for fmt in formats if fmt not in apart]
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stories") as side, \
                    Workers(1 if apart else 0) as helpers:
                stories = side.submit(index.stories)
                for worker in helpers:
                    worker.send(write_datasets, index.path, files, out_dir, name, apart,
                                with_split)
                files_here, counts, facts = write_datasets(
                    index.path, files, out_dir, name, here, with_split, say)
                files_apart = helpers[0].receive()[0] if helpers else {}
                story_count = stories.result()
            files_written = {file: info for fmt in formats
                             for file, info in {**files_here, **files_apart}.items()
                             if file == f"{name}.{SUFFIXES[fmt]}"}
        finally:
            index.close()
    for file, info in files_written.items():
        say(f"export: wrote {file} ({info['bytes'] / 1e6:.1f} MB)")
    if URLS_FORMAT not in formats or len(formats) > 1:
        files_written.update(write_plot(out_dir, name, counts.per_day))
    manifest = {
        "records": counts.records,
        "by_source": {source: item.records for source, item in sorted(facts.sources.items())},
        "stories": story_count,
        "published_from": counts.published_from,
        "published_to": counts.published_to,
        "filters": {
            "sources": sorted(sources), "since": str(since) if since else None,
            "until": str(until) if until else None, "unique_stories": unique_stories,
            "exclude_flags": exclude_flags,
            "stores": len(stores),
        },
        # Records carrying each quality flag, among those written and among those the other
        # filters kept (the difference is what --exclude-flags left out).
        "quality_flags": dict(sorted(counts.flags.items())),
        "quality_flags_before_exclusion": dict(sorted(counts.flags_before_exclusion.items())),
        "splits": counts.splits,
        "fill_rates": counts.fill_rates(),
        "rights_reserved": counts.rights_reserved,
        # Records whose rights reserve text and data mining: left out by default.
        "rights": {
            "include_reserved": include_reserved,
            "reserved_written": counts.rights_reserved,
            "reserved_left_out": counts.reserved_kept - counts.rights_reserved,
            "reserving_signals_by_source": {
                source: dict(sorted(signals.items()))
                for source, signals in sorted(counts.reserving_signals.items())},
        },
        "license": license,
        # Lines of the store that are not records, skipped (the first 100 located).
        "corrupt_lines": {"count": problem_count, "first": problems},
        "files": files_written,
        "schema": "newscrawl/schema/article.schema.json",
        "software": software(),
        "command": command,
    }
    sheet = out_dir / f"{name}.datasheet.md"
    sheet.write_text(datasheet.render(name, facts, manifest), encoding="utf-8")
    files_written[sheet.name] = {"format": "datasheet", "sha256": sha256_of(sheet),
                                 "bytes": sheet.stat().st_size}
    # The data files get their names only now, just before the manifest: a killed export
    # leaves dot-files named *.partial, never a dataset file that looks whole.
    for file, info in files_written.items():
        if info["format"] in WRITERS:
            partial_path(out_dir, file).replace(out_dir / file)
    manifest_path = out_dir / f"{name}.manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    sums = {file: info["sha256"] for file, info in files_written.items()}
    sums[manifest_path.name] = sha256_of(manifest_path)
    (out_dir / f"{name}.sha256").write_text(
        "".join(f"{digest}  {file}\n" for file, digest in sums.items()), encoding="utf-8"
    )
    return manifest


class Worker:
    """A worker process (`python -c`, importing this module): runs the functions it is sent,
    one at a time, and sends back their results, in order. Not multiprocessing: its "spawn"
    re-imports the caller's main script (an unguarded script would export again) and "fork"
    is unsafe in a process with threads (Scrapy's, a test runner's)."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[1])  # this newscrawl, wherever it is
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from newscrawl.export import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._pending = 0

    def send(self, function: Callable[..., Any], *args: Any) -> None:
        assert self._process.stdin is not None
        pickle.dump((function.__name__, args), self._process.stdin, pickle.HIGHEST_PROTOCOL)
        self._process.stdin.flush()
        self._pending += 1

    def receive(self) -> Any:
        assert self._process.stdout is not None
        try:
            succeeded, value = pickle.load(self._process.stdout)
        except EOFError:
            raise RuntimeError(f"an export worker process ended (exit code "
                               f"{self._process.wait()})") from None
        self._pending -= 1
        if not succeeded:
            raise value
        return value

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        if self._pending:  # after an error: it may be busy with work no one waits for
            self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


class Workers(list):
    """`count` Worker processes for the time of a `with` block."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self._count = count

    def __enter__(self) -> Workers:
        try:
            self.extend(Worker() for _ in range(self._count))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in self:
            worker.close()
        self.clear()


_SERVED: dict[str, Callable[..., Any]] = {
    "index_partition": index_partition, "write_datasets": write_datasets}


def serve() -> None:
    """A Worker process's main loop: (function name, arguments) in on stdin, (succeeded,
    result or exception) out, until stdin closes."""
    tasks = sys.stdin.buffer
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt results
    while True:
        try:
            name, args = pickle.load(tasks)
        except EOFError:
            return
        try:
            reply = pickle.dumps((True, _SERVED[name](*args)), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - sent back to be raised in the exporter
            exc.add_note(f"in an export worker process:\n{traceback.format_exc()}")
            try:
                reply = pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                reply = pickle.dumps((False, RuntimeError(traceback.format_exc())))
        results.write(reply)
        results.flush()


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
            "--force replaces an earlier export there (or what an interrupted one left), or "
            "choose another --out"
        )
    ours: set[str] = set()
    for manifest in out_dir.glob("*.manifest.json"):
        stem = manifest.name[: -len(".manifest.json")]
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError):
            continue
        ours |= {manifest.name, f"{stem}.sha256", *listed}
    ours |= {file for file in present if is_partial(file)}  # left by an interrupted export
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
