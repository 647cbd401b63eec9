"""The per-page object every field function receives: the parsed tree, the head tags, the
JSON-LD article, and memoised selector results. No Scrapy imports: a page is (HTML, URL).

Like Fundus's `Precomputed`, it is built once per page and read by every field, so the
tree is parsed once, the head tags are read in one pass, and layout detection and
extraction share their selector results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel.csstranslator import HTMLTranslator

from newscrawl.normalize.jsonld import (
    find_article,
    jsonld_objects,
    resolve_references,
    salvage_article,
)
from newscrawl.normalize.text import clean_text

# Comments and processing instructions are never content, and nothing looks elements up by
# id through libxml2: skipping them makes parsing a 200 KB page ~5 % cheaper.
# huge_tree: libxml2 otherwise stops at 256 levels of nesting and silently drops the rest
# of the page (unclosed inline tags nest that deep on some old templates).
_HTML_PARSER = etree.HTMLParser(
    recover=True, encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False,
    huge_tree=True,
)


def parse_html(text: str) -> etree._Element:
    """The tree of an HTML page, as parsel builds it but with plain lxml elements (lxml.html's
    element classes cost a Python call per element touched)."""
    body = text.strip().replace("\x00", "").encode("utf-8")
    root = etree.fromstring(body, parser=_HTML_PARSER) if body else None
    return root if root is not None else etree.fromstring(b"<html/>", parser=_HTML_PARSER)


# Compiled once per process: translating CSS and compiling XPath per call, and wrapping every
# result in a parsel Selector, cost more than the queries themselves.
_CSS = HTMLTranslator()
_COMPILED: dict[tuple[str, bool], etree.XPath] = {}
# One location step from the context node, no "/" or "|" anywhere (not even in a literal).
_ONE_STEP = re.compile(r"^descendant-or-self::[\w*-]+(?:\[[^/|]*\])?$")


def compile_query(query: str, first_only: bool = False) -> etree.XPath:
    """A layout selector compiled once: CSS by default (with parsel's `::text` and
    `::attr(name)`), XPath when it starts with "xpath:" (for positions such as "the second of
    these divs", which CSS cannot say across classes).

    `first_only` asks for the first match in document order. For a one-step query (what most
    layout selectors are: `div.detail__body-text`) that becomes the step's `[1]`, where libxml2
    stops at the first match instead of testing every element of a 200 KB page."""
    key = (query, first_only)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if query.startswith("xpath:"):
            xpath = query[len("xpath:") :]
        else:
            xpath = _CSS.css_to_xpath(query)
        if first_only and _ONE_STEP.match(xpath):
            xpath += "[1]"
        compiled = _COMPILED[key] = etree.XPath(xpath, smart_strings=False)
    return compiled


def select(node: etree._Element, query: str) -> list[Any]:
    """The elements (or strings, for `::text`/`::attr()`) `query` selects under `node`."""
    return compile_query(query)(node)


def element_text(node: etree._Element | str) -> str:
    """The cleaned full text of an element (or of a selected string)."""
    if isinstance(node, str):
        return clean_text(node)
    return clean_text(" ".join(node.itertext()))


def element_texts(selection: list[Any]) -> list[str]:
    return [element_text(node) for node in selection]


_DOCUMENT_END = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
_ENDS_WITH_CLOSING_TAG = re.compile(r"</[A-Za-z][\w-]*\s*>\s*$")
_TAIL = 4096


def looks_truncated(html: str) -> bool:
    """Whether a page was cut off in transfer: no `</body>` or `</html>` near its end, and it
    does not end with a closing tag either (mid-text, mid-tag or after an opening tag).
    HTML lets a page leave out `</body></html>`, but such a page still ends with the close of
    its last element; a page cut at 75 % ends inside a paragraph."""
    tail = html[-_TAIL:].rstrip()
    if not tail:
        return True
    if _DOCUMENT_END.search(tail):
        return False
    # A closing comment (a cache stamp) may follow the last element.
    while tail.endswith("-->") and "<!--" in tail:
        tail = tail[: tail.rfind("<!--")].rstrip()
    return not _ENDS_WITH_CLOSING_TAG.search(tail)


@dataclass
class HeadTags:
    """What a page says about itself outside the article markup."""

    meta: dict[str, str] = field(default_factory=dict)
    robots: list[str] = field(default_factory=list)
    canonical: str | None = None
    jsonld: list[str] = field(default_factory=list)
    title: str | None = None


class Page:
    """One article page: its HTML and URL, parsed lazily and once.

    `scope` arguments name an element selector (a layout's `scope`): a query then searches
    inside the first element it matches, or the whole page when the page has none."""

    def __init__(
        self,
        html: str,
        url: str,
        headers: dict[str, str] | None = None,
        flags: tuple[str, ...] = (),
    ):
        self.html = html
        self.url = url
        self.headers = headers or {}
        # Quality flags found before extraction (how the bytes had to be decoded).
        self.flags = flags
        # The layout the site's detection recognised (set by SiteParser.extract_article).
        self.detected_layout: Any = None
        self._results: dict[tuple[str, str], list[Any]] = {}
        self._first: dict[tuple[str, str], Any] = {}

    def urljoin(self, href: str) -> str:
        return urljoin(self.url, href)

    @cached_property
    def root(self) -> etree._Element:
        return parse_html(self.html)

    @cached_property
    def head(self) -> HeadTags:
        """Meta tags, robots, canonical link, <title> and JSON-LD scripts, in one pass."""
        head = HeadTags()
        for element in self.root.iter("meta", "link", "script", "title"):
            tag = element.tag
            if tag == "meta":
                content = (element.get("content") or "").strip()
                if not content:
                    continue
                if element.get("name") == "robots":
                    head.robots.append(content)
                for key in ("property", "name", "itemprop"):
                    name = element.get(key)
                    if name:
                        head.meta.setdefault(name, content)
            elif tag == "link":
                if head.canonical is None and element.get("rel") == "canonical" and element.get("href"):
                    head.canonical = element.get("href")
            elif tag == "title":
                if head.title is None and element.text:
                    head.title = clean_text(element.text)
            elif element.get("type") == "application/ld+json" and element.text:
                head.jsonld.append(element.text)
        return head

    @cached_property
    def jsonld_objects(self) -> list[dict[str, Any]]:
        return jsonld_objects(self.head.jsonld)

    @cached_property
    def ld(self) -> dict[str, Any]:
        """The page's JSON-LD article object (references resolved); from a malformed block,
        what can still be read of it; or {}."""
        objects = self.jsonld_objects
        article = resolve_references(find_article(objects), objects)
        return article or salvage_article(self.head.jsonld)

    @cached_property
    def content(self) -> Any:
        """The article text's elements, as the generic extractor finds them (`Content`)."""
        from newscrawl.extraction.generic import find_content

        return find_content(self.root)

    @property
    def main_content(self) -> list[etree._Element]:
        return self.content.elements

    @cached_property
    def region(self) -> etree._Element:
        """The element that holds the article (headline, byline, story), found generically."""
        from newscrawl.extraction.generic import article_region

        return article_region(self.root, self.main_content)

    @cached_property
    def language(self) -> str:
        root = self.root
        return (root.get("lang", "") if root.tag == "html" else "")[:2]

    def meta(self, *names: str) -> str | None:
        """The first non-empty <meta> content among `names` (name, property or itemprop)."""
        tags = self.head.meta
        for name in names:
            value = tags.get(name)
            if value:
                return value
        return None

    def _search_root(self, scope: str) -> etree._Element:
        if not scope:
            return self.root
        element = self.select_first(scope)
        return element if element is not None else self.root

    def select(self, query: str, scope: str = "") -> list[Any]:
        """What `query` selects (inside `scope` when the page has it), memoised."""
        key = (query, scope)
        results = self._results.get(key)
        if results is None:
            results = self._results[key] = select(self._search_root(scope), query)
        return results

    def select_first(self, query: str, scope: str = "") -> Any:
        """The first element (or string) `query` selects, or None; memoised like `select`."""
        key = (query, scope)
        if key in self._results:
            return next(iter(self._results[key]), None)
        if key not in self._first:
            root = self._search_root(scope)
            self._first[key] = next(iter(compile_query(query, True)(root)), None)
        return self._first[key]

    def texts(self, query: str, scope: str = "") -> list[str]:
        return element_texts(self.select(query, scope))
