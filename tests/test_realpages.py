"""The parsers on real saved pages from ../shared/realpages (skipped where that folder is absent).

These pages are what DESIGN.md says generic extractors get wrong: dates to the day only, the
"[Gambas:…]" placeholder and "(fyk/fay)" left in the body, Kompas's editor reported as author.
"""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import REALPAGES
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newscrawl.commands.extract import extract_file
from newscrawl.evaluation import body_score
from newscrawl.extraction import ExtractOptions, GenericSite, extract_record

pytestmark = pytest.mark.skipif(not REALPAGES.exists(), reason="../shared/realpages not present")
SPIDERS = SpiderLoader.from_settings(get_project_settings())

CASES = [
    (
        "detikinet", "detik/inet-cyberlife-d6453192-2022-12.html",
        "https://inet.detik.com/cyberlife/d-6453192/bos-kripto-yang-bangkrut-ngeles-soal-hobi-beli-rumah-mewah",
        {"authors": ["Fino Yurio Kristo"], "published_at": "2022-12-10T07:16:35+07:00",
         "editor_codes": ["fyk", "fay"], "dateline": "Jakarta", "id": "detikinet:6453192"},
    ),
    (
        "detikinet", "detik/news-berita-d6453785-2022-12.html",
        "https://news.detik.com/berita/d-6453785/polisi-soal-pistol-di-kasus-cekcok-pemobil-vs-pemotor-cuma-diperlihatkan",
        {"authors": ["Mulia Budi"], "published_at": "2022-12-10T13:19:56+07:00",
         "editor_codes": ["mea", "mea"], "dateline": "Jakarta"},
    ),
    (
        "detikinet", "detik/sport-sepakbola-d6454487-2022-12.html",
        "https://sport.detik.com/sepakbola/bola-dunia/d-6454487/susunan-pemain-maroko-vs-portugal-ronaldo-cadangan-lagi",
        {"authors": ["Afif Farhan"], "published_at": "2022-12-10T20:55:32+07:00",
         "editor_codes": ["aff", "yna"], "dateline": "Doha"},
    ),
    (
        "kompastekno", "kompas/nasional-read-2025-05-28-13300711.html",
        "https://nasional.kompas.com/read/2025/05/28/13300711/pengacara-ronald-tannur-dituntut-14-tahun-kurungan",
        # The page's JSON-LD names the editor as author and prints UTC.
        {"authors": ["Irfan Kamil"], "editors": ["Robertus Belarminus"],
         "published_at": "2025-05-28T13:30:07+07:00", "editor_codes": [], "dateline": "Jakarta"},
    ),
]


@pytest.mark.parametrize(("spider", "page", "url", "expected"), CASES, ids=[c[1] for c in CASES])
def test_real_page(spider, page, url, expected):
    record = extract_file(SPIDERS.load(spider), REALPAGES / page, url)
    for name, value in expected.items():
        assert record[name] == value, name
    assert record["title"] and record["parser"].endswith(("@2022", "@2025"))
    body = record["body"]
    for leftover in ("[Gambas", "Baca juga", "Baca Juga", "ADVERTISEMENT", "SCROLL TO",
                     "Simak Video", "(fyk/fay)", "KOMPAS.com -", "googletag"):
        assert leftover not in body
    assert record["word_count"] > 100


# ------------------------------------------------------------------ the fallback paths alone
# What a crawl keeps when a layout changes overnight: the same real pages with the site's
# layouts switched off (JSON-LD, meta, the site's clean-up and the generic body path), scored
# against the known-layout record above and next to trafilatura.
LAYOUTS_OFF = ExtractOptions(layouts=False)


def trafilatura_body(path, url) -> str:
    import trafilatura

    return trafilatura.extract(path.read_text(encoding="utf-8"), url=url) or ""


@pytest.mark.parametrize(("spider", "page", "url", "expected"), CASES, ids=[c[1] for c in CASES])
def test_real_page_without_layouts(spider, page, url, expected):
    pytest.importorskip("trafilatura")
    site = SPIDERS.load(spider)
    known = extract_file(site, REALPAGES / page, url)
    fallback = extract_file(site, REALPAGES / page, url, LAYOUTS_OFF)
    assert fallback["parser"] == f"{spider}@generic"
    assert "generic_body" in fallback["quality_flags"]
    ours = body_score(known["body"], fallback["body"]).f1
    theirs = body_score(known["body"], trafilatura_body(REALPAGES / page, url)).f1
    assert ours >= 0.95 and ours >= theirs, (ours, theirs)
    # The site's rules still split the dateline and the editor code off the generic body.
    for name in ("title", "published_at", "authors", "dateline", "editor_codes"):
        assert fallback[name] == known[name], name


def test_real_page_of_an_outlet_no_site_file_declares():
    """Media Indonesia, Fundus's test page and its expected output (../shared/realpages)."""
    pytest.importorskip("trafilatura")
    folder = REALPAGES / "mediaindonesia"
    fundus = json.loads((folder / "MediaIndonesia.json").read_text(encoding="utf-8"))["V1"]
    gold = "\n\n".join(p for s in fundus["body"]["sections"] for p in s["paragraphs"])
    page = folder / "MediaIndonesia_2026_01_20.html.gz"
    html = gzip.decompress(page.read_bytes()).decode("utf-8")
    url = ("https://mediaindonesia.com/ekonomi/851796/dari-petani-hingga-pendidik-bangsa-"
           "begini-pesan-kuat-di-wisuda-igi-school-of-economics-jakarta-2025")
    record = extract_record(html, url, GenericSite)
    assert record["parser"] == "generic@generic"
    assert record["title"] == fundus["title"]
    assert record["authors"] == fundus["authors"]
    assert record["published_at"] == "2026-01-20T18:33:13+07:00"
    import trafilatura

    ours = body_score(gold, record["body"]).f1
    theirs = body_score(gold, trafilatura.extract(html, url=url) or "").f1
    assert ours >= 0.95 and ours >= theirs, (ours, theirs)
