"""`scrapy reextract` with its pool of worker processes: the records (stories included) are
those one process makes, and the MinHash signatures the workers make reach the story index
only, never the store or an export."""

from __future__ import annotations

import html
import json
import os
import random
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import ROOT, run_command
from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.utils.test import get_crawler

from newscrawl.archive import ArchiveWriter
from newscrawl.items import FIELD_ORDER, Article
from newscrawl.jsonl import encode_record
from newscrawl.loaders import complete_record
from newscrawl.pipelines.dedupe import (
    SIGNATURE_ATTR,
    DedupePipeline,
    attach_signature,
    attached_signature,
)
from newscrawl.stories import UNSET, SignatureSpec, StoryIndex, signature_values

sys.path.insert(0, str(ROOT / "benchmarks"))
from loopback import FIRST_ID, SyntheticDetik  # noqa: E402

SPEC = SignatureSpec(128, 5, "affine32", 30)


def page(synth: SyntheticDetik, n: int, body_of: int, edit: int = 0) -> bytes:
    """Synthetic detikInet article `n` with the body of article `body_of`; `edit` > 0 changes
    that many words of its first paragraph (a near-copy: another record of the same story)."""
    rng = random.Random(body_of)
    values = {"ID": str(FIRST_ID + n), "SLUG": synth._slug(n), "TITLE": html.escape(synth._title(n))}
    out = []
    for i, part in enumerate(synth.parts):
        if i % 2 == 0:
            out.append(part)
        elif part.startswith("P"):
            words = rng.choices(synth.vocab, k=rng.randint(35, 65))
            if part == "P0":
                words[:edit] = [f"ubah{n}x{k}" for k in range(edit)]
            out.append(html.escape(" ".join(words).capitalize() + "."))
        else:
            out.append(values[part])
    return "".join(out).encode("utf-8")


@pytest.fixture(scope="module")
def archived(tmp_path_factory) -> Path:
    """A data directory holding only an archive: 8 stories of 1 to 4 records each (near-copies
    fetched after their original, interleaved with the other stories), 20 pages."""
    data = tmp_path_factory.mktemp("pool") / "data"
    synth = SyntheticDetik(1)
    writer = ArchiveWriter(data, "detikinet")
    when = datetime(2026, 11, 1, tzinfo=timezone.utc)
    pages = []
    n = 0
    for copies in range(4):
        for story in range(2):
            base = 1000 + 10 * story + copies
            for copy in range(copies + 1):
                pages.append((n, base, 2 * copy))
                n += 1
    random.Random(7).shuffle(pages)
    # A near-copy after its original: the originals of each story first, in shuffled order.
    pages.sort(key=lambda p: p[2])
    for n, base, edit in pages:
        when += timedelta(seconds=1)
        writer.write(url=synth.article_url(n), status=200,
                     headers=[("Content-Type", "text/html; charset=utf-8")],
                     body=page(synth, n, base, edit), kind="article", when=when)
    writer.close()
    return data


def rebuild(archived: Path, tmp_path: Path, workers: str) -> list[dict]:
    data = tmp_path / f"data{workers}"
    shutil.copytree(archived, data)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    environment.update(NEWSCRAWL_DATA_DIR=str(data), NEWSCRAWL_REEXTRACT_WORKERS=workers,
                       NEWSCRAWL_STORY_WINDOW_DAYS="0")
    result = run_command(["reextract"], environment, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = []
    for path in sorted((data / "articles").rglob("*.jsonl")):
        lines += path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_pooled_rebuild_gives_the_records_and_stories_of_one_process(archived, tmp_path):
    one = rebuild(archived, tmp_path, "1")
    pooled = rebuild(archived, tmp_path, "2")

    assert len(one) == 20
    # Stories: 8, of 1 to 4 records; every near-copy points at its story's first record.
    stories = {r["story_id"] for r in one}
    assert len(stories) == 8
    assert sum(1 for r in one if r["duplicate_of"]) == 12

    # The same records in the same order (the order stories were assigned in), field for
    # field but the time of extraction, and nothing else: the signatures the workers made
    # are in no line.
    def comparable(records: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "crawled_at"} for r in records]

    assert comparable(pooled) == comparable(one)
    for record in pooled:
        assert list(record) == list(FIELD_ORDER)


