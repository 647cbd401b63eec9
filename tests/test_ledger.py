"""Crawl ledger: what a crawl remembers between runs (newscrawl.ledger, newscrawl.redis_ledger).

Both backends must satisfy the ``Ledger`` protocol (newscrawl.ledger_protocol): checked at run
time by ``test_backends_implement_the_protocol`` and statically by

    mypy newscrawl/ledger*.py newscrawl/redis_ledger.py newscrawl/stories.py \
        tests/test_ledger.py --ignore-missing-imports

(through ``_backends_are_ledgers`` below).
"""

from __future__ import annotations

import inspect
import json
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, get_args, get_type_hints

import pytest

from newscrawl.ledger import KnownArticle, SqliteLedger
from newscrawl.ledger_protocol import Ledger

if TYPE_CHECKING:
    from newscrawl.redis_ledger import RedisLedger

WIB = timezone(timedelta(hours=7))
NOW = datetime(2024, 3, 28, 12, 0, tzinfo=timezone.utc)

URL = "https://www.cnbcindonesia.com/tech/20240327095500-37-525780/meta-rilis-fitur-baru"
AMP = "https://www.cnbcindonesia.com/tech/20240327095500-37-525780/meta-rilis-fitur-baru/amp"
MOBILE = "https://m.cnbcindonesia.com/tech/20240327095500-37-525780/meta-rilis-fitur-baru"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "state" / "ledger.sqlite3"


@pytest.fixture(params=["sqlite", "redis"])
def open_ledger(request, path) -> Callable[[], Ledger]:
    """Opens the test's ledger, again each call (a reopen, or a second process's connection):
    the SQLite file at ``path``, or distributed mode's Redis."""
    if request.param == "sqlite":
        return lambda: SqliteLedger(path)
    from newscrawl.redis_ledger import RedisLedger

    url = request.getfixturevalue("redis_url")
    return lambda: RedisLedger(url)


@pytest.fixture
def ledger(open_ledger):
    """Each behaviour below holds for the SQLite ledger and for distributed mode's Redis one."""
    with open_ledger() as led:
        yield led


def _first_seen(ledger, record_id: str) -> str:
    if isinstance(ledger, SqliteLedger):
        query = "SELECT first_seen FROM articles WHERE record_id = ?"
        return ledger.conn.execute(query, (record_id,)).fetchone()[0]
    return json.loads(ledger.redis.hget(ledger.prefix + "articles", record_id))["first_seen"]


def sqlite_only(ledger) -> None:
    if not isinstance(ledger, SqliteLedger):
        pytest.skip("SQLite behaviour (transactions, URL keys, speed of bulk inserts)")


def _store(led: Ledger, n: int, **kw) -> None:
    led.record(
        f"cnbcindonesia:{n}",
        "cnbcindonesia",
        f"https://www.cnbcindonesia.com/tech/{n}/judul",
        kw.pop("content_hash", f"h{n}"),
        **kw,
    )


def test_creates_parent_dirs_and_uses_wal_with_normal_sync(path):
    with SqliteLedger(path) as led:
        assert path.exists()
        assert led.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert led.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_known_url_and_aliases_survive_reopening(open_ledger):
    with open_ledger() as led:
        led.record(
            "cnbcindonesia:525780", "cnbcindonesia", URL, "abc", 1, "s1",
            "2024-03-27T09:55:00+07:00", aliases=[AMP],
        )
        assert led.add_alias(MOBILE, "cnbcindonesia:525780")
    with open_ledger() as led:
        for url in (URL, AMP, MOBILE):
            assert led.is_known_url(url), url
            known = led.known(url)
            assert known is not None
            assert known.record_id == "cnbcindonesia:525780"
            assert known.url == URL  # the canonical URL, whichever form was asked
        assert led.known(record_id="cnbcindonesia:525780") == KnownArticle(
            record_id="cnbcindonesia:525780",
            url=URL,
            content_hash="abc",
            version=1,
            story_id="s1",
            published_at="2024-03-27T09:55:00+07:00",
            stored_at=led.known(URL).stored_at,
        )
        assert led.count() == 1


def test_unknown_urls_and_ids_are_not_known(ledger):
    _store(ledger, 1)
    assert not ledger.is_known_url("https://www.cnbcindonesia.com/tech/2/judul")
    assert not ledger.is_known_url("https://www.cnbcindonesia.com/tech/1/judul?utm_source=x")
    assert ledger.known("https://www.cnbcindonesia.com/tech/2/judul") is None
    assert ledger.known(record_id="cnbcindonesia:2") is None
    with pytest.raises(TypeError):
        ledger.known()


def test_alias_for_unknown_record_is_refused(ledger):
    assert ledger.add_alias("https://example.com/x", "nope:1") is False
    assert not ledger.is_known_url("https://example.com/x")


