"""`scrapy check`: every spider's contracts pass on the offline mirror, and fail, with the
reason, when the outlet's listing or article template changes."""

from __future__ import annotations

import re
import shutil

from conftest import MIRROR, run_scrapy
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newscrawl.mirror import load_manifest

SPIDERS = sorted(SpiderLoader.from_settings(get_project_settings()).list())


def test_every_spider_passes_its_contracts_on_the_mirror(tmp_path):
    result = run_scrapy(["check", "-v"], tmp_path / "data")
    assert result.returncode == 0, result.log[-3000:]
    ran = int(re.search(r"Ran (\d+) contracts", result.log).group(1))
    assert ran >= 3 * len(SPIDERS)
    for spider in SPIDERS:
        checked = re.findall(rf"\[{spider}\] (parse_\w+)", result.log)
        assert {"parse_listing", "parse_article"} <= set(checked), spider


def broken_copy(tmp_path, url: str, old: str, new: str):
    """The mirror with the page served at `url` edited (`old` must occur)."""
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    entry = next(e for e in load_manifest(mirror).values() if e["url"] == url)
    html = entry["path"].read_text(encoding="utf-8")
    assert old in html
    entry["path"].write_text(html.replace(old, new), encoding="utf-8")
    return mirror


def test_a_redesigned_listing_fails_its_contract_with_the_reason(tmp_path):
    from newscrawl.spiders.cnnindonesiatekno import CnnIndonesiaTeknoSpider as spider

    url = spider.listings[0].format(page=1, offset=0)
    mirror = broken_copy(tmp_path, url, "w-leftcontent", "w-left-v2")
    result = run_scrapy(["check", "cnnindonesiatekno"], tmp_path / "data", mirror=mirror)
    assert result.returncode != 0
    assert "FAIL: [cnnindonesiatekno] parse_listing" in result.log
    assert "listing drift: no article link inside the declared container" in result.log


def test_a_redesigned_article_template_fails_its_contract_with_the_reason(tmp_path):
    from newscrawl.spiders.detikinet import DetikInetSpider as spider

    mirror = broken_copy(tmp_path, spider.contract_article, "detail__body-text",
                         "detail__content-text")
    result = run_scrapy(["check", "detikinet"], tmp_path / "data", mirror=mirror)
    assert result.returncode != 0
    assert "FAIL: [detikinet] parse_article" in result.log
    assert "layout drift: the article was read by detikinet@" in result.log
