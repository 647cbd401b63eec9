"""A look at the store without exporting: counts, one record, a random few.

Pure module (no Scrapy imports), used by `scrapy stats`, `scrapy show` and `scrapy sample`.
Everything reads the JSONL store directly, one line at a time, and keeps per article only
what the answer needs (the latest version decides), so it stays fast and small on 10⁵ records.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.export import read_store
from newscrawl.fields import FIELD_ORDER

# Fields whose fill rate `stats` reports (the ones that differ between outlets and layouts).
FILL_FIELDS = ("authors", "editors", "editor_codes", "dateline", "description", "modified_at",
               "tags", "category", "image", "archive")


@dataclass(slots=True)
class Summary:
    """What `stats` keeps of one article (its latest version)."""

    version: int
    source: str
    month: str
    published_at: str
    filled: int  # bit i: FILL_FIELDS[i] is filled
    flags: tuple[str, ...]
    story_id: str
    copy: bool


def _filled(record: dict[str, Any]) -> int:
    bits = 0
    for index, name in enumerate(FILL_FIELDS):
        if record.get(name) not in (None, [], ""):
            bits |= 1 << index
    return bits


def summaries(data_dir: Path, sources: Iterable[str] | None = None,
              problems: list[dict[str, Any]] | None = None) -> dict[str, Summary]:
    """The latest version of every stored article, summarised."""
    latest: dict[str, Summary] = {}
    for record in read_store(Path(data_dir) / "articles", sources, problems):
        version = int(record.get("version") or 1)
        current = latest.get(record["id"])
        if current is not None and current.version > version:
            continue
        latest[record["id"]] = Summary(
            version=version,
            source=record.get("source") or "?",
            month=record["published_at"][:7],
            published_at=record["published_at"],
            filled=_filled(record),
            flags=tuple(record.get("quality_flags") or ()),
            story_id=record.get("story_id") or record["id"],
            copy=bool(record.get("duplicate_of")),
        )
    return latest


@dataclass
class SourceStats:
    records: int = 0
    updated: int = 0
    copies: int = 0
    first: str | None = None
    last: str | None = None
    months: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)


def store_stats(latest: dict[str, Summary]) -> dict[str, Any]:
    """Counts per source and month, fill rates, flags, stories and the date range."""
    per_source: dict[str, SourceStats] = {}
    stories: set[str] = set()
    for item in latest.values():
        stats = per_source.setdefault(item.source, SourceStats())
        stats.records += 1
        stats.updated += item.version > 1
        stats.copies += item.copy
        stats.months[item.month] = stats.months.get(item.month, 0) + 1
        if stats.first is None or item.published_at < stats.first:
            stats.first = item.published_at
        if stats.last is None or item.published_at > stats.last:
            stats.last = item.published_at
        for flag in item.flags:
            stats.flags[flag] = stats.flags.get(flag, 0) + 1
        for index, name in enumerate(FILL_FIELDS):
            if item.filled >> index & 1:
                stats.filled[name] = stats.filled.get(name, 0) + 1
        stories.add(item.story_id)
    sources = {}
    for name, stats in sorted(per_source.items()):
        sources[name] = {
            "records": stats.records,
            "updated": stats.updated,
            "story_copies": stats.copies,
            "published_from": stats.first,
            "published_to": stats.last,
            "months": dict(sorted(stats.months.items())),
            "quality_flags": dict(sorted(stats.flags.items())),
            "fill_rates": {f: round(stats.filled.get(f, 0) / stats.records, 4)
                           for f in FILL_FIELDS},
        }
    months: dict[str, int] = {}
    for info in sources.values():
        for month, count in info["months"].items():
            months[month] = months.get(month, 0) + count
    instants = [s["published_from"] for s in sources.values()] + [
        s["published_to"] for s in sources.values()]
    return {
        "records": len(latest),
        "stories": len(stories),
        "sources": sources,
        "months": dict(sorted(months.items())),
        "published_from": min(instants) if instants else None,
        "published_to": max(instants) if instants else None,
    }


def find(data_dir: Path, key: str) -> list[dict[str, Any]]:
    """Every stored version of the article whose id or URL is `key`, oldest first."""
    by_id = ":" in key and not key.startswith(("http://", "https://"))
    sources = [key.split(":", 1)[0]] if by_id else None
    if by_id and not (Path(data_dir) / "articles" / sources[0]).is_dir():
        return []
    versions = [
        record for record in read_store(Path(data_dir) / "articles", sources)
        if (record["id"] == key if by_id else record.get("url") == key)
    ]
    if not by_id and versions:
        # The same article's other versions, under any URL it was stored with.
        record_id = versions[0]["id"]
        versions = [r for r in read_store(Path(data_dir) / "articles", [versions[0]["source"]])
                    if r["id"] == record_id]
    return sorted(versions, key=lambda r: int(r.get("version") or 1))


def sample(data_dir: Path, count: int, sources: Iterable[str] | None = None,
           seed: int | None = None) -> list[dict[str, Any]]:
    """`count` articles (latest versions) drawn at random, uniformly (reservoir sampling over
    the ids, then one more pass for those records)."""
    rng = random.Random(seed)
    ids: dict[str, int] = {}
    for record in read_store(Path(data_dir) / "articles", sources):
        version = int(record.get("version") or 1)
        if ids.get(record["id"], 0) <= version:
            ids[record["id"]] = version
    chosen = set(rng.sample(sorted(ids), min(count, len(ids))))
    picked: dict[str, dict[str, Any]] = {}
    for record in read_store(Path(data_dir) / "articles", sources):
        if record["id"] in chosen and int(record.get("version") or 1) == ids[record["id"]]:
            picked[record["id"]] = record
    return [picked[i] for i in sorted(picked)]


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    """The record's fields in the stored order (any others after them)."""
    out = {name: record.get(name) for name in FIELD_ORDER if name in record}
    out.update({k: v for k, v in record.items() if k not in out})
    return out


def lines_of(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(ordered(record), ensure_ascii=False)
