"""ArticleLoader: which processors run on which field of the record.

Field functions add raw values (strings as printed, lists of paragraphs, parsed dates); the
loader cleans them field by field and computes the derived fields (word count, content hash),
so every site and every extraction path gets the same normalisation.

It is an `itemloaders.ItemLoader` declared the itemloaders way: `<field>_in` input
processors run as values are added, `<field>_out` output processors once when the item is
loaded, `default_*` for the rest. The processors are small pure functions composed with
`MapCompose`; the ones only this record needs (person names, first non-empty value, unique
list) are defined here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from itemloaders import ItemLoader
from itemloaders.processors import Identity, Join, MapCompose

from newscrawl.items import FIELD_ORDER, Article
from newscrawl.normalize.bylines import split_names
from newscrawl.normalize.text import clean_text, content_hash, unique, word_count


def non_empty(value: str) -> str | None:
    """MapCompose drops a value a function maps to None: empty strings go."""
    return value or None


class TakeFirstNonEmpty:
    """The first value that is neither None nor "" (itemloaders' TakeFirst, without the
    per-call generality)."""

    def __call__(self, values: Iterable[Any]) -> Any:
        for value in values:
            if value is not None and value != "":
                return value
        return None


class UniqueList:
    """Non-empty values in first-seen order, each once."""

    def __call__(self, values: Iterable[str]) -> list[str]:
        return unique([value for value in values if value])


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(clean_text, non_empty)
    default_output_processor = TakeFirstNonEmpty()

    authors_in = MapCompose(split_names)
    authors_out = UniqueList()
    editors_in = MapCompose(split_names)
    editors_out = UniqueList()
    editor_codes_out = Identity()
    tags_out = UniqueList()
    body_out = Join("\n\n")
    image_in = Identity()
    rights_in = Identity()
    quality_flags_in = Identity()
    quality_flags_out = UniqueList()

    # itemloaders looks processors up per value added (class attribute, then the item's field
    # metadata); the answer never changes for a field, so it is looked up once per class.
    _processors: dict[tuple[type, str, str], Callable[..., Any]] = {}

    def get_input_processor(self, field_name: str) -> Callable[..., Any]:
        key = (type(self), field_name, "in")
        processor = self._processors.get(key)
        if processor is None:
            processor = self._processors[key] = super().get_input_processor(field_name)
        return processor

    def get_output_processor(self, field_name: str) -> Callable[..., Any]:
        key = (type(self), field_name, "out")
        processor = self._processors.get(key)
        if processor is None:
            processor = self._processors[key] = super().get_output_processor(field_name)
        return processor

    def load_item(self) -> Article:
        item = super().load_item()
        # Fields with no value are left out here and filled by `complete_record` on output.
        for name in [name for name, value in item.items() if value in (None, "", [])]:
            del item[name]
        body = item.get("body") or ""
        if body:
            item["word_count"] = word_count(body)
            item["content_hash"] = content_hash(body)
        return item


def complete_record(item: Article) -> dict[str, Any]:
    """The record as stored: every field present (None / [] when unknown), in FIELD_ORDER."""
    list_fields = {"authors", "editors", "editor_codes", "tags", "quality_flags"}
    return {name: item.get(name, [] if name in list_fields else None) for name in FIELD_ORDER}