def test_alias_can_move_to_the_record_that_keeps_the_body(ledger):
    _store(ledger, 1)
    _store(ledger, 2)
    moved = "https://www.cnbcindonesia.com/tech/2/judul"
    assert ledger.add_alias(moved, "cnbcindonesia:1")
    assert ledger.known(moved).record_id == "cnbcindonesia:1"


def test_find_by_content_hash_returns_first_record_with_that_body(ledger):
    _store(ledger, 1, content_hash="same")
    _store(ledger, 2, content_hash="same")
    ledger.record("detik:d-9", "detik", "https://inet.detik.com/d-9/x", "same")
    assert ledger.find_by_content_hash("same") == "cnbcindonesia:1"
    assert ledger.find_by_content_hash("same", source="detik") == "detik:d-9"
    assert ledger.find_by_content_hash("same", source="kompas") is None
    assert ledger.find_by_content_hash("other") is None


def test_newer_version_updates_row_older_does_not(ledger):
    _store(ledger, 1, content_hash="v1", version=1)
    first_seen = _first_seen(ledger, "cnbcindonesia:1")
    _store(ledger, 1, content_hash="v2", version=2, story_id="s")
    assert ledger.known(record_id="cnbcindonesia:1").content_hash == "v2"
    assert ledger.known(record_id="cnbcindonesia:1").version == 2
    _store(ledger, 1, content_hash="stale", version=1)
    known = ledger.known(record_id="cnbcindonesia:1")
    assert (known.content_hash, known.version, known.story_id) == ("v2", 2, "s")
    assert _first_seen(ledger, "cnbcindonesia:1") == first_seen
    assert ledger.count() == 1


def test_watermark_only_moves_forward_and_persists(open_ledger):
    with open_ledger() as led:
        assert led.get_watermark("kompas") is None
        assert led.set_watermark("kompas", "2024-03-27T09:55:00+07:00")
        assert not led.set_watermark("kompas", "2024-03-26T23:00:00+07:00")
        assert led.get_watermark("kompas") == "2024-03-27T09:55:00+07:00"
        # 03:00 UTC is 10:00 WIB: later as an instant though smaller as a string
        assert led.set_watermark("kompas", "2024-03-27T03:00:00+00:00")
        # 09:56 WITA is 08:56 WIB: earlier, though larger as a string
        assert not led.set_watermark("kompas", "2024-03-27T09:56:00+08:00")
        assert led.set_watermark("detik", "2020-01-01T00:00:00+07:00")
    with open_ledger() as led:
        assert led.get_watermark("kompas") == "2024-03-27T03:00:00+00:00"
        assert led.get_watermark("detik") == "2020-01-01T00:00:00+07:00"


def test_watermark_rejects_non_dates(ledger):
    with pytest.raises(ValueError):
        ledger.set_watermark("kompas", "kemarin")
    assert ledger.get_watermark("kompas") is None


def test_last_run_is_recorded_separately_from_watermark(ledger):
    assert ledger.last_run("antara") is None
    ledger.set_watermark("antara", "2024-03-27T09:55:00+07:00")
    ledger.mark_run("antara", NOW)
    assert ledger.last_run("antara") == "2024-03-28T12:00:00+00:00"
    assert ledger.get_watermark("antara") == "2024-03-27T09:55:00+07:00"


def test_revisit_window(ledger):
    ledger.record("a:1", "a", "https://a.id/1", "h1", published_at="2024-03-28T10:00:00+07:00")
    ledger.record("a:2", "a", "https://a.id/2", "h2", published_at="2024-03-25T10:00:00+07:00")
    ledger.record("a:3", "a", "https://a.id/3", "h3", stored_at=NOW - timedelta(hours=1))
    window = timedelta(hours=48)
    assert ledger.needs_revisit("https://a.id/1", window, NOW)  # published 9 h ago
    assert not ledger.needs_revisit("https://a.id/2", window, NOW)  # 3 days ago
    assert ledger.needs_revisit("https://a.id/3", window, NOW)  # no date: first stored 1 h ago
    assert not ledger.needs_revisit("https://a.id/3", window, NOW + timedelta(days=3))
    assert not ledger.needs_revisit("https://a.id/unknown", window, NOW)
    # offsets count: 2024-03-26T20:00+07:00 is 13:00 UTC, 47 h before NOW
    ledger.record("a:4", "a", "https://a.id/4", "h4", published_at="2024-03-26T20:00:00+07:00")
    assert ledger.needs_revisit("https://a.id/4", window, NOW)
    assert not ledger.needs_revisit("https://a.id/4", timedelta(hours=46), NOW)


