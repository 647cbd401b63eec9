"""A stand-in detikInet on 127.0.0.1 that injects faults: the fault matrix's server.

It serves the synthetic detikInet of benchmarks/loopback.py (N article pages made from a mirror
fixture, index pages of 20 links, robots.txt), reached by a crawl through
NEWSCRAWL_HOST_OVERRIDE=127.0.0.1:<port>. Each article can be given a fault; `set_faults()`
changes them between runs ("the fault clears"). With `random_rate`, every article request
draws a transient fault at that rate instead (the soak benchmark).

`robots` makes robots.txt answer with a fault instead: "503" (every time), "503_twice" (two
503s, then the file), "404" (an HTML error page) or "reset" (the connection closes without an
answer). `paths` counts the requests per host + path.

Faults, by what they do to an article request:
- http: `5xx_burst` (two 503s, then the page), `429` (one 429 with Retry-After: 1, then the
  page), `403`, `404`, `redirect_loop`, `offsite_redirect`;
- transport: `timeout` (answers after `slow_seconds`), `reset` (headers and half the body,
  then the connection closes), `huge_page` (30 MB), `gzip_bomb` (64 MB of zeros, gzip'd);
- content: `truncated_html` (the page cut at 75 %), `empty` (200, no body), `binary`
  (random bytes as text/html), `deep_nesting` (the article inside 1,000 nested divs),
  `mislabelled_encoding` (Windows-1252 bytes in a page labelled UTF-8), `nul_bytes`,
  `malformed_jsonld`, `huge_jsonld` (a 3 MB ld+json block), `absurd_date` (JSON-LD and
  meta dated 2099).
"""

from __future__ import annotations

import gzip
import random
import re
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from loopback import ARTICLE_PATH, FIRST_ID, SyntheticDetik  # noqa: E402

# What the mislabelled page's first paragraph gains, in Windows-1252 bytes.
MISLABELLED_TEXT = "“Kami siap,” kata José — "
TRANSIENT_FAULTS = ("5xx_burst", "reset", "truncated_html", "timeout", "429")
_GZIP_BOMB: bytes | None = None


def gzip_bomb() -> bytes:
    global _GZIP_BOMB
    if _GZIP_BOMB is None:
        _GZIP_BOMB = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    return _GZIP_BOMB


