"""Article extraction: one record from one page, a pure function of (HTML, URL, site).

`extract_record(html, url, site)` is what the spiders, `scrapy extract`, `scrapy evaluate`
and re-extraction all call. A site is a `SiteParser` (every spider is one): declarations
(layouts, date meta tags, the credit shapes the outlet prints …) and field functions a site may
override for a real quirk. Every field function receives the `Page` and the site's layouts
in the order to try them.

Each field is taken independently from the first source that has it: the detected layout's
selector, the same field's selector in the site's other layouts, JSON-LD, meta. The body
goes further (see `extract_body`): detected layout, other layouts' body selectors, JSON-LD
`articleBody` when it is the whole text, and last the generic extractor, with the site's
clean-up rules applied on every path. The record's `parser` names the path, and bodies that
no layout of the site produced carry the `generic_body` flag.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Literal

from lxml import etree

from newscrawl.extraction import generic
from newscrawl.extraction.layout import Layout, RunOnByline, site_rules
from newscrawl.extraction.page import Page, element_text
from newscrawl.items import Article
from newscrawl.loaders import ArticleLoader, complete_record
from newscrawl.normalize.body import BodyParts, BodyRules, clean_body
from newscrawl.normalize.bylines import (
    ALL_AUTHORS,
    contributor_names,
    footer_credits,
    paragraph_credits,
    parse_credits,
    run_on_byline_names,
    split_names,
    split_unlabelled_credit,
)
from newscrawl.normalize.dates import in_offset, parse_date, to_iso
from newscrawl.normalize.encoding import has_mojibake
from newscrawl.normalize.images import split_caption_credit
from newscrawl.normalize.jsonld import (
    breadcrumb_names,
    image_url,
    keywords,
    names,
    person_names,
    text_value,
)
from newscrawl.normalize.text import clean_text, unique, word_count
from newscrawl.normalize.urls import article_id, canonical_url, record_id
from newscrawl.rights import page_signals, rights_of

# Body paths, in the order they are tried. `layout` is the detected layout's own body.
LAYOUT_PATH = "layout"
OTHER_LAYOUT_PATH = "other-layout"
JSONLD_PATH = "jsonld-body"
GENERIC_PATH = "generic"
NO_BODY_PATH = "none"
# Paths whose body no layout of the site produced: flagged, and counted as drift.
FALLBACK_PATHS = (JSONLD_PATH, GENERIC_PATH)
GENERIC_BODY_FLAG = "generic_body"

# articleBody shorter than this share of the page's own text is a teaser, not the story.
WHOLE_TEXT_SHARE = 0.8


@dataclass(frozen=True)
class ExtractOptions:
    """What a caller may switch: the site's layouts (off: the fallback paths alone, as
    `scrapy evaluate --layouts off` scores them), the generic body path
    (`NEWSCRAWL_GENERIC_BODY`) and the short-body threshold (`NEWSCRAWL_MIN_WORDS`)."""

    layouts: bool = True
    generic_body: bool = True
    min_words: int = 40


DEFAULT_OPTIONS = ExtractOptions()


@dataclass
class DateCandidate:
    source: str
    value: Any


@dataclass
class BodyResult:
    parts: BodyParts = field(default_factory=BodyParts)
    path: str = NO_BODY_PATH


class SiteParser:
    """What a site declares for its article pages, and the field functions that read them."""

    name: ClassVar[str] = ""
    outlet: ClassVar[str] = ""
    section: ClassVar[str] = "tech"
    timezone: ClassVar[str] = "+07:00"
    language: ClassVar[str] = "id"

    # Article pages this parser reads (with an `id` group); None reads any URL.
    article_url: ClassVar[re.Pattern[str] | None] = None
    host_aliases: ClassVar[dict[str, str]] = {}
    keep_params: ClassVar[tuple[str, ...]] = ()

    layouts: ClassVar[Sequence[Layout]] = ()
    # Clean-up for bodies found without a layout; by default the layouts' rules merged.
    body_rules: ClassVar[BodyRules | None] = None
    # Meta tags holding the publish time, in the site's local time unless they say otherwise.
    date_meta: ClassVar[Sequence[str]] = ()
    date_priority: ClassVar[Sequence[str]] = ("jsonld", "meta", "text", "url")

    # How the site credits people, where the shared reading (layout credit and byline
    # selectors, JSON-LD, meta, printed "Penulis:" lines) needs telling; see `extract_people`.
    # What JSON-LD `author` names: "authors", or "editors" where the CMS puts the editor
    # there (Kompas): then it may name the editor, never an author.
    jsonld_author_role: ClassVar[Literal["authors", "editors"]] = "authors"
    # How to read the names a layout's `authors` selector finds when the page prints them
    # without roles: "authors" (all writers) or "last-is-editor" (one name is the writer; of
    # several, the last is the editor: Kompas's credit block).
    unlabelled_credit: ClassVar[Literal["authors", "last-is-editor"]] = ALL_AUTHORS
    # <meta> tags in which the CMS names the writers / the editors (Kompas's `content_author`,
    # `content_editor`): they win over what the layouts read.
    author_meta: ClassVar[Sequence[str]] = ()
    editor_meta: ClassVar[Sequence[str]] = ()
    # A byline printed as one text with the date after it, read when no layout's `authors`
    # selector finds one (SINDOnews without its author link); its names replace the others.
    run_on_byline: ClassVar[RunOnByline | None] = None
    # The credit footer closing the text ("Pewarta: X Editor: Y", ANTARA), searched in JSON-LD
    # `articleBody` when nothing else named an editor: its writers replace the others, its
    # editors are the editors.
    credit_footer: ClassVar[re.Pattern[str] | None] = None
    # A paragraph of the body that is a labelled credit line as a whole ("Penulis: X",
    # Liputan6's closing line): its names are added to the byline's, by their labels.
    credit_paragraphs: ClassVar[re.Pattern[str] | None] = None
    # A sentence of the text naming contributing writers in its first group ("X berkontribusi
    # dalam penulisan artikel ini.", Tempo), searched in JSON-LD `articleBody`, else in the
    # body element: they are authors too, after the byline's.
    contributors: ClassVar[re.Pattern[str] | None] = None

    # The site's own form of a photo credit closing a caption, where the shared splitter
    # reads none (no "Foto:" label, no parentheses): the first group that matched is the credit.
    caption_credit: ClassVar[re.Pattern[str] | None] = None

    # ------------------------------------------------------------------ the record
    def extract_article(self, page: Page, options: ExtractOptions = DEFAULT_OPTIONS) -> Article:
        """The record of one article page (before validation, dedupe and storage)."""
        detected = self.detect_layout(page) if options.layouts else None
        layouts = self.layout_order(detected) if options.layouts else ()
        # Field functions read what the page prints outside any declared markup (credits,
        # captions, tag lists found generically) only when no layout was recognised.
        page.detected_layout = detected
        ld = page.ld
        loader = ArticleLoader()
        flags: list[str] = []

        url = self.canonical_article_url(page)
        loader.add_value("url", url)
        loader.add_value("id", record_id(self.name, self.site_article_id(url), url))
        loader.add_value("source", self.name)
        loader.add_value("outlet", self.outlet or page.meta("og:site_name"))
        loader.add_value("section", self.section)
        loader.add_value("language", page.language or self.language)

        loader.add_value("title", self.extract_title(page, layouts))
        loader.add_value("description", page.meta("og:description", "description"))
        loader.add_value("description", text_value(ld.get("description")))

        authors, editors = self.extract_people(page, layouts)
        loader.add_value("authors", authors)
        loader.add_value("editors", editors)

        published, source = self.extract_published(page, layouts, flags)
        if published:
            loader.add_value("published_at", published)
            loader.add_value("date_source", source)
        loader.add_value("modified_at", self.extract_modified(page))

        result = self.extract_body(page, detected, layouts, options)
        parts = result.parts
        loader.add_value("body", parts.paragraphs)
        loader.add_value("editor_codes", parts.editor_codes)
        loader.add_value("editors", parts.editors)
        loader.add_value("dateline", parts.dateline)
        rights = self.extract_rights(page, parts)
        if rights:
            loader.add_value("rights", rights)
        if result.path == LAYOUT_PATH and detected is not None:
            loader.add_value("parser", f"{self.name}@{detected.version}")
        else:
            loader.add_value("parser", f"{self.name}@{result.path}")
        if result.path in FALLBACK_PATHS:
            flags.append(GENERIC_BODY_FLAG)

        loader.add_value("tags", self.extract_tags(page, layouts))
        loader.add_value("category", self.extract_category(page, layouts))
        loader.add_value("image", self.extract_image(page, layouts))
        loader.add_value(
            "crawled_at", datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        )

        item = loader.load_item()
        flags += page.flags
        flags += self.page_flags(page)
        flags += self.quality_flags(item, options)
        item["quality_flags"] = list(dict.fromkeys(flags))
        return item

    def detect_layout(self, page: Page) -> Layout | None:
        for layout in self.layouts:
            if page.select_first(layout.detect) is not None:
                return layout
        return None

    def layout_order(self, detected: Layout | None) -> tuple[Layout, ...]:
        """The layouts to read a field with: the detected one, then the others."""
        if detected is None:
            return tuple(self.layouts)
        return (detected, *(layout for layout in self.layouts if layout is not detected))

    def rules(self) -> BodyRules:
        return self.body_rules or site_rules(tuple(self.layouts))

    # ------------------------------------------------------------------ identity
    def canonical_article_url(self, page: Page) -> str:
        for candidate in (page.head.canonical, page.meta("og:url"), page.url):
            if candidate:
                url = page.urljoin(candidate)
                if self.article_url is None or self.article_url.search(url):
                    return self.canonicalize(url)
        return self.canonicalize(page.url)

    def site_article_id(self, url: str) -> str | None:
        """The site's own id from `article_url`'s `id` group; an optional `region` group
        (regional hosts numbering their articles separately) is kept in front of it."""
        if self.article_url is None:
            return None
        site_id = article_id(url, self.article_url)
        match = self.article_url.search(url)
        region = match.groupdict().get("region") if match else None
        return f"{region}-{site_id}" if site_id and region else site_id

    def canonicalize(self, url: str) -> str:
        return canonical_url(url, host_aliases=self.host_aliases, keep_params=self.keep_params)

    # ------------------------------------------------------------------ fields
    def extract_title(self, page: Page, layouts: Sequence[Layout]) -> str | None:
        for layout in layouts:
            if layout.title:
                element = page.select_first(layout.title, layout.scope)
                text = element_text(element) if element is not None else ""
                if text:
                    return text
        site_names = [n for n in (self.outlet, self.name, page.meta("og:site_name")) if n]
        headline = clean_text(text_value(page.ld.get("headline")))
        if headline:
            return without_site_name(headline, site_names)
        meta_title = page.meta("og:title", "twitter:title") or page.head.title
        if not meta_title:
            return None
        # "Site: Section - Headline": the page's own <h1> is the headline without the rest.
        printed = generic.find_headline(page.root)
        text = clean_text(" ".join(printed.itertext())) if printed is not None else ""
        if text and text.casefold() in meta_title.casefold() and len(text) < len(meta_title):
            return text
        return without_site_name(meta_title, site_names)

    def extract_people(
        self, page: Page, layouts: Sequence[Layout]
    ) -> tuple[list[str], list[str]]:
        """(authors, editors), from the sources in this order:
        1. the first layout whose credit or byline selectors find names (`layout_people`);
        2. `author_meta` / `editor_meta`, which win over the layout;
        3. with still no author, and no editor from a layout: `unlaid_people` (JSON-LD
           `author` in the role the site gives it, the author meta, printed credits);
        4. the credit shapes the site declares: `run_on_byline`, `credit_footer`,
           `credit_paragraphs`, `contributors`;
        5. JSON-LD `author` as the editor, when the site says that is its role."""
        authors, editors = self.layout_people(page, layouts)
        # Editors a layout prints come with its byline: an editor alone there is the whole
        # credit. Editors from meta say nothing about the writers.
        layout_named_editors = bool(editors)
        if self.author_meta:
            authors = split_names(page.meta(*self.author_meta)) or authors
        if self.editor_meta:
            editors = split_names(page.meta(*self.editor_meta)) or editors
        if not authors and not layout_named_editors:
            found_authors, found_editors = self.unlaid_people(page)
            authors, editors = found_authors, editors or found_editors
        if self.run_on_byline is not None and not self.layout_texts(page, layouts, "authors"):
            byline = [name for text in page.texts(self.run_on_byline.selector)
                      for name in run_on_byline_names(text, self.run_on_byline.trailing)]
            authors = byline or authors
        if self.credit_footer is not None and not editors:
            # The template's own credit line is gone (a page read without its layout), the
            # footer in the text is not.
            footer = footer_credits(text_value(page.ld.get("articleBody")), self.credit_footer)
            authors = footer.get("authors") or authors
            editors = footer.get("editors", [])
        if self.credit_paragraphs is not None:
            body = self.body_element(page, layouts)
            if body is not None:
                paragraphs = [element_text(p) for p in body.iter("p")]
                credits = paragraph_credits(paragraphs, self.credit_paragraphs)
                authors = unique(authors + credits.get("authors", []))
                editors = unique(editors + credits.get("editors", []))
        if self.contributors is not None:
            text = self.article_text(page, layouts)
            authors = unique(authors + contributor_names(text, self.contributors))
        if self.jsonld_author_role == "editors" and not editors:
            editors = names(page.ld.get("author"))
        return authors, editors

    def layout_people(
        self, page: Page, layouts: Sequence[Layout]
    ) -> tuple[list[str], list[str]]:
        """(authors, editors) from the first layout whose credit or byline selectors find
        names; names printed without roles are read as `unlabelled_credit` says."""
        authors: list[str] = []
        editors: list[str] = []
        for layout in layouts:
            if layout.credits:
                credits = parse_credits(" ".join(page.texts(layout.credits, layout.scope)))
                authors = credits.get("authors", [])
                editors = credits.get("editors", [])
            if layout.authors and not authors:
                printed = [
                    name for text in page.texts(layout.authors, layout.scope)
                    for name in split_names(text)
                ]
                authors, unlabelled_editors = split_unlabelled_credit(
                    printed, self.unlabelled_credit
                )
                editors = editors or unlabelled_editors
            if authors or editors:
                break
        return authors, editors

    def body_element(self, page: Page, layouts: Sequence[Layout]) -> etree._Element | None:
        """The body element of the first layout whose body selector finds one."""
        for layout in layouts:
            if layout.body:
                element = page.select_first(layout.body, layout.scope)
                if element is not None and not isinstance(element, str):
                    return element
        return None

    def article_text(self, page: Page, layouts: Sequence[Layout]) -> str:
        """The story as text, before clean-up: JSON-LD `articleBody`, else the text of the
        body element, one line per text node (credit sentences are their own lines)."""
        text = text_value(page.ld.get("articleBody"))
        if text:
            return text
        body = self.body_element(page, layouts)
        return "\n".join(body.itertext()) if body is not None else ""

    def unlaid_people(self, page: Page) -> tuple[list[str], list[str]]:
        """(authors, editors) when no layout's selectors name anyone: JSON-LD `author` in
        the role the site gives it, the author meta; and on a page of no known layout also
        the credits printed with a role label ("Penulis:", "Editor :") inside the article
        and a byline element under the headline. A name the page prints as its editor is
        never an author (some CMSs put the editor in JSON-LD)."""
        unknown_layout = page.detected_layout is None
        printed = printed_credits(page.region) if unknown_layout else {}
        editors = printed.get("editors", [])
        # An outlet named as the author is no writer: the author meta may still name one.
        ld_names = [n for name in self.jsonld_authors(page) for n in split_names(name)]
        if self.jsonld_author_role == "editors":
            return printed.get("authors", []), editors or ld_names
        for candidates in (
            ld_names,
            printed.get("authors", []),
            microdata_authors(page.region) if unknown_layout else [],
            split_names(page.meta("author")),
            printed_byline(page.region) if unknown_layout else [],
        ):
            authors = [name for name in candidates if name not in editors]
            if authors:
                return authors, editors
        return [], editors

    def jsonld_authors(self, page: Page) -> list[str]:
        """The people in JSON-LD `author` (a writer or, per `jsonld_author_role`, an
        editor); an organisation there is not one."""
        return person_names(page.ld.get("author"))

    def layout_texts(self, page: Page, layouts: Sequence[Layout], field_name: str) -> list[str]:
        """The texts `field_name`'s selector finds in the first layout where it finds any."""
        for layout in layouts:
            query = getattr(layout, field_name)
            if query:
                texts = [t for t in page.texts(query, layout.scope) if t]
                if texts:
                    return texts
        return []

    def date_candidates(self, page: Page, layouts: Sequence[Layout]) -> Iterator[DateCandidate]:
        ld = page.ld
        by_source: dict[str, list[Any]] = {
            # schema.org dates are ISO 8601 text: a number there (12345) is no epoch.
            "jsonld": [v for v in (ld.get("datePublished"), ld.get("dateCreated"))
                       if isinstance(v, str)],
            "meta": [page.meta(name) for name in self.date_meta]
            + [page.meta("article:published_time")],
            "text": [
                text for text in self.layout_texts(page, layouts, "date")
                if not UPDATE_LABEL.match(text)
            ],
            "url": [self.url_date(page.url)],
        }
        for source in self.date_priority:
            for value in by_source.get(source, []):
                if value:
                    yield DateCandidate(source, value)

    def extract_published(
        self, page: Page, layouts: Sequence[Layout], flags: list[str]
    ) -> tuple[str | None, str | None]:
        parsed: list[tuple[str, datetime]] = []
        for candidate in self.date_candidates(page, layouts):
            when = self.parse_when(candidate.value)
            if when is not None:
                parsed.append((candidate.source, when))
        if not parsed:
            # No declared source has it: the date printed next to the headline, if any.
            when = self.printed_date(page)
            return (to_iso(when), "text") if when else (None, None)
        source, when = parsed[0]
        if any(abs((other - when).total_seconds()) > 3600 for _, other in parsed[1:]):
            flags.append("date_disagreement")
        return to_iso(when), source

    def printed_date(self, page: Page) -> datetime | None:
        """The first publish time the page prints where dates usually stand (a `<time>`,
        an itemprop, an element named like a date, after the headline), with a time of day:
        for pages no declared selector, JSON-LD or meta dates."""
        # Inside the article first (cards around it print their own dates), then the page.
        for root in (page.region, page.root):
            for text in printed_date_texts(root):
                if _TIME_OF_DAY.search(text):
                    when = self.parse_when(text)
                    if when is not None:
                        return when
        return None

    def parse_when(self, value: Any) -> datetime | None:
        """A date with the offset the site prints. Instants a page gives in UTC (Kompas's
        meta and JSON-LD) are moved to the site's offset; a WITA or WIT time stays as is."""
        if isinstance(value, datetime):
            when: datetime | None = value
        else:
            when = parse_date(value, default_offset=self.timezone)
        if when is not None and when.utcoffset() == timedelta(0):
            when = in_offset(when, self.timezone)
        if when is not None and not plausible_publish_time(when):
            return None
        return when

    def extract_modified(self, page: Page) -> str | None:
        for value in (page.ld.get("dateModified"), page.meta("article:modified_time")):
            when = self.parse_when(value) if isinstance(value, str) else None
            if when:
                return to_iso(when)
        return None

    def url_date(self, url: str) -> datetime | None:
        """Publish time printed in the URL, for sites whose URL carries it (default: none)."""
        return None

    # ------------------------------------------------------------------ body
    def extract_body(
        self,
        page: Page,
        detected: Layout | None,
        layouts: Sequence[Layout],
        options: ExtractOptions = DEFAULT_OPTIONS,
    ) -> BodyResult:
        """The body from the first path that gives one: the detected layout; the body
        selectors of the site's other layouts; JSON-LD `articleBody` when it is the whole
        text; the generic extractor (unless switched off). The site's rules clean every one."""
        if detected is not None:
            parts = self.layout_body(page, detected)
            if parts.paragraphs:
                return BodyResult(parts, LAYOUT_PATH)
        for layout in layouts:
            if layout is detected or not layout.body:
                continue
            parts = self.body_from(page, layout.body, layout.scope, layout.rules)
            if parts.paragraphs:
                return BodyResult(parts, OTHER_LAYOUT_PATH)
        candidate = self.generic_body(page) if options.generic_body else None
        article_body = self.jsonld_body(page)
        if article_body.paragraphs:
            page_words = word_count(candidate.text) if candidate else 0
            article_words = word_count(article_body.text)
            whole = article_words >= WHOLE_TEXT_SHARE * page_words
            # The page's own text is as long and articleBody lost word breaks it has.
            damaged = candidate is not None and page_words >= WHOLE_TEXT_SHARE * article_words \
                and glued_words(article_body.text, candidate.text) >= _GLUE_LIMIT
            if whole and not damaged:
                return BodyResult(article_body, JSONLD_PATH)
        if candidate is not None and candidate.paragraphs:
            return BodyResult(candidate, GENERIC_PATH)
        return BodyResult()

    def layout_body(self, page: Page, layout: Layout) -> BodyParts:
        """The body as `layout` declares it."""
        if layout.jsonld_body:
            parts = self.jsonld_body(page, layout.rules)
            if parts.paragraphs or not layout.body:
                return parts
        if not layout.body:
            return BodyParts()
        return self.body_from(page, layout.body, layout.scope, layout.rules)

    def body_from(self, page: Page, query: str, scope: str, rules: BodyRules) -> BodyParts:
        container = page.select_first(query, scope)
        if container is None or isinstance(container, str):
            return BodyParts()
        # clean_body edits the tree it is given; a copy keeps the page intact.
        return self.clean(copy.deepcopy(container), rules)

    def jsonld_body(self, page: Page, rules: BodyRules | None = None) -> BodyParts:
        article_body = text_value(page.ld.get("articleBody"))
        if not article_body:
            return BodyParts()
        if "\n" not in article_body:
            # Some CMSs join the paragraphs with nothing between them ("…Pekanbaru.Perusahaan"):
            # a sentence end glued to a capital is a paragraph break.
            article_body = split_glued_paragraphs(article_body)
        paragraphs = "".join(f"<p>{_escape(p)}</p>" for p in article_body.split("\n"))
        return self.clean(paragraphs, rules or self.rules())

    def generic_body(self, page: Page) -> BodyParts | None:
        container = generic.extract_container(page.root, page.content)
        if container is None:
            return None
        parts = self.clean(
            container, self.rules(), trim_lead=True, title=self.extract_title(page, ())
        )
        return parts if generic.is_prose(parts.paragraphs) else None

    def clean(self, html: str | etree._Element, rules: BodyRules, **options: Any) -> BodyParts:
        """The site's clean-up of a body, whatever path found it (`options` go to
        `clean_body`). A site whose bodies need more than its `BodyRules` say (a lead to lift
        out, a closing credit) overrides this, and the override applies on every path."""
        return clean_body(html, rules, **options)

    # ------------------------------------------------------------------ the rest
    def extract_rights(self, page: Page, parts: BodyParts) -> dict[str, Any] | None:
        """What the page says about text and data mining (newscrawl/rights.py); the crawl
        adds what the response and the host say."""
        return rights_of(page_signals(parts.rights_notice, page.head.robots, page.meta))

    def extract_tags(self, page: Page, layouts: Sequence[Layout]) -> list[str]:
        """The tags a layout's selector reads; on a page of no known layout, the tag list
        printed in the article; else JSON-LD or meta keywords (often with SEO extras)."""
        return (
            self.layout_texts(page, layouts, "tags")
            or (printed_tags(page.region) if page.detected_layout is None else [])
            or keywords(page.ld.get("keywords"))
            or keywords(page.meta("keywords"))
        )

    def extract_category(self, page: Page, layouts: Sequence[Layout]) -> str | None:
        for layout in layouts:
            if layout.category:
                texts = [t for t in page.texts(layout.category) if t]
                if texts:
                    return texts[-1]
        section = clean_text(text_value(page.ld.get("articleSection")))
        if section:
            return section
        crumbs = breadcrumb_names(page.jsonld_objects)
        return crumbs[-1] if len(crumbs) > 1 else None

    def extract_image(self, page: Page, layouts: Sequence[Layout]) -> dict[str, Any] | None:
        url = None
        for layout in layouts:
            if layout.image:
                image = page.select_first(layout.image, layout.scope)
                # An <img> element, or its URL when the selector ends in ::attr(…).
                url = image if isinstance(image, str) or image is None else image.get("src")
                if url:
                    break
        url = url or page.meta("og:image") or image_url(page.ld.get("image"))
        caption = credit = None
        text = ""
        for layout in layouts:
            if layout.caption:
                element = page.select_first(layout.caption, layout.scope)
                text = element_text(element) if element is not None else ""
                if text:
                    break
        if not text and page.detected_layout is None:
            # No known layout: the article's first captioned picture, its URL with its
            # caption (the page's share image, og:image, is often another crop).
            printed_url, text = printed_picture(page.region)
            if printed_url:
                url = page.urljoin(printed_url)
        if text:
            caption, credit = split_caption_credit(text)
        if caption and not credit and self.caption_credit is not None:
            match = self.caption_credit.search(caption)
            if match:
                credit = clean_text(next((g for g in match.groups() if g), match.group(0)))
                caption = clean_text(caption[: match.start()]) or None
        if not url and not caption:
            return None
        return {"url": page.urljoin(url) if url else None, "caption": caption, "credit": credit}

    def page_flags(self, page: Page) -> list[str]:
        """Quality flags only the page can tell (e.g. that it is one page of several)."""
        return []

    def quality_flags(self, item: Article, options: ExtractOptions = DEFAULT_OPTIONS) -> list[str]:
        flags = []
        texts = [item.get("title"), item.get("body"), *(item.get("authors") or [])]
        if any(has_mojibake(t) for t in texts if t):
            flags.append("mojibake")
        if item.get("body") and (item.get("word_count") or 0) < options.min_words:
            flags.append("short_body")
        return flags


