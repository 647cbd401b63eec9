"""The offline mirror handler and polite retries."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from newscrawl.middlewares import retry_after_seconds
from newscrawl.mirror import MirrorError, load_manifest


def test_manifest_in_subdirectories_resolves_paths_relative_to_itself(tmp_path):
    (tmp_path / "manifest.jsonl").write_text("")
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text("<html></html>")
    (site / "manifest.jsonl").write_text(
        json.dumps({"url": "https://example.id/a?b=2&a=1", "file": "page.html"}) + "\n"
    )
    entries = load_manifest(tmp_path)
    [entry] = entries.values()
    assert entry["path"] == site / "page.html"
    assert entry["status"] == 200
    assert entry["headers"]["Content-Type"].startswith("text/html")
    # Query order does not matter, as for Scrapy's own request fingerprints.
    assert "https://example.id/a?a=1&b=2" in entries


def test_bad_manifest_line_names_file_and_line(tmp_path):
    (tmp_path / "manifest.jsonl").write_text('{"url": "https://x.id/"}\n')
    with pytest.raises(MirrorError, match=r"manifest.jsonl:1"):
        load_manifest(tmp_path)
    with pytest.raises(MirrorError, match="no manifest"):
        load_manifest(tmp_path / "missing")


def test_retry_after_seconds_and_http_date():
    now = datetime(2024, 3, 27, 2, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Wed, 27 Mar 2024 02:00:30 GMT", now=now) == 30
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None


def test_429_with_retry_after_is_retried_then_served(crawl, tmp_path):
    """A rate-limited page is retried (waiting Retry-After) and the crawl still stores it."""
    from conftest import MIRROR, mirror_ids

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    src = MIRROR / "cnbcindonesia"
    entries = [json.loads(line) for line in (src / "manifest.jsonl").read_text().splitlines()]
    for entry in entries:
        entry["file"] = str(src / entry["file"])
        if entry["url"].endswith("/tech/rss"):
            entry.update(status=429, headers={"Retry-After": "1", "Content-Type": "text/plain"})
    (mirror / "manifest.jsonl").write_text("\n".join(json.dumps(e) for e in entries) + "\n")
    result = crawl("cnbcindonesia", mirror=mirror)
    assert result.returncode == 0
    assert result.stat("retry/reason_count/HTTP 429") == 3
    assert result.stat("newscrawl/retry/backoff_seconds") == 3
    assert {r["id"] for r in result.records()} == mirror_ids("cnbcindonesia")
