"""`scrapy stats`, `scrapy show` and `scrapy sample`: a look at the store without exporting."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, made_once, mirror_ids, run_scrapy

from newscrawl.storeview import find, sample, store_stats, summaries

SOURCES = ("detikinet", "kompastekno")


@pytest.fixture(scope="session")
def data(tmp_path_factory, worker_id):
    """Two outlets crawled and one article updated; read only, made once per session."""
    return made_once(tmp_path_factory, worker_id, "storeview", crawl_two_outlets)


def crawl_two_outlets(folder):
    data = folder / "data"
    result = run_scrapy(["crawlall", "--only", ",".join(SOURCES)], data)
    assert result.returncode == 0, result.log[-2000:]
    # A second version of one article, as a revisit that found a change stores it.
    path = next((data / "articles" / "detikinet").glob("*.jsonl"))
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    updated = {**first, "version": 2, "title": first["title"] + " (diperbarui)"}
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(updated, ensure_ascii=False) + "\n")
    return data


def view(data, *args):
    return run_scrapy(list(args), data, mirror=None)


def test_stats_counts_the_latest_version_of_each_article(data):
    result = view(data, "stats", "--json")
    assert result.returncode == 0, result.log
    stats = json.loads(result.log)
    expected = {s: len(mirror_ids(s)) for s in SOURCES}
    assert {s: info["records"] for s, info in stats["sources"].items()} == expected
    assert stats["records"] == sum(expected.values())
    assert stats["sources"]["detikinet"]["updated"] == 1
    assert sum(stats["months"].values()) == stats["records"]
    assert stats["sources"]["detikinet"]["quality_flags"] == {"generic_body": 1}
    assert stats["sources"]["kompastekno"]["fill_rates"]["archive"] == 1.0
    table = view(data, "stats").log
    assert f"{stats['records']} records" in table and "detikinet" in table
    assert "records per month" in table


def test_show_prints_one_record_by_id_or_url(data):
    record_id = sorted(mirror_ids("detikinet"))[0]
    result = view(data, "show", record_id, "--json")
    assert result.returncode == 0, result.log
    record = json.loads(result.log.strip().splitlines()[-1])
    assert record["id"] == record_id
    assert list(record)[:5] == ["id", "source", "outlet", "section", "url"]
    by_url = view(data, "show", record["url"], "--json")
    assert json.loads(by_url.log.strip().splitlines()[-1])["id"] == record_id
    versions = find(data, "detikinet:" + "x")
    assert versions == []
    missing = view(data, "show", "detikinet:1")
    assert missing.returncode == 1 and "no stored article 'detikinet:1'" in missing.log
    assert view(data, "show").returncode == 2


def test_show_all_versions_oldest_first(data):
    updated = next(i for i, s in summaries(data).items() if s.version == 2)
    versions = find(data, updated)
    assert [v["version"] for v in versions] == [1, 2]
    result = view(data, "show", updated, "--all-versions", "--json")
    lines = result.log.strip().splitlines()
    assert [json.loads(line)["version"] for line in lines] == [1, 2]
    latest = json.loads(view(data, "show", updated, "--json").log.strip())
    assert latest["title"].endswith("(diperbarui)")


def test_sample_draws_latest_versions_reproducibly(data):
    one = sample(data, 3, seed=7)
    assert len(one) == 3 and len({r["id"] for r in one}) == 3
    assert [r["id"] for r in sample(data, 3, seed=7)] == [r["id"] for r in one]
    assert len(sample(data, 100)) == store_stats(summaries(data))["records"]
    only = sample(data, 2, sources=["kompastekno"], seed=1)
    assert {r["source"] for r in only} == {"kompastekno"}
    result = view(data, "sample", "-n", "2", "--seed", "3")
    assert result.returncode == 0 and result.log.count("\n  https://") == 2
    assert view(data, "sample", "-n", "0").returncode == 2


def test_the_views_say_when_there_is_no_store(tmp_path):
    for command in ("stats", "sample"):
        result = view(tmp_path / "empty", command)
        assert result.returncode == 6 and "no store under" in result.log
        assert "Traceback" not in result.log


@pytest.mark.parametrize("command", [["stats"], ["status"], ["sample", "-n", "20"]])
def test_a_reader_that_goes_away_ends_the_output_without_a_traceback(data, command):
    """`scrapy stats | head -1`: the command stops writing, prints no traceback and keeps the
    exit code it had (status: the last run's verdict, healthy here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_DATA_DIR"] = str(data)
    process = subprocess.Popen([sys.executable, "-m", "scrapy", *command], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the first line
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()[-2000:]
    assert process.returncode == 0