class FaultServer:
    def __init__(self, articles: int, faults: dict[int, str] | None = None,
                 slow_seconds: float = 3.0, random_rate: float = 0.0, seed: int = 0,
                 robots: str | None = None):
        self.site = SyntheticDetik(articles)
        self.robots = robots
        self.paths: Counter[str] = Counter()
        self.faults = dict(faults or {})
        self.slow_seconds = slow_seconds
        self.random_rate = random_rate
        self.random = random.Random(seed)
        self.hits: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.httpd = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def set_faults(self, faults: dict[int, str], random_rate: float | None = None) -> None:
        with self.lock:
            self.faults = dict(faults)
            self.hits.clear()
            if random_rate is not None:
                self.random_rate = random_rate

    def fault_for(self, n: int) -> tuple[str | None, int]:
        """The fault this request of article `n` gets, and how many times it was asked."""
        with self.lock:
            self.hits[n] += 1
            hit = self.hits[n]
            if self.random_rate and self.random.random() < self.random_rate:
                return self.random.choice(TRANSIENT_FAULTS), 1
            return self.faults.get(n), hit

    def article_url(self, n: int) -> str:
        return self.site.article_url(n)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gives up (a cancelled 30 MB answer, a timeout) is part of the test."""
        return None


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            return None

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            host = self.headers.get("X-Newscrawl-Host", "")
            with server.lock:
                server.paths[host + urlsplit(self.path).path] += 1
                asked = sum(n for key, n in server.paths.items() if key.endswith("/robots.txt"))
            if self.path == "/robots.txt" and server.robots:
                return self.robots_fault(server.robots, asked)
            status, ctype, body = server.site.route(host, self.path)
            match = ARTICLE_PATH.search(urlsplit(self.path).path)
            if status != 200 or not match or host != "inet.detik.com":
                return self.send(status, body, ctype)
            n = int(match.group(1)) - FIRST_ID
            fault, hit = server.fault_for(n)
            if fault is None:
                return self.send(200, body, ctype)
            getattr(self, "fault_" + fault)(body, hit)

        # ------------------------------------------------------------- plumbing
        def send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
                 headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def original_url(self) -> str:
            scheme = self.headers.get("X-Newscrawl-Scheme", "https")
            return f"{scheme}://{self.headers.get('X-Newscrawl-Host', '')}{self.path}"

        def robots_fault(self, fault: str, asked: int) -> None:
            if fault == "503" or (fault == "503_twice" and asked <= 2):
                return self.send(503, b"<html><body>Service Unavailable</body></html>")
            if fault == "404":
                # An error page whose text would forbid everything if read as rules.
                return self.send(404, b"<html>\n<body>\n<h1>Not found</h1>\nUser-agent: *\n"
                                      b"Disallow: /\n</body>\n</html>\n")
            if fault == "reset":
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            status, ctype, body = server.site.route(self.headers.get("X-Newscrawl-Host", ""),
                                                    self.path)
            return self.send(status, body, ctype)

        # ------------------------------------------------------------- http faults
        def fault_5xx_burst(self, body: bytes, hit: int) -> None:
            if hit <= 2:
                return self.send(503, b"<html><body>Service Unavailable</body></html>")
            self.send(200, body)

        def fault_429(self, body: bytes, hit: int) -> None:
            if hit <= 1:
                return self.send(429, b"slow down", "text/plain", {"Retry-After": "1"})
            self.send(200, body)

        def fault_403(self, body: bytes, hit: int) -> None:
            self.send(403, b"<html><body>Forbidden</body></html>")

        def fault_404(self, body: bytes, hit: int) -> None:
            self.send(404, b"<html><body>Not Found</body></html>")

        def fault_redirect_loop(self, body: bytes, hit: int) -> None:
            url = self.original_url().split("?")[0]
            self.send(302, b"", headers={"Location": f"{url}?loop={hit % 2}"})

        def fault_offsite_redirect(self, body: bytes, hit: int) -> None:
            self.send(301, b"", headers={"Location": "https://elsewhere.example.net/a/1"})

        # ------------------------------------------------------------- transport faults
        def fault_timeout(self, body: bytes, hit: int) -> None:
            import time

            time.sleep(server.slow_seconds)
            try:
                self.send(200, body)
            except OSError:
                pass  # the client gave up

        def fault_reset(self, body: bytes, hit: int) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)

        def fault_huge_page(self, body: bytes, hit: int) -> None:
            padding = b"<!-- " + b"x" * (30 << 20) + b" -->"
            self.send(200, body.replace(b"</body>", padding + b"</body>", 1))

        def fault_gzip_bomb(self, body: bytes, hit: int) -> None:
            self.send(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})

        # ------------------------------------------------------------- content faults
        def fault_truncated_html(self, body: bytes, hit: int) -> None:
            self.send(200, body[: int(len(body) * 0.75)])

        def fault_empty(self, body: bytes, hit: int) -> None:
            self.send(200, b"")

        def fault_binary(self, body: bytes, hit: int) -> None:
            self.send(200, random.Random(hit).randbytes(20_000))

        def fault_deep_nesting(self, body: bytes, hit: int) -> None:
            start = body.index(b"<article")
            end = body.index(b"</article>") + len(b"</article>")
            self.send(200, body[:start] + b"<div>" * 1000 + body[start:end] + b"</div>" * 1000
                      + body[end:])

        def fault_mislabelled_encoding(self, body: bytes, hit: int) -> None:
            text = body.decode("utf-8")
            first = text.index("<p>", text.index('id="detikdetailtext"')) + len("<p>")
            windows = MISLABELLED_TEXT.encode("cp1252")
            self.send(200, text[:first].encode() + windows + text[first:].encode())

        def fault_nul_bytes(self, body: bytes, hit: int) -> None:
            self.send(200, body.replace(b"</p>", b"\0</p>", 3).replace(b"<p>", b"<p>\0", 3))

        def fault_malformed_jsonld(self, body: bytes, hit: int) -> None:
            # An unescaped quote in the headline: the block is no longer JSON.
            self.send(200, re.sub(rb'("headline":\s*")', rb'\1Kata "kunci" ', body, count=1))

        def fault_huge_jsonld(self, body: bytes, hit: int) -> None:
            block = (b'<script type="application/ld+json">{"@type": "ItemList", "description": "'
                     + b"x" * (3 << 20) + b'"}</script>')
            self.send(200, body.replace(b"</head>", block + b"</head>", 1))

        def fault_absurd_date(self, body: bytes, hit: int) -> None:
            body = re.sub(rb'"datePublished":\s*"[^"]+"', b'"datePublished": "2099-12-01T10:00:00+07:00"',
                          body)
            body = re.sub(rb'(name="(?:dtk:)?publishdate" content=")[^"]+', rb"\g<1>2099/12/01 10:00:00",
                          body)
            self.send(200, body)

    return Handler
