"""Storage survives crashes; bad pages are dropped with a reason and the crawl goes on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from conftest import MIRROR, ROOT

from newscrawl import runs
from newscrawl.jsonl import repair_partition

SEED = MIRROR / "cnbcindonesia" / "articles" / "525780.html"
BASE = "https://www.cnbcindonesia.com/tech/2024032709120{n}-37-52578{n}/artikel-{n}"


def test_truncated_last_line_is_cut_and_counted(tmp_path):
    partition = tmp_path / "2024-03.jsonl"
    good = json.dumps({"id": "a:1"}) + "\n" + json.dumps({"id": "a:2"}) + "\n"
    partition.write_text(good + '{"id": "a:3", "bo', encoding="utf-8")
    assert repair_partition(partition) == 1
    assert partition.read_text(encoding="utf-8") == good
    assert repair_partition(partition) == 0


def test_unparsable_complete_last_line_is_cut(tmp_path):
    partition = tmp_path / "2024-03.jsonl"
    partition.write_text('{"id": "a:1"}\n{"id": "a:2", "body": "x\n', encoding="utf-8")
    assert repair_partition(partition) == 1
    assert partition.read_text(encoding="utf-8") == '{"id": "a:1"}\n'


def _variant(html: str, n: int, *, drop: list[str] = ()) -> str:
    html = html.replace("525780", f"52578{n}")
    for pattern in drop:
        html = re.sub(pattern, "", html, flags=re.S)
    return html


def _broken_mirror(tmp_path: Path) -> Path:
    """A mirror where the listing links one good page and three unusable ones."""
    mirror = tmp_path / "mirror"
    (mirror / "pages").mkdir(parents=True)
    seed = SEED.read_text(encoding="utf-8")
    pages = {
        1: _variant(seed, 1),
        2: _variant(
            seed,
            2,
            drop=[
                r'<script type="application/ld\+json">.*?</script>',
                r'<meta name="(?:dtk:)?publish\w*"[^>]*>',
                r'<meta name="dtk:publishdateunix"[^>]*>',
                r'<div class="text-cm text-gray">.*?</div>',
            ],
        ),
        3: _variant(
            seed,
            3,
            drop=[
                r"<title>.*?</title>",
                r'<meta property="og:title"[^>]*>',
                r"<h1.*?</h1>",
                r'"headline": "[^"]*",',
            ],
        ),
        4: _variant(seed, 4, drop=[r'<div class="detail-text.*?</div>\s*<div class="tag-list']),
    }
    listing = "".join(f'<article><a href="{BASE.format(n=n)}">x</a></article>' for n in (*pages, 5))
    (mirror / "pages" / "listing.html").write_text(f"<html><body>{listing}</body></html>")
    lines = [
        {
            "url": "https://www.cnbcindonesia.com/robots.txt",
            "file": "robots.txt",
            "headers": {"Content-Type": "text/plain"},
        },
        {"url": "https://www.cnbcindonesia.com/tech/indeks/12/1", "file": "pages/listing.html"},
        {"url": BASE.format(n=5), "file": "pages/gone.html", "status": 500},
    ]
    (mirror / "robots.txt").write_text("User-agent: *\nDisallow: /search\n")
    (mirror / "pages" / "gone.html").write_text("<html><body>Internal error</body></html>")
    for n, html in pages.items():
        (mirror / "pages" / f"{n}.html").write_text(html, encoding="utf-8")
        lines.append({"url": BASE.format(n=n), "file": f"pages/{n}.html"})
    (mirror / "manifest.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return mirror


def test_bad_pages_are_dropped_with_reasons_and_crawl_goes_on(crawl, tmp_path):
    result = crawl("cnbcindonesia", mirror=_broken_mirror(tmp_path))
    # The crawl went on to the end, and its verdict says a quarter of the pages had no body.
    assert result.returncode == runs.EXIT_DEGRADED, result.log[-2000:]
    assert "cnbcindonesia: body_floor failed: body found on 75% of article pages" in result.log
    records = result.records()
    assert [r["id"] for r in records] == ["cnbcindonesia:525781"]
    assert result.stat("newscrawl/dropped/missing_published_at") == 1
    assert result.stat("newscrawl/dropped/missing_title") == 1
    assert result.stat("newscrawl/dropped/missing_body") == 1
    # Each dropped page is logged once, with its reason and URL.
    dropped = [line for line in result.log.splitlines() if "Dropped: " in line]
    for n, reason in ((2, "missing_published_at"), (3, "missing_title"), (4, "missing_body")):
        assert sum(f"{reason}: " in line and f"-52578{n}/" in line for line in dropped) == 1
    # A server error is retried, then given up on, without stopping the crawl.
    assert result.stat("retry/max_reached") == 1
    # The crawl time is never used as a publish date.
    assert all(r["published_at"].startswith("2024-03-27") for r in records)


def test_every_stored_record_matches_the_published_schema(crawl):
    schema = json.loads((ROOT / "newscrawl" / "schema" / "article.schema.json").read_text())
    result = crawl("detikinet")
    records = result.records()
    assert records
    for record in records:
        jsonschema.validate(record, schema)


def test_the_item_the_field_list_and_the_published_schema_name_the_same_fields():
    """The Scrapy item, the Scrapy-free field list the export uses and the JSON Schema agree,
    so no field is crawled and then left out of an export, or exported but undocumented."""
    from newscrawl.fields import FIELD_ORDER
    from newscrawl.items import Article

    schema = json.loads((ROOT / "newscrawl" / "schema" / "article.schema.json").read_text())
    assert set(Article.fields) == set(FIELD_ORDER) == set(schema["properties"])
    assert len(FIELD_ORDER) == len(set(FIELD_ORDER))


def test_records_too_large_to_be_articles_are_dropped_with_a_reason():
    from newscrawl.pipelines.validate import missing_reason

    record = {"url": "https://x.id/a", "title": "Judul", "body": "Isi berita.",
              "published_at": "2025-06-03T14:35:00+07:00"}
    assert missing_reason(record) is None
    assert missing_reason({**record, "title": "x" * 10_000}) == "title_too_long"
    assert missing_reason({**record, "body": "kata " * 2_000_000}) == "body_too_long"
    assert missing_reason({**record, "body": "kata " * 2_000}, max_body=5_000) == "body_too_long"


def test_a_record_line_over_the_limit_is_not_stored(crawl):
    # The limit set below one ordinary record: every record is refused, counted, not stored.
    result = crawl("detikinet", "-s", "NEWSCRAWL_MAX_RECORD_BYTES=1000")
    assert result.returncode == 0
    assert result.stat("newscrawl/dropped/record_too_large") >= 3
    assert result.records() == []
    assert "record_too_large: " in result.log
