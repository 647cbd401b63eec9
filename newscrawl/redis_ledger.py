"""The crawl ledger in Redis, for distributed mode (``NEWSCRAWL_REDIS_URL``).

Pure module (no Scrapy imports). :class:`RedisLedger` answers every call
:class:`newscrawl.ledger.Ledger` answers, with the same meaning, so the skip-known
middleware, the dedupe stage, the story index and the store work unchanged when crawler
processes on several machines share one Redis: an article stored by one is known to all.

Each process still writes the records it stores to its own data directory (the store stays
the truth); the ledger remembers, per data directory (``store_id``), how far it has taken in
each partition, so a crashed process catches up on its next start as it does with SQLite.

Consistency: SQLite serialises writers with ``BEGIN IMMEDIATE``; here every write, and every
``with ledger.batch():`` block (the store's "stored meanwhile?" check, append and record; the
story index's lookup and insert), holds one Redis lock (``<prefix>lock``), so two processes
never both store an article or both found a story. Reads take no lock. A process that dies
holding the lock loses it after ``lock_timeout`` seconds. Unlike SQLite, a batch that fails
half-way is not rolled back; every write is one the next start's catch-up from the store
repeats harmlessly (records, offsets and story members are upserts keyed by record id).

Keys (all under ``prefix``, default ``newscrawl:``)::

    articles          HASH record_id -> JSON (source, url, content_hash, version, story_id,
                      published_at, published_ts, first_seen, stored_at, checked_at, seq)
    urls              HASH url -> record_id (canonical URLs and aliases)
    hashes            HASH content_hash -> record_id (first record with that body)
    hashes:source     HASH "<source> <content_hash>" -> record_id
    published         ZSET record_id by published_ts (revisit candidates)
    watermarks        HASH source -> JSON (published_at, published_ts, last_run_at)
    meta              HASH key -> value
    story:members     HASH record_id -> JSON (member, story_id, duplicate_of, similarity,
                      published_at, signature (hex), assigned_at, bands)
    story:band:<key>  SET record_ids sharing an LSH band key
    story:assigned    ZSET record_id by assignment time (for pruning)
    story:size        HASH story_id -> members
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import redis

from newscrawl.distributed import REDIS_TIMEOUTS
from newscrawl.ledger import (
    KnownArticle,
    StoryMember,
    epoch_seconds,
    parse_iso,
    site_article_id_of,
    utc_iso,
)

__all__ = ["RedisLedger"]


def _article(record_id: str, data: dict[str, Any]) -> KnownArticle:
    return KnownArticle(
        record_id, data["url"], data.get("content_hash"), int(data.get("version") or 1),
        data.get("story_id"), data.get("published_at"), data["stored_at"],
    )


def _member(record_id: str, data: dict[str, Any]) -> StoryMember:
    signature = data.get("signature")
    return StoryMember(
        int(data["member"]), record_id, data["story_id"], data.get("duplicate_of"),
        data.get("similarity"), data.get("published_at"),
        bytes.fromhex(signature) if signature else None,
    )


class RedisLedger:
    """The crawl ledger on a Redis server shared by several crawler processes."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "newscrawl:",
        lock_timeout: float = 120.0,
        client: redis.Redis | None = None,
    ) -> None:
        self.path = url  # named like Ledger.path, for messages
        self.prefix = prefix
        self.redis = client or redis.Redis.from_url(url, **REDIS_TIMEOUTS)
        self.redis.ping()  # fail at start, with the server's address, not mid-crawl
        self._lock = threading.RLock()
        self._depth = 0
        self._write_lock = self.redis.lock(
            prefix + "lock", timeout=lock_timeout, blocking_timeout=lock_timeout * 2
        )

    def _key(self, name: str) -> str:
        return self.prefix + name

    # -- data loss -------------------------------------------------------------------

    def claim_epoch(self) -> tuple[str, bool]:
        """The token of the Redis data this process works on, and whether this call made
        it: a Redis without one holds no crawl state (new, or it lost its data). A run that
        later finds a different token, or none, knows Redis lost its data meanwhile."""
        token = uuid.uuid4().hex
        created = bool(self.redis.set(self._key("epoch"), token, nx=True))
        current = self.redis.get(self._key("epoch"))
        return (current.decode() if isinstance(current, bytes) else str(current)), created

    def epoch(self) -> str | None:
        value = self.redis.get(self._key("epoch"))
        return value.decode() if isinstance(value, bytes) else value

    def _get_json(self, name: str, field: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self._key(name), field)
        return json.loads(raw) if raw else None

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Release the connection pool (idempotent)."""
        self.redis.close()

    def __enter__(self) -> RedisLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """Hold the shared write lock (once per process, however deeply nested)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            if not self._write_lock.acquire():
                raise TimeoutError(f"{self.path}: the ledger's write lock was not released")
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                try:
                    self._write_lock.release()
                except redis.exceptions.LockError:
                    pass  # expired while held: another process may already have it

    def _keep_lock(self) -> None:
        """Renew the write lock's expiry during a long step (a catch-up after a crash)."""
        if self._depth:
            self._write_lock.reacquire()

    @contextmanager
    def batch(self) -> Iterator[RedisLedger]:
        """Run the block's reads and writes as one step for every process sharing the ledger."""
        with self._write():
            yield self

    # -- lookups -------------------------------------------------------------------

    def is_known_url(self, url: str) -> bool:
        """True if ``url`` (canonical or any alias) belongs to a stored record."""
        return bool(self.redis.hexists(self._key("urls"), url))

    def known(self, url: str | None = None, record_id: str | None = None) -> KnownArticle | None:
        """The stored record behind ``url`` (canonical or alias) or ``record_id``, else ``None``."""
        if url is None and record_id is None:
            raise TypeError("known() needs url or record_id")
        if url is not None:
            owner = self.redis.hget(self._key("urls"), url)
            if owner is not None:
                data = self._get_json("articles", owner.decode())
                if data is not None:
                    return _article(owner.decode(), data)
            if record_id is None:
                return None
        data = self._get_json("articles", record_id)  # type: ignore[arg-type]
        return _article(record_id, data) if data is not None else None  # type: ignore[arg-type]

    def find_by_content_hash(self, content_hash: str, source: str | None = None) -> str | None:
        """Record id of the first stored record with this body hash (optionally in ``source``)."""
        if source is None:
            owner = self.redis.hget(self._key("hashes"), content_hash)
        else:
            owner = self.redis.hget(self._key("hashes:source"), f"{source} {content_hash}")
        return owner.decode() if owner else None

    def needs_revisit(
        self,
        url: str,
        window: timedelta,
        now: datetime | None = None,
        *,
        min_interval: timedelta | None = None,
    ) -> bool:
        """As :meth:`newscrawl.ledger.Ledger.needs_revisit`."""
        now_dt = parse_iso(now) if now is not None else datetime.now(timezone.utc)
        assert now_dt is not None
        owner = self.redis.hget(self._key("urls"), url)
        data = self._get_json("articles", owner.decode()) if owner else None
        if data is None:
            return False
        ref = data.get("published_ts")
        if ref is None:
            ref = epoch_seconds(data.get("first_seen"))
        if ref is None:
            return False
        now_ts = now_dt.timestamp()
        if not (now_ts - window.total_seconds() <= ref <= now_ts + 60):
            return False
        checked = epoch_seconds(data.get("checked_at"))
        if min_interval is not None and checked is not None:
            if now_ts - checked < min_interval.total_seconds():
                return False
        return True

    def recent(
        self, within: timedelta, now: datetime | None = None, source: str | None = None
    ) -> Iterator[KnownArticle]:
        """Records published within ``within`` before ``now`` (newest first)."""
        now_dt = parse_iso(now) if now is not None else datetime.now(timezone.utc)
        assert now_dt is not None
        since = int((now_dt - within).timestamp())
        ids = self.redis.zrevrangebyscore(
            self._key("published"), int(now_dt.timestamp()) + 60, since
        )
        out = []
        for raw in ids:
            record_id = raw.decode()
            data = self._get_json("articles", record_id)
            if data is not None and (source is None or data.get("source") == source):
                out.append(_article(record_id, data))
        return iter(out)

    def count(self) -> int:
        """Number of stored records."""
        return int(self.redis.hlen(self._key("articles")))

    # -- writes --------------------------------------------------------------------

    def _upsert(
        self,
        record_id: str,
        source: str,
        url: str,
        content_hash: str | None,
        version: int,
        story_id: str | None,
        published_at: str | None,
        site_article_id: str | None,
        when: str,
    ) -> bool | None:
        """Insert (True), refresh (False) or, for an older version, leave alone (None)."""
        old = self._get_json("articles", record_id)
        if old is not None and version < int(old.get("version") or 1):
            return None
        data = dict(old or {})
        if old is None:
            data["first_seen"] = when
            data["seq"] = int(self.redis.incr(self._key("article_seq")))
        published_ts = epoch_seconds(published_at)
        data.update(
            source=source, url=url, content_hash=content_hash, version=version, stored_at=when,
            site_article_id=site_article_id or data.get("site_article_id"),
            story_id=story_id or data.get("story_id"),
            published_at=published_at or data.get("published_at"),
            published_ts=published_ts if published_ts is not None else data.get("published_ts"),
        )
        pipe = self.redis.pipeline()
        pipe.hset(self._key("articles"), record_id, json.dumps(data))
        if old is not None and old.get("content_hash") not in (None, content_hash):
            self._forget_hash(pipe, record_id, old["source"], old["content_hash"])
        if content_hash:
            pipe.hsetnx(self._key("hashes"), content_hash, record_id)
            pipe.hsetnx(self._key("hashes:source"), f"{source} {content_hash}", record_id)
        if data.get("published_ts") is not None:
            pipe.zadd(self._key("published"), {record_id: data["published_ts"]})
        pipe.execute()
        return old is None

    def _forget_hash(self, pipe: Any, record_id: str, source: str, content_hash: str) -> None:
        # The body changed: the old hash no longer names this record (as in SQLite, where the
        # lookup reads the current hash).
        if self.redis.hget(self._key("hashes"), content_hash) == record_id.encode():
            pipe.hdel(self._key("hashes"), content_hash)
        field = f"{source} {content_hash}"
        if self.redis.hget(self._key("hashes:source"), field) == record_id.encode():
            pipe.hdel(self._key("hashes:source"), field)

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
        """As :meth:`newscrawl.ledger.Ledger.record`."""
        site_id = site_article_id if site_article_id is not None else site_article_id_of(
            record_id, source
        )
        with self._write():
            self._upsert(
                record_id, source, url, content_hash, int(version), story_id, published_at,
                site_id, utc_iso(stored_at),
            )
            urls = {u: record_id for u in dict.fromkeys((url, *aliases)) if u}
            self.redis.hset(self._key("urls"), mapping=urls)

    def add_alias(self, url: str, record_id: str) -> bool:
        """Make ``url`` another name of ``record_id``; False when the record is unknown."""
        with self._write():
            if not self.redis.hexists(self._key("articles"), record_id):
                return False
            self.redis.hset(self._key("urls"), url, record_id)
        return True

    def mark_checked(self, record_id: str, when: datetime | None = None) -> None:
        """Remember that ``record_id`` was re-fetched."""
        with self._write():
            data = self._get_json("articles", record_id)
            if data is not None:
                data["checked_at"] = utc_iso(when)
                self.redis.hset(self._key("articles"), record_id, json.dumps(data))

    # -- watermarks ----------------------------------------------------------------

    def get_watermark(self, source: str) -> str | None:
        data = self._get_json("watermarks", source)
        return data.get("published_at") if data else None

    def set_watermark(self, source: str, published_at: str) -> bool:
        """Move the watermark of ``source`` forward to ``published_at``; returns whether it moved."""
        ts = epoch_seconds(published_at)
        if ts is None:
            raise ValueError(f"not an ISO 8601 date-time: {published_at!r}")
        with self._write():
            data = self._get_json("watermarks", source) or {}
            if data.get("published_ts") is not None and ts <= data["published_ts"]:
                return False
            data.update(published_at=published_at, published_ts=ts)
            self.redis.hset(self._key("watermarks"), source, json.dumps(data))
        return True

    def mark_run(self, source: str, finished_at: datetime | None = None) -> None:
        with self._write():
            data = self._get_json("watermarks", source) or {}
            data["last_run_at"] = utc_iso(finished_at)
            self.redis.hset(self._key("watermarks"), source, json.dumps(data))

    def last_run(self, source: str) -> str | None:
        data = self._get_json("watermarks", source)
        return data.get("last_run_at") if data else None

    # -- recovery ------------------------------------------------------------------

    def reconcile(self, records: Iterable[dict[str, Any]], *, chunk_size: int = 10_000) -> int:
        """Bring the ledger in line with store lines; returns how many records were added.
        Existing URL mappings (live aliases) are left alone."""
        added = 0
        with self._write():
            for index, rec in enumerate(records):
                if index % 1000 == 999:
                    self._keep_lock()
                record_id, source, url = rec.get("id"), rec.get("source"), rec.get("url")
                if not record_id or not url:
                    continue
                source = source or str(record_id).split(":", 1)[0]
                published_at = rec.get("published_at")
                written = self._upsert(
                    record_id, source, url, rec.get("content_hash"),
                    int(rec.get("version") or 1), rec.get("story_id"), published_at,
                    site_article_id_of(record_id, source),
                    utc_iso(parse_iso(rec.get("crawled_at")) or None),
                )
                added += bool(written)
                for name in (url, *(rec.get("aliases") or ())):
                    if name:
                        self.redis.hsetnx(self._key("urls"), name, record_id)
        return added

    # -- meta ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        value = self.redis.hget(self._key("meta"), key)
        return value.decode() if value is not None else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write():
            self.redis.hset(self._key("meta"), key, value)

    # -- story index storage -------------------------------------------------------

    def story_member(self, record_id: str) -> StoryMember | None:
        data = self._get_json("story:members", record_id)
        return _member(record_id, data) if data is not None else None

    def story_candidates(self, band_keys: Sequence[int], limit: int = 50) -> list[StoryMember]:
        """Members sharing at least one LSH band key, most shared bands first (then newest)."""
        if not band_keys:
            return []
        pipe = self.redis.pipeline()
        for key in band_keys:
            pipe.smembers(self._key(f"story:band:{key}"))
        shared = Counter(m.decode() for members in pipe.execute() for m in members)
        if not shared:
            return []
        ids = list(shared)
        rows = self.redis.hmget(self._key("story:members"), ids)
        members = [
            _member(record_id, json.loads(raw))
            for record_id, raw in zip(ids, rows, strict=True)
            if raw
        ]
        members.sort(key=lambda m: (shared[m.record_id], m.member), reverse=True)
        return members[:limit]

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
        """Insert a story-index member and its band keys; False (nothing written) if present."""
        with self._write():
            if self.redis.hexists(self._key("story:members"), record_id):
                return False
            assigned = datetime.now(timezone.utc)
            data = {
                "member": int(self.redis.incr(self._key("story:seq"))),
                "story_id": story_id, "duplicate_of": duplicate_of, "similarity": similarity,
                "published_at": published_at, "assigned_at": utc_iso(assigned),
                "signature": signature.hex() if signature else None, "bands": list(band_keys),
            }
            pipe = self.redis.pipeline()
            pipe.hset(self._key("story:members"), record_id, json.dumps(data))
            for key in band_keys:
                pipe.sadd(self._key(f"story:band:{key}"), record_id)
            pipe.zadd(self._key("story:assigned"), {record_id: assigned.timestamp()})
            pipe.hincrby(self._key("story:size"), story_id, 1)
            pipe.execute()
        return True

    def prune_story_bands(self, assigned_before: datetime) -> int:
        """Drop band keys and signatures of members assigned before ``assigned_before``."""
        cutoff = parse_iso(assigned_before)
        assert cutoff is not None
        pruned = 0
        with self._write():
            ids = self.redis.zrangebyscore(self._key("story:assigned"), "-inf", f"({cutoff.timestamp()}")
            for index, raw in enumerate(ids):
                if index % 1000 == 999:
                    self._keep_lock()
                record_id = raw.decode()
                data = self._get_json("story:members", record_id)
                pipe = self.redis.pipeline()
                # Once pruned (or never matchable), a member leaves the pruning queue, so a
                # crawl's start does not walk the whole history again.
                pipe.zrem(self._key("story:assigned"), record_id)
                if data is not None and data.get("signature") is not None:
                    for key in data.get("bands") or ():
                        pipe.srem(self._key(f"story:band:{key}"), record_id)
                    data["signature"], data["bands"] = None, []
                    pipe.hset(self._key("story:members"), record_id, json.dumps(data))
                    pruned += 1
                pipe.execute()
        return pruned

    def story_size(self, story_id: str) -> int:
        return int(self.redis.hget(self._key("story:size"), story_id) or 0)
