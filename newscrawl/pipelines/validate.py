"""Validation: a record missing a required field is dropped, with the reason counted."""

from __future__ import annotations

import logging
from datetime import datetime

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.items import REQUIRED_FIELDS

logger = logging.getLogger(__name__)


def missing_reason(item: object) -> str | None:
    """The first problem that makes a record unusable, or None."""
    adapter = ItemAdapter(item)
    for name in REQUIRED_FIELDS:
        if not adapter.get(name):
            return f"missing_{name}"
    try:
        published = datetime.fromisoformat(adapter["published_at"])
    except (TypeError, ValueError):
        return "invalid_published_at"
    if published.tzinfo is None:
        return "published_at_without_offset"
    return None


class ValidatePipeline:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: object, spider: Spider | None = None) -> object:
        self.stats.inc_value("newscrawl/checked")
        reason = missing_reason(item)
        if reason:
            self.stats.inc_value(f"newscrawl/dropped/{reason}")
            url = ItemAdapter(item).get("url")
            # Scrapy's LogFormatter logs the DropItem once per page with this message.
            raise DropItem(f"{reason}: {url}")
        self.stats.inc_value("newscrawl/valid")
        return item
