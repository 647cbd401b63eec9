"""Every fixture page with an expected-JSON file: each field the spider extracts must equal it."""

from __future__ import annotations

import pytest
from conftest import VOLATILE_FIELDS, gold_pages
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newscrawl.commands.extract import extract_file
from newscrawl.items import FIELD_ORDER

PAGES = gold_pages()
SPIDERS = SpiderLoader.from_settings(get_project_settings())


def test_there_are_gold_pages_for_every_spider():
    covered = {page.spider for page in PAGES}
    assert set(SPIDERS.list()) <= covered
    for spider in SPIDERS.list():
        assert sum(page.spider == spider for page in PAGES) >= 3, spider


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.spider}/{p.html.stem}" for p in PAGES])
def test_extracted_record_equals_expected(page):
    record = extract_file(SPIDERS.load(page.spider), page.html, page.fetch_url)
    assert list(record) == list(FIELD_ORDER)
    assert set(page.expected) - {"_fetched_from"} == set(FIELD_ORDER) - VOLATILE_FIELDS
    for name in FIELD_ORDER:
        if name not in VOLATILE_FIELDS:
            assert record[name] == page.expected[name], name
