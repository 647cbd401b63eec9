"""The main job, as a user runs it: `NEWSCRAWL_MIRROR=tests/mirror scrapy crawl <spider>`."""

from __future__ import annotations

import json

import pytest
from conftest import DEDUPE_FIELDS, MIRROR, VOLATILE_FIELDS, gold_pages
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newscrawl.rights import PAGE_SOURCES, rights_of

SPIDERS = sorted(SpiderLoader.from_settings(get_project_settings()).list())

SEED_URL = (
    "https://www.cnbcindonesia.com/tech/20240327091205-37-525780/"
    "ceo-facebook-turun-tangan-kirim-email-ke-karyawan-google-ini-isinya"
)


def page_rights(rights: dict | None) -> dict | None:
    """A record's `rights` as its page alone gives them (what extraction's expected files hold)."""
    signals = (rights or {}).get("signals", [])
    return rights_of(s for s in signals if s["source"] in PAGE_SOURCES)


def expected_for(spider: str) -> dict[str, dict]:
    return {
        page.expected["id"]: page.expected
        for page in gold_pages()
        if page.spider == spider and MIRROR in page.html.parents
    }


@pytest.mark.parametrize("spider", SPIDERS)
def test_crawl_stores_every_mirror_article_with_expected_fields(crawl, spider):
    result = crawl(spider)
    assert result.returncode == 0, result.log[-3000:]
    records = {r["id"]: r for r in result.records(spider)}
    expected = expected_for(spider)
    assert set(records) == set(expected)
    for record_id, record in records.items():
        for name, value in expected[record_id].items():
            if name == "rights":  # the expected record is the page's; the crawl adds its host's
                assert page_rights(record["rights"]) == value, record_id
            elif name not in VOLATILE_FIELDS | DEDUPE_FIELDS and not name.startswith("_"):
                assert record[name] == value, (record_id, name)
        # A first crawl stores version 1 of each article, each in a story of its own unless
        # it copies another mirror article.
        assert (record["version"], record["previous_content_hash"]) == (1, None)
        assert record["story_id"]
        assert record["crawled_at"].endswith("+00:00")
    assert "Traceback" not in result.log
    # Everything the spider asked for is in the mirror: no stray requests. Every listing
    # also links a video or photo gallery, which is counted and skipped.
    assert result.stat("newscrawl/mirror/missing") == 0
    assert result.stat("newscrawl/links/non_article") >= 1


def test_seed_article_record(crawl):
    result = crawl("cnbcindonesia")
    [seed] = [r for r in result.records("cnbcindonesia") if r["url"] == SEED_URL]
    assert seed["title"] == "CEO Facebook Turun Tangan Kirim Email ke Karyawan Google, Ini Isinya"
    assert seed["authors"] == ["Intan Rakhmayanti"]
    assert seed["outlet"] == "CNBC Indonesia"
    assert seed["published_at"] == "2024-03-27T09:55:00+07:00"
    assert seed["editor_codes"] == ["fab", "fab"]
    assert seed["dateline"] == "Jakarta"
    assert seed["image"]["credit"] == "AP/Susan Walsh"
    assert seed["image"]["caption"].startswith("CEO Meta Mark Zuckerberg berbicara selama sidang")
    body = seed["body"]
    assert body.startswith("CEO Meta Mark Zuckerberg mengirim email")
    assert body.endswith("laporan pendapatan tahun lalu.")
    for leftover in (
        "(fab/fab)",
        "Next Article",
        "Foto:",
        "Susan Walsh",
        "CNBC Indonesia",
        "Baca Juga",
        "ADVERTISEMENT",
        "SCROLL TO CONTINUE",
    ):
        assert leftover not in body
    assert seed["quality_flags"] == []
    # The file is a month partition of JSON Lines, UTF-8 and not ASCII-escaped.
    partition = result.data_dir / "articles" / "cnbcindonesia" / "2024-03.jsonl"
    raw = partition.read_text(encoding="utf-8")
    assert json.loads(raw.splitlines()[0])["id"] == "cnbcindonesia:525780"
    assert "\\u" not in raw


def test_listing_skips_non_articles_and_other_sections(crawl):
    result = crawl("detikinet")
    # The listing links a video (20.detik.com), a photo gallery and a news.detik.com story:
    # none is requested (the mirror would have answered 404 and counted it).
    assert result.stat("newscrawl/links/non_article") >= 2
    assert result.stat("newscrawl/mirror/missing") == 0
    urls = {r["url"] for r in result.records()}
    assert not any("news.detik.com" in u or "foto-inet" in u or "20.detik" in u for u in urls)
