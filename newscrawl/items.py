"""The record: one Article per news article, one JSON object per JSONL line.

This module is the single source of truth for the field list; `schema/article.schema.json`
describes the same fields for researchers and a test keeps the two in step.
"""

from __future__ import annotations

import scrapy

from newscrawl.fields import FIELD_ORDER, REQUIRED_FIELDS, quality_flag_names

__all__ = ["FIELD_ORDER", "REQUIRED_FIELDS", "Article", "quality_flag_names"]


class Article(scrapy.Item):
    id = scrapy.Field(doc="source + ':' + the site's own article id (else a hash of the URL)")
    source = scrapy.Field(doc="spider name")
    outlet = scrapy.Field(doc="outlet name as printed, e.g. 'CNBC Indonesia'")
    section = scrapy.Field(doc="section crawled, e.g. 'tech'")
    url = scrapy.Field(doc="canonical URL")
    title = scrapy.Field()
    description = scrapy.Field(doc="lead / og:description")
    authors = scrapy.Field(doc="writer names, outlet suffixes removed")
    editors = scrapy.Field(doc="editor names where the page prints them")
    editor_codes = scrapy.Field(doc="initials of the closing code '(abc/xyz)', in printed order")
    dateline = scrapy.Field(doc="place of the opening dateline")
    published_at = scrapy.Field(doc="ISO 8601 with the site's offset")
    modified_at = scrapy.Field()
    date_source = scrapy.Field(doc="jsonld | meta | text | url")
    body = scrapy.Field(doc="paragraphs joined by a blank line")
    tags = scrapy.Field()
    category = scrapy.Field()
    image = scrapy.Field(doc="{url, caption, credit} of the lead image")
    language = scrapy.Field()
    word_count = scrapy.Field()
    content_hash = scrapy.Field(doc="sha256 of the normalised body")
    version = scrapy.Field(doc="1 for the first stored version, +1 per stored update")
    previous_content_hash = scrapy.Field(doc="content_hash of the version this one replaces")
    story_id = scrapy.Field(doc="cluster of near-duplicate stories across outlets")
    duplicate_of = scrapy.Field(doc="id of the first record of the same story, or null")
    rights = scrapy.Field(doc="{reserved, notice} when the page reserves crawling / AI use")
    parser = scrapy.Field(doc="site@layout version that produced the record")
    archive = scrapy.Field(doc="{file, offset, length} of the archived response (WARC)")
    crawled_at = scrapy.Field(doc="UTC ISO 8601")
    quality_flags = scrapy.Field(doc="problems found but not fatal")
