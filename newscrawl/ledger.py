"""Crawl ledger: what the crawler already knows, kept on disk in SQLite.

Pure module (no Scrapy imports). One ledger file per data directory, normally
``<data_dir>/state/ledger.sqlite3``. The JSONL store stays the source of truth;
the ledger is an index over it that makes "skip known", "each story once",
revisits and watermarks cheap, and it can be rebuilt from the store with
:meth:`Ledger.reconcile` (and :meth:`newscrawl.stories.StoryIndex.reconcile`).

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
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any

__all__ = [
    "SCHEMA_VERSION",
    "KnownArticle",
    "Ledger",
    "StoryMember",
    "epoch_seconds",
    "parse_iso",
    "site_article_id_of",
    "url_key",
    "utc_iso",
]

SCHEMA_VERSION = 1
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

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_ARTICLE_COLUMNS = (
    "a.record_id, a.url, a.content_hash, a.version, a.story_id, a.published_at, a.stored_at"
)

_UPSERT_ARTICLE = """
INSERT INTO articles (record_id, source, url, site_article_id, content_hash, version,
                      story_id, published_at, published_ts, first_seen, stored_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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

    member: int  # story_members.id
    record_id: str
    story_id: str
    duplicate_of: str | None
    similarity: float | None
    published_at: str | None
    signature: bytes | None


def url_key(url: str) -> int:
    """Stable signed 64-bit key of a URL (BLAKE2b, never Python's randomised ``hash()``)."""
    digest = hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


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
    dt = parse_iso(value)
    return None if dt is None else int(dt.timestamp())


def utc_iso(when: datetime | None = None) -> str:
    dt = parse_iso(when) if when is not None else datetime.now(timezone.utc)
    assert dt is not None
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def site_article_id_of(record_id: str, source: str) -> str | None:
    prefix = source + ":"
    return record_id[len(prefix):] if record_id.startswith(prefix) else None


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def open_checked(path: str | Path) -> tuple[Ledger, Path | None]:
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
    return Ledger(path), moved


class Ledger:
    """The crawl ledger (SQLite, WAL). Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path, *, cache_kib: int = 16 * 1024) -> None:
        """Open (and create if needed, parent directories included) the ledger at ``path``."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
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

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        """The underlying connection (for tools and tests; prefer the methods)."""
        if self._conn is None:
            raise RuntimeError("ledger is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, or a part of the enclosing :meth:`batch`."""
        with self._lock:
            conn = self.conn
            if self._depth:
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # also when COMMIT itself failed
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    @contextmanager
    def batch(self) -> Iterator[Ledger]:
        """Group the writes made inside the block into one transaction (rolled back on error)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            with self._write():
                yield self

    # -- lookups -------------------------------------------------------------------

    def is_known_url(self, url: str) -> bool:
        """True if ``url`` (canonical or any alias) belongs to a stored record."""
        with self._lock:
            row = self.conn.execute(
                "SELECT url FROM urls WHERE url_key = ?", (url_key(url),)
            ).fetchone()
        return row is not None and row[0] == url

    def known(self, url: str | None = None, record_id: str | None = None) -> KnownArticle | None:
        """The stored record behind ``url`` (canonical or alias) or ``record_id``, else ``None``."""
        if url is None and record_id is None:
            raise TypeError("known() needs url or record_id")
        with self._lock:
            if url is not None:
                row = self.conn.execute(
                    f"SELECT {_ARTICLE_COLUMNS} FROM urls u JOIN articles a ON a.id = u.article "
                    "WHERE u.url_key = ? AND u.url = ?",
                    (url_key(url), url),
                ).fetchone()
                if row is not None or record_id is None:
                    return KnownArticle(*row) if row else None
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
        with self._lock:
            row = self.conn.execute(sql + " ORDER BY id LIMIT 1", params).fetchone()
        return row[0] if row else None

    def needs_revisit(
        self,
        url: str,
        window: timedelta,
        now: datetime | None = None,
        *,
        min_interval: timedelta | None = None,
    ) -> bool:
        """True if ``url`` is known and was published (or, without a date, first stored) within
        ``window`` before ``now``; with ``min_interval``, also False while the last
        :meth:`mark_checked` is more recent than that."""
        now_dt = parse_iso(now) if now is not None else datetime.now(timezone.utc)
        assert now_dt is not None
        with self._lock:
            row = self.conn.execute(
                "SELECT a.published_ts, a.first_seen, a.checked_at FROM urls u "
                "JOIN articles a ON a.id = u.article WHERE u.url_key = ? AND u.url = ?",
                (url_key(url), url),
            ).fetchone()
        if row is None:
            return False
        published_ts, first_seen, checked_at = row
        ref = published_ts if published_ts is not None else epoch_seconds(first_seen)
        if ref is None:
            return False
        now_ts = now_dt.timestamp()
        if not (now_ts - window.total_seconds() <= ref <= now_ts + 60):
            return False
        if min_interval is not None and checked_at is not None:
            checked = epoch_seconds(checked_at)
            if checked is not None and now_ts - checked < min_interval.total_seconds():
                return False
        return True

    def recent(
        self, within: timedelta, now: datetime | None = None, source: str | None = None
    ) -> Iterator[KnownArticle]:
        """Records published within ``within`` before ``now`` (newest first): revisit candidates."""
        now_dt = parse_iso(now) if now is not None else datetime.now(timezone.utc)
        assert now_dt is not None
        since = int((now_dt - within).timestamp())
        sql = (
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a "
            "WHERE a.published_ts >= ? AND a.published_ts <= ?"
        )
        params: tuple[Any, ...] = (since, int(now_dt.timestamp()) + 60)
        if source is not None:
            sql += " AND a.source = ?"
            params += (source,)
        with self._lock:
            rows = self.conn.execute(sql + " ORDER BY a.published_ts DESC", params).fetchall()
        return (KnownArticle(*row) for row in rows)

    def count(self) -> int:
        """Number of stored records."""
        with self._lock:
            return self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    # -- writes --------------------------------------------------------------------

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
        """Upsert a record after it was written to the store, with its canonical URL and aliases.

        A lower ``version`` than the one already recorded leaves the row unchanged.
        ``site_article_id`` defaults to the part of ``record_id`` after ``"<source>:"``.
        """
        now = utc_iso(stored_at)
        row = (
            record_id,
            source,
            url,
            site_article_id if site_article_id is not None else site_article_id_of(record_id, source),
            content_hash,
            int(version),
            story_id,
            published_at,
            epoch_seconds(published_at),
            now,
            now,
        )
        urls = [(url_key(u), u, record_id) for u in dict.fromkeys((url, *aliases)) if u]
        with self._write() as conn:
            conn.execute(_UPSERT_ARTICLE, row)
            conn.executemany(_UPSERT_URL, urls)

    def add_alias(self, url: str, record_id: str) -> bool:
        """Make ``url`` another name of the stored record ``record_id``.

        Returns False (and stores nothing) when ``record_id`` is not in the ledger.
        """
        with self._write() as conn:
            cur = conn.execute(_UPSERT_URL, (url_key(url), url, record_id))
        return cur.rowcount > 0

    def mark_checked(self, record_id: str, when: datetime | None = None) -> None:
        """Remember that ``record_id`` was re-fetched (for ``needs_revisit(min_interval=...)``)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE articles SET checked_at = ? WHERE record_id = ?",
                (utc_iso(when), record_id),
            )

    # -- watermarks ----------------------------------------------------------------

    def get_watermark(self, source: str) -> str | None:
        """Newest ``published_at`` recorded for ``source`` (as given), or ``None``."""
        with self._lock:
            row = self.conn.execute(
                "SELECT published_at FROM watermarks WHERE source = ?", (source,)
            ).fetchone()
        return row[0] if row else None

    def set_watermark(self, source: str, published_at: str) -> bool:
        """Move the watermark of ``source`` forward to ``published_at``; returns whether it moved.

        Instants are compared, not strings, so offsets are honoured
        (``...T09:00+07:00`` is earlier than ``...T03:00+00:00``). ``source`` may be any
        key, e.g. ``"kompas/tekno"`` for a per-section watermark.
        """
        ts = epoch_seconds(published_at)
        if ts is None:
            raise ValueError(f"not an ISO 8601 date-time: {published_at!r}")
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO watermarks (source, published_at, published_ts) VALUES (?, ?, ?) "
                "ON CONFLICT (source) DO UPDATE SET published_at = excluded.published_at, "
                "published_ts = excluded.published_ts "
                "WHERE watermarks.published_ts IS NULL "
                "OR excluded.published_ts > watermarks.published_ts",
                (source, published_at, ts),
            )
        return cur.rowcount > 0

    def mark_run(self, source: str, finished_at: datetime | None = None) -> None:
        """Record a successful run of ``source`` (call only when the spider finished cleanly)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO watermarks (source, last_run_at) VALUES (?, ?) "
                "ON CONFLICT (source) DO UPDATE SET last_run_at = excluded.last_run_at",
                (source, utc_iso(finished_at)),
            )

    def last_run(self, source: str) -> str | None:
        """UTC ISO time of the last successful run of ``source``, or ``None``."""
        with self._lock:
            row = self.conn.execute(
                "SELECT last_run_at FROM watermarks WHERE source = ?", (source,)
            ).fetchone()
        return row[0] if row else None

    # -- recovery ------------------------------------------------------------------

    def reconcile(self, records: Iterable[dict[str, Any]], *, chunk_size: int = 10_000) -> int:
        """Bring the ledger in line with the JSONL store; returns how many records were added.

        ``records`` are store lines (dicts with at least ``id``, ``source``, ``url``; also
        used: ``content_hash``, ``version``, ``story_id``, ``published_at``, ``crawled_at``,
        ``aliases``). Missing records are inserted, rows older than the store's version are
        refreshed, existing aliases are left alone. One transaction; safe to repeat.
        """
        added = 0
        with self._write() as conn:
            before = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            for chunk in _chunks(records, chunk_size):
                rows = []
                urls: list[tuple[int, str, str]] = []
                for rec in chunk:
                    record_id, source, url = rec.get("id"), rec.get("source"), rec.get("url")
                    if not record_id or not url:
                        continue
                    if not source:
                        source = str(record_id).split(":", 1)[0]
                    when = utc_iso(parse_iso(rec.get("crawled_at")) or None)
                    published_at = rec.get("published_at")
                    rows.append((
                        record_id, source, url, site_article_id_of(record_id, source),
                        rec.get("content_hash"), int(rec.get("version") or 1), rec.get("story_id"),
                        published_at, epoch_seconds(published_at), when, when,
                    ))
                    urls.append((url_key(url), url, record_id))
                    urls.extend((url_key(a), a, record_id) for a in rec.get("aliases") or () if a)
                conn.executemany(_UPSERT_ARTICLE, rows)
                conn.executemany(_INSERT_URL_IF_NEW, urls)
            added = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] - before
        return added

    # -- meta ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value from the ``meta`` table."""
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value in the ``meta`` table."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- story index storage (used by newscrawl.stories.StoryIndex) ----------------

    def story_member(self, record_id: str) -> StoryMember | None:
        """The story-index row of ``record_id``, or ``None``."""
        with self._lock:
            row = self.conn.execute(
                "SELECT id, record_id, story_id, duplicate_of, similarity, published_at, signature "
                "FROM story_members WHERE record_id = ?",
                (record_id,),
            ).fetchone()
        return StoryMember(*row) if row else None

    def story_candidates(self, band_keys: Sequence[int], limit: int = 50) -> list[StoryMember]:
        """Members sharing at least one LSH band key, most shared bands first (then newest)."""
        if not band_keys:
            return []
        marks = ",".join("?" * len(band_keys))
        with self._lock:
            rows = self.conn.execute(
                "SELECT m.id, m.record_id, m.story_id, m.duplicate_of, m.similarity, "
                "m.published_at, m.signature FROM "
                "(SELECT member, COUNT(*) AS shared FROM story_bands "
                f"WHERE band_key IN ({marks}) "
                "GROUP BY member ORDER BY shared DESC, member DESC LIMIT ?) c "
                "JOIN story_members m ON m.id = c.member ORDER BY c.shared DESC, m.id DESC",
                (*band_keys, limit),
            ).fetchall()
        return [StoryMember(*row) for row in rows]

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
        """Insert a story-index row and its band keys; False (nothing written) if present."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO story_members "
                "(record_id, story_id, duplicate_of, similarity, published_at, signature, "
                "assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record_id, story_id, duplicate_of, similarity, published_at, signature,
                    utc_iso(),
                ),
            )
            if cur.rowcount == 0:
                return False
            member = cur.lastrowid
            conn.executemany(
                "INSERT OR IGNORE INTO story_bands (band_key, member) VALUES (?, ?)",
                [(key, member) for key in band_keys],
            )
        return True

    def prune_story_bands(self, assigned_before: datetime) -> int:
        """Drop band keys and signatures of members assigned before ``assigned_before``.

        Those records keep their ``story_id`` but no longer attract new members, which
        bounds the on-disk index to a matching horizon. Returns how many members were pruned.
        """
        cutoff = utc_iso(assigned_before)
        with self._write() as conn:
            conn.execute(
                "DELETE FROM story_bands WHERE member IN "
                "(SELECT id FROM story_members WHERE assigned_at < ? AND signature IS NOT NULL)",
                (cutoff,),
            )
            cur = conn.execute(
                "UPDATE story_members SET signature = NULL "
                "WHERE assigned_at < ? AND signature IS NOT NULL",
                (cutoff,),
            )
        return cur.rowcount

    def story_size(self, story_id: str) -> int:
        """How many records the story index has put in ``story_id``."""
        with self._lock:
            return self.conn.execute(
                "SELECT COUNT(*) FROM story_members WHERE story_id = ?", (story_id,)
            ).fetchone()[0]
