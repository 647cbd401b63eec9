"""Distributed mode: crawler processes sharing one Redis split a crawl and store each
article once between them (each writes its own data directory)."""

from __future__ import annotations

import json
import os
import re

import redis
from conftest import MIRROR, start_command

ARTICLES = {  # the detikInet articles the mirror's listing, feed and sitemap lead to
    json.loads(p.read_text(encoding="utf-8"))["id"]
    for p in (MIRROR / "detikinet" / "articles").glob("*.expected.json")
    if "inet.detik.com" in json.loads(p.read_text(encoding="utf-8"))["url"]
}


def start(data_dir, redis_url: str, run: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(
        NEWSCRAWL_DATA_DIR=str(data_dir), NEWSCRAWL_MIRROR=str(MIRROR),
        NEWSCRAWL_REDIS_URL=redis_url, NEWSCRAWL_RUN_ID=run,
    )
    return start_command(["crawl", "detikinet", "-s", "LOG_LEVEL=DEBUG"], env)


def finish(process) -> str:
    log, _ = process.communicate(timeout=180)
    assert process.returncode == 0, log[-3000:]
    return log


def stored_ids(data_dir) -> list[str]:
    return [
        json.loads(line)["id"]
        for path in (data_dir / "articles").rglob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def fetched(log: str) -> list[str]:
    """Every page the process downloaded (robots.txt and tdmrep.json aside: each process
    reads its own)."""
    found = re.findall(r"Crawled \(\d+\) <GET (\S+)>", log)
    return [url for url in found
            if not url.endswith(("/robots.txt", "/.well-known/tdmrep.json"))]


def article_fetches(log: str) -> int:
    return sum("/d-" in url for url in fetched(log))


def test_two_processes_fetch_and_store_each_article_once(tmp_path, redis_url):
    assert len(ARTICLES) >= 3
    one, two = tmp_path / "one", tmp_path / "two"
    logs = [finish(p) for p in [start(one, redis_url, "r1"), start(two, redis_url, "r1")]]
    stored = stored_ids(one) + stored_ids(two)
    assert sorted(stored) == sorted(ARTICLES)  # every article, in exactly one store
    # One shared queue and dupefilter: no page (listing, feed, sitemap, article) was
    # downloaded twice, whichever process got to it.
    pages = fetched(logs[0]) + fetched(logs[1])
    assert len(pages) == len(set(pages))
    assert sum(article_fetches(log) for log in logs) == len(ARTICLES)

    # The next run (a new run id, a fresh dupefilter) finds them all in the shared ledger.
    logs = [finish(p) for p in [start(one, redis_url, "r2"), start(two, redis_url, "r2")]]
    assert sorted(stored_ids(one) + stored_ids(two)) == sorted(ARTICLES)
    assert sum(article_fetches(log) for log in logs) == 0


def test_a_runs_dupefilter_expires_and_the_ledger_does_not(tmp_path, redis_url):
    finish(start(tmp_path / "one", redis_url, "r9"))
    client = redis.Redis.from_url(redis_url)
    assert 0 < client.ttl("newscrawl:detikinet:dupefilter:r9") <= 2 * 24 * 3600
    assert client.ttl("newscrawl:articles") == -1  # the ledger persists
    assert client.hlen("newscrawl:articles") == len(ARTICLES)


def test_each_store_catches_up_with_the_shared_ledger_after_a_crash(tmp_path, redis_url):
    """A process killed between writing a line and recording it: its next start takes the
    line into the shared ledger, from its own store only."""
    from newscrawl.state import CrawlState

    def line(record_id: str) -> str:
        return json.dumps({
            "id": record_id, "source": "detikinet", "url": f"https://inet.detik.com/x/{record_id}",
            "content_hash": record_id, "version": 1, "story_id": None,
            "published_at": "2025-06-18T09:00:00+07:00", "body": "Isi berita.",
        }) + "\n"

    for name, record_id in (("one", "detikinet:1"), ("two", "detikinet:2")):
        partition = tmp_path / name / "articles" / "detikinet" / "2025-06.jsonl"
        partition.parent.mkdir(parents=True)
        partition.write_text(line(record_id), encoding="utf-8")
    first = CrawlState(tmp_path / "one", redis_url)
    assert first.reconciled == 1
    second = CrawlState(tmp_path / "two", redis_url)
    assert second.reconciled == 1  # its own offset: not confused with the other store's
    assert second.ledger.known(record_id="detikinet:1") is not None
    assert second.ledger.count() == 2
    again = CrawlState(tmp_path / "one", redis_url)
    assert again.reconciled == 0
    for state in (first, second, again):
        state.ledger.close()


def test_crawlall_on_two_machines_stores_each_article_once(tmp_path, redis_url):
    """The README's cron line, run on two machines at once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_MIRROR=str(MIRROR), NEWSCRAWL_REDIS_URL=redis_url)
    machines = [tmp_path / "one", tmp_path / "two"]
    processes = [
        start_command(["crawlall", "--only", "detikinet,kompastekno"],
                      {**env, "NEWSCRAWL_DATA_DIR": str(data)})
        for data in machines
    ]
    for process in processes:
        finish(process)  # exit code 0: both healthy, though one may have had little to do
    stored = stored_ids(machines[0]) + stored_ids(machines[1])
    assert len(stored) == len(set(stored))
    assert ARTICLES <= set(stored)
    assert {record.split(":")[0] for record in stored} == {"detikinet", "kompastekno"}
    reports = [json.loads(next((m / "runs").glob("*.json")).read_text()) for m in machines]
    assert all(s["distributed"] for r in reports for s in r["sources"])
