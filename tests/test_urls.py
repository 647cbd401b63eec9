import re

from newscrawl.normalize.urls import article_id, canonical_url, record_id

DETIK = re.compile(r"^https?://[a-z0-9-]+\.detik\.com/(?:[\w-]+/)*d-(?P<id>\d+)(?:/|$)")
BASE = "https://inet.detik.com/cyberlife/d-6453192/bos-kripto"


def test_variants_share_one_canonical_form():
    variants = [
        BASE,
        BASE + "/",
        BASE + "?utm_source=rss&utm_medium=feed",
        BASE + "?page=all",
        BASE + "#comments",
        "http://inet.detik.com/cyberlife/d-6453192/bos-kripto",
        "https://INET.detik.com/cyberlife/d-6453192/bos-kripto/amp",
        BASE + "?single=1&fbclid=abc",
        BASE + "?showpage=all",
    ]
    assert {canonical_url(v) for v in variants} == {BASE}


def test_mobile_host_alias_and_meaningful_query_kept():
    aliases = {"m.tribunnews.com": "www.tribunnews.com"}
    assert canonical_url(
        "https://m.tribunnews.com/techno/2025/06/01/judul", host_aliases=aliases
    ) == ("https://www.tribunnews.com/techno/2025/06/01/judul")
    assert canonical_url("https://x.id/read?id=5&utm_source=a") == "https://x.id/read?id=5"


def test_article_and_record_ids():
    assert article_id(BASE, DETIK) == "6453192"
    assert record_id("detikinet", "6453192", BASE) == "detikinet:6453192"
    fallback = record_id("x", None, BASE)
    assert fallback.startswith("x:u") and fallback == record_id("x", None, BASE)
