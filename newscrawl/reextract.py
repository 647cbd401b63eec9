"""Re-extraction: which archived pages to read again, and whether a record changed.

Pure module (no Scrapy imports); `scrapy reextract` (newscrawl/commands/reextract.py) runs the
plan through the site parsers and the validate -> dedupe -> store pipelines.

What is read again:
- by default, every archived article response of the selected sources, the newest copy of
  each URL (a page fetched twice was usually fetched again because it changed), in the order
  they were fetched, so that a rebuilt store assigns stories as the crawl did;
- with `flags`, the pages the latest stored record of an article came from, for the records
  carrying any of those quality flags (`generic_body`: the bodies no declared layout gave).
`since`/`until` select by the day (UTC) the page was fetched.

Whether a record changed is decided on every extracted field, not only the body: a parser
that now finds the authors, or a layout that now gives the body the generic path gave, makes
a new version even when the body text is the same.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from newscrawl.archive import ArchivePointer, archive_files, scan
from newscrawl.export import read_store
from newscrawl.items import FIELD_ORDER
from newscrawl.ledger import KnownArticle

# Set by the dedupe stage or by the run, not by extraction: not compared.
NOT_COMPARED = frozenset({
    "id", "crawled_at", "version", "previous_content_hash", "story_id", "duplicate_of", "archive",
})
ARTICLE_KIND = "article"


def fingerprint(record: Mapping[str, Any]) -> str:
    """A digest of everything extraction decides in a record (see NOT_COMPARED)."""
    compared = {name: record.get(name) for name in FIELD_ORDER if name not in NOT_COMPARED}
    text = json.dumps(compared, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """The latest stored version of one article, as far as re-extraction needs it."""

    id: str
    source: str
    url: str
    version: int
    fingerprint: str
    flags: frozenset[str]
    crawled_at: str
    pointer: ArchivePointer | None
    data_dir: Path
    content_hash: str | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    published_at: str | None = None


def stored_records(
    data_dirs: Sequence[Path], sources: Iterable[str] | None = None
) -> dict[str, StoredRecord]:
    """The latest version of every stored article in these data directories' stores."""
    latest: dict[str, StoredRecord] = {}
    wanted = list(sources) if sources is not None else None
    for data_dir in data_dirs:
        for record in read_store(Path(data_dir) / "articles", wanted):
            version = int(record.get("version") or 1)
            current = latest.get(record["id"])
            if current is not None and current.version > version:
                continue
            latest[record["id"]] = StoredRecord(
                id=record["id"],
                source=record.get("source") or "",
                url=record.get("url") or "",
                version=version,
                fingerprint=fingerprint(record),
                flags=frozenset(record.get("quality_flags") or ()),
                crawled_at=record.get("crawled_at") or "",
                pointer=ArchivePointer.from_value(record.get("archive")),
                data_dir=Path(data_dir),
                content_hash=record.get("content_hash"),
                story_id=record.get("story_id"),
                duplicate_of=record.get("duplicate_of"),
                published_at=record.get("published_at"),
            )
    return latest


@dataclass(frozen=True, slots=True)
class Replay:
    """One archived page to extract again: `path` opens the WARC file from here;
    `record_pointer` is the pointer the new record carries (relative to this data dir)."""

    source: str
    url: str
    fetched: str
    path: str
    offset: int
    length: int
    record_pointer: dict[str, Any]

    @property
    def replay_pointer(self) -> dict[str, Any]:
        return {"file": self.path, "offset": self.offset, "length": self.length}


@dataclass
class Plan:
    replays: list[Replay] = field(default_factory=list)
    # Per source: selected records that have no archived page (crawled with the archive off).
    not_archived: dict[str, int] = field(default_factory=dict)
    # Per source: damaged archive records found while scanning (file and offset).
    damaged: dict[str, list[str]] = field(default_factory=dict)


def _day(stamp: str) -> date | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc).date()
    except ValueError:
        return None


