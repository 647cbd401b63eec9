"""Crawl ledger: what the crawler already knows, kept on disk in SQLite.

Pure module (no Scrapy imports). One ledger file per data directory, normally
``<data_dir>/state/ledger.sqlite3``. The JSONL store stays the source of truth;
the ledger is an index over it that makes "skip known", "each story once",
revisits and watermarks cheap, and it can be rebuilt from the store with
:meth:`SqliteLedger.reconcile` (and :meth:`newscrawl.stories.StoryIndex.reconcile`).

Memory does not grow with the number of known URLs: every lookup is an indexed
SQLite query, and SQLite's page cache is capped (``cache_size``, 16 MiB).

Schema (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`)::

    articles      one row per stored record
      id INTEGER PRIMARY KEY          internal row id (referenced by urls)
      record_id TEXT UNIQUE           "cnbcindonesia:525780"
      source, url (canonical), site_article_id, content_hash,
      version INTEGER                 1, 2, ... (revisits emit new versions)
      story_id TEXT
      published_at TEXT               ISO 8601 as printed by the site (offset kept)
      published_ts INTEGER            the same instant in epoch seconds (for windows)
      first_seen, stored_at TEXT      UTC ISO 8601: first and latest store
      checked_at TEXT                 UTC ISO 8601: latest revisit check, or NULL
      indexes: (content_hash, source), (published_ts)

    urls          every URL form (canonical, alias, mobile/AMP variant...) -> article
      url_key INTEGER PRIMARY KEY     first 8 bytes of BLAKE2b(url), signed
      url TEXT                        compared on lookup, so a key collision is a miss
      article INTEGER                 articles.id

    watermarks    source (or "source/section") -> newest published_at seen
      source TEXT PRIMARY KEY, published_at TEXT, published_ts INTEGER, last_run_at TEXT

    story_members one row per record seen by the StoryIndex
      id INTEGER PRIMARY KEY, record_id TEXT UNIQUE, story_id TEXT (indexed),
      duplicate_of TEXT, similarity REAL (estimated Jaccard with duplicate_of),
      published_at TEXT, signature BLOB (MinHash values, uint32 little-endian;
      NULL for short bodies and pruned members), assigned_at TEXT (UTC ISO 8601)

    story_bands   LSH band keys -> story_members.id (WITHOUT ROWID, clustered on key)
      band_key INTEGER, member INTEGER, PRIMARY KEY (band_key, member)

    story_pending the band keys of the newest members, not yet in story_bands (schema 2)
      member INTEGER PRIMARY KEY (story_members.id), band_keys BLOB (int64 little-endian)

    meta          key -> value (e.g. the MinHash parameters the signatures were made with)

Writes: every public write method is its own transaction (``BEGIN IMMEDIATE``)
unless it runs inside ``with ledger.batch():``, which groups them into one.
In WAL mode with ``synchronous=NORMAL`` a commit does not fsync (only
checkpoints do, here every ~40 MiB of WAL), so a commit per record is cheap
(``benchmarks/bench_ledger.py``: ~14,000 ``record()`` calls/s committing each on
a 2-core VM); a process crash loses nothing committed, a power loss may lose the
last commits, which ``reconcile`` restores from the store. Use ``batch()`` for
bulk work (backfills, re-indexing).

Several processes may open the same ledger (WAL: many readers, one writer;
``busy_timeout`` is 30 s).

Story index in two tiers: a record's 42 LSH band keys are random, so writing them into
``story_bands`` dirties ~42 B-tree pages that its commit writes to the WAL (and a checkpoint
writes again): most of an ``assign()``'s time. A new member's keys therefore go into
``story_pending`` (one row each, appended, also for members written in bulk). Each connection
keeps that tier in memory as sorted numpy runs: a 32-bit fingerprint of each key and a 16-bit
member number, 6 bytes a key (~7.6 MB for a 30-day window of 30,000 records); a member found
by fingerprint is checked against its exact keys in ``story_pending``. The copy is read
incrementally (rows past the newest it has seen, inside the lookup's transaction; rows it wrote
itself go straight in) and reloaded when another process moved or pruned them (the
``story_pending_generation`` meta value changes), so every process sees every member. Only
when the pending members span ``pending_limit`` (``NEWSCRAWL_STORY_MEMORY``, 65,536 by
default) do the oldest of them (a quarter, at most 8,192) move into ``story_bands``, in one
sorted pass that touches each page once; this connection then drops them from its copy, others
read theirs again. A limit above the story window's size (~27,000 records for 1,000,000 over
three years) plus a run's records keeps every lookup in memory and saves the moves (~1.4x
faster batch assignment than overflowing at 32,768). The copy holds only what the table holds:
a small window costs little memory whatever the limit.
Lookups ask both tiers; a member's keys are in one tier or the other.

:class:`SqliteLedger` implements the :class:`newscrawl.ledger_protocol.Ledger` protocol; the
logic it shares with the Redis ledger lives in :class:`newscrawl.ledger_protocol.LedgerBase`,
and this module keeps only the SQLite storage. ``Ledger``, ``KnownArticle``, ``StoryMember``
and the date helpers are re-exported from there for existing imports.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import sqlite3
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from newscrawl.config import default
from newscrawl.ledger_protocol import (
    ArticleRow,
    KnownArticle,
    Ledger,
    LedgerBase,
    NewStoryMember,
    RevisitFacts,
    StoryMember,
    Watermark,
    epoch_seconds,
    parse_iso,
    site_article_id_of,
    utc_iso,
)

__all__ = [
    "SCHEMA_VERSION",
    "KnownArticle",
    "Ledger",
    "SqliteLedger",
    "StoryMember",
    "epoch_seconds",
    "open_checked",
    "parse_iso",
    "site_article_id_of",
    "url_key",
    "utc_iso",
]

# 2: story_pending. Code of schema 1 would neither read nor move the pending band keys (it would
# miss candidates), so it refuses a ledger this code has opened; this code upgrades a 1 in place.
SCHEMA_VERSION = 2
# Story members whose band keys each connection keeps in memory (NEWSCRAWL_STORY_MEMORY).
PENDING_LIMIT: int = default("NEWSCRAWL_STORY_MEMORY")
# Members a move takes at most: the write lock is held ~0.5 s for them.
MOVE_MEMBERS = 8192
# A StoryMember's fields, in order.
_MEMBER_COLUMNS = "id, record_id, story_id, duplicate_of, similarity, published_at, signature"
logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id              INTEGER PRIMARY KEY,
    record_id       TEXT    NOT NULL UNIQUE,
    source          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    site_article_id TEXT,
    content_hash    TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    story_id        TEXT,
    published_at    TEXT,
    published_ts    INTEGER,
    first_seen      TEXT    NOT NULL,
    stored_at       TEXT    NOT NULL,
    checked_at      TEXT
);
CREATE INDEX IF NOT EXISTS articles_content_hash ON articles (content_hash, source);
CREATE INDEX IF NOT EXISTS articles_published_ts ON articles (published_ts);

CREATE TABLE IF NOT EXISTS urls (
    url_key INTEGER PRIMARY KEY,
    url     TEXT    NOT NULL,
    article INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS watermarks (
    source       TEXT PRIMARY KEY,
    published_at TEXT,
    published_ts INTEGER,
    last_run_at  TEXT
);

CREATE TABLE IF NOT EXISTS story_members (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT NOT NULL UNIQUE,
    story_id     TEXT NOT NULL,
    duplicate_of TEXT,
    similarity   REAL,
    published_at TEXT,
    signature    BLOB,
    assigned_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS story_members_story ON story_members (story_id);

CREATE TABLE IF NOT EXISTS story_bands (
    band_key INTEGER NOT NULL,
    member   INTEGER NOT NULL,
    PRIMARY KEY (band_key, member)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS story_pending (
    member    INTEGER PRIMARY KEY,
    band_keys BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_ARTICLE_COLUMNS = (
    "a.record_id, a.url, a.content_hash, a.version, a.story_id, a.published_at, a.stored_at"
)

# Parameters: an ArticleRow (its stored_at is also the first_seen of a new row).
_UPSERT_ARTICLE = """
INSERT INTO articles (record_id, source, url, site_article_id, content_hash, version,
                      story_id, published_at, published_ts, first_seen, stored_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
ON CONFLICT (record_id) DO UPDATE SET
    source = excluded.source,
    url = excluded.url,
    site_article_id = COALESCE(excluded.site_article_id, articles.site_article_id),
    content_hash = excluded.content_hash,
    version = excluded.version,
    story_id = COALESCE(excluded.story_id, articles.story_id),
    published_at = COALESCE(excluded.published_at, articles.published_at),
    published_ts = COALESCE(excluded.published_ts, articles.published_ts),
    stored_at = excluded.stored_at
WHERE excluded.version >= articles.version
"""

# Point a URL at an article; never overwrite a different URL that shares the 64-bit key.
_UPSERT_URL = """
INSERT INTO urls (url_key, url, article)
SELECT ?, ?, id FROM articles WHERE record_id = ?
ON CONFLICT (url_key) DO UPDATE SET article = excluded.article
WHERE urls.url = excluded.url
"""

# Same, but keep an existing mapping (used by reconcile: it must not move live aliases).
_INSERT_URL_IF_NEW = """
INSERT OR IGNORE INTO urls (url_key, url, article)
SELECT ?, ?, id FROM articles WHERE record_id = ?
"""


@contextmanager
def _init_lock(path: Path) -> Iterator[None]:
    with open(path.with_name(path.name + ".init-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def url_key(url: str) -> int:
    """Stable signed 64-bit key of a URL (BLAKE2b, never Python's randomised ``hash()``)."""
    digest = hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def _pack_keys(keys: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(keys)}q", *keys)


def _unpack_keys(blob: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(blob) // 8}q", blob)


def _owner_type(span: int) -> Any:
    """The narrowest type that numbers members ``span`` apart from a run's first."""
    import numpy as np

    if span < 2**16:
        return np.uint16
    return np.uint32 if span < 2**32 else np.int64


def _fingerprints(keys: Any) -> Any:
    """A band key's low 32 bits (keys are 64-bit hashes, so uniform): what a run keeps."""
    import numpy as np

    return np.asarray(keys, dtype=np.int64).astype(np.uint32)


def _has_key(blob: bytes, needle: bytes) -> bool:
    """Whether packed band keys ``blob`` hold the key packed as ``needle`` (at a key's start)."""
    at = blob.find(needle)
    while at % 8 and at >= 0:
        at = blob.find(needle, at + 1)
    return at >= 0


class _Run:
    """Some pending members' band keys as sorted 32-bit fingerprints (:func:`_fingerprints`)
    and, for each, its member: the member's number less ``base``, in 16 bits while the run
    spans fewer than 2**16 numbers (6 bytes a key, not 16: a member's 42 keys take 252 bytes).
    A fingerprint may be shared by another key (about one lookup key in 1,600 meets one by
    chance in a full tier), so :meth:`_PendingBands.holders` checks every member a run finds
    against its exact keys."""

    __slots__ = ("base", "keys", "owners")

    def __init__(self, keys: Any, members: Any) -> None:
        import numpy as np

        prints = _fingerprints(keys)
        order = np.argsort(prints)  # equal fingerprints: any order
        self.base = int(members.min())
        self.keys = prints[order]
        # Member numbers are SQLite row ids handed out one by one, so a run of a few thousand
        # members spans few more numbers than that; a run that does not gets wider owners.
        self.owners = (members[order] - self.base).astype(
            _owner_type(int(members.max()) - self.base))

    def merged(self, other: _Run) -> _Run | None:
        """This run with ``other``'s keys merged in order; ``None`` when their members do not
        fit one run's numbering."""
        import numpy as np

        shift = other.base - self.base
        if shift < 0 or self.owners.dtype == np.int64 or other.owners.dtype == np.int64:
            return None
        kind = np.promote_types(
            self.owners.dtype, _owner_type(shift + int(other.owners.max(initial=0))))
        if kind == np.int64:
            return None
        at = np.searchsorted(self.keys, other.keys, side="right")
        return self._like(np.insert(self.keys, at, other.keys),
                          np.insert(self.owners.astype(kind, copy=False), at,
                                    other.owners.astype(kind) + kind.type(shift)))

    def members(self, rows: slice | Any) -> list[int]:
        """The member numbers at these positions of the run."""
        import numpy as np

        return (self.owners[rows].astype(np.int64) + self.base).tolist()

    def dropped_through(self, member: int) -> _Run | None:
        """The run without its members up to ``member``; ``None`` when none is left."""
        import numpy as np

        if member < self.base:
            return self
        kept = self.owners > np.int64(member - self.base)
        if not kept.any():
            return None
        return self._like(self.keys[kept], self.owners[kept])

    def _like(self, keys: Any, owners: Any) -> _Run:
        """A run of these sorted keys and owners, numbered from this run's base."""
        run = _Run.__new__(_Run)
        run.base, run.keys, run.owners = self.base, keys, owners
        return run


class _PendingBands:
    """One connection's copy of ``story_pending``: which pending members have a band key.

    Bounded by the ledger's ``pending_limit`` members (the table never holds more). Most of it
    is sorted numpy runs (:class:`_Run`: 6 bytes a key, ~7.6 MB for 30,000 members), searched
    with ``searchsorted``. New rows are merged into the last run until it holds
    ``run_members`` members; then it is closed and a new one begun. So no array is ever larger
    than a run (~1.4 MB): a crawl does not keep allocating and freeing arrays the size of the
    whole tier, which the C allocator would keep as heap and the process's RSS would grow by.
    Rows read one or a few at a time wait in dicts until there are ``merge_at`` members."""

    merge_at = 1024
    run_members = 8192

    def __init__(self) -> None:
        self.reset(None)

    def reset(self, generation: str | None) -> None:
        self.runs: list[_Run] = []
        self.open_members = 0  # members in the last run, which new rows are merged into
        self.first: dict[int, int] = {}  # band key -> the first recent member with it
        self.more: dict[int, list[int]] = {}  # the rare further ones (copies share keys)
        self.recent: list[tuple[int, bytes]] = []  # (member, packed keys) in the dicts
        self.seen = 0  # the newest member read
        self.members = 0
        self.generation = generation

    def add_rows(self, rows: list[tuple[int, bytes]]) -> None:
        """Take in ``story_pending`` rows (member, packed keys), in member order."""
        if not rows:
            return
        if len(rows) >= 64:  # a batch, or the whole table after a reset: one numpy pass
            self._push_run(rows)
        else:
            first, more = self.first, self.more
            for member, blob in rows:
                for key in _unpack_keys(blob):
                    if first.setdefault(key, member) != member:
                        more.setdefault(key, []).append(member)
            self.recent.extend(rows)
            if len(self.recent) >= self.merge_at:
                self._push_run(self.recent)
                self.first, self.more, self.recent = {}, {}, []
        self.seen = max(self.seen, rows[-1][0])
        self.members += len(rows)

    def _push_run(self, rows: list[tuple[int, bytes]]) -> None:
        import numpy as np

        keys = np.frombuffer(b"".join(blob for _member, blob in rows), dtype="<i8")
        owners = np.repeat(np.array([member for member, _blob in rows], dtype=np.int64),
                           [len(blob) // 8 for _member, blob in rows])
        run = _Run(keys, owners)
        runs, self.open_members = self.runs, self.open_members + len(rows)
        if runs and self.open_members <= self.run_members:  # into the open run
            merged = runs[-1].merged(run)
            if merged is not None:
                runs[-1] = merged
                return
        runs.append(run)
        self.open_members = len(rows)

    def drop_through(self, member: int, generation: str) -> None:
        """Forget the members up to ``member`` (moved into story_bands by this connection),
        and take ``generation`` as the table's: cheaper than reading the rest again. Run by
        run, so at most one run is held twice meanwhile."""
        runs = self.runs
        for i, run in enumerate(runs):
            runs[i] = run.dropped_through(member)  # type: ignore[call-overload]
        runs[:] = [run for run in runs if run is not None]
        recent = [(owner, blob) for owner, blob in self.recent if owner > member]
        seen = self.seen
        self.reset(generation)
        self.runs = runs
        self.open_members = self.run_members  # the next rows begin a run
        if recent:
            self.add_rows(recent)
        self.seen = seen
        self.members = len(recent) + sum(len(set(run.owners.tolist())) for run in runs)

    def member_numbers(self) -> set[int]:
        """Every member this copy holds (for checks; a full scan)."""
        held = {m for run in self.runs for m in run.members(slice(None))}
        return held | {member for member, _blob in self.recent}

    def holders(
        self, keys: Sequence[int], blobs_of: Callable[[list[int]], Iterable[tuple[int, bytes]]]
    ) -> dict[int, list[int]]:
        """The pending members that have each of ``keys`` (only keys some member has).

        ``blobs_of(members)`` gives those members' ``story_pending`` rows (member, packed
        keys): the runs find members by fingerprint, and a member is kept for a key only if
        its row has that very key."""
        found: dict[int, list[int]] = {}
        if self.runs and len(keys):
            import numpy as np

            asked = np.asarray(list(dict.fromkeys(keys)), dtype=np.int64)
            prints = _fingerprints(asked)
            if len(asked) > 64:  # a batch's keys: sorted, the searches walk memory in order
                order = np.argsort(prints)
                asked, prints = asked[order], prints[order]
            maybe: list[tuple[int, list[int]]] = []  # (key, members with its fingerprint)
            for run in self.runs:
                run_keys, base = run.keys, run.base
                low = np.searchsorted(run_keys, prints)
                hits = np.flatnonzero(run_keys[np.minimum(low, len(run_keys) - 1)] == prints)
                for at, key in zip(low[hits].tolist(), asked[hits].tolist(), strict=True):
                    stop = at + 1
                    while stop < len(run_keys) and run_keys[stop] == run_keys[at]:
                        stop += 1
                    maybe.append((key, [base + owner for owner in run.owners[at:stop].tolist()]))
            if maybe:
                blobs = dict(blobs_of(sorted({m for _key, members in maybe for m in members})))
                for key, members in maybe:
                    needle = key.to_bytes(8, "little", signed=True)
                    have = [m for m in members if _has_key(blobs.get(m, b""), needle)]
                    if have:
                        found.setdefault(key, []).extend(have)
        if self.first:
            first, more = self.first, self.more
            for key in set(keys):
                member = first.get(key)
                if member is not None:
                    found.setdefault(key, []).extend((member, *more.get(key, ())))
        return found

    def count_shared(
        self, keys: Sequence[int], shared: dict[int, int],
        blobs_of: Callable[[list[int]], Iterable[tuple[int, bytes]]],
    ) -> None:
        """Add to ``shared`` (member -> keys in common) the pending members' counts."""
        for members in self.holders(keys, blobs_of).values():
            for member in members:
                shared[member] = shared.get(member, 0) + 1


def open_checked(
    path: str | Path, *, pending_limit: int = PENDING_LIMIT
) -> tuple[SqliteLedger, Path | None]:
    """The ledger at `path`, checked (`PRAGMA quick_check`) before use. A file that is not a
    database, or a damaged one, is moved aside to `<name>.corrupt-<UTC time>` (with its WAL)
    and a new, empty ledger is created: the store is the truth, and the caller rebuilds the
    ledger from it. Returns the ledger and where the damaged file went (None if it was fine)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _init_lock(path):
        problem = None
        if path.exists():
            try:
                conn = sqlite3.connect(str(path), timeout=30.0)
                try:
                    verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
                finally:
                    conn.close()
                if verdict != "ok":
                    problem = verdict
            except sqlite3.DatabaseError as exc:
                problem = str(exc)
        moved = None
        if problem is not None:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            moved = path.with_name(f"{path.name}.corrupt-{stamp}")
            for suffix in ("", "-wal", "-shm"):
                part = path.with_name(path.name + suffix)
                if part.exists():
                    part.replace(moved.with_name(moved.name + suffix))
    if moved is not None:
        logger.error(
            "Ledger %s is damaged (%s): moved to %s; rebuilding it from the store",
            path, problem, moved,
        )
    return SqliteLedger(path, pending_limit=pending_limit), moved


class SqliteLedger(LedgerBase):
    """The crawl ledger in SQLite (WAL). Use as a context manager or call :meth:`close`."""

    path: Path

    def __init__(
        self, path: str | Path, *, cache_kib: int = 16 * 1024,
        pending_limit: int = PENDING_LIMIT,
    ) -> None:
        """Open (and create if needed, parent directories included) the ledger at ``path``.

        ``pending_limit``: story members whose band keys wait in ``story_pending`` (and in
        this connection's memory) before they move into ``story_bands`` in one pass (see the
        module docstring)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__()
        self.pending_limit = max(1, int(pending_limit))
        self._pending = _PendingBands()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        # Two processes opening a new ledger at once: switching it to WAL answers "database
        # is locked" at once instead of waiting, so set-up is serialised with a file lock.
        with _init_lock(self.path):
            self._set_up(cache_kib)

    def _set_up(self, cache_kib: int) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        # Checkpoint (the only fsync in WAL + NORMAL) every ~40 MiB of WAL instead of ~4 MiB:
        # story-index inserts dirty many scattered pages, and this cut assign() time by ~25 %.
        conn.execute("PRAGMA wal_autocheckpoint=10000")
        # Parameters a statement may take: 32,766 since SQLite 3.32, 999 before.
        self._max_variables = min(
            conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            if hasattr(conn, "getlimit") else 999,
            10_000,
        )
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            self._conn = None
            raise RuntimeError(
                f"{self.path}: ledger schema {version} is newer than this code ({SCHEMA_VERSION})"
            )
        # executescript() runs outside our transaction helper: it commits anything pending first.
        conn.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
        )

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.execute("PRAGMA optimize")
                finally:
                    self._conn.close()
                    self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The underlying connection (for tools and tests; prefer the methods)."""
        if self._conn is None:
            raise RuntimeError("ledger is closed")
        return self._conn

    @contextmanager
    def _begin_write(self) -> Iterator[None]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # also when COMMIT itself failed
                conn.execute("ROLLBACK")
            # The pending-keys copy may hold rows this transaction wrote: read it afresh.
            self._pending.reset(None)
            raise

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """The block's reads in one transaction (the one open, or a read transaction)."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    def _one(self, sql: str, params: tuple[Any, ...]) -> Any:
        """The first column of the first row ``sql`` returns, or ``None``."""
        with self._lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    # -- lookups -------------------------------------------------------------------

    def is_known_url(self, url: str) -> bool:
        """True if ``url`` (canonical or any alias) belongs to a stored record."""
        # The hottest lookup (every discovered link), so no helper call. A key shared by two
        # URLs answers the other URL: compare it, so a collision is a miss.
        with self._lock:
            row = self.conn.execute(
                "SELECT url FROM urls WHERE url_key = ?", (url_key(url),)
            ).fetchone()
        return row is not None and row[0] == url

    def _article_by_url(self, url: str) -> KnownArticle | None:
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_ARTICLE_COLUMNS} FROM urls u JOIN articles a ON a.id = u.article "
                "WHERE u.url_key = ? AND u.url = ?",
                (url_key(url), url),
            ).fetchone()
        return KnownArticle(*row) if row else None

    def _article_by_id(self, record_id: str) -> KnownArticle | None:
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE a.record_id = ?", (record_id,)
            ).fetchone()
        return KnownArticle(*row) if row else None

    def find_by_content_hash(self, content_hash: str, source: str | None = None) -> str | None:
        """Record id of the first stored record with this body hash (optionally in ``source``)."""
        sql = "SELECT record_id FROM articles WHERE content_hash = ?"
        params: tuple[Any, ...] = (content_hash,)
        if source is not None:
            sql += " AND source = ?"
            params += (source,)
        return self._one(sql + " ORDER BY id LIMIT 1", params)

    def _revisit_facts(self, url: str) -> RevisitFacts | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT a.published_ts, a.first_seen, a.checked_at FROM urls u "
                "JOIN articles a ON a.id = u.article WHERE u.url_key = ? AND u.url = ?",
                (url_key(url), url),
            ).fetchone()
        return RevisitFacts(*row) if row else None

    def _published_between(
        self, since: int, until: int, source: str | None
    ) -> list[KnownArticle]:
        sql = (
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a "
            "WHERE a.published_ts >= ? AND a.published_ts <= ?"
        )
        params: tuple[Any, ...] = (since, until)
        if source is not None:
            sql += " AND a.source = ?"
            params += (source,)
        with self._lock:
            rows = self.conn.execute(sql + " ORDER BY a.published_ts DESC", params).fetchall()
        return [KnownArticle(*row) for row in rows]

    def count(self) -> int:
        """Number of stored records."""
        return self._one("SELECT COUNT(*) FROM articles", ())

    # -- writes --------------------------------------------------------------------

    def _write_record(self, row: ArticleRow, urls: list[str]) -> None:
        url_rows = [(url_key(url), url, row.record_id) for url in urls]
        with self._write():
            self.conn.execute(_UPSERT_ARTICLE, tuple(row))
            self.conn.executemany(_UPSERT_URL, url_rows)

    def _take_in(self, entries: Iterable[tuple[ArticleRow, list[str]]], chunk_size: int) -> int:
        with self._write():
            conn = self.conn
            before = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            # Chunks keep executemany() fast without holding the whole store in memory.
            for chunk in _chunks(entries, chunk_size):
                # sqlite3 binds an exact tuple faster than a NamedTuple (~20 % of this call).
                conn.executemany(_UPSERT_ARTICLE, [tuple(row) for row, _urls in chunk])
                conn.executemany(
                    _INSERT_URL_IF_NEW,
                    [(url_key(url), url, row.record_id) for row, urls in chunk for url in urls],
                )
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] - before

    def add_alias(self, url: str, record_id: str) -> bool:
        """Make ``url`` another name of the stored record ``record_id``.

        Returns False (and stores nothing) when ``record_id`` is not in the ledger.
        """
        with self._write():
            cur = self.conn.execute(_UPSERT_URL, (url_key(url), url, record_id))
        return cur.rowcount > 0

    def _set_checked_at(self, record_id: str, when: str) -> None:
        with self._write():
            self.conn.execute(
                "UPDATE articles SET checked_at = ? WHERE record_id = ?", (when, record_id)
            )

    # -- watermarks ----------------------------------------------------------------

    def _watermark(self, source: str) -> Watermark:
        with self._lock:
            row = self.conn.execute(
                "SELECT published_at, published_ts, last_run_at FROM watermarks WHERE source = ?",
                (source,),
            ).fetchone()
        return Watermark(*row) if row else Watermark()

    def _put_watermark(self, source: str, watermark: Watermark) -> None:
        with self._write():
            self.conn.execute(
                "INSERT OR REPLACE INTO watermarks "
                "(source, published_at, published_ts, last_run_at) VALUES (?, ?, ?, ?)",
                (source, *watermark),
            )

    # -- meta ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value from the ``meta`` table."""
        return self._one("SELECT value FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str) -> None:
        """Set a value in the ``meta`` table."""
        with self._write():
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- story index storage (used by newscrawl.stories.StoryIndex) ----------------

    def story_member(self, record_id: str) -> StoryMember | None:
        """The story-index row of ``record_id``, or ``None``."""
        with self._lock:
            row = self.conn.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM story_members WHERE record_id = ?",
                (record_id,),
            ).fetchone()
        return StoryMember(*row) if row else None

    def story_candidates(self, band_keys: Sequence[int], limit: int = 50) -> list[StoryMember]:
        """Members sharing at least one LSH band key, most shared bands first (then newest)."""
        if not band_keys:
            return []
        marks = ",".join("?" * len(band_keys))
        with self._lock, self._reading():
            conn = self.conn
            self._refresh_pending()
            # A member's keys are in one tier or the other (moved in one transaction), so the
            # top ``limit`` of both are among story_bands' top ``limit`` and the pending ones.
            # story_bands is empty while the story window fits in story_pending.
            shared: dict[int, int] = {}
            if conn.execute("SELECT EXISTS (SELECT 1 FROM story_bands)").fetchone()[0]:
                shared.update(conn.execute(
                    "SELECT member, COUNT(*) AS shared FROM story_bands "
                    f"WHERE band_key IN ({marks}) "
                    "GROUP BY member ORDER BY shared DESC, member DESC LIMIT ?",
                    (*band_keys, limit),
                ).fetchall())
            self._pending.count_shared(band_keys, shared, self._pending_rows)
            if not shared:
                return []
            top = sorted(shared, key=lambda m: (shared[m], m), reverse=True)[:limit]
            rows = conn.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM story_members "
                f"WHERE id IN ({','.join('?' * len(top))})",
                top,
            ).fetchall()
        by_id = {row[0]: row for row in rows}
        return [StoryMember(*by_id[m]) for m in top if m in by_id]

    def story_members(self, record_ids: Iterable[str]) -> dict[str, StoryMember]:
        found: dict[str, StoryMember] = {}
        with self._lock, self._reading():
            for chunk in _chunks(dict.fromkeys(record_ids), self._max_variables):
                rows = self.conn.execute(
                    f"SELECT {_MEMBER_COLUMNS} FROM story_members "
                    f"WHERE record_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                found.update((row[1], StoryMember(*row)) for row in rows)
        return found

    def story_candidates_many(
        self, band_keys: Sequence[Sequence[int]], limit: int = 50
    ) -> list[list[StoryMember]]:
        # One query for every key of every list: a batch's lookups cost the B-tree seeks, not
        # a statement (and its Python round trip) per record.
        lists = [list(keys) for keys in band_keys]
        every_key = [key for keys in lists for key in keys]
        if not every_key:
            return [[] for _ in lists]
        with self._lock, self._reading():
            conn = self.conn
            self._refresh_pending()
            # a member is in one tier only
            holders = self._pending.holders(every_key, self._pending_rows)
            # story_bands is empty while the story window fits in story_pending.
            if conn.execute("SELECT EXISTS (SELECT 1 FROM story_bands)").fetchone()[0]:
                for chunk in _chunks(sorted(set(every_key)), self._max_variables):
                    for key, member in conn.execute(
                        "SELECT band_key, member FROM story_bands "
                        f"WHERE band_key IN ({','.join('?' * len(chunk))})",
                        chunk,
                    ):
                        holders.setdefault(key, []).append(member)
            tops: list[list[int]] = []
            for keys in lists:
                shared: dict[int, int] = {}
                for key in keys:
                    for member in holders.get(key, ()):
                        shared[member] = shared.get(member, 0) + 1
                tops.append(sorted(shared, key=lambda m: (shared[m], m), reverse=True)[:limit])
            rows: dict[int, StoryMember] = {}
            for chunk in _chunks(sorted({m for top in tops for m in top}), self._max_variables):
                for row in conn.execute(
                    f"SELECT {_MEMBER_COLUMNS} FROM story_members "
                    f"WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ):
                    rows[row[0]] = StoryMember(*row)
        return [[rows[m] for m in top if m in rows] for top in tops]

    def _pending_rows(self, members: list[int]) -> Iterator[tuple[int, bytes]]:
        """These members' story_pending rows (member, packed band keys)."""
        for chunk in _chunks(members, self._max_variables):
            yield from self.conn.execute(
                "SELECT member, band_keys FROM story_pending "
                f"WHERE member IN ({','.join('?' * len(chunk))})",
                chunk,
            )

    def _refresh_pending(self) -> None:
        """Bring this connection's copy of story_pending up to date (caller holds the lock)."""
        pending = self._pending
        generation = self._one(
            "SELECT value FROM meta WHERE key = 'story_pending_generation'", ()
        )
        if generation != pending.generation:
            pending.reset(generation)  # another connection moved or pruned the pending keys
        rows = self.conn.execute(
            "SELECT member, band_keys FROM story_pending WHERE member > ? ORDER BY member",
            (pending.seen,),
        )
        # A few thousand at a time: reloading the whole tier holds at most that many rows as
        # Python objects (small ones, which the allocator does not give back to the system).
        while chunk := rows.fetchmany(4096):
            pending.add_rows(chunk)

    def _insert_story_member(
        self, member: NewStoryMember, band_keys: Sequence[int], assigned_at: datetime
    ) -> bool:
        with self._write():
            conn = self.conn
            cur = conn.execute(
                "INSERT OR IGNORE INTO story_members "
                "(record_id, story_id, duplicate_of, similarity, published_at, signature, "
                "assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*member, utc_iso(assigned_at)),
            )
            if cur.rowcount == 0:
                return False
            if band_keys:
                row_id = cur.lastrowid
                row = (row_id, _pack_keys(band_keys))
                conn.execute("INSERT INTO story_pending (member, band_keys) VALUES (?, ?)", row)
                self._adopt_pending([row])
                oldest = conn.execute("SELECT MIN(member) FROM story_pending").fetchone()[0]
                if row_id - oldest + 1 >= self.pending_limit:
                    self._move_pending()
        return True

    def _adopt_pending(self, rows: list[tuple[int, bytes]]) -> None:
        """Put rows this connection has just written to story_pending (inside its write) into
        its copy, when the copy holds every row before them: reading them back costs more than
        the assignment's lookup. A rollback resets the copy (see ``_begin_write``)."""
        pending = self._pending
        if not rows:
            return
        generation, between = self.conn.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'story_pending_generation'), "
            "EXISTS (SELECT 1 FROM story_pending WHERE member > ? AND member < ?)",
            (pending.seen, rows[0][0]),
        ).fetchone()
        if generation == pending.generation and not between:
            pending.add_rows(rows)

    def _move_pending(self) -> None:
        """Move the oldest quarter of the pending members' band keys (at most ``MOVE_MEMBERS``)
        into story_bands (inside a write): ~0.5 s for 8,192; moving all of them held the write
        lock 4-5 s at 65,536 members."""
        import numpy as np  # only here: tools that never move keys do not load it

        conn = self.conn
        rows = conn.execute(
            "SELECT member, band_keys FROM story_pending ORDER BY member LIMIT ?",
            (max(1, min(self.pending_limit // 4, MOVE_MEMBERS)),),
        ).fetchall()
        keys = np.frombuffer(b"".join(blob for _member, blob in rows), dtype="<i8")
        members = np.repeat(
            np.array([member for member, _blob in rows], dtype=np.int64),
            [len(blob) // 8 for _member, blob in rows],
        )
        order = np.lexsort((members, keys))  # key order: each B-tree page visited once
        keys, members = keys[order], members[order]
        step = 16_384  # Python ints for a slice at a time, not ~170,000 tuples at once
        for i in range(0, len(keys), step):
            conn.executemany(
                "INSERT OR IGNORE INTO story_bands (band_key, member) VALUES (?, ?)",
                zip(keys[i : i + step].tolist(), members[i : i + step].tolist(), strict=True),
            )
        conn.execute("DELETE FROM story_pending WHERE member <= ?", (rows[-1][0],))
        before, after = self._bump_pending_generation()
        if self._pending.generation == before:  # this copy was current: drop, do not reload
            self._pending.drop_through(rows[-1][0], after)

    def _bump_pending_generation(self) -> tuple[str | None, str]:
        """Tell every connection the pending tier changed; (the old value, the new one)."""
        conn = self.conn
        generation = conn.execute(
            "SELECT value FROM meta WHERE key = 'story_pending_generation'"
        ).fetchone()
        value = str(int(generation[0]) + 1 if generation else 1)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('story_pending_generation', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (value,),
        )
        return (generation[0] if generation else None), value

    def _insert_story_members(
        self, members: Iterable[tuple[NewStoryMember, Sequence[int]]], assigned_at: datetime
    ) -> int:
        when = utc_iso(assigned_at)
        inserted = 0
        with self._write():
            conn = self.conn
            # chunks no larger than the pending tier, which bounds its copy in memory
            for chunk in _chunks(members, min(10_000, max(1, self.pending_limit))):
                last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM story_members").fetchone()[0]
                conn.executemany(
                    "INSERT OR IGNORE INTO story_members "
                    "(record_id, story_id, duplicate_of, similarity, published_at, signature, "
                    "assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(*member, when) for member, _keys in chunk],
                )
                # Rows are numbered in insertion order, so the new ones are those past ``last``.
                row_of = dict(conn.execute(
                    "SELECT record_id, id FROM story_members WHERE id > ?", (last,)
                ).fetchall())
                pending: list[tuple[int, bytes]] = []
                for member, keys in chunk:
                    # pop: a record twice in a chunk gets the band keys of its inserted row only
                    row_id = row_of.pop(member.record_id, None)
                    if row_id is not None:
                        inserted += 1
                        if len(keys):
                            pending.append((row_id, _pack_keys(keys)))
                # Into story_pending, as one assignment's keys go: a batch of a few hundred
                # members would otherwise dirty most pages of story_bands at every commit.
                conn.executemany(
                    "INSERT INTO story_pending (member, band_keys) VALUES (?, ?)", pending
                )
                self._adopt_pending(pending)
                if pending:
                    oldest = conn.execute("SELECT MIN(member) FROM story_pending").fetchone()[0]
                    if pending[-1][0] - oldest + 1 >= self.pending_limit:
                        self._move_pending()
        return inserted

    def _prune_story_bands(self, cutoff: datetime) -> int:
        # assigned_at is UTC ISO to the second, so comparing strings compares instants.
        before = utc_iso(cutoff)
        with self._write():
            self.conn.execute(
                "DELETE FROM story_bands WHERE member IN "
                "(SELECT id FROM story_members WHERE assigned_at < ? AND signature IS NOT NULL)",
                (before,),
            )
            pending = self.conn.execute(
                "DELETE FROM story_pending WHERE member IN "
                "(SELECT id FROM story_members WHERE assigned_at < ? AND signature IS NOT NULL)",
                (before,),
            )
            if pending.rowcount:
                self._bump_pending_generation()
            cur = self.conn.execute(
                "UPDATE story_members SET signature = NULL "
                "WHERE assigned_at < ? AND signature IS NOT NULL",
                (before,),
            )
        return cur.rowcount

    def story_size(self, story_id: str) -> int:
        """How many records the story index has put in ``story_id``."""
        return self._one("SELECT COUNT(*) FROM story_members WHERE story_id = ?", (story_id,))
