"""Distributed mode when Redis fails: lost, hung, or emptied during a crawl. The crawl must stop
within seconds with the reason (releasing crawlall's lock), lose and double nothing, and after
`newscrawl catchup` no machine stores again what a store already holds."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from conftest import MIRROR, run_command, start_command
from faultserver import FaultServer

from newscrawl import runs

ARTICLES = 120  # 6 index pages of 20: enough for a crawl to be under way when Redis goes


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, to kill, hang or flush."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tmp_path / "redis"
    directory.mkdir()

    def launch() -> subprocess.Popen:
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                return server
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        server.kill()
        pytest.fail("redis-server did not start")

    servers = [launch()]
    yield f"redis://127.0.0.1:{port}/0", servers, launch
    for server in servers:
        if server.poll() is None:
            server.send_signal(signal.SIGCONT)
            server.kill()
            server.wait()


def environment(data: Path, redis_url: str, override: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    # A hung Redis fails the crawl after this many seconds (10 by default).
    env.update(NEWSCRAWL_DATA_DIR=str(data), NEWSCRAWL_REDIS_URL=redis_url,
               NEWSCRAWL_REDIS_TIMEOUT="2")
    if override:
        env["NEWSCRAWL_HOST_OVERRIDE"] = override
    else:
        env["NEWSCRAWL_MIRROR"] = str(MIRROR)
    return env


SLOW = ["-s", "DOWNLOAD_DELAY=0.02", "-s", "AUTOTHROTTLE_ENABLED=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "NEWSCRAWL_BACKOFF_BASE=0",
        "--max-pages", "20"]


def crawlall(env: dict[str, str], *extra: str):
    return start_command(["crawlall", "--only", "detikinet", *extra], env)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_command(args, env, timeout=180)


def stored_ids(data: Path) -> list[str]:
    ids = []
    for partition in sorted((data / "articles").rglob("*.jsonl")):
        for line in partition.read_bytes().splitlines():
            ids.append(json.loads(line)["id"])
    return ids


def wait_for_records(data: Path, count: int, process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if len(stored_ids(data)) >= count if (data / "articles").exists() else False:
            return
        time.sleep(0.1)
    pytest.fail("the crawl did not get under way")


def everything_stored_once_after_catchup(data: Path, env: dict[str, str], site: FaultServer):
    caught_up = run(["catchup"], env)
    assert caught_up.returncode == 0, caught_up.stderr
    # The ledger knows every stored record again (those a run re-added after the loss too).
    assert f"({len(stored_ids(data))} known in all)" in caught_up.stdout
    again = crawlall(env, "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                     "--max-pages", "20")
    log, _ = again.communicate(timeout=180)
    assert again.returncode in (runs.EXIT_OK, runs.EXIT_DEGRADED), log[-2000:]
    ids = stored_ids(data)
    assert sorted(ids) == sorted(f"detikinet:{8_000_000 + n}" for n in range(ARTICLES))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["killed", "hung"])
def test_redis_lost_mid_crawl_stops_the_crawl_within_seconds(tmp_path, private_redis, how):
    url, servers, launch = private_redis
    data = tmp_path / "data"
    with FaultServer(ARTICLES) as site:
        env = environment(data, url, site.address)
        process = crawlall(env, *SLOW)
        wait_for_records(data, 10, process)
        if how == "killed":
            servers[0].kill()
            servers[0].wait()
        else:  # a partition or a hung server: connections stay open, nothing answers
            servers[0].send_signal(signal.SIGSTOP)
        lost_at = time.monotonic()
        log, _ = process.communicate(timeout=120)
        assert time.monotonic() - lost_at < 20, "the crawl held on to a dead Redis"
        assert process.returncode == runs.EXIT_FAILED, log[-2000:]
        assert "detikinet: failed: " in log
        reason = log[log.index("detikinet: failed: "):].splitlines()[0]
        if how == "killed":  # refused, or reset when the kill lands mid-command
            assert re.search(r"Connection (refused|reset)|Connection closed|ConnectionError",
                             reason), reason
        else:
            assert "Timeout" in reason, reason
        assert "Traceback" not in log
        # Nothing stored twice, every line whole; the lock is free for the next run.
        ids = stored_ids(data)
        assert len(ids) == len(set(ids))
        servers[0].send_signal(signal.SIGCONT)
        servers[0].kill()
        servers[0].wait()
        servers.append(launch())  # Redis comes back, empty
        everything_stored_once_after_catchup(data, env, site)


@pytest.mark.slow
def test_redis_emptied_during_a_run_is_a_failed_run_not_a_healthy_one(tmp_path, private_redis):
    url, _servers, _launch = private_redis
    data = tmp_path / "data"
    with FaultServer(ARTICLES) as site:
        env = environment(data, url, site.address)
        process = crawlall(env, *SLOW)
        wait_for_records(data, 10, process)
        with redis.Redis.from_url(url) as client:
            client.flushall()  # what a restart without persistence does
        log, _ = process.communicate(timeout=120)
        assert process.returncode == runs.EXIT_FAILED, log[-2000:]
        assert "Redis lost its data during the run" in log
        assert len(stored_ids(data)) < ARTICLES  # the queue went with it
        everything_stored_once_after_catchup(data, env, site)


def test_after_redis_lost_its_data_no_machine_stores_what_another_has(tmp_path, private_redis):
    url, _servers, _launch = private_redis
    one, two = tmp_path / "one", tmp_path / "two"
    first = [start_command(["crawl", "detikinet"], environment(d, url), output=False)
             for d in (one, two)]
    for process in first:
        assert process.wait(timeout=180) == 0
    before = {d: stored_ids(d) for d in (one, two)}
    assert not set(before[one]) & set(before[two])
    with redis.Redis.from_url(url) as client:
        client.flushall()
    # The operator's step (README): catch every machine up before crawling again.
    for data in (one, two):
        caught_up = run(["catchup"], environment(data, url))
        assert caught_up.returncode == 0, caught_up.stderr
    for data in (one, two):
        result = run(["crawl", "detikinet"], environment(data, url))
        assert result.returncode == 0
    assert {d: stored_ids(d) for d in (one, two)} == before