class GenericSite(SiteParser):
    """A site no file declares: JSON-LD, meta and the generic body path alone (used by
    `scrapy evaluate` for pages of other outlets)."""

    name = "generic"


def extract_record(
    html: str,
    url: str,
    site: SiteParser | type[SiteParser],
    options: ExtractOptions = DEFAULT_OPTIONS,
) -> dict[str, Any]:
    """The record `site` makes of a page (as stored: every field, in order), before
    validation, dedupe and storage."""
    parser = site() if isinstance(site, type) else site
    return complete_record(parser.extract_article(Page(html, url), options))


# A word run into the next with no space ("langsungFitur", "menengah.1."), as a CMS that
# joins paragraphs without a separator leaves them. Brand names have the same shape
# ("WhatsApp"): only such words the page itself never prints count.
# No Indonesian outlet published online before the 1990s; a date after tomorrow (UTC+14 is
# the furthest zone ahead) is a typo, a placeholder or an event date, not a publish time.
EARLIEST_PUBLISH_TIME = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_TOLERANCE = timedelta(days=1)


def plausible_publish_time(when: datetime, now: datetime | None = None) -> bool:
    """Whether `when` can be when an article was published: from 1990 to tomorrow."""
    now = now or datetime.now(timezone.utc)
    return EARLIEST_PUBLISH_TIME <= when <= now + FUTURE_TOLERANCE


