"""Discovery that holds when a listing is redesigned: the declared link container falling back
to the whole page, the sources cross-checking each other, and backfills judged as backfills."""

from __future__ import annotations

import re

import cssselect
import pytest
from conftest import MIRROR
from scrapy.http import HtmlResponse, Request
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newscrawl import runs
from newscrawl.mirror import load_manifest

SPIDERS = SpiderLoader.from_settings(get_project_settings())
MANIFEST = load_manifest(MIRROR)
SCOPED = sorted(n for n in SPIDERS.list() if SPIDERS.load(n).listing_links)


def listing_page(spidercls) -> tuple[str, str]:
    """(URL, HTML) of the spider's first mirror listing page."""
    url = spidercls.listings[0].format(page=1, offset=0)
    entry = next(e for e in MANIFEST.values() if e["url"] == url)
    return url, entry["path"].read_text(encoding="utf-8")


def redesigned(html: str, selector: str) -> str:
    """The page with every class and id the listing's link container names renamed: the same
    links in containers the site file does not know."""
    names: set[str] = set()
    for parsed in cssselect.parse(selector):
        names |= set(re.findall(r"[.#]([\w-]+)", parsed.canonical()))
    for name in names:
        html = re.sub(rf'(?<=[\s"\'=]){re.escape(name)}(?=[\s"\'])', f"{name}-v2", html)
    return html


def requests_of(spider, url: str, html: str) -> list:
    response = HtmlResponse(url=url, body=html.encode("utf-8"),
                            request=Request(url, meta={"page": 1}))
    return [r for r in spider.parse_listing(response) if r.meta.get("newscrawl_kind") == "article"]


@pytest.mark.parametrize("name", SCOPED)
def test_a_redesigned_listing_still_yields_its_articles_through_the_fallback(name):
    spidercls = SPIDERS.load(name)
    url, html = listing_page(spidercls)
    expected = [r.url for r in requests_of(spidercls(), url, html)]
    assert expected, "the mirror listing links articles"
    changed = redesigned(html, spidercls.listing_links)
    assert changed != html
    spider = spidercls()
    found = requests_of(spider, url, changed)
    # Every article the listing linked, in page order, among every article link of the page
    # (the fallback cannot tell a sidebar of the same channel from the list); each request
    # says how it was found.
    urls = [r.url for r in found]
    assert [u for u in urls if u in expected] == expected
    assert {r.meta["newscrawl_via"] for r in found} == {"listing-fallback"}
    # Before the fallback they came through the declared container.
    assert {r.meta["newscrawl_via"] for r in requests_of(spidercls(), url, html)} == {"listing"}


def test_a_homepage_with_the_tech_links_outside_the_declared_scope():
    """A CNN Indonesia homepage of the 2020 kind: no div.w-leftcontent at all, the /teknologi/
    articles in a headline slider and a "terpopuler" box among other channels' links."""
    spidercls = SPIDERS.load("cnnindonesiatekno")
    tech = [
        "https://www.cnnindonesia.com/teknologi/20200625184407-185-517420/pemerintah-siapkan-"
        "aturan-baru-registrasi-ponsel-impor",
        "https://www.cnnindonesia.com/teknologi/20200626093012-185-517611/satelit-baru-"
        "diluncurkan-untuk-internet-desa",
        "https://www.cnnindonesia.com/teknologi/20200626101530-199-517640/aplikasi-belajar-"
        "daring-makin-diminati",
        "https://www.cnnindonesia.com/teknologi/20200626120000-185-517700/operator-uji-5g",
    ]
    other = "https://www.cnnindonesia.com/nasional/20200626090000-20-517600/rapat-kabinet"
    html = (
        "<html><body><div class='slider'>"
        f"<a href='{tech[0]}'>Satu</a><a href='{other}'>Nasional</a><a href='{tech[1]}'>Dua</a>"
        "</div><div class='box-populer'>"
        f"<a href='{tech[2]}'>Tiga</a><a href='{tech[3]}'>Empat</a></div></body></html>"
    )
    found = requests_of(spidercls(), "https://www.cnnindonesia.com/teknologi", html)
    assert [r.url for r in found] == tech
    assert {r.meta["newscrawl_via"] for r in found} == {"listing-fallback"}


def report(**discovery) -> dict:
    base = runs.source_report("x", {"newscrawl/checked": 5, "newscrawl/stored": 5,
                                    "newscrawl/articles/discovered": 5,
                                    "finish_reason": "finished"})
    base["discovery"].update(discovery)
    return base


def test_listing_drift_is_said_in_words_while_the_crawl_goes_on():
    judged = runs.judge(report(links={"listing-fallback": 20}, listing_fallback_pages=1,
                               listing_scope="div.w-leftcontent article"), [])
    assert judged["status"] == "degraded"
    [drift] = [m for m in judged["monitors"] if not m["passed"]]
    assert drift["name"] == "listing_drift"
    assert drift["detail"] == (
        "listing drift: the declared link container (div.w-leftcontent article) held no "
        "article link on 1 listing pages; 20 links were read from the whole page instead"
    )


def test_a_source_that_stopped_giving_links_is_named_while_another_still_does():
    before = report(links={"listing": 20, "feed": 20})
    now = report(links={"feed": 20})
    judged = runs.judge(now, [runs.judge(before, [])])
    [failed] = [m for m in judged["monitors"] if not m["passed"]]
    assert failed["name"] == "discovery_sources"
    assert failed["detail"] == "feed still lists 20 articles; listing found 0 (last run 20)"
    # Every source silent is not this monitor's verdict (articles_found says it).
    assert runs.discovery_cross_check({}, {"listing": 20}) is None
    # A process of a distributed crawl reads only what the shared queue gives it.
    shared = {**report(links={"feed": 20}), "distributed": True}
    assert runs.judge(shared, [runs.judge(before, [])])["status"] == "healthy"


def test_an_empty_backfill_window_is_not_drift():
    history = [report(links={"listing": 20}) for _ in range(3)]
    for earlier in history:
        runs.judge(earlier, [])
    empty = runs.source_report("x", {"finish_reason": "finished", "newscrawl/checked": 0})
    empty["backfill"] = True
    assert runs.judge(empty, history)["status"] == "healthy"
    hourly = runs.source_report("x", {"finish_reason": "finished", "newscrawl/checked": 0})
    assert runs.judge(hourly, history)["status"] == "degraded"
