"""The archive in a crawl, and `scrapy reextract` as a user runs it: after a crawl of the
offline mirror, with no mirror and no network."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, made_once, mirror_ids, run_command, run_scrapy

from newscrawl.archive import ArchivePointer, archive_files, complete_length, read_response
from newscrawl.spiders.base import NewsSpider

# The detikInet page of the offline mirror in a redesign the site file does not declare: the
# crawl stores it through the generic body path, flagged generic_body.
REDESIGNED = "detikinet:7320517"
NEW_DETIK_LAYOUT = '''
DTK_2026_LAYOUT = Layout(
    version="2026",
    detect="div.dtk-article__content",
    scope="article.dtk-article",
    title="h1.dtk-article__headline",
    date="time.dtk-article__time",
    body="div.dtk-article__content",
    image="figure.dtk-article__cover img",
    caption="figcaption.dtk-article__caption",
    rules=DETIK_LAYOUT.rules,
)
'''


def records_of(data_dir: Path) -> list[dict]:
    lines = []
    for path in sorted((data_dir / "articles").rglob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def latest(records: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for record in records:
        if record["id"] not in out or record["version"] > out[record["id"]]["version"]:
            out[record["id"]] = record
    return out


def crawl_the_mirror(folder: Path) -> Path:
    data = folder / "data"
    result = run_scrapy(["crawlall"], data)
    assert result.returncode == 0, result.log[-3000:]
    return data


@pytest.fixture(scope="session")
def crawled(tmp_path_factory, worker_id) -> Path:
    """The whole mirror crawled once, with the archive on (the default); read only (a test
    that changes it works on `data_dir`, a copy)."""
    return made_once(tmp_path_factory, worker_id, "reextract-crawled", crawl_the_mirror)


@pytest.fixture
def data_dir(crawled, tmp_path) -> Path:
    """A copy of the crawled data directory for one test to change."""
    copy = tmp_path / "data"
    shutil.copytree(crawled, copy)
    return copy


def reextract(data_dir: Path, *args: str, cwd: Path = ROOT, **env: str):
    """`scrapy reextract` with no mirror: only the archive can answer."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    # In this process unless a test asks for the pool: starting the workers costs ~2 s a run,
    # and test_a_deleted_store_comes_back_from_the_archive checks the pool gives the same.
    environment.update(NEWSCRAWL_DATA_DIR=str(data_dir), NEWSCRAWL_REEXTRACT_WORKERS="1")
    environment.update(env)
    if cwd != ROOT:
        environment["PYTHONPATH"] = str(cwd)
    return run_command(["reextract", *args], environment, cwd=cwd, timeout=300)


def project_copy(tmp_path: Path, site: str, edit) -> Path:
    """The project's code in `tmp_path/project`, with one site file edited by `edit`."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "newscrawl", project / "newscrawl",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "scrapy.cfg", project / "scrapy.cfg")
    path = project / "newscrawl" / "spiders" / f"{site}.py"
    source = path.read_text(encoding="utf-8")
    edited = edit(source)
    assert edited != source
    path.write_text(edited, encoding="utf-8")
    return project


def canonical(url: str, source: str) -> str:
    """The URL as the site's spider names the article (tracking and paging parameters off)."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    spider: type[NewsSpider] = SpiderLoader.from_settings(get_project_settings()).load(source)
    return spider().canonicalize(url)