_GLUED_WORD = re.compile(r"\S*[a-z]{2}[A-Z]\S*|\S*[a-z][.!?][0-9A-Z]\S*")
_GLUE_LIMIT = 2


def glued_words(text: str, page_text: str) -> int:
    """How many of `text`'s words are two words run together that `page_text` prints apart."""
    printed = set(page_text.split())
    return sum(1 for word in _GLUED_WORD.findall(text) if word not in printed)


# A sentence end run into a capital with no space: "…Pekanbaru.Perusahaan",
# "(10/2/2026).Selama", "kata dia.\"Dulu" (a quote opening the next paragraph) or
# "video.\"Dulu" (a quote closing this one).
_GLUED_PARAGRAPH = re.compile(r"[a-z0-9)\]\"”][.!?]([\"“”]?)[A-Z]")


def split_glued_paragraphs(text: str) -> str:
    """Paragraph breaks back where a CMS joined paragraphs with nothing between them. A
    straight quote at the join goes with the paragraph in which it balances the quotes."""
    out: list[str] = []
    start = 0
    for match in _GLUED_PARAGRAPH.finditer(text):
        quote = match.group(1)
        end_of_sentence = match.start() + 2
        if quote == "”" or (quote == '"' and text.count('"', start, end_of_sentence) % 2):
            cut = end_of_sentence + 1  # the quote closes this paragraph
        else:
            cut = end_of_sentence  # no quote, or one that opens the next paragraph
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return "\n".join(out)
# "Headline - detikInet", "Headline : Okezone Techno", "Headline | Kompas.com".
_SITE_SUFFIX = re.compile(r"\s+[-|–—:]\s+([^-|–—:]{2,40})$")
_TIME_OF_DAY = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_DATE_NAMES = re.compile(r"date|time|tanggal|tgl|waktu|publish|jam|posted", re.IGNORECASE)
_DATE_TAGS = ("time", "span", "div", "p", "small", "li", "em", "strong", "b")
_PRINTED_DATE_LIMIT = 80
# A day printed with its month in words or in digits: "Selasa, 23 Februari 2016", "23/02/2016".
_PRINTED_DAY = re.compile(
    r"\b\d{1,2}\s+(?:Jan|Feb|Mar|Apr|Mei|May|Jun|Jul|Agu|Agt|Aug|Sep|Okt|Oct|Nov|Nop|Des|Dec)"
    r"[a-z]*\.?\s+\d{4}\b|\b\d{1,2}/\d{1,2}/\d{4}\b",
    re.IGNORECASE,
)
_UNNAMED_DATES = 5
_UPDATE_WORD = re.compile(r"\b(?:Diperbarui|Diperbaharui|Diupdate|Updated?)\b", re.IGNORECASE)
# A time labelled as an update is when the story was last edited, never its publish time.
UPDATE_LABEL = re.compile(
    r"^\s*(?:Diperbarui|Diperbaharui|Diupdate|Update[d]?|Terakhir diperbarui)\b", re.IGNORECASE
)


