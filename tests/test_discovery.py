"""Discovery: listings, feeds, sitemaps and date indexes, and the since/until window."""

from __future__ import annotations

import json

import pytest
from conftest import MIRROR
from scrapy.http import HtmlResponse, Request, Response, XmlResponse

from newscrawl.items import FIELD_ORDER
from newscrawl.spiders.cnbcindonesia import CnbcIndonesiaSpider
from newscrawl.spiders.detikinet import DetikInetSpider

DETIK = MIRROR / "detikinet"


def _xml(url: str, path) -> XmlResponse:
    return XmlResponse(url=url, body=path.read_bytes())


def test_backfill_walks_the_date_index_with_an_encoded_date():
    spider = DetikInetSpider(since="2024-04-19", until="2024-04-20")
    urls = [r.url for r in spider.start_requests_for_sources()]
    assert "https://inet.detik.com/indeks?date=04%2F19%2F2024&page=1" in urls
    assert "https://inet.detik.com/indeks?date=04%2F20%2F2024&page=1" in urls
    # Section listings are for "latest" runs; a backfill uses the date index instead.
    assert not any("indeks?page=" in u for u in urls)


def test_without_window_listing_feed_and_sitemap_are_sources():
    urls = [r.url for r in CnbcIndonesiaSpider().start_requests_for_sources()]
    assert urls == [
        "https://www.cnbcindonesia.com/tech/indeks/12/1",
        "https://www.cnbcindonesia.com/tech/rss",
        "https://www.cnbcindonesia.com/tech/sitemap_news.xml",
    ]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, {"d-7301234"}),
        ("2024-04-20", "2024-04-20", {"d-7301234"}),
        ("2024-04-21", "2024-04-30", set()),
    ],
)
def test_feed_items_filtered_by_window_and_non_articles(since, until, expected):
    spider = DetikInetSpider(since=since, until=until)
    requests = list(spider.parse_feed(_xml("https://rss.detik.com/index.php/inet", DETIK / "rss.xml")))
    assert {r.url.split("/")[4] for r in requests} == expected


def test_sitemap_index_follows_only_the_sections_own_news_sitemaps():
    spider = DetikInetSpider()
    index = _xml("https://www.detik.com/sitemap.xml", DETIK / "sitemap-index.xml")
    assert [r.url for r in spider.parse_sitemap(index)] == [
        "https://inet.detik.com/science/sitemap_news.xml"
    ]


def test_broken_sitemap_and_feed_are_counted_not_fatal():
    spider = DetikInetSpider()
    broken = XmlResponse(url="https://www.detik.com/sitemap.xml", body=b"<urlset><url><loc>")
    assert list(spider.parse_sitemap(broken)) == []
    garbage = XmlResponse(url="https://rss.detik.com/index.php/inet", body=b"\x00\x01 not xml")
    assert list(spider.parse_feed(garbage)) == []


