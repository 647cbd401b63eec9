"""What a crawl ledger is: the :class:`Ledger` protocol, the records it answers with, and the
logic its two backends share.

Pure module (no Scrapy, SQLite or Redis imports). Backends:

* :class:`newscrawl.ledger.SqliteLedger`: one data directory's ledger, in SQLite;
* :class:`newscrawl.redis_ledger.RedisLedger`: one ledger for every crawler process of a
  distributed crawl, in Redis.

Code that uses a ledger types it as :class:`Ledger` (as :class:`newscrawl.stories.StoryIndex`
does) and so works with either.

Both backends derive from :class:`LedgerBase`, which makes every decision that does not depend
on where the data lives (which records a revisit is due for, whether a watermark moves, how a
store line becomes a ledger row, timestamps) and leaves each backend only its storage
primitives: the abstract ``_`` methods below, plus the public lookups that are one query.

Conformance is checked twice: ``tests/test_ledger.py::test_backends_implement_the_protocol``
compares every protocol member's name and signature with both classes at run time, and
``mypy newscrawl/ledger*.py newscrawl/redis_ledger.py newscrawl/stories.py
tests/test_ledger.py --ignore-missing-imports`` checks the same statically (through a typed
helper in that test file).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

__all__ = [
    "ArticleRow",
    "KnownArticle",
    "Ledger",
    "LedgerBase",
    "NewStoryMember",
    "RevisitFacts",
    "StoryMember",
    "Watermark",
    "epoch_seconds",
    "parse_iso",
    "site_article_id_of",
    "utc_iso",
]

# A record dated a little ahead of this machine's clock (the site's clock or a wrong offset)
# still counts as published now, instead of falling out of every revisit window.
CLOCK_SKEW_S = 60


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What the ledger knows about one stored record."""

    record_id: str
    url: str
    content_hash: str | None
    version: int
    story_id: str | None
    published_at: str | None
    stored_at: str


@dataclass(frozen=True, slots=True)
class StoryMember:
    """One record as the story index sees it (see :mod:`newscrawl.stories`)."""

    member: int  # insertion order (SQLite row id, Redis sequence): a larger one is newer
    record_id: str
    story_id: str
    duplicate_of: str | None
    similarity: float | None
    published_at: str | None
    signature: bytes | None


class ArticleRow(NamedTuple):
    """One record as a backend upserts it (from :meth:`Ledger.record` or a store line)."""

    record_id: str
    source: str
    url: str
    site_article_id: str | None
    content_hash: str | None
    version: int
    story_id: str | None
    published_at: str | None
    published_ts: int | None
    stored_at: str  # UTC ISO 8601; also the first_seen of a record new to the ledger


class RevisitFacts(NamedTuple):
    """What :meth:`Ledger.needs_revisit` decides on, as a backend stores it."""

    published_ts: int | None
    first_seen: str | None
    checked_at: str | None


class Watermark(NamedTuple):
    """A source's watermark and last clean run, as a backend stores them."""

    published_at: str | None = None  # as the site printed it
    published_ts: int | None = None  # the same instant in epoch seconds, for comparing
    last_run_at: str | None = None


class NewStoryMember(NamedTuple):
    """A story-index member to insert; the backend numbers it (:attr:`StoryMember.member`)."""

    record_id: str
    story_id: str
    duplicate_of: str | None
    similarity: float | None
    published_at: str | None
    signature: bytes | None