def printed_date_texts(root: etree._Element) -> Iterator[str]:
    """Where a page prints its date: `<time datetime>`, `itemprop="datePublished"`, then the
    short texts of elements named like a date, those after the first headline first."""
    for value in root.xpath(
        ".//time/@datetime | .//*[@itemprop='datePublished'][not(self::meta)]"
        "/@*[name()='content' or name()='datetime']"
    ):
        yield str(value)
    headline = generic.find_headline(root)
    after: list[str] = []
    before: list[str] = []
    seen_headline = headline is None
    unnamed: list[str] = []
    for element in _outside_cards(root, (*_DATE_TAGS, "h1")):
        if element is headline:
            seen_headline = True
            continue
        if element.tag == "h1":
            continue
        text = short_text(element, _PRINTED_DATE_LIMIT)
        if not text or _UPDATE_WORD.search(text):
            continue
        named = f"{element.get('class') or ''} {element.get('id') or ''}"
        if _DATE_NAMES.search(named):
            (after if seen_headline else before).append(text)
        elif seen_headline and len(unnamed) < _UNNAMED_DATES and _PRINTED_DAY.search(text):
            # A date printed under the headline in an element named otherwise ("schedule").
            unnamed.append(text)
    yield from after
    yield from before
    yield from unnamed


