"""A dataset shared as URLs and hashes, rebuilt elsewhere: `scrapy rehydrate` fetches exactly
the listed articles with their spiders and says, per URL, whether the text is the published
one, has changed, or is gone."""

from __future__ import annotations

import json

from conftest import run_scrapy

from newscrawl import runs
from newscrawl.urllist import UrlEntry, outcome, read_url_list, url_row

GONE = "https://inet.detik.com/consumer/d-7999999/artikel-yang-sudah-dihapus"


def test_a_url_list_is_rehydrated_and_each_url_judged(tmp_path):
    published = run_scrapy(["crawl", "detikinet"], tmp_path / "published")
    assert published.returncode == 0
    records = published.records("detikinet")
    # What the researcher publishes: the URL list, no text.
    release = tmp_path / "release"
    shared = run_scrapy(["export", "--urls-only", "--out", str(release)], tmp_path / "published")
    assert shared.returncode == 0, shared.log[-2000:]
    rows = [json.loads(line) for line in (release / "articles.urls.jsonl").read_text().splitlines()]
    assert rows == [url_row(r) for r in sorted(records, key=lambda r: (r["published_at"], r["id"]))]
    assert set(rows[0]) == {"id", "source", "url", "published_at", "content_hash"}
    records = [next(r for r in records if r["id"] == row["id"]) for row in rows]
    rows[0]["content_hash"] = "0" * 16  # the text changed since it was published
    rows.append({"id": "detikinet:7999999", "source": "detikinet", "url": GONE,
                 "published_at": None, "content_hash": "f" * 16})
    urls = tmp_path / "articles.urls.jsonl"
    urls.write_text("".join(json.dumps(r) + "\n" for r in rows))

    data = tmp_path / "rebuilt"
    result = run_scrapy(["rehydrate", str(urls)], data)
    assert result.returncode == runs.EXIT_DEGRADED, result.log[-2000:]
    [report] = [json.loads(p.read_text()) for p in (data / "runs" / "rehydrate").glob("*.json")]
    [source] = report["sources"]
    assert (source["same"], source["changed"], source["gone"]) == (len(records) - 1, 1, 1)
    assert {d["url"]: d["outcome"] for d in source["differing"]} == {
        records[0]["url"]: "changed", GONE: "gone"}
    assert source["why_gone"] == {"http_404": 1}
    # Exactly the listed articles were fetched (no listing, feed or sitemap), and the
    # rebuilt store holds the published texts.
    rebuilt = {r["id"]: r["content_hash"] for r in result.records("detikinet")}
    assert rebuilt == {r["id"]: r["content_hash"] for r in records}
    assert source["links"] == {"url-list": len(rows)}

    # Run again on the same data directory: the pages are fetched again and still match.
    again = run_scrapy(["rehydrate", str(urls)], data)
    assert again.returncode == runs.EXIT_DEGRADED
    assert "detikinet" in again.log and "http_404 1" in again.log


def test_a_plain_list_of_urls_and_the_outcomes(tmp_path):
    plain = tmp_path / "urls.txt"
    plain.write_text("# one URL a line\nhttps://inet.detik.com/a/d-1/x\n\n")
    assert read_url_list(plain) == [UrlEntry("https://inet.detik.com/a/d-1/x")]
    assert outcome(UrlEntry("u"), "abc") == "fetched"
    assert outcome(UrlEntry("u", content_hash="abc"), "abc") == "same"
    assert outcome(UrlEntry("u", content_hash="abc"), "abd") == "changed"
    assert outcome(UrlEntry("u", content_hash="abc"), None) == "gone"


def test_an_unreadable_list_is_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"url": "https://inet.detik.com/a/d-1/x"}\nnot a url\n')
    result = run_scrapy(["rehydrate", str(bad)], tmp_path / "data")
    assert result.returncode == runs.EXIT_USAGE
    assert "bad.jsonl:2: neither a URL nor a JSON line" in result.log
    assert "Traceback" not in result.log
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"url": "https://x.example/1", "source": "nosuchsite"}\n')
    result = run_scrapy(["rehydrate", str(unknown)], tmp_path / "data")
    assert result.returncode == runs.EXIT_USAGE and "unknown sources: nosuchsite" in result.log