def parse_iso(value: str | datetime | None) -> datetime | None:
    """Parse an ISO 8601 string into an aware datetime (naive means UTC); ``None`` if unparsable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            text = value.strip()
            if text[-1:] in ("Z", "z"):  # Python 3.10's fromisoformat rejects "Z"
                text = text[:-1] + "+00:00"
            dt = datetime.fromisoformat(text)
        except (ValueError, AttributeError, TypeError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def epoch_seconds(value: str | datetime | None) -> int | None:
    """The instant ``value`` names in whole epoch seconds, or ``None`` if it is not a date."""
    dt = parse_iso(value)
    return None if dt is None else int(dt.timestamp())


def utc_iso(when: str | datetime | None = None) -> str:
    """``when`` (default: now) as UTC ISO 8601 to the second, the ledgers' timestamp format."""
    dt = parse_iso(when) if when is not None else datetime.now(timezone.utc)
    assert dt is not None
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def site_article_id_of(record_id: str, source: str) -> str | None:
    """The site's own article id: the part of ``"<source>:<id>"`` after the source."""
    prefix = source + ":"
    return record_id[len(prefix):] if record_id.startswith(prefix) else None


def _aware_now(now: str | datetime | None) -> datetime:
    dt = parse_iso(now) if now is not None else datetime.now(timezone.utc)
    assert dt is not None
    return dt


def _store_entry(rec: dict[str, Any]) -> tuple[ArticleRow, list[str]] | None:
    """A store line as a row and the URLs that name it; ``None`` for a line without id or URL."""
    record_id, url = rec.get("id"), rec.get("url")
    if not record_id or not url:
        return None
    # Old store lines may lack "source"; record ids are "<source>:<site id>".
    source = rec.get("source") or str(record_id).split(":", 1)[0]
    published_at = rec.get("published_at")
    row = ArticleRow(
        record_id, source, url, site_article_id_of(record_id, source), rec.get("content_hash"),
        int(rec.get("version") or 1), rec.get("story_id"), published_at,
        epoch_seconds(published_at), utc_iso(parse_iso(rec.get("crawled_at")) or None),
    )
    aliases = rec.get("aliases")
    return row, ([url, *[alias for alias in aliases if alias]] if aliases else [url])


def _revisit_due(
    facts: RevisitFacts, window: timedelta, now: datetime, min_interval: timedelta | None
) -> bool:
    ref = facts.published_ts if facts.published_ts is not None else epoch_seconds(facts.first_seen)
    if ref is None:
        return False
    now_ts = now.timestamp()
    if not now_ts - window.total_seconds() <= ref <= now_ts + CLOCK_SKEW_S:
        return False
    if min_interval is not None:
        checked = epoch_seconds(facts.checked_at)
        if checked is not None and now_ts - checked < min_interval.total_seconds():
            return False
    return True


