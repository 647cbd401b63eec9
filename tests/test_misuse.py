"""Every mistake a user can make on the command line gets one clear line, the documented exit
code, no traceback, and leaves the data directory as it was."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import MIRROR, run_command

USAGE, FAILED = 2, 6

CASES = [
    # (command line, extra environment, exit code, words the error line must hold)
    (["crawl", "nosuchspider"], {}, USAGE, "unknown spider 'nosuchspider'"),
    (["crawl"], {}, USAGE, "give one spider name"),
    (["crawl", "detikinet", "kompastekno"], {}, USAGE, "one spider at a time"),
    (["crawl", "detikinet", "-a", "since=2024-13-45"], {}, USAGE,
     "since must be YYYY-MM-DD, got '2024-13-45'"),
    (["crawl", "detikinet", "-a", "since=2024-05-02", "-a", "until=2024-05-01"], {}, USAGE,
     "since must not be after until"),
    (["crawl", "detikinet", "-a", "until=2024-05-01"], {}, USAGE, "until needs since"),
    (["crawl", "detikinet", "-a", "max_pages=abc"], {}, USAGE,
     "max_pages must be a whole number, got 'abc'"),
    (["crawl", "detikinet", "-a", "max_pages=0"], {}, USAGE, "max_pages must be at least 1"),
    (["crawl", "detikinet", "-a", "max_pages=-1"], {}, USAGE, "max_pages must be at least 1"),
    (["crawl", "detikinet", "-a", "sinse=2024-01-01"], {}, USAGE,
     "unknown spider argument sinse"),
    (["crawl", "detikinet", "-a", "since=1980-01-01"], {}, USAGE,
     "before 1995-01-01, the first day"),
    (["crawl", "detikinet"], {"NEWSCRAWL_MIN_WORDS": "abc"}, USAGE,
     "NEWSCRAWL_MIN_WORDS must be a whole number"),
    (["crawl", "detikinet"], {"NEWSCRAWL_MIRROR": "/nonexistent/mirror"}, USAGE,
     "the mirror directory /nonexistent/mirror does not exist"),
    (["crawlall", "--since", "2024-05-01", "--until", "2024-04-01"], {}, USAGE,
     "--since 2024-05-01 is after --until 2024-04-01"),
    (["crawlall", "detikinet"], {}, USAGE, "crawlall takes no spider names"),
    (["crawlall", "--keep-days", "-3"], {}, USAGE, "--keep-days must be 0 or more"),
    (["crawlall", "--max-pages", "0"], {}, USAGE, "--max-pages must be at least 1"),
    (["crawlall", "--only", "nosuch"], {}, USAGE, "unknown spiders: nosuch"),
    (["crawlall", "--skip", ",".join(
        p.name for p in MIRROR.iterdir() if p.is_dir())], {}, USAGE, "no spider selected"),
    (["crawlall", "--since", "2024-13-01"], {}, USAGE, "--since must be YYYY-MM-DD"),
    (["crawlall"], {"NEWSCRAWL_MIRROR": str(MIRROR / "manifest.jsonl")}, USAGE,
     "is a file, not a directory"),
    (["export", "--format", "xlsx"], {}, USAGE, "formats are jsonl, csv, parquet"),
    (["export", "--since", "2024-05-02", "--until", "2024-05-01"], {}, USAGE, "is after"),
    (["export", "--exclude-flags", "generic-body"], {}, USAGE, "unknown quality flags"),
    (["export", "--name", "../x"], {}, USAGE, "letters, digits"),
    (["reextract", "--flags", "shortbody"], {}, USAGE, "unknown quality flags: shortbody"),
    (["reextract", "--only", "nosuch"], {}, USAGE, "unknown sources: nosuch"),
    (["show"], {}, USAGE, "give one record id"),
    (["sample", "-n", "0"], {}, USAGE, "-n must be at least 1"),
]


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A data directory holding one crawl, for commands that need a store."""
    data = tmp_path_factory.mktemp("misuse") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_DATA_DIR=str(data), NEWSCRAWL_MIRROR=str(MIRROR))
    done = run_command(["crawl", "detikinet"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    return data


def run(args: list[str], data: Path, extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update({"NEWSCRAWL_DATA_DIR": str(data), "NEWSCRAWL_MIRROR": str(MIRROR), **extra})
    return run_command(args, env)


@pytest.mark.parametrize("args,extra,code,words", CASES,
                         ids=[" ".join(c[0]) + (" " + " ".join(c[1]) if c[1] else "")
                              for c in CASES])
def test_each_mistake_is_one_line_and_changes_nothing(stored, args, extra, code, words):
    before = snapshot(stored)
    done = run(args, stored, extra)
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert words in last, done.stderr
    assert snapshot(stored) == before


@pytest.mark.parametrize("args", [["crawl", "detikinet"], ["crawlall"], ["export"],
                                  ["evaluate", "--no-baseline"], ["reextract"], ["stats"]])
def test_a_data_directory_that_is_a_file_is_one_line(tmp_path, args):
    data = tmp_path / "data"
    data.write_text("not a directory")
    done = run(args, data, {})
    assert done.returncode in (USAGE, FAILED), done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert str(data) in done.stderr.strip().splitlines()[-1]
    assert data.read_text() == "not a directory"


def test_an_unreachable_redis_fails_every_source_with_the_reason(tmp_path):
    data = tmp_path / "data"
    done = run(["crawlall", "--only", "detikinet,kompastekno"], data,
               {"NEWSCRAWL_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert done.returncode == FAILED
    assert "Traceback" not in done.stdout + done.stderr
    assert "the Redis at redis://127.0.0.1:1/0 cannot be reached" in done.stderr
    assert done.stdout.count("failed: the Redis at redis://127.0.0.1:1/0") == 2
    assert not (data / "articles").exists()
    single = run(["crawl", "detikinet"], tmp_path / "other",
                 {"NEWSCRAWL_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert single.returncode == FAILED and "cannot be reached" in single.stderr
