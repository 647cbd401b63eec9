"""Shared helpers: fixture discovery and crawls of the offline mirror in a subprocess.

Crawls run in a subprocess (`python -m scrapy crawl`) because Twisted's reactor cannot be
restarted inside one test process, and because that is exactly how users run them.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT / "tests" / "mirror"
FIXTURES = ROOT / "tests" / "fixtures"
REALPAGES = ROOT.parent / "shared" / "realpages"
# Fields that differ on every run.
VOLATILE_FIELDS = {"crawled_at", "archive"}
# Fields the dedupe stage sets; an expected-JSON file holds the extraction record, where
# they are null (as `scrapy extract` prints them).
DEDUPE_FIELDS = {"version", "previous_content_hash", "story_id", "duplicate_of"}


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores. Many tests wait on a child process, a server
    or a timeout; the extra worker uses the core they leave idle (on 2 vCPUs: 2 workers 120 s,
    3 workers 102 s, 4 workers 105 s for the whole suite)."""
    return (os.cpu_count() or 1) + 1


Made = TypeVar("Made")


def made_once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str,
              make: Callable[[Path], Made]) -> Made:
    """What `make(folder)` returns, made once per test session for a costly, read-only fixture.
    With pytest-xdist the first worker to ask makes it under a file lock and the others read
    the result (pickled), xdist's pattern: a module fixture is otherwise made again by every
    worker that runs one of its tests, and again after each batch another worker stole."""
    if worker_id == "master":
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / name  # this session's, for all workers
    shared.mkdir(exist_ok=True)
    result = shared / "made.pickle"
    with (shared / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            result.write_bytes(pickle.dumps(make(shared / "made")))
    return pickle.loads(result.read_bytes())


@dataclass
class GoldPage:
    html: Path
    expected: dict

    @property
    def spider(self) -> str:
        return self.expected["source"]

    @property
    def fetch_url(self) -> str:
        return self.expected.get("_fetched_from", self.expected["url"])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A private redis-server on 127.0.0.1 for the session (distributed mode's tests).
    Skipped when the redis-server binary is not installed (`.ci/run` installs Debian's)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    else:
        server.kill()
        pytest.fail("redis-server did not start")
    yield url
    client.close()
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server):
    """The session's redis-server, emptied for this test."""
    import redis

    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server


def edited_copy(
    page: Path, replacements: dict[str, str], directory: Path, *, regex: bool = False
) -> Path:
    """A copy of a fixture page in `directory` with each `old` replaced by `new`; every `old`
    must occur (a test of a markup change must not pass because the markup was not there)."""
    html = page.read_text(encoding="utf-8")
    for old, new in replacements.items():
        if regex:
            html, count = re.subn(old, new, html)
            assert count, old
        else:
            assert old in html, old
            html = html.replace(old, new)
    path = directory / f"{page.stem}-edited{page.suffix}"
    path.write_text(html, encoding="utf-8")
    return path


def gold_pages() -> list[GoldPage]:
    """Every fixture page with an expected-JSON file beside it (mirror and fixtures)."""
    pages = []
    for expected in sorted([*MIRROR.rglob("*.expected.json"), *FIXTURES.rglob("*.expected.json")]):
        html = expected.with_name(expected.name.replace(".expected.json", ".html"))
        pages.append(GoldPage(html, json.loads(expected.read_text(encoding="utf-8"))))
    return pages


def mirror_ids(spider: str) -> set[str]:
    """The record ids a crawl of `spider` on the shipped mirror stores (its expected files)."""
    return {
        page.expected["id"] for page in gold_pages()
        if page.spider == spider and MIRROR in page.html.parents
    }


@dataclass
class CrawlResult:
    returncode: int
    log: str
    data_dir: Path
    # The run reports (data/runs/*.json) the command wrote.
    reports: list[dict] = field(default_factory=list)

    def records(self, source: str | None = None) -> list[dict]:
        out = []
        base = self.data_dir / "articles"
        for path in sorted(base.rglob("*.jsonl")) if base.exists() else []:
            if source and path.parent.name != source:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                out.append(json.loads(line))
        return out

    def stat(self, name: str) -> int:
        """A crawl counter, summed over the sources of the run report(s) this command wrote."""
        assert self.reports, "this command wrote no run report"
        return sum(source["counters"].get(name, 0)
                   for report in self.reports for source in report["sources"])


def run_scrapy(
    args: list[str],
    data_dir: Path,
    mirror: Path | None = MIRROR,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    environment["NEWSCRAWL_DATA_DIR"] = str(data_dir)
    if mirror is not None:
        environment["NEWSCRAWL_MIRROR"] = str(mirror)
    environment.update(env or {})
    runs = data_dir / "runs"
    before = set(runs.glob("*.json")) if runs.exists() else set()
    proc = run_command(args, environment, timeout=timeout)
    written = sorted(set(runs.glob("*.json")) - before) if runs.exists() else []
    return CrawlResult(proc.returncode, proc.stdout + proc.stderr, data_dir,
                       [json.loads(path.read_text(encoding="utf-8")) for path in written])


# ------------------------------------------------------------------ running a command
# A command runs as `python -m scrapy <args>` does: `scrapy.cmdline.execute` in a process of
# its own, with its own environment, working directory, stdout and stderr. Starting Python and
# importing Scrapy, the spiders and their libraries costs ~1.2 s of a ~1.8 s mirror crawl, so
# the test process imports them once and forks a child per command (NEWSCRAWL_TEST_SUBPROCESS=1
# starts a fresh interpreter instead). A child changes nothing in the test process.
_PRELOADED = False


def _preload() -> None:
    global _PRELOADED
    if _PRELOADED:
        return
    import importlib
    import pkgutil

    import datasketch  # noqa: F401  (imported by the first story signature of a crawl)
    import scrapy.cmdline  # noqa: F401

    for package in ("newscrawl.spiders", "newscrawl.commands", "newscrawl.pipelines"):
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__, package + "."):
            importlib.import_module(info.name)
    for module in ("archiving", "replay", "progress", "middlewares", "spidermiddlewares",
                   "mirror", "distributed", "contracts", "feeds", "logformatter", "export"):
        __import__(f"newscrawl.{module}")
    _PRELOADED = True


def _runs_a_fork_server() -> bool:
    """Whether this process has started multiprocessing's fork server (the story index's
    signing worker does): a forked command would inherit it as its own, though it is not the
    command's child, and its worker pools could not start (ECHILD)."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    return forkserver is not None and forkserver._forkserver._forkserver_pid is not None


def _can_fork(cwd: Path, env: dict[str, str]) -> bool:
    return (
        hasattr(os, "fork")
        and not os.environ.get("NEWSCRAWL_TEST_SUBPROCESS")
        and cwd == ROOT
        and env.get("PYTHONPATH", "") == os.environ.get("PYTHONPATH", "")
        # A child must install Scrapy's reactor itself.
        and "twisted.internet.reactor" not in sys.modules
        and not _runs_a_fork_server()
    )


# Spider classes generate their article contract from NEWSCRAWL_MIRROR when they are defined,
# so `check` needs spiders imported under its own environment.
_FRESH_IMPORTS = {"check"}


def _become_command(args: list[str], env: dict[str, str], out: int, err: int) -> None:
    """In a forked child: run `python -m scrapy <args>` with this environment, stdout and
    stderr, and exit with its code."""
    import io
    import logging
    import traceback

    code = 1
    try:
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                      write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                      write_through=True)
        os.chdir(ROOT)
        os.environ.clear()
        os.environ.update(env)
        # The settings module reads the environment when imported.
        sys.modules.pop("newscrawl.settings", None)
        sys.argv = ["scrapy", *args]
        import scrapy.cmdline

        scrapy.cmdline.execute(sys.argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        logging.shutdown()
        os._exit(code)


class ForkedCommand:
    """`python -m scrapy <args>` running in a forked child, with the part of
    subprocess.Popen's interface the tests use (output goes to temporary files, read by
    `communicate`, so a child never blocks on a full pipe)."""

    def __init__(self, args: list[str], env: dict[str, str], merge_stderr: bool = False):
        import tempfile

        _preload()
        self.args = ["scrapy", *args]
        self.merged = merge_stderr
        self._out = tempfile.TemporaryFile()
        self._err = self._out if merge_stderr else tempfile.TemporaryFile()
        self.returncode: int | None = None
        self.pid = os.fork()
        if self.pid == 0:
            _become_command(args, env, self._out.fileno(), self._err.fileno())

    def poll(self) -> int | None:
        if self.returncode is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(9)

    def communicate(self, timeout: float | None = None) -> tuple[str, str | None]:
        self.wait(timeout)
        texts = []
        for handle in (self._out,) if self.merged else (self._out, self._err):
            handle.seek(0)
            texts.append(handle.read().decode("utf-8", "replace"))
            handle.close()
        return texts[0], None if self.merged else texts[1]


def start_command(args: list[str], env: dict[str, str], output: bool = True):
    """`python -m scrapy <args>` started in the background: a ForkedCommand, or a
    subprocess.Popen where a fork cannot stand in. With `output`, `communicate()` returns
    stdout and stderr together (as `stderr=STDOUT`); without, both are discarded."""
    if _can_fork(ROOT, env):
        return ForkedCommand(args, env, merge_stderr=True)
    stream = subprocess.PIPE if output else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env,
                            stdout=stream, stderr=subprocess.STDOUT if output else stream,
                            text=True)


def run_command(args: list[str], env: dict[str, str], cwd: Path = ROOT,
                timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m scrapy <args>` with this environment; stdout and stderr captured."""
    if _can_fork(cwd, env) and not _FRESH_IMPORTS.intersection(args[:1]):
        process = ForkedCommand(args, env)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        out, err = process.communicate()
        return subprocess.CompletedProcess(process.args, process.returncode, out, err or "")
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def crawl(tmp_path):
    def _crawl(spider: str, *extra: str, mirror: Path | None = MIRROR, **kw) -> CrawlResult:
        return run_scrapy(["crawl", spider, *extra], tmp_path / "data", mirror=mirror, **kw)

    return _crawl
