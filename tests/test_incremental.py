"""Each story once across cron runs: skip known, URL variants, updates, aliases, stories, kill -9."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import MIRROR, mirror_ids, run_scrapy, start_command

DETIK = MIRROR / "detikinet"
CNBC = MIRROR / "cnbcindonesia"
PONSEL = (
    "https://inet.detik.com/consumer/d-7301234/"
    "ponsel-lipat-murah-mulai-masuk-indonesia-harga-mulai-rp-8-juta"
)
ROBOTS = {
    "url": "https://inet.detik.com/robots.txt",
    "file": str(DETIK / "robots-inet.txt"),
    "headers": {"Content-Type": "text/plain"},
}


def write_mirror(root: Path, listing_links: list[str], pages: dict[str, str]) -> Path:
    """A detik mirror: one listing page linking `listing_links`, and `pages` (url -> html)."""
    root.mkdir(parents=True, exist_ok=True)
    anchors = "".join(
        f'<article class="list-content__item"><a class="media__link" href="{u}">x</a></article>'
        for u in listing_links
    )
    (root / "listing.html").write_text(f"<html><body>{anchors}</body></html>", encoding="utf-8")
    lines = [ROBOTS, {"url": "https://inet.detik.com/indeks?page=1", "file": "listing.html"}]
    for number, (url, html) in enumerate(pages.items()):
        (root / f"page{number}.html").write_text(html, encoding="utf-8")
        lines.append({"url": url, "file": f"page{number}.html"})
    (root / "manifest.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return root


def ponsel_html() -> str:
    return (DETIK / "articles" / "d-7301234.html").read_text(encoding="utf-8")


def test_second_run_requests_no_article_and_stores_nothing(tmp_path):
    data = tmp_path / "data"
    first = run_scrapy(["crawl", "detikinet"], data)
    second = run_scrapy(["crawl", "detikinet"], data)
    articles = len(mirror_ids("detikinet"))
    assert first.stat("newscrawl/new") == articles
    assert second.stat("newscrawl/new") == 0
    assert second.stat("item_scraped_count") == 0
    # Listing, feed and sitemap pages are fetched again; the articles are not, nor the
    # host's tdmrep.json, which is asked for before the first article of a host.
    assert second.stat("newscrawl/skipped/known") >= articles
    assert second.stat("downloader/request_count") == (
        first.stat("downloader/request_count") - articles - 1
    )
    assert len(second.records()) == articles


def test_one_article_under_many_urls_is_one_record(tmp_path):
    second_path = PONSEL.replace("/consumer/", "/cyberlife/")
    variants = [
        PONSEL,
        PONSEL.replace("https://", "http://") + "?utm_source=rss&utm_medium=feed",
        PONSEL + "/?page=all#comments",
        PONSEL + "/amp",
        PONSEL.replace("inet.detik.com", "INET.DETIK.COM") + "?single=1",
        second_path,
    ]
    mirror = write_mirror(
        tmp_path / "mirror", variants, {PONSEL: ponsel_html(), second_path: ponsel_html()}
    )
    result = run_scrapy(["crawl", "detikinet"], tmp_path / "data", mirror=mirror)
    assert [r["id"] for r in result.records()] == ["detikinet:7301234"]
    assert result.records()[0]["url"] == PONSEL
    # Five spellings collapse before the request; the second section path is fetched and
    # recognised as the stored article.
    assert result.stat("newscrawl/duplicate/unchanged") == 1
    # robots.txt, the listing and two article fetches; nothing else this mirror serves.
    assert result.stat("downloader/response_status_count/200") == 4


def test_same_body_under_a_second_id_is_kept_as_an_alias(tmp_path):
    copy_url = PONSEL.replace("7301234", "7301299")
    pages = {PONSEL: ponsel_html(), copy_url: ponsel_html().replace("7301234", "7301299")}
    mirror = write_mirror(tmp_path / "mirror", [PONSEL, copy_url], pages)
    data = tmp_path / "data"
    result = run_scrapy(["crawl", "detikinet"], data, mirror=mirror)
    assert len(result.records()) == 1
    assert result.stat("newscrawl/duplicate/alias") == 1
    # The alias is known from now on: the next run does not request it.
    again = run_scrapy(["crawl", "detikinet"], data, mirror=mirror)
    assert again.stat("newscrawl/skipped/known") == 2
    assert again.stat("downloader/response_status_count/200") == 2  # robots.txt, listing


def test_changed_body_inside_revisit_window_is_a_new_version(tmp_path):
    data = tmp_path / "data"
    revisit = {"NEWSCRAWL_REVISIT_HOURS": "1000000", "NEWSCRAWL_REVISIT_EVERY_HOURS": "0"}
    original = write_mirror(tmp_path / "m1", [PONSEL], {PONSEL: ponsel_html()})
    run_scrapy(["crawl", "detikinet"], data, mirror=original, env=revisit)
    # Whitespace and a new insert are not a change of content.
    reflowed = (
        ponsel_html()
        .replace("<p>Menurut", "<p>\n   Menurut")
        .replace("<p></p>", '<table class="linksisip"><tr><td>Baca juga: lain</td></tr></table>')
    )
    same = write_mirror(tmp_path / "m2", [PONSEL], {PONSEL: reflowed})
    unchanged = run_scrapy(["crawl", "detikinet"], data, mirror=same, env=revisit)
    assert unchanged.stat("newscrawl/revisited") == 1
    assert unchanged.stat("newscrawl/duplicate/unchanged") == 1
    edited = ponsel_html().replace(
        "Pembeli awal dijanjikan garansi layar selama satu tahun.",
        "Pembeli awal dijanjikan garansi layar selama dua tahun dan bonus pelindung layar.",
    )
    changed = write_mirror(tmp_path / "m3", [PONSEL], {PONSEL: edited})
    updated = run_scrapy(["crawl", "detikinet"], data, mirror=changed, env=revisit)
    assert updated.stat("newscrawl/updated") == 1
    first, second = updated.records()
    assert first["id"] == second["id"] == "detikinet:7301234"
    assert (first["version"], second["version"]) == (1, 2)
    assert second["previous_content_hash"] == first["content_hash"] != second["content_hash"]
    assert second["story_id"] == first["story_id"]
    # Without a revisit window the stored article is not fetched again.
    quiet = run_scrapy(["crawl", "detikinet"], data, mirror=changed)
    assert quiet.stat("newscrawl/skipped/known") == 1


def _syndicated_copy_mirror(tmp_path: Path) -> Path:
    seed = json.loads((CNBC / "articles" / "525780.expected.json").read_text(encoding="utf-8"))
    paragraphs = seed["body"].split("\n\n")
    paragraphs[2] = "Zuckerberg disebut menulis sendiri email tersebut kepada para peneliti."
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:-1])
    html = ponsel_html()
    start = html.index("<p>Ponsel lipat tidak lagi")
    end = html.index("<p></p>")
    copy = html[:start] + body + html[end:]
    return write_mirror(tmp_path / "mirror", [PONSEL], {PONSEL: copy})


def test_syndicated_copy_across_outlets_joins_the_story(tmp_path):
    data = tmp_path / "data"
    run_scrapy(["crawl", "cnbcindonesia"], data)
    result = run_scrapy(["crawl", "detikinet"], data, mirror=_syndicated_copy_mirror(tmp_path))
    [detik] = result.records("detikinet")
    [cnbc] = [r for r in result.records("cnbcindonesia") if r["id"] == "cnbcindonesia:525780"]
    assert detik["duplicate_of"] == "cnbcindonesia:525780"
    assert detik["story_id"] == cnbc["story_id"]
    assert cnbc["duplicate_of"] is None
    # A different story on the same topic does not join.
    others = [r for r in result.records("cnbcindonesia") if r["id"] != "cnbcindonesia:525780"]
    assert all(r["story_id"] != cnbc["story_id"] for r in others)


def test_records_older_than_the_story_window_are_not_matched(tmp_path):
    data = tmp_path / "data"
    short = {"NEWSCRAWL_STORY_WINDOW_DAYS": str(1 / 86400)}  # one second
    first = run_scrapy(["crawl", "cnbcindonesia"], data, env=short)
    assert first.records("cnbcindonesia"), first.log[-2000:]  # the CNBC original is stored
    time.sleep(1.5)
    result = run_scrapy(
        ["crawl", "detikinet"], data, mirror=_syndicated_copy_mirror(tmp_path), env=short
    )
    [detik] = result.records("detikinet")
    assert detik["duplicate_of"] is None


def test_a_rebuilt_ledger_does_not_match_records_stored_before_the_story_window(tmp_path):
    """The ledger is lost and rebuilt from the store: a record stored 400 days ago keeps its
    story but attracts no new copy, as if the ledger had pruned it (the window counts from
    when a record was stored, not from when the ledger was rebuilt)."""
    data = tmp_path / "data"
    first = run_scrapy(["crawl", "cnbcindonesia"], data)
    assert first.records("cnbcindonesia"), first.log[-2000:]
    long_ago = (datetime.now(timezone.utc) - timedelta(days=400)).isoformat()
    for partition in (data / "articles" / "cnbcindonesia").glob("*.jsonl"):
        lines = [json.loads(line) for line in partition.read_text(encoding="utf-8").splitlines()]
        partition.write_text("".join(json.dumps({**r, "crawled_at": long_ago}, ensure_ascii=False)
                                     + "\n" for r in lines), encoding="utf-8")
    for path in (data / "state").glob("ledger.sqlite3*"):
        path.unlink()
    result = run_scrapy(["crawl", "detikinet"], data, mirror=_syndicated_copy_mirror(tmp_path))
    assert result.stat("newscrawl/store/reconciled") == len(first.records("cnbcindonesia"))
    [detik] = result.records("detikinet")
    assert detik["duplicate_of"] is None


def _many_articles_mirror(root: Path, count: int) -> tuple[Path, set[str]]:
    html = ponsel_html()
    urls = [PONSEL.replace("7301234", str(7400000 + n)) for n in range(count)]
    pages = {}
    for n, url in enumerate(urls):
        # Each page a distinct article with a distinct body.
        pages[url] = html.replace("7301234", str(7400000 + n)).replace(
            "Ponsel lipat tidak lagi", f"Laporan nomor {n}: ponsel lipat tidak lagi"
        )
    return write_mirror(root, urls, pages), {f"detikinet:{7400000 + n}" for n in range(count)}


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_and_duplicates_nothing(tmp_path):
    mirror, ids = _many_articles_mirror(tmp_path / "mirror", 80)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_DATA_DIR=str(data), NEWSCRAWL_MIRROR=str(mirror))
    rng = random.Random(20240327)

    def stored_lines() -> int:
        return sum(p.read_bytes().count(b"\n") for p in (data / "articles").rglob("*.jsonl"))

    killed_with_partial_store = 0
    for trial in range(12):
        proc = start_command(
            ["crawl", "detikinet", "-s", "LOG_LEVEL=WARNING",
             # Spread the stores over a couple of seconds so kills land mid-crawl.
             "-s", "DOWNLOAD_DELAY=0.02", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"],
            env, output=False,
        )
        if trial % 2:
            time.sleep(rng.uniform(0.2, 2.5))  # any moment: start-up, discovery, storing
        else:
            # A random point while records are being written.
            target = stored_lines() + rng.randint(1, 8)
            deadline = time.monotonic() + 20
            while stored_lines() < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.02))
        before = stored_lines()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_with_partial_store += 0 < before < len(ids)
    final = run_scrapy(["crawl", "detikinet"], data, mirror=mirror)
    assert final.returncode == 0
    lines = [
        line
        for p in (data / "articles").rglob("*.jsonl")
        for line in p.read_text(encoding="utf-8").splitlines()
    ]
    records = [json.loads(line) for line in lines]  # every line is valid JSON
    assert sorted(r["id"] for r in records) == sorted(ids)  # each article exactly once
    # The trials did interrupt the crawl part-way (the test exercised what it claims).
    assert killed_with_partial_store >= 1


def test_two_concurrent_crawls_store_each_article_once(tmp_path):
    """An analyst's `scrapy crawl` during the cron run: one data dir, two writers."""
    mirror, ids = _many_articles_mirror(tmp_path / "mirror", 40)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_DATA_DIR=str(data), NEWSCRAWL_MIRROR=str(mirror))
    procs = [
        start_command(["crawl", "detikinet", "-s", "LOG_LEVEL=INFO"], env)
        for _ in range(2)
    ]
    logs = [proc.communicate(timeout=120)[0] for proc in procs]
    for proc, log in zip(procs, logs, strict=True):
        assert proc.returncode == 0, log[-3000:]
    records = [
        json.loads(line)
        for path in (data / "articles").rglob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert sorted(r["id"] for r in records) == sorted(ids)
    # A third run knows everything the two wrote.
    third = run_scrapy(["crawl", "detikinet"], data, mirror=mirror)
    assert third.stat("newscrawl/new") == 0 and third.stat("newscrawl/skipped/known") == len(ids)


def test_deleted_ledger_is_rebuilt_from_the_store(tmp_path):
    data = tmp_path / "data"
    first = run_scrapy(["crawl", "detikinet"], data)
    for path in (data / "state").glob("ledger.sqlite3*"):
        path.unlink()
    second = run_scrapy(["crawl", "detikinet"], data)
    articles = len(mirror_ids("detikinet"))
    assert second.stat("newscrawl/store/reconciled") == first.stat("newscrawl/new") == articles
    assert second.stat("newscrawl/new") == 0
    assert second.stat("newscrawl/skipped/known") >= articles
    assert len(second.records()) == articles


@pytest.mark.slow
def test_a_crawl_paused_with_ctrl_c_resumes_from_its_jobdir(tmp_path):
    """Scrapy's pause and resume (`-s JOBDIR=…`, Ctrl-C, the same command again): the resumed
    crawl stores what the first had not, nothing twice; the interrupted run says it did not
    finish."""
    from faultserver import FaultServer

    data, job = tmp_path / "data", tmp_path / "job"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_DATA_DIR"] = str(data)
    args = ["crawl", "detikinet", "-a", "max_pages=3", "-s", f"JOBDIR={job}",
            "-s", "DOWNLOAD_DELAY=0.03", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]

    def stored() -> list[str]:
        return [json.loads(line)["id"] for path in (data / "articles").rglob("*.jsonl")
                for line in path.read_text(encoding="utf-8").splitlines()]

    with FaultServer(60) as server:
        env["NEWSCRAWL_HOST_OVERRIDE"] = server.address
        first = start_command(args, env)
        deadline = time.monotonic() + 60
        while len(stored() if (data / "articles").exists() else []) < 10:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.02)
        first.send_signal(signal.SIGINT)
        log, _ = first.communicate(timeout=60)
        assert first.returncode == 6, log[-2000:]  # failed: interrupted
        assert "finish reason: shutdown" in log
        paused = len(stored())
        assert 10 <= paused < 60
        resumed = run_scrapy(args, data, mirror=None, env=env)
    assert resumed.returncode == 0, resumed.log[-2000:]
    ids = stored()
    assert len(ids) == len(set(ids)) == 60
    assert resumed.stat("newscrawl/new") == 60 - paused
