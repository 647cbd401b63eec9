"""Each article once, each story recognisable: the dedupe stage before storage.

For a valid record, against the ledger:
- same id or URL already stored with the same content hash: a duplicate, dropped quietly
  (a revisit that found no change, or one article reached twice);
- same id with a changed body: stored as a new version (`version` + 1,
  `previous_content_hash`), the ledger keeps the latest;
- a new id whose body equals a stored record of the same outlet (the article under a second
  id): dropped, its URL kept in the ledger as an alias of the stored record;
- otherwise new: version 1, and the story index gives it `story_id` / `duplicate_of` (a
  near-copy of another outlet's story is kept, pointing at the first record of the story).

A re-extracted record (`scrapy reextract`, newscrawl/replay.py) is compared with the stored
version on every extracted field instead of the body alone (newscrawl/reextract.py), and an
article only another machine's store holds (`--include`) is known through that store. Its
MinHash signature may come made by the worker process that extracted it (`SIGNATURE_ATTR`):
it is used only when made with this story index's spec of the very body the record carries
here (a stage that changed the body would have put another string there), else made again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.loaders import complete_record
from newscrawl.pipelines.guard import StorageGuard
from newscrawl.reextract import Comparison
from newscrawl.state import CrawlState
from newscrawl.stories import UNSET, SignatureSpec, Unset

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)


# A private attribute of an item (not a field: the store and the exports never write it):
# (spec, body, values), the MinHash values `spec` made of `body` in another process.
SIGNATURE_ATTR = "_newscrawl_signature"


def attach_signature(item: Any, spec: SignatureSpec, body: Any, values: np.ndarray | None
                     ) -> None:
    """Give `item` the signature made (elsewhere) of `body`, which must be the item's body."""
    setattr(item, SIGNATURE_ATTR, (spec, body, values))


def attached_signature(item: Any, body: Any, spec: SignatureSpec) -> np.ndarray | None | Unset:
    """The signature attached to `item` when it was made with `spec` of this very `body` (the
    same object: a stage that changed the body put another string in the item), else UNSET."""
    attached = getattr(item, SIGNATURE_ATTR, None)
    if attached is None:
        return UNSET
    made_with, signed, values = attached
    if signed is not body or made_with != spec:
        return UNSET
    return values


class Duplicate(DropItem):
    """A record already stored; logged at DEBUG, not as a warning (see NewsLogFormatter).
    `reason` names which kind: unchanged, alias or concurrent."""

    def __init__(self, message: str, reason: str = "unchanged"):
        super().__init__(message)
        self.reason = reason


class DryRun(DropItem):
    """`scrapy reextract --dry-run`: the record would be stored (`reason`: new or changed)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class DedupePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.state: CrawlState | None = None
        self.guard = StorageGuard(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.state = self.guard.open_state()

    def process_item(self, item: object, spider: Spider | None = None) -> object:
        if self.state is None:
            raise DropItem(f"storage_failed: {ItemAdapter(item).get('url')}")
        with self.guard.writing(ItemAdapter(item).get("url")):
            return self.dedupe(item)

    def comparison(self) -> Comparison | None:
        """Set by `scrapy reextract`: re-extracted records are compared field by field with
        the stored version, not by body alone."""
        return getattr(self.crawler.spider, "comparison", None)

    def dedupe(self, item: object) -> object:
        assert self.state is not None
        ledger = self.state.ledger
        adapter = ItemAdapter(item)
        record_id, url, digest = adapter["id"], adapter["url"], adapter.get("content_hash")
        comparison = self.comparison()
        dry_run = comparison is not None and comparison.dry_run
        known = ledger.known(record_id=record_id) or ledger.known(url=url)
        if known is None and comparison is not None:
            known = comparison.known_elsewhere(record_id)
        if known is not None:
            unchanged = None
            if comparison is not None:
                unchanged = comparison.unchanged(known.record_id, complete_record(adapter.item))
            if unchanged is None:
                unchanged = known.content_hash == digest
            if unchanged:
                if not dry_run:
                    ledger.add_alias(url, known.record_id)
                    if comparison is None:  # a revisit, not a re-extraction
                        ledger.mark_checked(known.record_id)
                self.stats.inc_value("newscrawl/duplicate/unchanged")
                raise Duplicate(f"already stored as {known.record_id}: {url}", "unchanged")
            if dry_run:
                raise DryRun(f"would store version {(known.version or 1) + 1}: {url}", "changed")
            adapter["version"] = (known.version or 1) + 1
            adapter["previous_content_hash"] = known.content_hash
            if known.record_id != record_id:
                adapter["id"] = known.record_id
            if comparison is None:
                ledger.mark_checked(known.record_id)
            else:
                comparison.remember(known.record_id, complete_record(adapter.item))
            match = self.state.stories.get(known.record_id)
            if match is not None:
                adapter["story_id"], adapter["duplicate_of"] = match.story_id, match.duplicate_of
            elif comparison is not None and comparison.story_of(known.record_id):
                adapter["story_id"], adapter["duplicate_of"] = comparison.story_of(known.record_id)
            self.stats.inc_value("newscrawl/updated")
            logger.info("Updated article %s (version %d)", known.record_id, adapter["version"])
            return item
        same_body = ledger.find_by_content_hash(digest, source=adapter["source"]) if digest else None
        if same_body is not None:
            if not dry_run:
                ledger.add_alias(url, same_body)
            self.stats.inc_value("newscrawl/duplicate/alias")
            raise Duplicate(f"same body as {same_body}, kept as alias: {url}", "alias")
        if dry_run:
            raise DryRun(f"would store a new record: {url}", "new")
        stories = self.state.stories
        body = adapter["body"]
        match = stories.assign(record_id, body, adapter["published_at"],
                               values=attached_signature(item, body, stories.spec))
        adapter["version"] = 1
        adapter["previous_content_hash"] = None
        adapter["story_id"] = match.story_id
        adapter["duplicate_of"] = match.duplicate_of
        if match.duplicate_of:
            self.stats.inc_value("newscrawl/duplicate/story")
        self.stats.inc_value("newscrawl/new")
        return item
