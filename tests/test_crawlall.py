"""Unattended operation: crawlall's reports, monitors, lock and exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
from conftest import MIRROR, ROOT, mirror_ids, run_scrapy, start_command
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from test_incremental import _many_articles_mirror

from newscrawl import runs

SPIDERS = sorted(SpiderLoader.from_settings(get_project_settings()).list())


def latest_report(data: Path) -> dict:
    return json.loads(sorted((data / "runs").glob("*.json"))[-1].read_text(encoding="utf-8"))


@pytest.mark.slow
def test_crawlall_runs_every_spider_reports_and_second_run_adds_nothing(tmp_path):
    data = tmp_path / "data"
    first = run_scrapy(["crawlall"], data, timeout=300)
    assert first.returncode == 0, first.log[-3000:]
    report = latest_report(data)
    assert [s["source"] for s in report["sources"]] == SPIDERS
    # Every outlet's records follow the published schema.
    schema = json.loads((ROOT / "newscrawl" / "schema" / "article.schema.json").read_text())
    records = first.records()
    assert {r["source"] for r in records} == set(SPIDERS)
    for record in records:
        jsonschema.validate(record, schema)
    for source in report["sources"]:
        assert source["status"] == "healthy", source
        assert source["new"] >= 3 and source["stored"] == source["new"]
        assert source["rates"]["published_at"] == 1.0
        assert source["requests"] > 0 and source["bytes"] > 0
        # Article links per discovery source (listing, date index, feed, sitemap), each run.
        assert sum(source["discovery"]["links"].values()) >= source["new"]
        assert set(source["discovery"]["links"]) <= {"listing", "feed", "sitemap", "date-index"}
    assert "exit code: 0" in first.log
    assert all(name in first.log for name in SPIDERS)  # the table on stdout
    assert list((data / "logs").glob("crawlall-*.log"))
    second = run_scrapy(["crawlall"], data, timeout=300)
    assert second.returncode == 0
    again = latest_report(data)
    assert again["run_id"] != report["run_id"]
    assert sum(s["new"] for s in again["sources"]) == 0
    assert all(s["skipped"] >= 3 and s["status"] == "healthy" for s in again["sources"])


def test_only_skip_and_usage_errors(tmp_path):
    data = tmp_path / "data"
    result = run_scrapy(
        ["crawlall", "--only", "cnbcindonesia,detikinet", "--skip", "detikinet"], data
    )
    assert result.returncode == 0
    assert [s["source"] for s in latest_report(data)["sources"]] == ["cnbcindonesia"]
    assert run_scrapy(["crawlall", "--only", "nosuchsite"], data).returncode == runs.EXIT_USAGE
    assert run_scrapy(["crawlall", "--since", "2024/04/01"], data).returncode == runs.EXIT_USAGE


def _changed_layout_mirror(tmp_path: Path) -> Path:
    """The shipped mirror, except that detikInet renamed its body container."""
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    for page in (mirror / "detikinet" / "articles").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("detail__body-text", "detail__content-text"), encoding="utf-8")
    return mirror


def test_changed_layout_keeps_collecting_and_marks_the_source_degraded(tmp_path):
    data = tmp_path / "data"
    result = run_scrapy(
        ["crawlall", "--only", "cnbcindonesia,detikinet,antaratekno"],
        data,
        mirror=_changed_layout_mirror(tmp_path),
    )
    assert result.returncode == runs.EXIT_DEGRADED
    sources = {s["source"]: s for s in latest_report(data)["sources"]}
    detik = sources["detikinet"]
    assert detik["status"] == "degraded"
    # Nothing is lost: every article is stored through the generic path, flagged.
    assert detik["dropped"] == {}
    articles = len(mirror_ids("detikinet"))
    assert detik["parsers"] == {"detikinet@generic": articles}
    records = result.records("detikinet")
    assert len(records) == articles
    assert all(r["parser"] == "detikinet@generic" for r in records)
    assert all("generic_body" in r["quality_flags"] for r in records)
    # The site's rules still ran on those bodies: editor codes and datelines split off.
    assert all(r["editor_codes"] and r["dateline"] for r in records)
    failed = [m for m in detik["monitors"] if not m["passed"]]
    assert [m["name"] for m in failed] == ["layout_drift"]
    drift = f"layout drift: {articles} of {articles} bodies not from a declared"
    assert failed[0]["detail"].startswith(drift)
    assert f"detikinet: layout_drift failed: {drift}" in result.log
    # `scrapy status` gives the same verdict in words, with crawlall's exit code.
    status = run_scrapy(["status"], data)
    assert status.returncode == runs.EXIT_DEGRADED
    assert f"detikinet: layout_drift failed in the last run: {drift}" in status.log
    # The other sources still store their records.
    assert sources["cnbcindonesia"]["status"] == sources["antaratekno"]["status"] == "healthy"
    # CNBC's mirror holds one page of an undeclared redesign: a fifth of its bodies, tolerated.
    assert sources["cnbcindonesia"]["parsers"]["cnbcindonesia@generic"] == 1
    for source in ("cnbcindonesia", "antaratekno"):
        assert {r["id"] for r in result.records(source)} == mirror_ids(source)


def test_lock_held_then_stale_lock_taken_over(tmp_path):
    mirror, _ids = _many_articles_mirror(tmp_path / "slow", 80)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_DATA_DIR=str(data), NEWSCRAWL_MIRROR=str(mirror))
    first = start_command(["crawlall", "--only", "detikinet", "-s", "DOWNLOAD_DELAY=0.1",
                           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"], env, output=False)
    lock = data / "state" / "crawlall.lock"
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        second = run_scrapy(["crawlall", "--only", "detikinet"], data, mirror=mirror)
        assert first.poll() is None, "the first run ended before the second started"
        assert second.returncode == runs.EXIT_LOCKED
        assert f"another run is active (pid {first.pid}" in second.log
    finally:
        first.kill()  # SIGKILL: the lock file still names the dead run
        first.wait()
    third = run_scrapy(["crawlall", "--only", "cnbcindonesia"], data)
    assert third.returncode == 0, third.log[-2000:]
    assert f"the previous run (pid {first.pid}, started " in third.log
    assert "took over its lock" in third.log


def _report(**overrides) -> dict:
    base = runs.source_report(
        "x",
        {
            "newscrawl/checked": 20,
            "newscrawl/stored": 20,
            "newscrawl/new": 20,
            "newscrawl/articles/discovered": 25,
            "newscrawl/fill/authors": 20,
            "newscrawl/body_words_median": 400,
            "finish_reason": "finished",
        },
    )
    base.update(overrides)
    return base


def test_monitors_compare_with_recent_runs():
    history = [_report() for _ in range(3)]
    assert runs.judge(_report(), history)["status"] == "healthy"
    nothing_found = _report(discovered=0, checked=0, stored=0, new=0, body_words_median=None)
    nothing_found["rates"] = {k: None for k in nothing_found["rates"]}
    judged = runs.judge(nothing_found, history)
    assert judged["status"] == "degraded"
    assert [m["name"] for m in judged["monitors"] if not m["passed"]] == ["articles_found"]
    # With no history, finding nothing is not (yet) a failure: a quiet section.
    assert runs.judge(nothing_found, [])["status"] == "healthy"
    # Nor in distributed mode, where another process may have taken every listing page.
    assert runs.judge({**nothing_found, "distributed": True}, history)["status"] == "healthy"
    halved = _report(body_words_median=150)
    assert [m["name"] for m in runs.judge(halved, history)["monitors"] if not m["passed"]] == [
        "body_length"
    ]
    no_authors = _report()
    no_authors["rates"]["authors"] = 0.1
    assert runs.judge(no_authors, history)["status"] == "degraded"


def test_exit_code_is_the_worst_source_state():
    assert runs.exit_code([{"status": "healthy"}, {"status": "degraded"}]) == runs.EXIT_DEGRADED
    assert runs.exit_code([{"status": "blocked"}, {"status": "degraded"}]) == runs.EXIT_BLOCKED
    assert runs.exit_code([]) == runs.EXIT_OK
    blocked = _report(checked=0, stored=0, blocked=4)
    assert runs.judge(blocked, [])["status"] == "blocked"
    failed = _report(finish_reason="shutdown")
    assert runs.judge(failed, [])["status"] == "failed"


@pytest.mark.slow
def test_newscrawl_command_works_from_any_directory(tmp_path):
    command = shutil.which("newscrawl")
    argv = [command] if command else [sys.executable, "-m", "newscrawl.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_DATA_DIR=str(tmp_path / "data"), NEWSCRAWL_MIRROR=str(MIRROR))
    listed = subprocess.run(
        [*argv, "list"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.stdout.split() == SPIDERS
    crawled = subprocess.run(
        [*argv, "crawlall", "--only", "detikinet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    assert len(list((tmp_path / "data" / "articles" / "detikinet").glob("*.jsonl"))) == 1


def test_old_logs_are_pruned(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    old, new = logs / "crawlall-20240101T000000Z.log", logs / "crawlall-20261127T000000Z.log"
    for path in (old, new):
        path.write_text("log")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    assert runs.prune(logs, "crawlall-*.log", keep_days=30) == 1
    assert not old.exists() and new.exists()


def _run(finished: str, **statuses: str) -> dict:
    sources = [
        {"source": name, "status": status, "new": 1 if status == "healthy" else 0,
         "monitors": [] if status == "healthy" else [
             {"name": "body_floor", "passed": False, "detail": "body found on 0%"}]}
        for name, status in statuses.items()
    ]
    return {"run_id": finished, "finished": finished, "sources": sources}


def test_source_status_over_recent_runs():
    reports = [  # newest first
        _run("2026-11-27T09:00:00+00:00", detikinet="degraded", kompastekno="healthy"),
        _run("2026-11-27T08:00:00+00:00", detikinet="degraded", kompastekno="healthy"),
        _run("2026-11-27T07:00:00+00:00", detikinet="healthy", kompastekno="healthy"),
    ]
    detik = runs.source_status("detikinet", reports)
    assert detik["status"] == "degraded" and detik["runs_not_healthy"] == 2
    assert detik["last_healthy"] == "2026-11-27T07:00:00+00:00"
    assert detik["failed_monitors"] == ["body_floor"]
    assert runs.source_status("kompastekno", reports)["runs_not_healthy"] == 0
    assert runs.source_status("tempotekno", reports)["status"] == "never run"


def test_status_command_exit_codes(tmp_path):
    data = tmp_path / "data"
    assert run_scrapy(["status"], data, mirror=None).returncode == 0  # nothing run yet
    assert run_scrapy(["status", "--max-age-hours", "1"], data, mirror=None).returncode == 7
    (data / "runs").mkdir(parents=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    (data / "runs" / "20261127T090000Z.json").write_text(json.dumps(
        _run(now.isoformat(), detikinet="degraded", kompastekno="healthy")
    ))
    shown = run_scrapy(["status", "--max-age-hours", "1"], data, mirror=None)
    assert shown.returncode == 4, shown.log  # degraded, like crawlall's exit code
    assert "detikinet: body_floor failed in the last run" in shown.log
    old = (now - timedelta(hours=5)).isoformat()
    (data / "runs" / "20261127T090000Z.json").write_text(json.dumps(
        _run(old, detikinet="healthy", kompastekno="healthy")
    ))
    assert run_scrapy(["status", "--max-age-hours", "1"], data, mirror=None).returncode == 7
    assert run_scrapy(["status"], data, mirror=None).returncode == 0


def test_files_in_the_runs_folder_that_are_not_reports_are_skipped_not_fatal(tmp_path):
    """A cut, emptied or hand-edited file among the reports: status and the next crawl judge from
    the real reports and say nothing breaks (the hourly cron job must not stop over it)."""
    data = tmp_path / "data"
    (data / "runs").mkdir(parents=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    (data / "runs" / "20261127T090000Z.json").write_text(json.dumps(
        _run(now.isoformat(), detikinet="degraded", kompastekno="healthy")))
    broken = {"20261128T000000Z.json": '{"run_id": "cut", "sources": [',
              "20261128T000001Z.json": "", "20261128T000002Z.json": "[1, 2]",
              "20261128T000003Z.json": '{"run_id": "x", "sources": "oops"}',
              "20261128T000004Z.json": '{"run_id": "y", "sources": [{"source": 1}]}',
              "20261128T000005Z.json": '{"run_id": "z", "sources": [], "finished": 5}'}
    for name, text in broken.items():
        (data / "runs" / name).write_text(text)
    shown = run_scrapy(["status", "--max-age-hours", "1"], data, mirror=None)
    assert shown.returncode == 4, shown.log  # judged from the one real report
    assert "Traceback" not in shown.log
    crawled = run_scrapy(["crawl", "detikinet"], data)
    assert crawled.returncode == 0, crawled.log[-2000:]
    assert "Traceback" not in crawled.log and "not a run report" in crawled.log


def test_layout_drift_needs_more_than_one_odd_page():
    # One page of an odd template among three: not drift.
    one_odd = runs.layout_drift({"x@2024": 2, "x@generic": 1})
    assert one_odd is not None and one_odd.passed
    # Every body of a run from the generic path: drift, said in words.
    redesign = runs.layout_drift({"x@generic": 3})
    assert redesign is not None and not redesign.passed
    assert redesign.detail == (
        "layout drift: 3 of 3 bodies not from a declared layout (3 from the generic path)"
    )
    # A fifth is tolerated, more is not.
    assert runs.layout_drift({"x@2024": 8, "x@generic": 2}).passed
    assert not runs.layout_drift({"x@2024": 7, "x@generic": 2, "x@jsonld-body": 1}).passed
    # A run without bodies says nothing.
    assert runs.layout_drift({}) is None


def test_layout_drift_counts_small_runs_together_with_the_runs_before():
    # Hourly runs of two articles, one of them from the generic path each time: no single
    # run shows it, the last runs together do.
    earlier = [{"parsers": {"x@2024": 1, "x@generic": 1}} for _ in range(5)]
    monitor = runs.layout_drift({"x@2024": 1, "x@generic": 1}, earlier)
    assert not monitor.passed
    assert monitor.detail.startswith("layout drift: 5 of 10 bodies over the last 5 runs")
    # The same run after healthy ones is fine.
    healthy = [{"parsers": {"x@2024": 4}} for _ in range(3)]
    assert runs.layout_drift({"x@2024": 1, "x@generic": 1}, healthy).passed


def test_progress_lines_on_a_terminal_and_quiet_under_cron(tmp_path):
    only = ["crawlall", "--only", "detikinet,kompastekno"]
    shown = run_scrapy(only, tmp_path / "a", env={"NEWSCRAWL_PROGRESS": "1"})
    assert shown.returncode == 0, shown.log[-2000:]
    for name in ("detikinet", "kompastekno"):
        assert re.search(rf"^\[\d\d:\d\d:\d\d\] {name}: \d+ pages, \d+ stored, 0 dropped, "
                         r"0 errors, [\d.]+ pages/s — finished$", shown.log, re.M), shown.log
    quiet = run_scrapy(only, tmp_path / "b")  # stdout is a pipe here, as under cron
    assert quiet.returncode == 0 and "pages/s" not in quiet.log


def test_a_plain_scrapy_crawl_is_judged_and_reported_like_crawlall(tmp_path):
    data = tmp_path / "data"
    healthy = run_scrapy(["crawl", "detikinet"], data)
    assert healthy.returncode == runs.EXIT_OK, healthy.log[-2000:]
    [report] = runs.load_runs(data / "runs")
    assert report["command"] == "crawl" and report["exit_code"] == runs.EXIT_OK
    [source] = report["sources"]
    assert source["source"] == "detikinet" and source["status"] == "healthy"
    assert source["new"] == len(mirror_ids("detikinet")) and source["monitors"]
    assert "detikinet: healthy" in healthy.log

    # The outlet redesigns: the next plain crawl says so, in its exit code, its log and its
    # report, and `scrapy status` sees it.
    shutil.rmtree(data / "articles")
    shutil.rmtree(data / "state")
    broken = run_scrapy(["crawl", "detikinet"], data, mirror=_changed_layout_mirror(tmp_path))
    assert broken.returncode == runs.EXIT_DEGRADED, broken.log[-2000:]
    assert "detikinet: layout_drift failed: layout drift:" in broken.log
    latest = runs.load_runs(data / "runs")[0]
    assert latest["sources"][0]["status"] == "degraded"
    status = run_scrapy(["status"], data)
    assert status.returncode == runs.EXIT_DEGRADED and "layout drift" in status.log
