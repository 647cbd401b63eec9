"""The crawl ledger in Redis, for distributed mode (``NEWSCRAWL_REDIS_URL``).

Pure module (no Scrapy imports). :class:`RedisLedger` implements the
:class:`newscrawl.ledger_protocol.Ledger` protocol with the same meaning as
:class:`newscrawl.ledger.SqliteLedger` (the logic both share lives in
:class:`newscrawl.ledger_protocol.LedgerBase`; this module keeps only the Redis storage), so
the skip-known middleware, the dedupe stage, the story index and the store work unchanged when
crawler processes on several machines share one Redis: an article stored by one is known to all.

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
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any

import redis

from newscrawl.distributed import REDIS_TIMEOUTS
from newscrawl.ledger_protocol import (
    ArticleRow,
    KnownArticle,
    LedgerBase,
    NewStoryMember,
    RevisitFacts,
    StoryMember,
    Watermark,
    utc_iso,
)

__all__ = ["RedisLedger"]

# Renew the write lock every this many items of a long step, well within lock_timeout.
_KEEP_LOCK_EVERY = 1000


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def _text(value: Any) -> str:
    """A Redis reply as text (the client answers bytes unless told to decode)."""
    return value.decode() if isinstance(value, bytes) else str(value)


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


class RedisLedger(LedgerBase):
    """The crawl ledger on a Redis server shared by several crawler processes."""

    path: str

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "newscrawl:",
        lock_timeout: float = 120.0,
        client: redis.Redis | None = None,
    ) -> None:
        self.path = url  # named like SqliteLedger.path, for messages
        self.prefix = prefix
        self.redis = client or redis.Redis.from_url(url, **REDIS_TIMEOUTS)
        self.redis.ping()  # fail at start, with the server's address, not mid-crawl
        super().__init__()
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
        return _text(current), created

    def epoch(self) -> str | None:
        value = self.redis.get(self._key("epoch"))
        return None if value is None else _text(value)

    def _get_json(self, name: str, field: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self._key(name), field)
        return json.loads(raw) if raw else None

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Release the connection pool (idempotent)."""
        self.redis.close()

    @contextmanager
    def _begin_write(self) -> Iterator[None]:
        if not self._write_lock.acquire():
            raise TimeoutError(f"{self.path}: the ledger's write lock was not released")
        try:
            yield
        finally:
            try:
                self._write_lock.release()
            except redis.exceptions.LockError:
                pass  # expired while held: another process may already have it

    def _keep_lock(self) -> None:
        """Renew the write lock's expiry during a long step (a catch-up after a crash)."""
        if self._depth:
            self._write_lock.reacquire()

    # -- lookups -------------------------------------------------------------------

    def is_known_url(self, url: str) -> bool:
        """True if ``url`` (canonical or any alias) belongs to a stored record."""
        return bool(self.redis.hexists(self._key("urls"), url))

    def _owner_data(self, url: str) -> tuple[str, dict[str, Any]] | None:
        """The record ``url`` names and its stored fields, or ``None``."""
        owner = self.redis.hget(self._key("urls"), url)
        if owner is None:
            return None
        record_id = _text(owner)
        data = self._get_json("articles", record_id)
        return None if data is None else (record_id, data)

    def _article_by_url(self, url: str) -> KnownArticle | None:
        found = self._owner_data(url)
        return None if found is None else _article(*found)

    def _article_by_id(self, record_id: str) -> KnownArticle | None:
        data = self._get_json("articles", record_id)
        return None if data is None else _article(record_id, data)

    def find_by_content_hash(self, content_hash: str, source: str | None = None) -> str | None:
        """Record id of the first stored record with this body hash (optionally in ``source``)."""
        if source is None:
            owner = self.redis.hget(self._key("hashes"), content_hash)
        else:
            owner = self.redis.hget(self._key("hashes:source"), f"{source} {content_hash}")
        return _text(owner) if owner else None

    def _revisit_facts(self, url: str) -> RevisitFacts | None:
        found = self._owner_data(url)
        if found is None:
            return None
        data = found[1]
        return RevisitFacts(
            data.get("published_ts"), data.get("first_seen"), data.get("checked_at")
        )

    def _published_between(
        self, since: int, until: int, source: str | None
    ) -> list[KnownArticle]:
        out = []
        for raw in self.redis.zrevrangebyscore(self._key("published"), until, since):
            record_id = _text(raw)
            data = self._get_json("articles", record_id)
            if data is not None and (source is None or data.get("source") == source):
                out.append(_article(record_id, data))
        return out

    def count(self) -> int:
        """Number of stored records."""
        return int(self.redis.hlen(self._key("articles")))

    # -- writes --------------------------------------------------------------------

    def _upsert(self, row: ArticleRow) -> bool | None:
        """Insert (True), refresh (False) or, for an older version, leave alone (None)."""
        record_id = row.record_id
        old = self._get_json("articles", record_id)
        if old is not None and row.version < int(old.get("version") or 1):
            return None
        data = dict(old or {})
        if old is None:
            data["first_seen"] = row.stored_at
            data["seq"] = int(self.redis.incr(self._key("article_seq")))
        data.update(
            source=row.source, url=row.url, content_hash=row.content_hash, version=row.version,
            stored_at=row.stored_at,
            site_article_id=row.site_article_id or data.get("site_article_id"),
            story_id=row.story_id or data.get("story_id"),
            published_at=row.published_at or data.get("published_at"),
            published_ts=(
                row.published_ts if row.published_ts is not None else data.get("published_ts")
            ),
        )
        pipe = self.redis.pipeline()
        pipe.hset(self._key("articles"), record_id, json.dumps(data))
        if old is not None and old.get("content_hash") not in (None, row.content_hash):
            self._forget_hash(pipe, record_id, old["source"], old["content_hash"])
        if row.content_hash:
            pipe.hsetnx(self._key("hashes"), row.content_hash, record_id)
            pipe.hsetnx(self._key("hashes:source"), f"{row.source} {row.content_hash}", record_id)
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

    def _write_record(self, row: ArticleRow, urls: list[str]) -> None:
        with self._write():
            self._upsert(row)
            self.redis.hset(self._key("urls"), mapping=dict.fromkeys(urls, row.record_id))

    def _take_in(self, entries: Iterable[tuple[ArticleRow, list[str]]], chunk_size: int) -> int:
        # Redis has no bulk upsert to feed in chunks: rows go one by one, under one lock hold.
        added = 0
        with self._write():
            for index, (row, urls) in enumerate(entries):
                if index % _KEEP_LOCK_EVERY == _KEEP_LOCK_EVERY - 1:
                    self._keep_lock()
                added += bool(self._upsert(row))
                for url in urls:
                    self.redis.hsetnx(self._key("urls"), url, row.record_id)
        return added

    def add_alias(self, url: str, record_id: str) -> bool:
        """Make ``url`` another name of ``record_id``; False when the record is unknown."""
        with self._write():
            if not self.redis.hexists(self._key("articles"), record_id):
                return False
            self.redis.hset(self._key("urls"), url, record_id)
        return True

    def _set_checked_at(self, record_id: str, when: str) -> None:
        with self._write():
            data = self._get_json("articles", record_id)
            if data is not None:
                data["checked_at"] = when
                self.redis.hset(self._key("articles"), record_id, json.dumps(data))

    # -- watermarks ----------------------------------------------------------------

    def _watermark(self, source: str) -> Watermark:
        data = self._get_json("watermarks", source) or {}
        return Watermark(
            data.get("published_at"), data.get("published_ts"), data.get("last_run_at")
        )

    def _put_watermark(self, source: str, watermark: Watermark) -> None:
        with self._write():
            self.redis.hset(self._key("watermarks"), source, json.dumps(watermark._asdict()))

    # -- meta ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value from the ``meta`` hash."""
        value = self.redis.hget(self._key("meta"), key)
        return None if value is None else _text(value)

    def set_meta(self, key: str, value: str) -> None:
        """Set a value in the ``meta`` hash."""
        with self._write():
            self.redis.hset(self._key("meta"), key, value)

    # -- story index storage -------------------------------------------------------

    def story_member(self, record_id: str) -> StoryMember | None:
        """The story-index member ``record_id``, or ``None``."""
        data = self._get_json("story:members", record_id)
        return _member(record_id, data) if data is not None else None

    def story_candidates(self, band_keys: Sequence[int], limit: int = 50) -> list[StoryMember]:
        """Members sharing at least one LSH band key, most shared bands first (then newest)."""
        pipe = self.redis.pipeline()
        for key in band_keys:
            pipe.smembers(self._key(f"story:band:{key}"))
        shared = Counter(_text(m) for members in pipe.execute() for m in members)
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

    def _insert_story_member(
        self, member: NewStoryMember, band_keys: Sequence[int], assigned_at: datetime
    ) -> bool:
        record_id = member.record_id
        with self._write():
            if self.redis.hexists(self._key("story:members"), record_id):
                return False
            data = {
                "member": int(self.redis.incr(self._key("story:seq"))),
                "story_id": member.story_id, "duplicate_of": member.duplicate_of,
                "similarity": member.similarity, "published_at": member.published_at,
                "assigned_at": utc_iso(assigned_at),
                "signature": member.signature.hex() if member.signature else None,
                "bands": list(band_keys),
            }
            pipe = self.redis.pipeline()
            pipe.hset(self._key("story:members"), record_id, json.dumps(data))
            for key in band_keys:
                pipe.sadd(self._key(f"story:band:{key}"), record_id)
            pipe.zadd(self._key("story:assigned"), {record_id: assigned_at.timestamp()})
            pipe.hincrby(self._key("story:size"), member.story_id, 1)
            pipe.execute()
        return True

    def _insert_story_members(
        self, members: Iterable[tuple[NewStoryMember, Sequence[int]]], assigned_at: datetime
    ) -> int:
        when, score = utc_iso(assigned_at), assigned_at.timestamp()
        members_key = self._key("story:members")
        inserted = 0
        with self._write():
            for chunk in _chunks(members, _KEEP_LOCK_EVERY):
                self._keep_lock()
                present = self.redis.hmget(members_key, [m.record_id for m, _keys in chunk])
                new: dict[str, tuple[NewStoryMember, Sequence[int]]] = {}
                for (member, keys), there in zip(chunk, present, strict=True):
                    if there is None and member.record_id not in new:
                        new[member.record_id] = (member, keys)
                if not new:
                    continue
                # Number the chunk's members in one step, in order, as one INCR each would.
                first = int(self.redis.incrby(self._key("story:seq"), len(new))) - len(new) + 1
                pipe = self.redis.pipeline()
                for seq, (record_id, (member, keys)) in enumerate(new.items(), first):
                    data = {
                        "member": seq, "story_id": member.story_id,
                        "duplicate_of": member.duplicate_of, "similarity": member.similarity,
                        "published_at": member.published_at, "assigned_at": when,
                        "signature": member.signature.hex() if member.signature else None,
                        "bands": list(keys),
                    }
                    pipe.hset(members_key, record_id, json.dumps(data))
                    for key in keys:
                        pipe.sadd(self._key(f"story:band:{key}"), record_id)
                    pipe.zadd(self._key("story:assigned"), {record_id: score})
                    pipe.hincrby(self._key("story:size"), member.story_id, 1)
                pipe.execute()
                inserted += len(new)
        return inserted

    def _prune_story_bands(self, cutoff: datetime) -> int:
        pruned = 0
        with self._write():
            ids = self.redis.zrangebyscore(
                self._key("story:assigned"), "-inf", f"({cutoff.timestamp()}"
            )
            for index, raw in enumerate(ids):
                if index % _KEEP_LOCK_EVERY == _KEEP_LOCK_EVERY - 1:
                    self._keep_lock()
                record_id = _text(raw)
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
        """How many records the story index has put in ``story_id``."""
        return int(self.redis.hget(self._key("story:size"), story_id) or 0)
