"""Log dropped items by kind: a duplicate (or a dry run's record) is routine (DEBUG), an
unusable page is a WARNING."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter

from newscrawl.pipelines.dedupe import DryRun, Duplicate


class NewsLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None):
        entry = super().dropped(item, exception, response, spider)
        if isinstance(exception, (Duplicate, DryRun)):
            entry["level"] = logging.DEBUG
        return entry
