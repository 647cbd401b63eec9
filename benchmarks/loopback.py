"""A loopback copy of detikInet for crawl benchmarks, and the Scrapy parts that point at it.

* ``SyntheticDetik`` makes N distinct article pages from one detik fixture page
  (tests/mirror/detikinet/articles/d-7301234.html: same markup, JSON-LD, inserts, ads, video
  prompt and editor code; its own id, URL, title and ~250-word body per article, drawn from
  the words of the gold-set bodies), index pages ``/indeks?page=N`` linking them (20 a page,
  like detik's indeks, with a link to the next page), and robots.txt for every host.
  Everything is generated per request from the article number, so 100,000 pages cost no RAM.
* ``serve()`` / ``python benchmarks/loopback.py --serve``: an asyncio HTTP/1.1 server with
  keep-alive on 127.0.0.1 (random port, printed on the first line of stdout).
* the crawl reaches it through ``NEWSCRAWL_HOST_OVERRIDE=127.0.0.1:PORT`` (newscrawl/mirror.py):
  every request goes there, the original host in an ``X-Newscrawl-Host`` header, and the
  response comes back under the original URL: spiders, middlewares and pipelines run
  unchanged.
* ``NoopSpider``: requests the same index and article pages and does nothing with them.
* ``BenchProbe``: an extension that samples the process RSS every ``BENCH_RSS_EVERY`` article
  responses into the stats (``bench/rss_mb/<pages>``), and counts article responses.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import random
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "tests" / "mirror" / "detikinet" / "articles" / "d-7301234.html"
TEMPLATE_ID = "7301234"
TEMPLATE_SLUG = "ponsel-lipat-murah-mulai-masuk-indonesia-harga-mulai-rp-8-juta"
TEMPLATE_TITLE = "Ponsel Lipat Murah Mulai Masuk Indonesia, Harga Mulai Rp 8 Juta"
FIRST_ID = 8_000_000
HOST = "inet.detik.com"
ARTICLE_PATH = re.compile(r"/d-(\d+)(?:/|$)")
ROBOTS = b"User-agent: *\nDisallow: /search/\nDisallow: /api/\n"


def _vocabulary() -> list[str]:
    """Words of every gold-page body (real Indonesian text, no duplicates)."""
    words: dict[str, None] = {}
    for path in sorted((ROOT / "tests").rglob("*.expected.json")):
        body = json.loads(path.read_text(encoding="utf-8")).get("body") or ""
        for word in re.findall(r"[^\W\d_]{2,}", body):
            words.setdefault(word.lower(), None)
    return list(words)


class SyntheticDetik:
    def __init__(self, articles: int, per_listing: int = 20):
        self.articles = articles
        self.per_listing = per_listing
        self.listings = (articles + per_listing - 1) // per_listing
        self.vocab = _vocabulary()
        self.parts = self._split_template(TEMPLATE.read_text(encoding="utf-8"))

    # ---------------------------------------------------------------- articles
    @staticmethod
    def _split_template(text: str) -> list[str]:
        """The template as alternating literal text and slot names (odd positions)."""
        text = text.replace(TEMPLATE_SLUG, "\0SLUG\0").replace(TEMPLATE_ID, "\0ID\0")
        text = text.replace(TEMPLATE_TITLE, "\0TITLE\0")
        start = text.index('id="detikdetailtext"')
        end = text.index("<!-- S:Auto Video -->", start)
        paragraphs = iter(range(100))

        def slot(match: re.Match[str]) -> str:
            return f"<p>\0P{next(paragraphs)}\0</p>"

        body = re.sub(r"<p>(?!</p>)(?:(?!</p>).)+</p>", slot, text[start:end], flags=re.S)
        return (text[:start] + body + text[end:]).split("\0")

    def article_id(self, n: int) -> int:
        return FIRST_ID + n

    def article_url(self, n: int) -> str:
        # The template's own channel: its og:url, JSON-LD and breadcrumb say "consumer".
        return f"https://{HOST}/consumer/d-{FIRST_ID + n}/{self._slug(n)}"

    def _title(self, n: int) -> str:
        rng = random.Random(-n - 1)
        words = rng.sample(self.vocab, rng.randint(6, 9))
        return " ".join(w.capitalize() for w in words) + f" {n}"

    def _slug(self, n: int) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self._title(n).lower()).strip("-")

    def article(self, n: int) -> bytes:
        rng = random.Random(n)
        values = {"ID": str(FIRST_ID + n), "SLUG": self._slug(n),
                  "TITLE": html.escape(self._title(n))}
        parts = self.parts
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
            elif part.startswith("P"):
                words = rng.choices(self.vocab, k=rng.randint(35, 65))
                out.append(html.escape(" ".join(words).capitalize() + "."))
            else:
                out.append(values[part])
        return "".join(out).encode("utf-8")

    # ---------------------------------------------------------------- listings
    def listing(self, page: int) -> bytes:
        first = (page - 1) * self.per_listing
        items = []
        for n in range(first, min(first + self.per_listing, self.articles)):
            url, title = self.article_url(n), html.escape(self._title(n))
            items.append(
                '<article class="list-content__item"><div class="media media--left">'
                f'<div class="media__image"><a class="media__link" href="{url}">'
                f'<img src="https://akcdn.detik.net.id/visual/{n}.jpeg?w=250" alt=""></a></div>'
                f'<div class="media__text"><h3 class="media__title"><a class="media__link" '
                f'href="{url}">{title}</a></h3><div class="media__date">'
                '<span d-time="1713582347" title="Sabtu, 20 Apr 2024 10:05 WIB">'
                "1 jam yang lalu</span></div></div></div></article>"
            )
        pager = [f'<a class="pagination__item itp-pagination" href="#">{page}</a>']
        if page < self.listings:
            pager.append(
                f'<a class="pagination__item" href="https://{HOST}/indeks?page={page + 1}">'
                f"{page + 1}</a>"
            )
        return (
            '<!DOCTYPE html><html lang="id-ID"><head><meta charset="utf-8" />'
            "<title>Indeks Berita detikInet</title></head><body><div class=\"container\">"
            '<div class="grid-row list-content">' + "".join(items) + "</div>"
            '<div class="pagination text-center">' + "".join(pager) + "</div>"
            '<div class="box cb-mostpop"><a href="https://20.detik.com/detikupdate/'
            '20240420-240420002/video-ponsel-lipat">Video</a>'
            '<a href="https://inet.detik.com/foto-inet/d-7300999/foto-ponsel">Foto</a></div>'
            "</div></body></html>"
        ).encode("utf-8")

    # ---------------------------------------------------------------- routing
    def route(self, host: str, target: str) -> tuple[int, str, bytes]:
        parts = urlsplit(target)
        if parts.path == "/robots.txt":
            return 200, "text/plain", ROBOTS
        if host == HOST and parts.path == "/indeks":
            try:
                page = int(parse_qs(parts.query).get("page", ["1"])[0])
            except ValueError:
                page = 0
            if 1 <= page <= self.listings:
                return 200, "text/html; charset=utf-8", self.listing(page)
        match = ARTICLE_PATH.search(parts.path)
        if host == HOST and match:
            n = int(match.group(1)) - FIRST_ID
            if 0 <= n < self.articles:
                return 200, "text/html; charset=utf-8", self.article(n)
        return 404, "text/html", b"<html><body>not found</body></html>"


async def _serve(site: SyntheticDetik, ready: Any = None) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                host = ""
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.lower() == "x-newscrawl-host":
                        host = value.strip()
                status, ctype, body = site.route(host, target)
                reason = "OK" if status == 200 else "Not Found"
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


def serve(articles: int, per_listing: int = 20) -> None:
    asyncio.run(_serve(SyntheticDetik(articles, per_listing)))


# -------------------------------------------------------------------- Scrapy side
try:
    import psutil
    import scrapy
    from scrapy import signals
except ImportError:  # the server side needs none of it
    scrapy = None  # type: ignore[assignment]

if scrapy is not None:

    class NoopSpider(scrapy.Spider):
        """Fetches the same index pages and article pages as detikinet; keeps nothing."""

        name = "bench_noop"
        allowed_domains = ["detik.com"]

        def __init__(self, max_pages: int | str = 3, **kwargs: Any):
            super().__init__(**kwargs)
            self.max_pages = int(max_pages)

        async def start(self):
            yield scrapy.Request(f"https://{HOST}/indeks?page=1", callback=self.parse_listing,
                                 meta={"page": 1})

        def parse_listing(self, response: Any):
            for href in response.xpath("//a/@href").getall():
                if ARTICLE_PATH.search(href) and href.startswith(f"https://{HOST}/") and (
                    "/foto-inet/" not in href
                ):
                    yield scrapy.Request(href, callback=self.parse_article)
            page = response.meta["page"]
            following = f"https://{HOST}/indeks?page={page + 1}"
            if page < self.max_pages and following in response.text:
                yield scrapy.Request(following, callback=self.parse_listing,
                                     meta={"page": page + 1})

        def parse_article(self, response: Any) -> None:
            return None

    class BenchProbe:
        """Counts article responses; RSS (MB) every BENCH_RSS_EVERY of them, and at close."""

        def __init__(self, crawler: Any):
            self.crawler = crawler
            self.every = crawler.settings.getint("BENCH_RSS_EVERY", 10_000)
            self.count = 0
            self.process = psutil.Process()

        @classmethod
        def from_crawler(cls, crawler: Any) -> BenchProbe:
            probe = cls(crawler)
            crawler.signals.connect(probe.response_received, signal=signals.response_received)
            crawler.signals.connect(probe.spider_closed, signal=signals.spider_closed)
            return probe

        def rss_mb(self) -> float:
            return round(self.process.memory_info().rss / 2**20, 1)

        def response_received(self, response: Any, request: Any, spider: Any) -> None:
            if response.status == 200 and ARTICLE_PATH.search(urlsplit(response.url).path):
                self.count += 1
                if self.count % self.every == 0:
                    stats = self.crawler.stats
                    stats.set_value(f"bench/rss_mb/{self.count:07d}", self.rss_mb())
                    pending = stats.get_value("scheduler/enqueued", 0) - stats.get_value(
                        "scheduler/dequeued", 0
                    )
                    stats.set_value(f"bench/pending/{self.count:07d}", pending)

        def spider_closed(self, spider: Any, reason: str) -> None:
            self.crawler.stats.set_value("bench/article_responses", self.count)
            self.crawler.stats.set_value("bench/rss_mb/end", self.rss_mb())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="run the loopback server")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--per-listing", type=int, default=20)
    parser.add_argument("--show", type=int, help="print article N's page and exit")
    args = parser.parse_args()
    if args.show is not None:
        sys.stdout.write(SyntheticDetik(args.articles, args.per_listing)
                         .article(args.show).decode("utf-8"))
    elif args.serve:
        serve(args.articles, args.per_listing)
    else:
        parser.print_help()


if __name__ == "__main__":
    main()