class Ledger(Protocol):
    """A crawl ledger: the index over the JSONL store that the crawler asks what it knows.

    Every write is atomic on its own; :meth:`batch` makes a group of reads and writes one step
    for every process sharing the ledger.
    """

    @property
    def path(self) -> str | Path:
        """Where the ledger lives (a file or a server URL), for messages."""
        ...

    def close(self) -> None:
        """Release the ledger's connection; safe to call twice."""
        ...

    def __enter__(self) -> Ledger:
        """The ledger itself, closed when the block ends."""
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the ledger."""
        ...

    def batch(self) -> AbstractContextManager[Ledger]:
        """Make the block's calls one step: one transaction, or one hold of the shared lock."""
        ...

    # -- lookups

    def is_known_url(self, url: str) -> bool:
        """True if ``url`` (canonical or any alias) belongs to a stored record."""
        ...

    def known(self, url: str | None = None, record_id: str | None = None) -> KnownArticle | None:
        """The record behind ``url`` (else ``record_id``); TypeError if neither is given."""
        ...

    def find_by_content_hash(self, content_hash: str, source: str | None = None) -> str | None:
        """Record id of the first stored record with this body hash (optionally in ``source``)."""
        ...

    def needs_revisit(
        self,
        url: str,
        window: timedelta,
        now: datetime | None = None,
        *,
        min_interval: timedelta | None = None,
    ) -> bool:
        """True if ``url`` is known, published (else first stored) within ``window`` before
        ``now``, and not checked within ``min_interval``."""
        ...

    def recent(
        self, within: timedelta, now: datetime | None = None, source: str | None = None
    ) -> Iterator[KnownArticle]:
        """Records published within ``within`` before ``now``, newest first."""
        ...

    def count(self) -> int:
        """Number of stored records."""
        ...

    # -- writes

    def record(
        self,
        record_id: str,
        source: str,
        url: str,
        content_hash: str | None,
        version: int = 1,
        story_id: str | None = None,
        published_at: str | None = None,
        aliases: Iterable[str] = (),
        *,
        site_article_id: str | None = None,
        stored_at: datetime | None = None,
    ) -> None:
        """Upsert a stored record and point its URL and aliases at it; an older version is
        ignored."""
        ...

    def add_alias(self, url: str, record_id: str) -> bool:
        """Make ``url`` another name of ``record_id``; False (nothing stored) if it is unknown."""
        ...

    def mark_checked(self, record_id: str, when: datetime | None = None) -> None:
        """Remember that ``record_id`` was re-fetched (for ``needs_revisit(min_interval=...)``)."""
        ...

    # -- watermarks and runs

    def get_watermark(self, source: str) -> str | None:
        """Newest ``published_at`` recorded for ``source`` (as given), or ``None``."""
        ...

    def set_watermark(self, source: str, published_at: str) -> bool:
        """Move ``source``'s watermark forward (instants compared, not strings); whether it
        moved. ValueError if ``published_at`` is not a date."""
        ...

    def mark_run(self, source: str, finished_at: datetime | None = None) -> None:
        """Record a clean finish of a ``source`` run (the watermark is left alone)."""
        ...

    def last_run(self, source: str) -> str | None:
        """UTC ISO time of the last clean run of ``source``, or ``None``."""
        ...

    # -- recovery and settings

    def reconcile(self, records: Iterable[dict[str, Any]], *, chunk_size: int = 10_000) -> int:
        """Take in store lines the ledger lacks or has older versions of, keeping existing
        aliases; returns how many records were new. Safe to repeat."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A stored setting (story-index parameters, store offsets), or ``None``."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting, replacing any earlier value."""
        ...

    # -- story index storage (newscrawl.stories.StoryIndex)

    def story_member(self, record_id: str) -> StoryMember | None:
        """The story-index member ``record_id``, or ``None``."""
        ...

    def story_candidates(self, band_keys: Sequence[int], limit: int = 50) -> list[StoryMember]:
        """Members sharing an LSH band key with ``band_keys``, most shared first, then newest."""
        ...

    def story_members(self, record_ids: Iterable[str]) -> dict[str, StoryMember]:
        """The story-index members among ``record_ids``, by record id (one lookup)."""
        ...

    def story_candidates_many(
        self, band_keys: Sequence[Sequence[int]], limit: int = 50
    ) -> list[list[StoryMember]]:
        """:meth:`story_candidates` for each list of band keys, in one lookup."""
        ...

    def add_story_member(
        self,
        record_id: str,
        story_id: str,
        duplicate_of: str | None,
        similarity: float | None,
        published_at: str | None,
        signature: bytes | None,
        band_keys: Sequence[int] = (),
    ) -> bool:
        """Insert a member and its band keys; False (nothing written) if it is already there."""
        ...

    def add_story_members(self, members: Iterable[tuple[NewStoryMember, Sequence[int]]]) -> int:
        """Insert many members with their band keys in one write step (re-indexing from the
        store), in order; one already there is skipped. Returns how many were inserted."""
        ...

    def prune_story_bands(self, assigned_before: datetime) -> int:
        """Stop matching members assigned before ``assigned_before`` (drop their band keys and
        signatures; they keep their story); returns how many were pruned."""
        ...

    def story_size(self, story_id: str) -> int:
        """How many members the story index has put in ``story_id``."""
        ...


_Self = TypeVar("_Self", bound="LedgerBase")


