"""Scrapy contracts for news spiders: what `scrapy check` asserts beyond Scrapy's own.

Every spider's listing, feed, sitemap and article callbacks carry contracts generated from the
site's declarations (`NewsSpider.__init_subclass__`): `@url` (the first listing page, feed and
sitemap; a mirror article page), `@returns`, `@scrapes`, and these two:

- `@listing_in_scope`: the listing's article links were found inside the site's declared link
  container; a listing redesign that needs the whole-page fallback fails, saying so;
- `@declared_layout`: the article was read by one of the site's declared layouts (not another
  layout's selectors, JSON-LD `articleBody` or the generic path) and carries no quality flag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

# `parser` suffixes of bodies no declared layout gave (see newscrawl/extraction/parser.py).
OFF_LAYOUT = ("other-layout", "jsonld-body", "generic", "none")


class ListingInScope(Contract):
    """@listing_in_scope"""

    name = "listing_in_scope"

    def __init__(self, method: Callable[..., Any], *args: Any):
        super().__init__(method, *args)
        self.spider = getattr(method, "__self__", None)

    def post_process(self, output: list[Any]) -> None:
        vias = [
            request.meta.get("newscrawl_via", "")
            for request in output
            if isinstance(request, Request) and request.meta.get("newscrawl_kind") == "article"
        ]
        fallback = [via for via in vias if via.endswith("-fallback")]
        if fallback:
            scope = getattr(self.spider, "listing_links", "")
            raise ContractFail(
                f"listing drift: no article link inside the declared container ({scope}); "
                f"{len(fallback)} read from the whole page instead"
            )


class DeclaredLayout(Contract):
    """@declared_layout"""

    name = "declared_layout"

    def post_process(self, output: list[Any]) -> None:
        for item in output:
            if isinstance(item, Request) or not hasattr(item, "get"):
                continue
            parser = str(item.get("parser") or "")
            flags = list(item.get("quality_flags") or [])
            if parser.rpartition("@")[2] in OFF_LAYOUT:
                raise ContractFail(
                    f"layout drift: the article was read by {parser}, not by a declared layout"
                )
            if flags:
                raise ContractFail(f"the record carries quality flags: {', '.join(flags)}")