def body_of(n: int) -> str:
    rng = random.Random(n)
    return " ".join(rng.choice(["ponsel", "lipat", "harga", "murah", "baru", "layar", "kamera",
                                "baterai", "chip", "memori", "warna", "rilis"]) + str(i % 7)
                    for i in range(120))


def test_an_attached_signature_is_used_only_for_the_body_it_was_made_of():
    body = body_of(1)
    item = Article(id="detikinet:1", body=body)
    values = SPEC.values(body)
    attach_signature(item, SPEC, item["body"], values)
    assert attached_signature(item, item["body"], SPEC) is values
    # A stage that changed the body put another string in the item: made again.
    item["body"] = body + " tambahan"
    assert attached_signature(item, item["body"], SPEC) is UNSET
    # An equal but rebuilt string is not the body that was signed either.
    item["body"] = "".join(list(body))
    assert attached_signature(item, item["body"], SPEC) is UNSET
    # Made with other parameters than the index's.
    item["body"] = body
    other = SignatureSpec(128, 3, "affine32", 30)
    assert attached_signature(item, item["body"], other) is UNSET
    assert attached_signature(Article(id="x", body=body), body, SPEC) is UNSET
    assert attached_signature({"id": "x", "body": body}, body, SPEC) is UNSET


def test_the_signature_is_no_field_of_the_record_nor_of_an_export():
    item = Article(id="detikinet:1", url="https://inet.detik.com/d-1", body=body_of(1))
    attach_signature(item, SPEC, item["body"], SPEC.values(item["body"]))
    assert getattr(item, SIGNATURE_ATTR)[2] is not None
    assert set(dict(item)) == {"id", "url", "body"}
    assert set(ItemAdapter(item).asdict()) == {"id", "url", "body"}  # feed exports
    assert list(complete_record(item)) == list(FIELD_ORDER)  # the store's line
    line = json.loads(encode_record(complete_record(item)))
    assert list(line) == list(FIELD_ORDER)
    assert "signature" not in json.dumps(line)
    # A copy of the item (Scrapy copies items in some exporters) carries no signature.
    assert getattr(item.copy(), SIGNATURE_ATTR, None) is None


class _Spider(Spider):
    name = "pooltest"


def test_dedupe_assigns_with_the_attached_signature_or_makes_it_again(tmp_path):
    crawler = get_crawler(_Spider, {"NEWSCRAWL_DATA_DIR": str(tmp_path / "data")})
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.open_spider()
    assert pipeline.state is not None
    index: StoryIndex = pipeline.state.stories
    spec = index.spec
    first, copy, other = body_of(1), body_of(1) + " satu kata", body_of(2)

    def record(n: int, body: str) -> Article:
        return Article(id=f"detikinet:{n}", url=f"https://inet.detik.com/d-{n}", body=body,
                       source="detikinet", content_hash=f"h{n}",
                       published_at="2026-11-01T10:00:00+07:00")

    stored = pipeline.process_item(record(1, first))
    assert stored["duplicate_of"] is None
    # The worker's signature of the body the record carries: used as is (here the signature
    # of another story's body, to see that it was used, not made again).
    item = record(2, copy)
    attach_signature(item, spec, item["body"], signature_values(other))
    assert pipeline.process_item(item)["duplicate_of"] is None
    # The body changed after the signature was made: made again from the body stored.
    item = record(3, other)
    attach_signature(item, spec, item["body"], signature_values(other))
    item["body"] = copy + " dua"
    assert pipeline.process_item(item)["duplicate_of"] == "detikinet:1"
    pipeline.state.close()


def test_the_default_starts_a_pool_only_for_runs_large_enough_to_gain_from_it():
    from scrapy.settings import Settings

    from newscrawl.replay import POOL_FROM_PAGES, worker_count

    default = Settings({"NEWSCRAWL_REEXTRACT_WORKERS": 0})
    assert worker_count(default, POOL_FROM_PAGES - 1) == 1
    assert worker_count(default, POOL_FROM_PAGES) == (os.cpu_count() or 1)
    assert worker_count(Settings({"NEWSCRAWL_REEXTRACT_WORKERS": 3}), 10) == 3
    assert worker_count(Settings({"NEWSCRAWL_REEXTRACT_WORKERS": 1}), 10**6) == 1

