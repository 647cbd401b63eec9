"""ArticleLoader: which processors run on which field of the record.

Spiders add raw values (strings as printed, lists of paragraphs, parsed dates); the loader
cleans them field by field and computes the derived fields (word count, content hash), so
every site gets the same normalisation.
"""

from __future__ import annotations

from typing import Any

from itemloaders.processors import Identity, Join, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from newscrawl.items import FIELD_ORDER, Article
from newscrawl.normalize.bylines import split_names
from newscrawl.normalize.text import clean_text, content_hash, unique, word_count


def _none_if_empty(value: str) -> str | None:
    return value or None


def _unique_list(values: list[str]) -> list[str]:
    return unique([v for v in values if v])


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(clean_text, _none_if_empty)
    default_output_processor = TakeFirst()

    authors_in = MapCompose(split_names)
    authors_out = _unique_list
    editors_in = MapCompose(split_names)
    editors_out = _unique_list
    editor_codes_in = MapCompose(clean_text, _none_if_empty)
    editor_codes_out = Identity()
    tags_in = MapCompose(clean_text, _none_if_empty)
    tags_out = _unique_list
    quality_flags_in = Identity()
    quality_flags_out = _unique_list
    body_in = MapCompose(clean_text, _none_if_empty)
    body_out = Join("\n\n")
    image_in = Identity()
    rights_in = Identity()
    word_count_in = Identity()
    version_in = Identity()

    def load_item(self) -> Article:
        item = super().load_item()
        body = item.get("body") or ""
        if body:
            item["word_count"] = word_count(body)
            item["content_hash"] = content_hash(body)
        return item


def complete_record(item: Article) -> dict[str, Any]:
    """The record as stored: every field present (None / [] when unknown), in FIELD_ORDER."""
    list_fields = {"authors", "editors", "editor_codes", "tags", "quality_flags"}
    return {name: item.get(name, [] if name in list_fields else None) for name in FIELD_ORDER}
