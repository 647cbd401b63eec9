"""robots.txt answers read as RFC 9309 (2.3.1) reads them, on a stand-in detikInet on 127.0.0.1:
a server error or no answer, after the retries, means nothing is fetched from the host this
run; an error page of a missing robots.txt is no rules; a transient error is retried first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_scrapy
from faultserver import FaultServer

from newscrawl import runs

SETTINGS = ["-s", "NEWSCRAWL_BACKOFF_BASE=0", "-s", "RETRY_TIMES=2", "-s", "DOWNLOAD_TIMEOUT=2",
            "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "--max-pages", "1"]
ARTICLES = 20  # one index page


def crawl(robots: str, data: Path):
    with FaultServer(ARTICLES, robots=robots) as server:
        result = run_scrapy(["crawlall", "--only", "detikinet", *SETTINGS], data, mirror=None,
                            env={"NEWSCRAWL_HOST_OVERRIDE": server.address}, timeout=120)
        paths = dict(server.paths)
    report = json.loads(sorted((data / "runs").glob("*.json"))[-1].read_text(encoding="utf-8"))
    [source] = report["sources"]
    return result, source, paths


def stored(data: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in (data / "articles").rglob("*.jsonl")) \
        if (data / "articles").exists() else 0


# A server that answers robots.txt with errors keeps us out (blocked, like a 403); one that
# does not answer at all was never reached (failed, as any outlet that never answers).
@pytest.mark.parametrize(("fault", "reason", "status"), [
    ("503", "HTTP 503", "blocked"), ("reset", None, "failed")])
def test_an_unreachable_robots_txt_means_nothing_is_fetched_from_the_host(
        tmp_path, fault, reason, status):
    data = tmp_path / "data"
    result, source, paths = crawl(fault, data)
    # Each host the spider starts from: its robots.txt, asked and retried twice; nothing else.
    assert paths and all(key.endswith("/robots.txt") for key in paths), paths
    assert set(paths.values()) == {3}, paths
    assert source["status"] == status
    assert result.returncode == runs.STATUS_EXIT[status], result.log[-2000:]
    if status == "failed":
        assert "detikinet: failed: no response to any of" in result.log
    [(said, hosts)] = source["robots_not_read"].items()  # reason: hosts
    # The transport error's name is Scrapy's (DownloadFailedError, ResponseNeverReceived …).
    assert said == reason if reason else not said.startswith("HTTP"), said
    assert hosts == len(paths)
    assert f"robots.txt unreachable ({said} {hosts}): nothing fetched from its host" \
        in result.log
    assert "Traceback" not in result.log
    assert stored(data) == 0


def test_a_missing_robots_txt_allows_everything_and_its_error_page_is_not_read_as_rules(
        tmp_path):
    data = tmp_path / "data"
    result, source, paths = crawl("404", data)
    assert result.returncode == runs.EXIT_OK, result.log[-2000:]
    assert source["robots_not_read"] == {}
    assert stored(data) == ARTICLES


def test_a_transient_robots_txt_error_is_retried_and_the_crawl_goes_on(tmp_path):
    data = tmp_path / "data"
    result, source, paths = crawl("503_twice", data)
    robots = [n for key, n in paths.items() if key.endswith("/robots.txt")]
    assert sum(robots) == len(robots) + 2  # two 503s retried
    assert result.returncode == runs.EXIT_OK, result.log[-2000:]
    assert source["robots_not_read"] == {}
    assert stored(data) == ARTICLES
