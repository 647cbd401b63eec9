"""Validation: a record missing a required field, or too large to be an article, is dropped
with the reason counted."""

from __future__ import annotations

import logging
from datetime import datetime

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.config import default, setting
from newscrawl.items import REQUIRED_FIELDS

logger = logging.getLogger(__name__)


# No article has a title or a body this long: a page that gives one is broken (a title
# selector that caught the whole page, a 30 MB body), and storing it would only hurt.
MAX_TITLE_CHARS = default("NEWSCRAWL_MAX_TITLE_CHARS")
MAX_BODY_CHARS = default("NEWSCRAWL_MAX_BODY_CHARS")


def missing_reason(
    item: object, max_title: int = MAX_TITLE_CHARS, max_body: int = MAX_BODY_CHARS
) -> str | None:
    """The first problem that makes a record unusable, or None."""
    adapter = ItemAdapter(item)
    for name in REQUIRED_FIELDS:
        if not adapter.get(name):
            return f"missing_{name}"
    if len(adapter["title"]) > max_title:
        return "title_too_long"
    if len(adapter["body"]) > max_body:
        return "body_too_long"
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
        self.max_title = setting(crawler.settings, "NEWSCRAWL_MAX_TITLE_CHARS")
        self.max_body = setting(crawler.settings, "NEWSCRAWL_MAX_BODY_CHARS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: object, spider: Spider | None = None) -> object:
        self.stats.inc_value("newscrawl/checked")
        reason = missing_reason(item, self.max_title, self.max_body)
        if reason:
            self.stats.inc_value(f"newscrawl/dropped/{reason}")
            url = ItemAdapter(item).get("url")
            # Scrapy's LogFormatter logs the DropItem once per page with this message.
            raise DropItem(f"{reason}: {url}")
        self.stats.inc_value("newscrawl/valid")
        return item
