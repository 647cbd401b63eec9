"""Article extraction: from one page (HTML and URL) to one record, for a declared site.

- `page`: the per-page object (parsed tree, head tags, JSON-LD, memoised selectors);
- `layout`: `Layout`, one declared version of a site's article template, and `RunOnByline`;
- `parser`: `SiteParser` (what every spider is, for its article pages), `extract_record`;
- `generic`: the generic body extractor for layouts no site file declares.
"""

from newscrawl.extraction.layout import Layout, RunOnByline
from newscrawl.extraction.page import Page, element_text, element_texts
from newscrawl.extraction.parser import (
    GENERIC_BODY_FLAG,
    DateCandidate,
    ExtractOptions,
    GenericSite,
    SiteParser,
    extract_record,
)

__all__ = [
    "GENERIC_BODY_FLAG",
    "DateCandidate",
    "ExtractOptions",
    "GenericSite",
    "Layout",
    "Page",
    "RunOnByline",
    "SiteParser",
    "element_text",
    "element_texts",
    "extract_record",
]