_CREDIT_LABEL = re.compile(
    r"^\s*(?:Penulis|Reporter|Pewarta|Wartawan|Editor|Penyunting|Redaktur|Oleh)\s*:",
    re.IGNORECASE,
)
_BYLINE_NAMES = re.compile(r"author|byline|penulis|reporter|writer", re.IGNORECASE)
_BYLINE_SKIP = re.compile(r"box|bio|avatar|img|photo|foto|list|more|other", re.IGNORECASE)
_CREDIT_LIMIT = 120
_CREDIT_WORD = re.compile(
    r"^\s*(?:Penulis|Reporter|Pewarta|Wartawan|Editor|Penyunting|Redaktur|Oleh)\b", re.IGNORECASE
)
_CAPTION_LIMIT = 300
_DATE_TAIL = re.compile(
    r"\s*[,|-]?\s*(?:(?:Senin|Selasa|Rabu|Kamis|Jum'?at|Sabtu|Minggu)\b.*"
    r"|\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}.*|\d{1,2}\s+[A-Za-z]{3,9}\s+\d{4}.*)$"
)
# Containers of other stories: their bylines, dates, captions and tags are not this article's.
_CARD = re.compile(
    r"card|related|terkait|populer|popular|rekomendasi|recommend|terkini|latest|trending"
    r"|widget|sidebar|list-?berita|news-?list|berita-?lain|more-?news|headline-?list",
    re.IGNORECASE,
)
_TAG_LIST = re.compile(r"(?:^|[\s_-])(?:tags?|topics?|topik|tag-?list|keywords?)(?:$|[\s_-])",
                       re.IGNORECASE)
