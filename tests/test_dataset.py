"""`newscrawl.dataset.load`: an export read back with its types, the same from JSONL or
Parquet, and one clear error for a path that holds no export."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
import pytest
from conftest import run_scrapy

from newscrawl.dataset import DatasetError, load


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    data = root / "data"
    for spider in ("antaratekno", "detikinet"):
        assert run_scrapy(["crawl", spider], data).returncode == 0
    out = root / "export"
    done = run_scrapy(["export", "--format", "jsonl,csv,parquet", "--out", str(out), "--split"],
                      data)
    assert done.returncode == 0, done.log[-2000:]
    return out


def test_an_export_loads_with_its_types_from_parquet_and_from_jsonl(exported):
    from_parquet = load(exported)
    from_jsonl = load(exported, format="jsonl")
    lines = [json.loads(line) for line in (exported / "articles.jsonl").read_text().splitlines()]
    assert from_parquet.column("id").to_pylist() == [r["id"] for r in lines]
    assert from_jsonl.equals(from_parquet)
    schema = from_parquet.schema
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("authors").type == pa.list_(pa.string())
    assert pa.types.is_struct(schema.field("rights").type)
    assert schema.field("word_count").type == pa.int64()
    first = from_parquet.slice(0, 1).to_pylist()[0]
    record = lines[0]
    assert first["authors"] == record["authors"]
    assert first["published_at_offset"] == record["published_at"][-6:]  # "+07:00"
    assert first["published_at"] == datetime.fromisoformat(record["published_at"])  # same instant
    assert set(from_parquet.column("split").to_pylist()) <= {"train", "dev", "test"}
    # pandas, as the README shows it.
    frame = from_parquet.to_pandas()
    assert str(frame["published_at"].dtype) == "datetime64[us, UTC]"
    assert len(frame) == len(lines)


def test_a_data_file_loads_directly_and_a_wrong_path_is_one_clear_error(exported, tmp_path):
    assert load(exported / "articles.jsonl").num_rows == load(exported).num_rows
    with pytest.raises(DatasetError, match="no such file or folder"):
        load(tmp_path / "missing")
    with pytest.raises(DatasetError, match="no exports in this folder"):
        load(tmp_path)
    with pytest.raises(DatasetError, match="not a .parquet or .jsonl"):
        load(exported / "articles.csv")
    with pytest.raises(DatasetError, match="format 'xml'"):
        load(exported, format="xml")
