"""ArticleLoader: which processors run on which field of the record.

Spiders add raw values (strings as printed, lists of paragraphs, parsed dates); the loader
cleans them field by field and computes the derived fields (word count, content hash), so
every site gets the same normalisation.

The shape is itemloaders' (an input chain applied as values are added, an output reducer
applied once when the item is loaded, and only the per-field chains declared here), but the
chains are plain functions over a list of values: itemloaders' generic machinery (loader
contexts, item adapters, `arg_to_iter` on every step) was a fifth of the extraction time of a
page, for nothing this record needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from newscrawl.items import FIELD_ORDER, Article
from newscrawl.normalize.bylines import split_names
from newscrawl.normalize.text import clean_text, content_hash, unique, word_count

InputProcessor = Callable[[Sequence[Any]], list[Any]]
OutputProcessor = Callable[[list[Any]], Any]


# Input processors: raw values -> cleaned values (empty ones dropped).
def clean_strings(values: Sequence[Any]) -> list[str]:
    return [text for text in map(clean_text, values) if text]


def person_names(values: Sequence[Any]) -> list[str]:
    return [name for value in values for name in split_names(value)]


def as_is(values: Sequence[Any]) -> list[Any]:
    return list(values)


# Output processors: all cleaned values of a field -> the field's value.
def first(values: list[Any]) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    return None


def unique_list(values: list[str]) -> list[str]:
    return unique([value for value in values if value])


def paragraphs_joined(values: list[str]) -> str:
    return "\n\n".join(values)


class ArticleLoader:
    default_input: ClassVar[InputProcessor] = staticmethod(clean_strings)
    default_output: ClassVar[OutputProcessor] = staticmethod(first)
    inputs: ClassVar[dict[str, InputProcessor]] = {
        "authors": person_names,
        "editors": person_names,
        "quality_flags": as_is,
        "image": as_is,
        "rights": as_is,
        "word_count": as_is,
        "version": as_is,
    }
    outputs: ClassVar[dict[str, OutputProcessor]] = {
        "authors": unique_list,
        "editors": unique_list,
        "editor_codes": as_is,
        "tags": unique_list,
        "quality_flags": unique_list,
        "body": paragraphs_joined,
    }

    def __init__(self) -> None:
        self._values: dict[str, list[Any]] = {}

    def add_value(self, field: str, value: Any) -> None:
        """Add one value or a list of values; None adds nothing."""
        if value is None:
            return
        values = value if isinstance(value, (list, tuple)) else (value,)
        cleaned = self.inputs.get(field, self.default_input)(values)
        if cleaned:
            self._values.setdefault(field, []).extend(cleaned)

    def get_output_value(self, field: str) -> Any:
        values = self._values.get(field)
        if not values:
            return None
        return self.outputs.get(field, self.default_output)(values)

    def load_item(self) -> Article:
        item = Article()
        for field in self._values:
            value = self.get_output_value(field)
            if value is not None:
                item[field] = value
        body = item.get("body") or ""
        if body:
            item["word_count"] = word_count(body)
            item["content_hash"] = content_hash(body)
        return item


def complete_record(item: Article) -> dict[str, Any]:
    """The record as stored: every field present (None / [] when unknown), in FIELD_ORDER."""
    list_fields = {"authors", "editors", "editor_codes", "tags", "quality_flags"}
    return {name: item.get(name, [] if name in list_fields else None) for name in FIELD_ORDER}
