"""Scrapy feed exports (`-o items.csv`) in the record's own form.

Items leave the spider with every field set, in the stored order (`FEED_EXPORT_FIELDS` is the
record's field list), so JSON and JSON Lines feeds hold the record as stored; CSV feeds write
it as `scrapy export` does: lists joined with " | ", objects as JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy.exporters import CsvItemExporter

from newscrawl.export import csv_cell


class RecordCsvExporter(CsvItemExporter):
    def serialize_field(self, field: Mapping[str, Any], name: str, value: Any) -> Any:
        return csv_cell(name, value)
