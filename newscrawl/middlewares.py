"""Downloader middlewares: polite retries, and the host's rights signals.

Scrapy's RetryMiddleware retries 429/5xx at once; a server that says "slow down" should be
given time. This subclass waits before each retry: the server's Retry-After (seconds or an
HTTP date) when it sends one, else exponential backoff, capped.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached

from newscrawl.archiving import HOST_RIGHTS_KEY, REPLAY_KEY
from newscrawl.config import setting
from newscrawl.rights import TDMREP_PATH, robots_ai_signal, tdmrep_rules, tdmrep_signal

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header value, or None when absent/unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = setting(settings, "NEWSCRAWL_BACKOFF_BASE")
        self.backoff_max = setting(settings, "NEWSCRAWL_BACKOFF_MAX")

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: object = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            if response.status in (401, 403) and self.crawler.stats:
                self.crawler.stats.inc_value("newscrawl/blocked")
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        attempt = retry.meta.get("retry_times", 1)
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if delay is None:
            delay = self.backoff_base * (2 ** (attempt - 1))
        delay = min(delay, self.backoff_max)
        if delay > 0:
            logger.info("Waiting %.1fs before retry %d of %s", delay, attempt, request.url)
            if self.crawler.stats:
                self.crawler.stats.inc_value("newscrawl/retry/backoff_seconds", int(delay))
            await asyncio.sleep(delay)
        return retry


ROBOTS_DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
_UNREACHABLE = "robots.txt unreachable"


class RobotsUnreachableMiddleware:
    """robots.txt as RFC 9309 (2.3.1) reads its answers, where Scrapy reads every answer as rules
    and an error as "allow everything". After the retries: a server error (5xx, and 429, which
    asks us to slow down) or no answer at all (DNS, refused, reset, timeout) means **complete
    disallow** for this run; any other 4xx means there are no rules (its error page is not read as
    rules). Sits under the retry middleware, so a transient error is retried first; the next run
    asks again. Counted per reason (`newscrawl/robots/unreachable/<reason>`) for the report."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsUnreachableMiddleware:
        return cls(crawler)

    @staticmethod
    def _is_robots(request: Request) -> bool:
        return bool(request.meta.get("dont_obey_robotstxt")) and (
            urlparse_cached(request).path == "/robots.txt")

    def process_response(self, request: Request, response: Response,
                         spider: object = None) -> Response:
        if not self._is_robots(request) or response.status < 400 or _UNREACHABLE in response.flags:
            return response
        if response.status >= 500 or response.status == 429:
            return self._disallow_all(request, response, f"HTTP {response.status}")
        return response.replace(body=b"")  # unavailable: no rules, everything allowed

    def process_exception(self, request: Request, exception: Exception,
                          spider: object = None) -> Response | None:
        if not self._is_robots(request) or isinstance(exception, IgnoreRequest):
            return None
        return self._disallow_all(request, None, type(exception).__name__)

    def _disallow_all(self, request: Request, response: Response | None, reason: str
                      ) -> Response:
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"newscrawl/robots/unreachable/{reason}")
        logger.warning("robots.txt of %s unreachable (%s): nothing is fetched from that host "
                       "this run (RFC 9309: an unreachable robots.txt means complete disallow)",
                       urlparse_cached(request).netloc, reason)
        if response is not None:
            return response.replace(body=ROBOTS_DISALLOW_ALL)
        # No answer: a stand-in, flagged, as the middlewares above see it once more; it is
        # no response of the host's (the report does not count it as one).
        if self.crawler.stats:
            self.crawler.stats.inc_value("newscrawl/robots/stand_in_responses")
        return Response(request.url, status=599, body=ROBOTS_DISALLOW_ALL, request=request,
                        flags=[_UNREACHABLE])


class HostRightsMiddleware:
    """The host's rights signals for each article request (newscrawl/rights.py): the rule of
    its `/.well-known/tdmrep.json` that matches the path (fetched once per host and crawl,
    before the host's first article, like robots.txt) and whether robots.txt keeps AI
    crawlers from the URL (read from the robots.txt Scrapy's RobotsTxtMiddleware parsed).
    They go into `request.meta`, whence the spider puts them in the record's `rights` and the
    archive keeps them with the page."""

    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.tdmrep: dict[str, list[dict[str, Any]] | asyncio.Future[list[dict[str, Any]]]] = {}
        self.robots: dict[str, Any] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostRightsMiddleware:
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        self.robots[urlparse_cached(request).netloc] = robotparser

    async def process_request(self, request: Request, spider: object = None) -> None:
        if request.meta.get("newscrawl_kind") != "article" or REPLAY_KEY in request.meta:
            return
        url = urlparse_cached(request)
        found = []
        rule = tdmrep_signal(await self.rules_of(url.scheme, url.netloc), url.path or "/")
        if rule is not None:
            found.append(rule)
        robots = self.robots.get(url.netloc)
        if robots is not None:
            refused = robots_ai_signal(robots.allowed, request.url)
            if refused is not None:
                found.append(refused)
        request.meta[HOST_RIGHTS_KEY] = found

    async def rules_of(self, scheme: str, netloc: str) -> list[dict[str, Any]]:
        known = self.tdmrep.get(netloc)
        if isinstance(known, list):
            return known
        if known is not None:  # another request of this host is fetching it
            return await asyncio.shield(known)
        waiting: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.tdmrep[netloc] = waiting
        rules: list[dict[str, Any]] = []
        stats = self.crawler.stats
        try:
            response = await self.crawler.engine.download_async(Request(
                f"{scheme}://{netloc}{TDMREP_PATH}", priority=self.DOWNLOAD_PRIORITY,
                meta={"newscrawl_kind": "tdmrep", "dont_retry": True}, callback=NO_CALLBACK,
            ))
            if response.status == 200:
                rules = tdmrep_rules(response.body)
                if stats:
                    stats.set_value(f"newscrawl/rights/tdmrep_rules/{netloc}", len(rules))
        except Exception as exc:  # no file, a refusal, a timeout: no TDMRep rules
            logger.debug("No %s for %s: %s", TDMREP_PATH, netloc, exc)
        self.tdmrep[netloc] = rules
        waiting.set_result(rules)
        return rules