def test_revisit_respects_min_interval_after_a_check(ledger):
    ledger.record("a:1", "a", "https://a.id/1", "h1", published_at="2024-03-28T10:00:00+07:00")
    ledger.mark_checked("a:1", NOW - timedelta(minutes=30))
    window = timedelta(hours=48)
    assert not ledger.needs_revisit("https://a.id/1", window, NOW, min_interval=timedelta(hours=6))
    assert ledger.needs_revisit("https://a.id/1", window, NOW, min_interval=timedelta(minutes=20))


def test_recent_lists_revisit_candidates_newest_first(ledger):
    ledger.record("a:1", "a", "https://a.id/1", "h", published_at="2024-03-28T10:00:00+07:00")
    ledger.record("a:2", "a", "https://a.id/2", "h", published_at="2024-03-27T10:00:00+07:00")
    ledger.record("a:3", "a", "https://a.id/3", "h", published_at="2024-03-20T10:00:00+07:00")
    ledger.record("b:1", "b", "https://b.id/1", "h", published_at="2024-03-28T11:00:00+07:00")
    assert [k.record_id for k in ledger.recent(timedelta(hours=48), NOW)] == ["b:1", "a:1", "a:2"]
    assert [k.record_id for k in ledger.recent(timedelta(hours=48), NOW, "a")] == ["a:1", "a:2"]


def _store_lines(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "id": f"kompas:{i}",
            "source": "kompas",
            "url": f"https://tekno.kompas.com/read/2024/03/27/{i}/judul",
            "content_hash": f"hash{i}",
            "story_id": f"story{i}",
            "published_at": "2024-03-27T09:55:00+07:00",
            "crawled_at": "2024-03-27T03:00:00Z",
        }
        for i in range(start, start + n)
    ]


def test_reconcile_inserts_missing_records_and_is_idempotent(open_ledger):
    lines = _store_lines(50)
    with open_ledger() as led:
        for rec in lines[:20]:  # the ledger saw only the first 20 before a crash
            led.record(rec["id"], rec["source"], rec["url"], rec["content_hash"])
        assert led.reconcile(lines) == 30
        assert led.count() == 50
        assert led.reconcile(lines) == 0
        assert led.count() == 50
    with open_ledger() as led:
        known = led.known("https://tekno.kompas.com/read/2024/03/27/49/judul")
        assert known is not None and known.record_id == "kompas:49"
        assert known.story_id == "story49"
        assert known.published_at == "2024-03-27T09:55:00+07:00"
        assert led.find_by_content_hash("hash42") == "kompas:42"


def test_reconcile_refreshes_older_versions_and_keeps_aliases(ledger):
    ledger.record("kompas:1", "kompas", "https://k.id/1", "old", 1)
    ledger.record("kompas:9", "kompas", "https://k.id/9", "x", 1)
    ledger.add_alias("https://k.id/1?page=all", "kompas:9")
    lines = [
        {"id": "kompas:1", "source": "kompas", "url": "https://k.id/1", "content_hash": "new",
         "version": 2, "aliases": ["https://k.id/1?page=all", "https://k.id/1/amp"]},
    ]
    assert ledger.reconcile(lines) == 0
    assert ledger.known(record_id="kompas:1").content_hash == "new"
    assert ledger.known("https://k.id/1/amp").record_id == "kompas:1"
    assert ledger.known("https://k.id/1?page=all").record_id == "kompas:9"  # not moved


def test_reconcile_skips_lines_without_id_or_url(ledger):
    assert ledger.reconcile([{"id": "a:1"}, {"url": "https://a.id/x"}, {}]) == 0
    assert ledger.count() == 0


def test_reconcile_100k_records_is_fast(ledger):
    sqlite_only(ledger)
    t0 = time.perf_counter()
    assert ledger.reconcile(_store_lines(100_000)) == 100_000
    elapsed = time.perf_counter() - t0
    assert ledger.count() == 100_000
    assert elapsed < 15, f"reconcile of 100k records took {elapsed:.1f} s"


def test_batch_rolls_back_on_error(ledger):
    sqlite_only(ledger)
    with pytest.raises(RuntimeError), ledger.batch():
        _store(ledger, 1)
        _store(ledger, 2)
        raise RuntimeError("crawler died")
    assert ledger.count() == 0
    with ledger.batch():
        _store(ledger, 3)
        _store(ledger, 4)
    assert ledger.count() == 2


def test_second_connection_sees_committed_writes(open_ledger):
    with open_ledger() as a, open_ledger() as b:
        _store(a, 1)
        assert b.is_known_url("https://www.cnbcindonesia.com/tech/1/judul")
        b.set_watermark("s", "2024-01-01T00:00:00+07:00")
        assert a.get_watermark("s") == "2024-01-01T00:00:00+07:00"


