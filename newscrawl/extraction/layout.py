"""A site's article template versions, and other markup a site declares."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from newscrawl.normalize.body import BodyRules, merge_rules


@dataclass(frozen=True)
class Layout:
    """One version of a site's article template. Empty selectors fall back to the site's
    other layouts, then JSON-LD and meta; the body falls back further (see
    `SiteParser.extract_body`)."""

    version: str
    detect: str
    # The element holding the article (title, byline, date, body, image, tags): those
    # selectors then search only inside it, not the whole 150-300 KB page. Category
    # (breadcrumbs sit outside articles) and detection always search the page.
    scope: str = ""
    title: str = ""
    authors: str = ""
    credits: str = ""
    date: str = ""
    body: str = ""
    # This template's full text is JSON-LD `articleBody` (the HTML holds a teaser or
    # nothing): the body selector, if any, is read only when articleBody is absent.
    jsonld_body: bool = False
    image: str = ""
    caption: str = ""
    tags: str = ""
    category: str = ""
    rules: BodyRules = field(default_factory=BodyRules)


@dataclass(frozen=True)
class RunOnByline:
    """A byline the site prints as one text with what follows it, without an element of its
    own for the names (SINDOnews: "Dian PermatasariSabtu, 22 November 2025 - 09:15 WIB" when the
    author link is missing). `selector` finds the text anywhere on the page; `trailing`
    matches what follows the names (the date) and is cut away."""

    selector: str
    trailing: re.Pattern[str]


@lru_cache(maxsize=256)
def site_rules(layouts: Sequence[Layout]) -> BodyRules:
    """The clean-up a site's layouts declare, merged: what a body found by a fallback path
    (another layout's selector, JSON-LD, the generic extractor) is cleaned with."""
    return merge_rules(*(layout.rules for layout in layouts))