def _in_days(stamp: str, since: date | None, until: date | None) -> bool:
    if since is None and until is None:
        return True
    day = _day(stamp)
    if day is None:
        return False
    return (since is None or day >= since) and (until is None or day <= until)


def _record_pointer(path: Path, offset: int, length: int, data_dir: Path) -> dict[str, Any]:
    return ArchivePointer(os.path.relpath(path, data_dir), offset, length).as_dict()


def plan(
    data_dir: Path,
    *,
    include: Sequence[Path] = (),
    sources: Iterable[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    flags: Iterable[str] = (),
    stored: Mapping[str, StoredRecord] | None = None,
) -> Plan:
    """The pages to re-extract, in the order they were fetched."""
    data_dir = Path(data_dir)
    wanted = set(sources) if sources is not None else None
    result = Plan()
    flag_set = set(flags)
    chosen: list[tuple[str, str, int, Replay]] = []
    if flag_set:
        for record in (stored or {}).values():
            if not flag_set & record.flags or (wanted is not None and record.source not in wanted):
                continue
            if not _in_days(record.crawled_at, since, until):
                continue
            if record.pointer is None:
                result.not_archived[record.source] = result.not_archived.get(record.source, 0) + 1
                continue
            path = record.data_dir / record.pointer.file
            replay = Replay(record.source, record.url, record.crawled_at, str(path),
                            record.pointer.offset, record.pointer.length,
                            _record_pointer(path, record.pointer.offset, record.pointer.length,
                                            data_dir))
            chosen.append((record.crawled_at, str(path), record.pointer.offset, replay))
    else:
        newest: dict[str, tuple[str, str, int, Replay]] = {}
        for root in (data_dir, *include):
            for path in archive_files(root, wanted):
                problems: list[str] = []
                for entry in scan(path, root, problems):
                    if entry.kind != ARTICLE_KIND or not 200 <= entry.status < 300:
                        continue
                    if wanted is not None and entry.source not in wanted:
                        continue
                    if not _in_days(entry.date, since, until):
                        continue
                    replay = Replay(entry.source, entry.url, entry.date, str(path),
                                    entry.pointer.offset, entry.pointer.length,
                                    _record_pointer(path, entry.pointer.offset,
                                                    entry.pointer.length, data_dir))
                    key = (entry.date, str(path), entry.pointer.offset, replay)
                    if entry.url not in newest or key[:3] > newest[entry.url][:3]:
                        newest[entry.url] = key
                if problems:
                    result.damaged.setdefault(path.parent.parent.name, []).extend(problems)
        chosen = list(newest.values())
    chosen.sort(key=lambda item: item[:3])
    result.replays = [item[3] for item in chosen]
    return result


class Comparison:
    """What the dedupe stage compares a re-extracted record with: the latest stored version
    of each article, from this store and the included ones. In a dry run nothing is written,
    the outcome is only counted."""

    def __init__(self, stored: Mapping[str, StoredRecord], dry_run: bool = False):
        self.stored = stored
        self.fingerprints = {record_id: r.fingerprint for record_id, r in stored.items()}
        self.dry_run = dry_run

    def unchanged(self, record_id: str, record: Mapping[str, Any]) -> bool | None:
        """Whether `record` equals the stored latest version of `record_id`; None when that
        version is not known here (the caller compares bodies instead)."""
        stored = self.fingerprints.get(record_id)
        return None if stored is None else stored == fingerprint(record)

    def remember(self, record_id: str, record: Mapping[str, Any]) -> None:
        self.fingerprints[record_id] = fingerprint(record)

    def known_elsewhere(self, record_id: str) -> KnownArticle | None:
        """An article another machine's store holds (`--include`) and this ledger does not:
        its new version continues that store's numbering."""
        stored = self.stored.get(record_id)
        if stored is None:
            return None
        return KnownArticle(stored.id, stored.url, stored.content_hash, stored.version,
                            stored.story_id, stored.published_at, stored.crawled_at)

    def story_of(self, record_id: str) -> tuple[str | None, str | None] | None:
        stored = self.stored.get(record_id)
        return None if stored is None else (stored.story_id, stored.duplicate_of)
