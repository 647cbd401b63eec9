"""Load an export with its types: `newscrawl.dataset.load(path)` → a pyarrow Table.

No Scrapy imports. Whichever file is read, the table has the Parquet schema of
newscrawl/export.py: instants as `timestamp[us, UTC]` with the printed offset in
`<field>_offset`, lists as lists, `image`/`rights`/`archive` as structs, `split` when the export
has splits. So a JSONL export and a Parquet export of the same records load as equal tables.

    from newscrawl.dataset import load
    table = load("exports/2026-06")              # the export folder (Parquet if it has one)
    frame = table.to_pandas()                    # pandas, timestamps as datetime64[us, UTC]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newscrawl.export import parquet_row, parquet_schema

FORMATS = ("parquet", "jsonl")


class DatasetError(ValueError):
    """The path holds no export that can be loaded, said in words."""


def load(path: str | Path, format: str | None = None) -> Any:
    """The records of an export as a pyarrow Table. `path` is a data file
    (`articles.parquet`, `articles.jsonl`) or an export folder (its one export is read, as
    Parquet when it has that file, else JSONL; `format` chooses)."""
    import pyarrow.parquet as pq

    file = _data_file(Path(path), format)
    if file.suffix == ".parquet":
        table = pq.read_table(file)
        with_split = "split" in table.schema.names
        return table.cast(parquet_schema(with_split))
    return _jsonl_table(file)


def _data_file(path: Path, format: str | None) -> Path:
    if format is not None and format not in FORMATS:
        raise DatasetError(f"format {format!r}: one of {', '.join(FORMATS)}")
    if path.is_file():
        if path.suffix.lstrip(".") not in FORMATS:
            raise DatasetError(f"{path}: not a .parquet or .jsonl file of an export")
        return path
    if not path.is_dir():
        raise DatasetError(f"{path}: no such file or folder")
    manifests = sorted(path.glob("*.manifest.json"))
    if len(manifests) != 1:
        raise DatasetError(f"{path}: {len(manifests) or 'no'} exports in this folder; give the "
                           "data file")
    stem = manifests[0].name[: -len(".manifest.json")]
    for candidate in (format,) if format else FORMATS:
        file = path / f"{stem}.{candidate}"
        if file.is_file():
            return file
    raise DatasetError(f"{path}: the export {stem!r} has no {format or 'Parquet or JSONL'} file")


def _jsonl_table(file: Path) -> Any:
    import pyarrow as pa

    rows = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                rows.append(parquet_row(json.loads(line)))
            except ValueError as exc:
                raise DatasetError(f"{file}:{number}: not a record ({exc})") from None
    schema = parquet_schema(with_split=bool(rows) and "split" in rows[0])
    return pa.Table.from_pylist([{f.name: row.get(f.name) for f in schema} for row in rows],
                                schema=schema)