_TAG_LIMIT = 40
_BYLINE_LIMIT = 60


def printed_credits(region: etree._Element) -> dict[str, list[str]]:
    """Names the article prints after a role label, by role: short texts inside `region`
    that start with "Penulis:", "Editor :" and the like (the label may be an element of its
    own, the colon outside it), outside the cards of other stories."""
    found: dict[str, list[str]] = {}
    for element in _outside_cards(region, ("div", "span", "p", "small", "li", "strong", "b",
                                            "h5", "h6", "dd", "td", "tr")):
        first = next((t for t in element.itertext() if t.strip()), "")
        if not _CREDIT_WORD.match(first):
            continue
        line = short_text(element, _CREDIT_LIMIT)
        if not line or not _CREDIT_LABEL.match(line):
            continue
        # A credit line may run on into the date: "Editor: Nama Jumat, 29 Maret 2024 …".
        line = _DATE_TAIL.sub("", line)
        for role, people in parse_credits(line).items():
            found.setdefault(role, [])
            found[role] += [p for p in people if p not in found[role]]
    return found


def _outside_cards(region: etree._Element, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Elements of `region` with one of `tags`, skipping the subtrees of cards, lists and
    widgets of other stories (their bylines and dates are not this article's). The walk is
    made once per region and kept: several fields read the same region."""
    key = id(region)
    cached = _WALKS.get(key)
    if cached is None or cached[0] is not region:
        elements = []
        walker = etree.iterwalk(region, events=("start",))
        for _event, element in walker:
            if not isinstance(element.tag, str):
                continue
            named = element.get("class") or element.get("id")
            if element is not region and named and _CARD.search(
                f"{element.get('class') or ''} {element.get('id') or ''}"
            ):
                walker.skip_subtree()
                continue
            elements.append(element)
        cached = _WALKS[key] = (region, elements)
        if len(_WALKS) > _WALK_CACHE:
            _WALKS.pop(next(iter(_WALKS)))
    for element in cached[1]:
        if element.tag in tags:
            yield element


# The last few regions' walks (one page reads its region for several fields). Each entry
# keeps its region, so an id is never mistaken for a later element's.
_WALKS: dict[int, tuple[etree._Element, list[etree._Element]]] = {}
_WALK_CACHE = 4


def short_text(element: etree._Element, limit: int) -> str | None:
    """The element's cleaned text if it is at most about `limit` characters, else None;
    stops reading as soon as it is longer (an article-sized element is not read whole)."""
    pieces = []
    length = 0
    for piece in element.itertext():
        length += len(piece.strip())
        if length > limit:
            return None
        pieces.append(piece)
    text = clean_text(" ".join(pieces))
    return text if len(text) <= limit else None


def microdata_authors(region: etree._Element) -> list[str]:
    """Names in the article's schema.org microdata (`itemprop="author"`, or its nested
    `itemprop="name"`), outside other stories' cards."""
    names: list[str] = []
    for element in _outside_cards(region, ("div", "span", "a", "p", "address", "li")):
        if element.get("itemprop") != "author":
            continue
        named = element.xpath(".//*[@itemprop='name']")
        source = named[0] if named else element
        value = source.get("content") or " ".join(source.itertext())
        names += [n for n in split_names(value) if n not in names]
    return names


def printed_byline(region: etree._Element) -> list[str]:
    """The names in the first short element after the headline named like a byline."""
    headline = region.find(".//h1")
    seen_headline = headline is None
    for element in _outside_cards(region, ("div", "span", "p", "a", "address", "small", "h1")):
        if element is headline:
            seen_headline = True
        if not seen_headline or element.tag == "h1":
            continue
        named = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not _BYLINE_NAMES.search(named) or _BYLINE_SKIP.search(named):
            continue
        text = clean_text(" ".join(element.itertext()))
        if text and len(text) <= _BYLINE_LIMIT and not _TIME_OF_DAY.search(text):
            names = split_names(text)
            if names:
                return names
    return []


def printed_picture(region: etree._Element) -> tuple[str | None, str]:
    """(image URL, caption) of the article's first captioned picture: a <figcaption> or an
    element named like a caption, inside the article and outside other stories' cards, and
    the <img> beside it (in the same figure or block). ("", None) when there is none."""
    for element in _outside_cards(region, ("figcaption", "div", "span", "p", "small")):
        if element.tag != "figcaption" and not generic.CAPTION.search(
            f"{element.get('class') or ''} {element.get('id') or ''}"
        ):
            continue
        text = clean_text(" ".join(element.itertext()))
        if not text or len(text) > _CAPTION_LIMIT:
            continue
        holder = element.getparent()
        for _ in range(2):  # the figure, or the block around it
            if holder is None:
                break
            image = next((img for img in holder.iter("img") if _image_source(img)), None)
            if image is not None:
                return _image_source(image), text
            holder = holder.getparent()
        return None, text
    return None, ""


def _image_source(img: etree._Element) -> str | None:
    """An <img>'s address, lazy-loading attributes first (src may be a placeholder)."""
    for name in ("data-src", "data-original", "data-lazy-src", "src"):
        value = (img.get(name) or "").strip()
        if value and not value.startswith("data:"):
            return value
    return None


def printed_tags(region: etree._Element) -> list[str]:
    """The tag links the article prints: the links of the first element named like a tag
    list (tags, topik …), inside the article and outside other stories' cards."""
    for element in _outside_cards(region, ("div", "ul", "section", "nav", "p", "span")):
        named = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not _TAG_LIST.search(named):
            continue
        tags = [clean_text(" ".join(a.itertext())).lstrip("#").strip()
                for a in element.iter("a")]
        tags = [t for t in tags if t and len(t) <= _TAG_LIMIT]
        if tags:
            return list(dict.fromkeys(tags))
    return []


def without_site_name(title: str, site_names: Sequence[str]) -> str:
    """The title without a trailing " - Site" when the suffix names the site."""
    match = _SITE_SUFFIX.search(title)
    if not match:
        return title
    suffix = match.group(1).casefold().replace(" ", "")
    keys = {n.casefold().replace(" ", "").split(".")[0] for n in site_names}
    keys = {k[:6] for k in keys if len(k) >= 4}
    if any(key in suffix for key in keys):
        return title[: match.start()].rstrip() or title
    return title


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