def test_every_record_points_at_its_archived_page(crawled):
    records = records_of(crawled)
    assert len(records) >= 80
    for record in records:
        pointer = ArchivePointer.from_value(record["archive"])
        assert pointer is not None, record["id"]
        page = read_response(crawled, pointer)
        assert canonical(page.url, record["source"]) == record["url"]
        assert (page.status, page.kind, page.source) == (200, "article", record["source"])
    files = archive_files(crawled)
    assert {f.parent.parent.name for f in files} == {r["source"] for r in records}
    assert not list(crawled.glob("warc/*/*/*.open"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout
    index = subprocess.run([sys.executable, "-m", "warcio.cli", "index", "-f",
                            "warc-type,newscrawl-kind", *map(str, files)],
                           capture_output=True, text=True, timeout=120)
    kinds = Counter(json.loads(line).get("newscrawl-kind") for line in index.stdout.splitlines())
    # Listings, feeds and sitemaps are kept too; the archive holds every stored article page.
    assert kinds["article"] >= len(records)
    assert kinds["listing"] and kinds["feed"] and kinds["sitemap"]


def test_the_archive_can_be_turned_off(tmp_path):
    result = run_scrapy(["crawl", "detikinet"], tmp_path / "data",
                        env={"NEWSCRAWL_ARCHIVE": "0"})
    assert result.returncode == 0
    records = result.records()
    assert records and all(r["archive"] is None for r in records)
    assert not (tmp_path / "data" / "warc").exists()


def test_answers_from_scrapys_http_cache_are_not_archived_again(tmp_path):
    """With HTTPCACHE_ENABLED a second crawl is served listings and feeds from the cache: no
    fetch happened, so no WARC record dated now is written for them."""
    data = tmp_path / "data"
    cache = ["-s", "HTTPCACHE_ENABLED=1", "-s", f"HTTPCACHE_DIR={tmp_path / 'cache'}"]
    first = run_scrapy(["crawl", "detikinet", *cache], data)
    assert first.returncode == 0 and first.stat("newscrawl/archive/pages") > 0
    archived = {p: p.stat().st_size for p in (data / "warc").rglob("*.warc.gz")}
    second = run_scrapy(["crawl", "detikinet", *cache], data)
    assert second.returncode == 0, second.log[-2000:]
    assert second.stat("httpcache/hit") > 0
    assert second.stat("newscrawl/archive/skipped_cached") > 0
    assert second.stat("newscrawl/archive/pages") == 0
    assert {p: p.stat().st_size for p in (data / "warc").rglob("*.warc.gz")} == archived


# In this process, and in a pool of worker processes (the records come back in fetch order,
# so stories are assigned as the crawl assigned them).
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_deleted_store_comes_back_from_the_archive(data_dir, workers):
    before = {r["id"]: r for r in records_of(data_dir)}
    shutil.rmtree(data_dir / "articles")
    shutil.rmtree(data_dir / "state")

    result = reextract(data_dir, NEWSCRAWL_PROGRESS="1", NEWSCRAWL_REEXTRACT_WORKERS=workers)

    assert result.returncode == 0, result.stdout + result.stderr
    after = records_of(data_dir)
    assert len(after) == len(before)
    for record in after:
        original = before[record["id"]]
        # Everything but the time of extraction, the archive pointer included.
        assert {k: v for k, v in record.items() if k != "crawled_at"} == {
            k: v for k, v in original.items() if k != "crawled_at"}
    report = json.loads(next((data_dir / "runs" / "reextract").glob("*.json")).read_text())
    assert report["exit_code"] == 0 and report["pages"] == len(before)
    assert sum(s["new"] for s in report["sources"]) == len(before)
    assert "reextract:" in result.stderr and f"{len(before)}/{len(before)} pages" in result.stderr

    # Run again: every record is unchanged, nothing is written.
    sizes = {p: p.stat().st_size for p in (data_dir / "articles").rglob("*.jsonl")}
    again = reextract(data_dir, NEWSCRAWL_PROGRESS="1")
    assert again.returncode == 0
    assert {p: p.stat().st_size for p in (data_dir / "articles").rglob("*.jsonl")} == sizes
    assert re.search(rf"unchanged {len(before)}\b", again.stderr)
    # Under cron (no terminal) it stays quiet: the table on stdout says it all.
    quiet = reextract(data_dir)
    assert quiet.returncode == 0 and quiet.stderr == ""


def drop_a_paragraph(source: str) -> str:
    """detikInet's rules learn a new boilerplate line: an analyst's quote paragraph."""
    return source.replace("boilerplate=DETIK_FAMILY_BOILERPLATE,",
                          'boilerplate=(*DETIK_FAMILY_BOILERPLATE, r"Menurut analis pasar.*"),')


def test_changed_body_rules_make_new_versions_of_the_affected_records_only(data_dir, tmp_path):
    before = latest(records_of(data_dir))
    affected = {i for i, r in before.items() if r["source"] == "detikinet"
                and any(p.startswith("Menurut analis pasar") for p in r["body"].split("\n\n"))}
    assert affected and len(affected) < sum(r["source"] == "detikinet" for r in before.values())
    project = project_copy(tmp_path, "detikinet", drop_a_paragraph)

    dry = reextract(data_dir, "--only", "detikinet", "--dry-run", cwd=project)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert latest(records_of(data_dir)) == before  # a dry run writes nothing
    assert re.search(rf"^detikinet\s+\d+\s+0\s+{len(affected)}\s", dry.stdout, re.M), dry.stdout

    result = reextract(data_dir, "--only", "detikinet", cwd=project)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = records_of(data_dir)
    after = latest(lines)
    assert set(after) == set(before)
    for record_id, record in after.items():
        if record_id in affected:
            assert record["version"] == 2
            assert record["previous_content_hash"] == before[record_id]["content_hash"]
            assert "Menurut analis pasar" not in record["body"]
            assert record["story_id"] == before[record_id]["story_id"]
        else:
            assert record == before[record_id], record_id
    assert len(lines) == len(before) + len(affected)

    export = run_scrapy(["export", "--format", "jsonl", "--out", str(tmp_path / "out")],
                        data_dir, mirror=None)
    assert export.returncode == 0, export.log
    exported = [json.loads(line) for line in
                (tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert Counter(r["id"] for r in exported).most_common(1)[0][1] == 1
    assert {r["id"] for r in exported if r["version"] == 2} == affected


def learn_the_redesign(source: str) -> str:
    source = source.replace("\n\nclass DetikInetSpider", NEW_DETIK_LAYOUT + "\n\nclass DetikInetSpider")
    return source.replace("layouts = (DETIK_LAYOUT,)", "layouts = (DETIK_LAYOUT, DTK_2026_LAYOUT)")


def test_generic_body_records_become_normal_once_the_site_file_learns_the_layout(
    data_dir, tmp_path
):
    before = latest(records_of(data_dir))
    flagged = {i for i, r in before.items() if "generic_body" in r["quality_flags"]}
    assert REDESIGNED in flagged
    project = project_copy(tmp_path, "detikinet", learn_the_redesign)

    result = reextract(data_dir, "--flags", "generic_body", cwd=project)

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(next((data_dir / "runs" / "reextract").glob("*.json")).read_text())
    assert report["pages"] == len(flagged)  # only the flagged records' pages were read
    after = latest(records_of(data_dir))
    fixed = after[REDESIGNED]
    assert fixed["version"] == 2
    assert fixed["parser"] == "detikinet@2026"
    assert "generic_body" not in fixed["quality_flags"]
    assert fixed["body"].startswith(before[REDESIGNED]["body"].split("\n\n")[0][:40])
    # Flagged records of sites that learned nothing are unchanged.
    for record_id in flagged - {REDESIGNED}:
        assert after[record_id] == before[record_id]


def damage(data_dir: Path, record: dict) -> None:
    """Flip a byte in the middle of the record's archived page (a disk error)."""
    pointer = ArchivePointer.from_value(record["archive"])
    path = data_dir / pointer.file
    data = bytearray(path.read_bytes())
    data[pointer.offset + pointer.length // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_reextract_needs_neither_network_nor_mirror_and_says_what_it_could_not_read(data_dir):
    record = next(r for r in records_of(data_dir) if r["source"] == "kompastekno")
    damage(data_dir, record)
    shutil.rmtree(data_dir / "articles")
    shutil.rmtree(data_dir / "state")

    result = reextract(data_dir, "--only", "kompastekno,detikinet",
                       HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")

    assert result.returncode == 4, result.stdout + result.stderr
    assert re.search(r"^kompastekno\s+\d+\s+\d+\s+0\s+0\s+0\s+1\s*$", result.stdout, re.M), \
        result.stdout
    stored = {r["id"] for r in records_of(data_dir)}
    assert record["id"] not in stored
    # The damaged record did not hide the records after it in the same file.
    assert sum(i.startswith("kompastekno:") for i in stored) == sum(
        1 for line in (ROOT / "tests" / "mirror" / "kompastekno").rglob("*.expected.json")) - 1
    assert any(i.startswith("detikinet:") for i in stored)
    log = next((data_dir / "logs").glob("reextract-*.log")).read_text()
    assert "not readable" in log


def test_a_stored_records_unreadable_page_is_counted_and_the_rest_goes_on(data_dir):
    flagged = [r for r in latest(records_of(data_dir)).values()
               if "generic_body" in r["quality_flags"]]
    assert len(flagged) >= 2
    damage(data_dir, flagged[0])

    result = reextract(data_dir, "--flags", "generic_body")

    assert result.returncode == 4, result.stdout + result.stderr
    report = json.loads(next((data_dir / "runs" / "reextract").glob("*.json")).read_text())
    rows = {row["source"]: row for row in report["sources"]}
    assert rows[flagged[0]["source"]]["unreadable"] == 1
    assert sum(row["unchanged"] for row in rows.values()) == len(flagged) - 1
    log = next((data_dir / "logs").glob("reextract-*.log")).read_text()
    assert "archive_unreadable" in log


def test_reextract_refuses_unknown_sources_and_bad_days(data_dir):
    assert reextract(data_dir, "--only", "nosuchsite").returncode == 2
    assert reextract(data_dir, "--since", "2026-13-01").returncode == 2
    typo = reextract(data_dir, "--flags", "generic-body")
    assert typo.returncode == 2 and "--flags: unknown quality flags: generic-body" in typo.stderr


def test_reextract_says_when_there_is_no_archive(tmp_path):
    result = run_scrapy(["crawl", "detikinet"], tmp_path / "data",
                        env={"NEWSCRAWL_ARCHIVE": "0"})
    assert result.returncode == 0
    again = reextract(tmp_path / "data")
    assert again.returncode == 0
    assert "no archived pages under" in again.stdout


def test_files_left_open_by_a_killed_crawl_are_recovered_by_the_next_run(data_dir):
    path = archive_files(data_dir, ["detikinet"])[0]
    open_path = path.with_name(path.name + ".open")
    size = path.stat().st_size
    path.rename(open_path)
    with open(open_path, "ab") as handle:
        handle.write(b"\x1f\x8b\x08\x00" + os.urandom(300))  # a record cut by kill -9

    result = reextract(data_dir, "--only", "detikinet")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"recovered {path}" in result.stdout
    assert path.stat().st_size == size and not open_path.exists()
    with open(path, "rb") as handle:
        assert complete_length(handle)[0] == size


def test_include_reads_another_machines_archive_and_store(tmp_path):
    """Two machines, each with its own data directory (distributed mode archives into each
    machine's own): one re-extraction over both, then one export over both."""
    here, there = tmp_path / "a" / "data", tmp_path / "b" / "data"
    assert run_scrapy(["crawl", "kompastekno"], here).returncode == 0
    assert run_scrapy(["crawl", "detikinet"], there).returncode == 0
    there_lines = records_of(there)
    before = latest(there_lines)
    affected = {i for i, r in before.items()
                if any(p.startswith("Menurut analis pasar") for p in r["body"].split("\n\n"))}
    assert affected
    project = project_copy(tmp_path, "detikinet", drop_a_paragraph)

    result = reextract(here, "--include", str(there), cwd=project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"^detikinet\s+{len(before)}\s+0\s+{len(affected)}\s", result.stdout,
                     re.M), result.stdout
    new_here = [r for r in records_of(here) if r["source"] == "detikinet"]
    assert {r["id"] for r in new_here} == affected  # the unchanged ones are not copied here
    for record in new_here:
        assert record["version"] == 2
        assert record["previous_content_hash"] == before[record["id"]]["content_hash"]
        assert record["story_id"] == before[record["id"]]["story_id"]
        page = read_response(here, ArchivePointer.from_value(record["archive"]))
        assert canonical(page.url, "detikinet") == record["url"]
    assert records_of(there) == there_lines  # the other machine's store is only read

    out = tmp_path / "out"
    export = run_scrapy(["export", "--out", str(out), "--include", str(there)], here,
                        mirror=None)
    assert export.returncode == 0, export.log
    exported = [json.loads(line) for line in
                (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert Counter(r["id"] for r in exported).most_common(1)[0][1] == 1
    assert {r["id"] for r in exported if r["version"] == 2} == affected


def test_a_full_archive_disk_stops_archiving_not_the_crawl(tmp_path):
    from test_storage_faults import mount_tmpfs

    data = tmp_path / "data"
    data.mkdir()
    mount_tmpfs(data / "warc", "64k")  # the archive on a disk that fills up, the store not
    try:
        result = run_scrapy(["crawlall", "--only", "detikinet,kompastekno"], data)
        records = result.records()
        report = json.loads(next((data / "runs").glob("*.json")).read_text())
    finally:
        subprocess.run(["umount", str(data / "warc")], check=False)

    assert result.returncode == 4, result.log[-3000:]  # degraded, not failed
    assert {r["id"] for r in records} >= {i for i in (mirror_ids("detikinet")
                                                       | mirror_ids("kompastekno"))}
    assert any(r["archive"] is None for r in records)
    assert "archive failed: archive not written (" in result.log  # the disk said why
    failed = [s for s in report["sources"] if s["archive"]["failed"]]
    assert failed and all(s["status"] == "degraded" for s in failed)
    assert "Traceback" not in result.log
