"""The record's field list, without Scrapy: what the export and the store views need (their
worker processes start without importing Scrapy). `newscrawl.items.Article` declares the same
fields as a Scrapy item; a test keeps the two in step."""

from __future__ import annotations

FIELD_ORDER: tuple[str, ...] = (
    "id",
    "source",
    "outlet",
    "section",
    "url",
    "title",
    "description",
    "authors",
    "editors",
    "editor_codes",
    "dateline",
    "published_at",
    "modified_at",
    "date_source",
    "body",
    "tags",
    "category",
    "image",
    "language",
    "word_count",
    "content_hash",
    "version",
    "previous_content_hash",
    "story_id",
    "duplicate_of",
    "rights",
    "parser",
    "archive",
    "crawled_at",
    "quality_flags",
)
# Scrapy sorts Item.fields by name; records are written in FIELD_ORDER instead.
REQUIRED_FIELDS: tuple[str, ...] = ("url", "title", "body", "published_at")


def quality_flag_names() -> tuple[str, ...]:
    """The quality flags a record can carry, as the JSON Schema lists them."""
    import json
    from pathlib import Path

    schema = json.loads((Path(__file__).parent / "schema" / "article.schema.json").read_text(
        encoding="utf-8"))
    return tuple(schema["properties"]["quality_flags"]["items"]["enum"])