def test_closed_ledger_refuses_use(path):
    led = SqliteLedger(path)
    led.close()
    led.close()
    with pytest.raises(RuntimeError):
        led.is_known_url("https://a.id/1")


def test_schema_from_newer_code_is_refused(path):
    SqliteLedger(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(RuntimeError):
        SqliteLedger(path)


def test_url_key_collision_is_a_miss_not_a_false_hit(ledger, monkeypatch):
    sqlite_only(ledger)
    import newscrawl.ledger as ledger_module

    monkeypatch.setattr(ledger_module, "url_key", lambda url: 42)  # every URL collides
    ledger.record("a:1", "a", "https://a.id/1", "h1")
    assert ledger.is_known_url("https://a.id/1")
    assert not ledger.is_known_url("https://a.id/2")
    assert ledger.known("https://a.id/2") is None
    ledger.record("a:2", "a", "https://a.id/2", "h2")  # cannot take over a.id/1's slot
    assert ledger.known("https://a.id/1").record_id == "a:1"


def test_ledger_keeps_no_url_state_in_memory(ledger):
    for n in range(2000):
        _store(ledger, n)
    containers = [v for v in vars(ledger).values() if isinstance(v, (list, dict, set, tuple))]
    assert containers == []
    assert ledger.count() == 2000


def test_watermark_and_last_run_keep_each_other(ledger):
    ledger.mark_run("antara", NOW)
    assert ledger.set_watermark("antara", "2024-03-27T09:55:00+07:00")
    ledger.mark_run("antara", NOW + timedelta(hours=1))
    assert ledger.get_watermark("antara") == "2024-03-27T09:55:00+07:00"
    assert ledger.last_run("antara") == "2024-03-28T13:00:00+00:00"
    assert ledger.get_watermark("detik") is None and ledger.last_run("detik") is None


# -- the Ledger protocol ------------------------------------------------------------------


def _backends_are_ledgers(sqlite: SqliteLedger, redis: RedisLedger) -> tuple[Ledger, Ledger]:
    """Never called: mypy (command in the module docstring) fails here when a backend no
    longer satisfies the protocol."""
    return sqlite, redis


# Their protocol return is the ledger itself; each backend returns its own class there.
_RETURNS_ITSELF = {"__enter__", "batch"}


def _protocol_mismatches(cls: type) -> list[str]:
    """How ``cls`` differs from the Ledger protocol: missing members, and methods whose
    parameters (name, kind, default, type) or return type are not the protocol's."""
    problems = []
    hints_of_cls = get_type_hints(cls)
    for name, member in vars(Ledger).items():
        if name.startswith("_") and name not in ("__enter__", "__exit__"):
            continue
        if isinstance(member, property):  # an attribute the backend sets in __init__
            wanted = get_args(get_type_hints(member.fget)["return"])
            if hints_of_cls.get(name) not in wanted:
                problems.append(f"{name}: not declared as one of {wanted}")
            continue
        impl = getattr(cls, name, None)
        if not callable(impl) or getattr(impl, "__isabstractmethod__", False):
            problems.append(f"{name}: not implemented")
            continue
        want, got = inspect.signature(member).parameters, inspect.signature(impl).parameters
        if [(p.name, p.kind, p.default) for p in want.values()] != [
            (p.name, p.kind, p.default) for p in got.values()
        ]:
            problems.append(f"{name}: parameters {list(got.values())}, not {list(want.values())}")
            continue
        want_hints, got_hints = get_type_hints(member), get_type_hints(impl)
        for param in [*list(want)[1:], "return"]:  # self is typed on one side only
            if param == "return" and name in _RETURNS_ITSELF:
                continue
            if want_hints.get(param) != got_hints.get(param):
                got_type, want_type = got_hints.get(param), want_hints.get(param)
                problems.append(f"{name}({param}): {got_type}, not {want_type}")
    return problems


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_backends_implement_the_protocol(backend: str) -> None:
    """A method missing, renamed, or with other parameters or types in a backend fails here;
    see the module docstring for the mypy check of the same."""
    if backend == "sqlite":
        cls: type = SqliteLedger
    else:
        from newscrawl.redis_ledger import RedisLedger

        cls = RedisLedger
    assert _protocol_mismatches(cls) == []


def test_protocol_check_catches_a_drifted_backend() -> None:
    class Drifted(SqliteLedger):
        count = None  # type: ignore[assignment]

        def known(self, url: str | None = None, record: str | None = None) -> KnownArticle | None:
            return None

        def story_size(self, story_id: str) -> str:  # type: ignore[override]
            return ""

    problems = _protocol_mismatches(Drifted)
    assert [p.split(":")[0].split("(")[0] for p in problems] == ["known", "count", "story_size"]
