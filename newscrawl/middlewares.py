"""Downloader middleware: polite retries.

Scrapy's RetryMiddleware retries 429/5xx at once; a server that says "slow down" should be
given time. This subclass waits before each retry: the server's Retry-After (seconds or an
HTTP date) when it sends one, else exponential backoff, capped.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

from newscrawl.config import setting

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
