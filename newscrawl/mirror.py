"""Where requests go: an offline mirror, a stand-in server on loopback, or the live site.

With NEWSCRAWL_MIRROR=<dir>, this download handler serves each request (robots.txt
included) from `<dir>/manifest.jsonl`, so the rest of Scrapy's stack (robots, retries,
redirects, decompression, spider middlewares) runs exactly as it does live. A URL not in the
manifest answers 404.

With NEWSCRAWL_HOST_OVERRIDE=<host:port> (tests, benchmarks), every request is sent over plain
HTTP to that server instead of the outlet, with the original host and scheme in the
`X-Newscrawl-Host` and `X-Newscrawl-Scheme` headers; the response comes back under the
original URL. A loopback server (tests/faultserver.py, benchmarks/loopback.py) so stands in for
any outlet without a spider or URL changing. The `OfflineMirror` add-on (newscrawl/addons.py)
installs this handler only when one of the two is set: a live crawl uses Scrapy's handlers.

Manifest lines: {"url": ..., "file": "relative/path.html", "status": 200, "headers": {...}}.
`manifest.jsonl` files in sub-directories are read too (their `file` paths are relative to
their own directory), so each site's fixtures can live in a folder of their own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread
from w3lib.url import canonicalize_url

logger = logging.getLogger(__name__)

DEFAULT_HEADERS = {"Content-Type": "text/html; charset=utf-8"}
OVERRIDE_HOST_HEADER = "X-Newscrawl-Host"
OVERRIDE_SCHEME_HEADER = "X-Newscrawl-Scheme"


class MirrorError(ValueError):
    """A manifest line that cannot be used."""


def _mirror_key(url: str) -> str:
    # Same identity Scrapy's fingerprinter uses: query order and escaping do not matter.
    return canonicalize_url(url, keep_fragments=False)


def mirror_problem(root: str | Path) -> str | None:
    """Why `root` cannot serve as the offline mirror, in words, or None."""
    path = Path(root)
    if not path.exists():
        return f"the mirror directory {path} does not exist"
    if not path.is_dir():
        return f"the mirror {path} is a file, not a directory"
    if not any(path.rglob("manifest.jsonl")):
        return f"no manifest.jsonl under the mirror directory {path}"
    return None


def load_manifest(root: str | Path) -> dict[str, dict[str, Any]]:
    """All manifest entries under `root`, keyed by canonical URL; files resolved to paths."""
    root = Path(root)
    manifests = sorted(root.rglob("manifest.jsonl"))
    if not manifests:
        raise MirrorError(f"no manifest.jsonl under mirror directory {root}")
    entries: dict[str, dict[str, Any]] = {}
    for manifest in manifests:
        for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                url, file = entry["url"], entry["file"]
            except (ValueError, KeyError, TypeError) as exc:
                raise MirrorError(f"{manifest}:{number}: bad manifest line ({exc})") from exc
            entries[_mirror_key(url)] = {
                "url": url,
                "path": manifest.parent / file,
                "status": int(entry.get("status", 200)),
                "headers": entry.get("headers") or DEFAULT_HEADERS,
            }
    return entries


class MirrorDownloadHandler(BaseDownloadHandler):
    lazy = False

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        mirror = crawler.settings.get("NEWSCRAWL_MIRROR")
        self.override = crawler.settings.get("NEWSCRAWL_HOST_OVERRIDE") or None
        self.entries: dict[str, dict[str, Any]] | None = None
        self.live: HTTP11DownloadHandler | None = None
        if mirror:
            self.entries = load_manifest(mirror)
            logger.info("Offline mirror %s: %d URLs", mirror, len(self.entries))
        else:
            self.live = HTTP11DownloadHandler.from_crawler(crawler)
            if self.override:
                logger.info("Every request goes to %s (NEWSCRAWL_HOST_OVERRIDE)", self.override)

    async def download_request(self, request: Request) -> Response:
        if self.live is not None and self.override:
            return await self.to_override(request)
        if self.live is not None:
            return await self.live.download_request(request)
        assert self.entries is not None
        stats = self.crawler.stats
        entry = self.entries.get(_mirror_key(request.url))
        if entry is None:
            # A well-known file a site does not have (tdmrep.json) is a normal 404, not a
            # page missing from the mirror.
            if stats and not urlsplit(request.url).path.startswith("/.well-known/"):
                stats.inc_value("newscrawl/mirror/missing")
            return Response(url=request.url, status=404, body=b"", request=request)
        body = await run_in_thread(Path(entry["path"]).read_bytes)
        headers = entry["headers"]
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(
            url=request.url, status=entry["status"], headers=headers, body=body, request=request
        )

    async def to_override(self, request: Request) -> Response:
        assert self.live is not None
        parts = urlsplit(request.url)
        local = f"http://{self.override}{parts.path or '/'}"
        if parts.query:
            local += "?" + parts.query
        headers = request.headers.copy()
        headers[OVERRIDE_HOST_HEADER] = parts.netloc
        headers[OVERRIDE_SCHEME_HEADER] = parts.scheme
        response = await self.live.download_request(request.replace(url=local, headers=headers))
        return response.replace(url=request.url, request=request)

    async def close(self) -> None:
        if self.live is not None:
            await self.live.close()