class LedgerBase(ABC):
    """The part of :class:`Ledger` both backends share, over their storage primitives."""

    def __init__(self) -> None:
        # One write step per process at a time: the thread lock keeps threads apart, and a
        # write made inside an open step (a batch) joins it instead of beginning another.
        self._lock = threading.RLock()
        self._depth = 0

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None: ...

    @contextmanager
    def batch(self: _Self) -> Iterator[_Self]:
        """One write step for the block (SQLite: a transaction, rolled back on error; Redis:
        one hold of the shared lock, not rolled back)."""
        with self._write():
            yield self

    @contextmanager
    def _write(self) -> Iterator[None]:
        """Run the block in this process's write step: begun here, or joined if one is open."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self._begin_write():
                    yield
            finally:
                self._depth = 0

    # -- shared logic (contracts: the Ledger protocol above)

    def known(self, url: str | None = None, record_id: str | None = None) -> KnownArticle | None:
        if url is None and record_id is None:
            raise TypeError("known() needs url or record_id")
        if url is not None:
            found = self._article_by_url(url)
            if found is not None or record_id is None:
                return found
        assert record_id is not None
        return self._article_by_id(record_id)

    def needs_revisit(
        self,
        url: str,
        window: timedelta,
        now: datetime | None = None,
        *,
        min_interval: timedelta | None = None,
    ) -> bool:
        now_dt = _aware_now(now)
        facts = self._revisit_facts(url)
        return facts is not None and _revisit_due(facts, window, now_dt, min_interval)

    def recent(
        self, within: timedelta, now: datetime | None = None, source: str | None = None
    ) -> Iterator[KnownArticle]:
        now_dt = _aware_now(now)
        since = int((now_dt - within).timestamp())
        return iter(self._published_between(since, int(now_dt.timestamp()) + CLOCK_SKEW_S, source))

    def record(
        self,
        record_id: str,
        source: str,
        url: str,
        content_hash: str | None,
        version: int = 1,
        story_id: str | None = None,
        published_at: str | None = None,
        aliases: Iterable[str] = (),
        *,
        site_article_id: str | None = None,
        stored_at: datetime | None = None,
    ) -> None:
        if site_article_id is None:
            site_article_id = site_article_id_of(record_id, source)
        row = ArticleRow(
            record_id, source, url, site_article_id, content_hash, int(version), story_id,
            published_at, epoch_seconds(published_at), utc_iso(stored_at),
        )
        self._write_record(row, [name for name in dict.fromkeys((url, *aliases)) if name])

    def mark_checked(self, record_id: str, when: datetime | None = None) -> None:
        self._set_checked_at(record_id, utc_iso(when))

    def get_watermark(self, source: str) -> str | None:
        return self._watermark(source).published_at

    def set_watermark(self, source: str, published_at: str) -> bool:
        ts = epoch_seconds(published_at)
        if ts is None:
            raise ValueError(f"not an ISO 8601 date-time: {published_at!r}")
        with self._write():
            stored = self._watermark(source)
            if stored.published_ts is not None and ts <= stored.published_ts:
                return False
            self._put_watermark(source, stored._replace(published_at=published_at, published_ts=ts))
        return True

    def mark_run(self, source: str, finished_at: datetime | None = None) -> None:
        with self._write():
            stored = self._watermark(source)
            self._put_watermark(source, stored._replace(last_run_at=utc_iso(finished_at)))

    def last_run(self, source: str) -> str | None:
        return self._watermark(source).last_run_at

    def reconcile(self, records: Iterable[dict[str, Any]], *, chunk_size: int = 10_000) -> int:
        entries = (entry for entry in map(_store_entry, records) if entry is not None)
        return self._take_in(entries, chunk_size)

    def add_story_member(
        self,
        record_id: str,
        story_id: str,
        duplicate_of: str | None,
        similarity: float | None,
        published_at: str | None,
        signature: bytes | None,
        band_keys: Sequence[int] = (),
    ) -> bool:
        member = NewStoryMember(
            record_id, story_id, duplicate_of, similarity, published_at, signature
        )
        return self._insert_story_member(member, band_keys, datetime.now(timezone.utc))

    def add_story_members(self, members: Iterable[tuple[NewStoryMember, Sequence[int]]]) -> int:
        return self._insert_story_members(members, datetime.now(timezone.utc))

    # A backend with a cheaper way to look many up at once overrides these two.
    def story_members(self, record_ids: Iterable[str]) -> dict[str, StoryMember]:
        found = {}
        for record_id in record_ids:
            member = self.story_member(record_id)
            if member is not None:
                found[record_id] = member
        return found

    def story_candidates_many(
        self, band_keys: Sequence[Sequence[int]], limit: int = 50
    ) -> list[list[StoryMember]]:
        return [self.story_candidates(keys, limit) for keys in band_keys]

    def prune_story_bands(self, assigned_before: datetime) -> int:
        return self._prune_story_bands(_aware_now(assigned_before))

    # -- storage primitives each backend implements

    @abstractmethod
    def _begin_write(self) -> AbstractContextManager[object]:
        """The backend's write step around the block: a transaction, or a shared lock held."""

    @abstractmethod
    def _article_by_url(self, url: str) -> KnownArticle | None:
        """The record ``url`` (canonical or alias) names, or ``None``."""

    @abstractmethod
    def _article_by_id(self, record_id: str) -> KnownArticle | None:
        """The record ``record_id``, or ``None``."""

    @abstractmethod
    def _revisit_facts(self, url: str) -> RevisitFacts | None:
        """The dates of the record ``url`` names, or ``None`` if it names none."""

    @abstractmethod
    def _published_between(
        self, since: int, until: int, source: str | None
    ) -> list[KnownArticle]:
        """Records with ``since <= published_ts <= until`` (in ``source``), newest first."""

    @abstractmethod
    def _write_record(self, row: ArticleRow, urls: list[str]) -> None:
        """Upsert ``row`` (unless an equal or newer version is stored: then only its
        missing fields) and point ``urls`` at it, moving them from another record."""

    @abstractmethod
    def _take_in(self, entries: Iterable[tuple[ArticleRow, list[str]]], chunk_size: int) -> int:
        """As :meth:`_write_record` for each entry, in one write, but pointing only URLs that
        name no record yet; returns how many rows were new."""

    @abstractmethod
    def _set_checked_at(self, record_id: str, when: str) -> None:
        """Store the time of the latest revisit check of ``record_id`` (if it is known)."""

    @abstractmethod
    def _watermark(self, source: str) -> Watermark:
        """What is stored for ``source`` (all ``None`` if nothing is)."""

    @abstractmethod
    def _put_watermark(self, source: str, watermark: Watermark) -> None:
        """Store ``watermark`` for ``source``, replacing what was there."""

    @abstractmethod
    def _insert_story_member(
        self, member: NewStoryMember, band_keys: Sequence[int], assigned_at: datetime
    ) -> bool:
        """Insert ``member`` with its band keys unless it is there; whether it was inserted."""

    @abstractmethod
    def _insert_story_members(
        self, members: Iterable[tuple[NewStoryMember, Sequence[int]]], assigned_at: datetime
    ) -> int:
        """As :meth:`_insert_story_member` for each, in order and one write; how many were new."""

    @abstractmethod
    def _prune_story_bands(self, cutoff: datetime) -> int:
        """Drop band keys and signatures of members assigned before ``cutoff``; how many."""


def _document_shared_methods() -> None:
    """help() on a backend's shared method shows its contract, written once in the protocol."""
    for name, shared in vars(LedgerBase).items():
        contract = vars(Ledger).get(name)
        if callable(shared) and shared.__doc__ is None and contract is not None:
            shared.__doc__ = contract.__doc__


_document_shared_methods()
