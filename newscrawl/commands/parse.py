"""`scrapy parse`: Scrapy's command, with each record printed as stored (every field, in the
record's order, as JSON) instead of a dict sorted by key."""

from __future__ import annotations

import json

from itemadapter import ItemAdapter
from scrapy.commands.parse import Command as ScrapyParse

from newscrawl.storeview import ordered


class Command(ScrapyParse):
    def print_items(self, lvl: int | None = None, colour: bool = True) -> None:
        if lvl is None:
            items = [item for found in self.items.values() for item in found]
        else:
            items = self.items.get(lvl, [])
        print("# Scraped Items ", "-" * 60)
        for item in items:
            print(json.dumps(ordered(ItemAdapter(item).asdict()), ensure_ascii=False, indent=2,
                             default=str))