def test_gzip_sitemaps_corrupt_cut_or_unpacking_past_the_size_cap():
    """A .xml.gz sitemap (no Content-Encoding, so the download's size cap did not apply to what
    it unpacks to): a bomb is refused after unpacking no more than the cap, a corrupt one is
    named, a cut one gives the links it holds."""
    import gzip
    import tracemalloc

    spider = DetikInetSpider()
    url = "https://www.detik.com/sitemap-inet.xml.gz"

    def gz(body: bytes) -> Response:
        return Response(url, body=body, request=Request(url))

    entry = ("<url><loc>https://inet.detik.com/telecommunication/d-{n}/kabar-{n}</loc>"
             "<lastmod>2024-04-26T10:00:00+07:00</lastmod></url>")
    sitemap = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               + "".join(entry.format(n=7300000 + n) for n in range(50)) + "</urlset>").encode()
    whole = [r.url for r in spider.parse_sitemap(gz(gzip.compress(sitemap)))]
    assert len(whole) == 50
    cut = gzip.compress(sitemap)[: len(gzip.compress(sitemap)) * 2 // 3]
    assert 0 < len(list(spider.parse_sitemap(gz(cut)))) < 50
    corrupt = b"\x1f\x8b" + b"not gzip at all" * 10
    assert list(spider.parse_sitemap(gz(corrupt))) == []
    bomb = gzip.compress(b"<urlset>" + b" " * (200 << 20), compresslevel=9)  # 200 MB unpacked
    tracemalloc.start()
    assert list(spider.parse_sitemap(gz(bomb))) == []
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 << 20  # the 16 MiB cap and its copy, not 200 MB


def test_listing_follows_next_page_only_when_linked():
    spider = DetikInetSpider()
    page1 = HtmlResponse(
        url="https://inet.detik.com/indeks?page=1",
        body=(DETIK / "listing" / "indeks-1.html").read_bytes(),
        request=spider._listing_request(spider.listings[0], 1),
    )
    urls = [r.url for r in spider.parse_listing(page1)]
    assert urls[-1] == "https://inet.detik.com/indeks?page=2"
    assert not any("20.detik.com" in u or "foto-inet" in u or "news.detik" in u for u in urls)
    page2 = HtmlResponse(
        url="https://inet.detik.com/indeks?page=2",
        body=(DETIK / "listing" / "indeks-2.html").read_bytes(),
        request=spider._listing_request(spider.listings[0], 2),
    )
    assert not any("page=3" in r.url for r in spider.parse_listing(page2))


def test_tracking_parameters_are_dropped_before_the_request():
    spider = CnbcIndonesiaSpider()
    request = spider.article_request(
        "https://www.cnbcindonesia.com/tech/20240327091205-37-525780/x?utm_source=indeks#top"
    )
    assert request.url == "https://www.cnbcindonesia.com/tech/20240327091205-37-525780/x"


def test_links_only_one_source_gave_are_counted_per_source():
    from scrapy.utils.test import get_crawler

    spider = DetikInetSpider()
    spider.crawler = crawler = get_crawler(DetikInetSpider)
    crawler.stats.open_spider()
    both, tracked = "https://inet.detik.com/x/d-1/a", "https://inet.detik.com/x/d-2/b"
    spider.article_request(both, via="listing")
    spider.article_request(both, via="feed")
    spider.article_request(tracked + "?utm_source=x", via="listing-fallback")
    spider.article_request(tracked, via="listing")  # the same link, the same source
    spider.article_request("https://inet.detik.com/x/d-3/c", via="sitemap")
    spider.article_request("https://inet.detik.com/x/d-4/d", via="feed")
    spider.article_request("https://inet.detik.com/x/d-5/e", via="feed")
    spider.closed("finished")
    only = {k: v for k, v in crawler.stats.get_stats().items() if "/links/only/" in k}
    assert only == {"newscrawl/links/only/listing": 1, "newscrawl/links/only/sitemap": 1,
                    "newscrawl/links/only/feed": 2}


def test_bad_window_arguments_are_usage_errors():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        DetikInetSpider(since="19/04/2024")
    with pytest.raises(ValueError, match="after"):
        DetikInetSpider(since="2024-04-20", until="2024-04-19")


def test_backfill_crawl_stores_only_the_window(crawl):
    result = crawl("detikinet", "-a", "since=2024-04-19", "-a", "until=2024-04-20")
    assert result.returncode == 0
    assert sorted(r["id"] for r in result.records()) == ["detikinet:7299001", "detikinet:7301234"]
    assert result.stat("newscrawl/mirror/missing") == 0


def test_scrapy_parse_reads_any_url_without_a_callback(tmp_path):
    """`scrapy parse --spider=<name> <url>` (Scrapy's default `parse` callback) reads an
    article as an article and a listing or feed as a source of article requests."""
    from conftest import run_scrapy

    article = (
        "https://inet.detik.com/consumer/d-7301234/"
        "ponsel-lipat-murah-mulai-masuk-indonesia-harga-mulai-rp-8-juta"
    )
    parsed = run_scrapy(["parse", "--spider=detikinet", article], tmp_path / "data")
    assert parsed.returncode == 0, parsed.log
    assert '"parser": "detikinet@2022"' in parsed.log
    assert "NotImplementedError" not in parsed.log
    # The record as stored: every field, in the stored order.
    printed = parsed.log[parsed.log.index("# Scraped Items"):]
    record = json.loads(printed[printed.index("{"):printed.index("\n}\n") + 2])
    assert list(record) == list(FIELD_ORDER)
    for source in ("https://inet.detik.com/indeks?page=1", "https://rss.detik.com/index.php/inet"):
        listed = run_scrapy(["parse", "--spider=detikinet", source], tmp_path / "data")
        assert f"<GET {article}>" in listed.log, listed.log[-2000:]
