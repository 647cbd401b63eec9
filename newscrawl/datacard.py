"""The dataset-card header of an export's datasheet: YAML front matter that data hubs read.

No Scrapy imports, no YAML library: every scalar is written as a JSON string or number, which
YAML reads as the same value. With this header the datasheet can be a Hugging Face dataset's
README.md as it is: `configs` names each data file (Parquet first, the default), and the
`newscrawl` key lists every file of the export with its sha256.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

DATA_FORMATS = ("parquet", "jsonl", "csv")
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                   (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"))


def size_category(records: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if records < limit), "10M<n<100M")


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _list(key: str, values: Sequence[Any], indent: str = "") -> list[str]:
    return [f"{indent}{key}:", *(f"{indent}- {_scalar(v)}" for v in values)]


def card_header(name: str, manifest: Mapping[str, Any], license: str = "other",
                rights_summary: str = "") -> str:
    """The `---`-delimited YAML header for the datasheet of export `name`."""
    files: Mapping[str, Mapping[str, Any]] = manifest.get("files", {})
    data = sorted(((meta["format"], file) for file, meta in files.items()
                   if meta.get("format") in DATA_FORMATS),
                  key=lambda pair: DATA_FORMATS.index(pair[0]))
    first, last = manifest.get("published_from"), manifest.get("published_to")
    window = f" ({str(first)[:10]} to {str(last)[:10]})" if first and last else ""
    lines = ["---", f"pretty_name: {_scalar(f'newscrawl {name}: Indonesian technology news{window}')}",
             *_list("language", ["id"]), f"license: {_scalar(license)}"]
    if license == "other":
        lines += [f"license_name: {_scalar('rights-of-the-outlets')}",
                  f"license_details: {_scalar(rights_summary or 'See Uses and rights below.')}"]
    lines += [
        *_list("multilinguality", ["monolingual"]),
        *_list("size_categories", [size_category(int(manifest.get("records", 0)))]),
        *_list("source_datasets", ["original"]),
        *_list("task_categories", ["text-classification", "summarization", "text-generation"]),
        *_list("tags", ["news", "indonesian", "technology"]),
        "configs:",
    ]
    for index, (fmt, file) in enumerate(data):
        lines += [f"- config_name: {_scalar('default' if index == 0 else fmt)}",
                  "  data_files:", "  - split: \"train\"", f"    path: {_scalar(file)}"]
        if index == 0:
            lines.append("  default: true")
    rights = manifest.get("rights") or {}
    lines += ["newscrawl:", f"  records: {int(manifest.get('records', 0))}",
              f"  reserved_records_included: {_scalar(bool(rights.get('include_reserved')))}",
              f"  reserved_records_left_out: {int(rights.get('reserved_left_out', 0))}",
              "  files:"]
    for file in sorted(f for f, meta in files.items() if meta.get("format") != "datasheet"):
        meta = files[file]
        lines += [f"  - name: {_scalar(file)}", f"    format: {_scalar(meta.get('format'))}",
                  f"    sha256: {_scalar(meta.get('sha256'))}"]
    # Written after this header, so named without a checksum (the .sha256 file has them).
    for file, fmt in ((f"{name}.datasheet.md", "datasheet"), (f"{name}.manifest.json", "manifest"),
                      (f"{name}.sha256", "checksums")):
        lines += [f"  - name: {_scalar(file)}", f"    format: {_scalar(fmt)}"]
    lines.append("---")
    return "\n".join(lines) + "\n"
