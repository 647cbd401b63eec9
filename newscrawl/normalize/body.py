"""From a body's HTML to clean paragraphs, with the newsroom markers split out as fields.

Works on an HTML fragment with lxml (no Scrapy imports). Order matters:
1. drop elements that are never story text (scripts, ads, "Baca juga" boxes, figures, the
   site's own insert classes);
2. turn the rest into paragraphs (block elements and <br> break paragraphs);
3. drop boilerplate paragraphs ("ADVERTISEMENT", "[Gambas:…]", "Simak Video …"), and cut the
   body at page furniture that follows the story ("Next Article", "Tags");
4. take the closing editor code "(fab/fab)" off the end and the dateline
   ("Jakarta, CNBC Indonesia -") off the start, returning both as fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cssselect
import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from newscrawl.normalize.bylines import EDITOR_CODE
from newscrawl.normalize.text import clean_text

# Elements that are never story text, on any site.
COMMON_DROP = (
    "script",
    "style",
    "noscript",
    "iframe",
    "ins",
    "svg",
    "button",
    "form",
    "figure",
    "figcaption",
    "video",
    "audio",
    "template",
    "table.linksisip",
    "div.lihatjg",
    "div.noncontent",
    "table.pic_artikel_sisip_table",
    "[class^='sisip_']",
    "[class*=' sisip_']",
    "[class^='link_sisip']",
    "[class*='baca-juga']",
    "[class*='bacajuga']",
    "[class^='ads']",
    "[class*=' ads']",
    "[class*='ads-slot']",
    "[class^='inject-']",
    "[class*=' inject-']",
    "div.paradetail",
    "[class*='detail__body-tag']",
    "[class*='related']",
    "[id^='div-gpt-ad']",
    "div.aevp",
    "[class*='pip-vid']",
    # Embedded social posts quote another voice, not the outlet's story.
    "blockquote.twitter-tweet",
    "blockquote.instagram-media",
    "blockquote.tiktok-embed",
    "[class*='fb-post']",
)

# Whole paragraphs that are furniture, not story (matched on the cleaned paragraph text).
COMMON_BOILERPLATE = (
    r"ADVERTISEMENT",
    r"Advertisement",
    r"SCROLL TO (?:CONTINUE WITH|RESUME) CONTENT",
    r"ADVERTISEMENT\s+SCROLL TO (?:CONTINUE WITH|RESUME) CONTENT",
    r"Scroll (?:ke bawah )?untuk melanjutkan membaca",
    r"\[Gambas:[^\]]*\]",
    r"(?:Simak|Tonton|Saksikan)(?: juga)?(?: Video|:)?\s*[\"“:].*",
    r"(?:Simak|Tonton|Saksikan) (?:juga )?[Vv]ideo\b.*",
    r"(?:Baca|BACA) (?:[Jj]uga|JUGA)\s*:?.*",
    r"(?:Lihat|LIHAT) (?:[Jj]uga|JUGA)\s*:.*",
    r"Simak berita selengkapnya di halaman selanjutnya\.?",
    r"Halaman (?:[Ss]elanjutnya|[Bb]erikutnya)\b.*",
    r"Artikel ini telah (?:naik|tayang) di .*",
    r"Baca selengkapnya di sini\.?",
    r"(?:Bagikan|Share)\s*:?",
    r"(?i:(?:bagikan\s*:?\s*)?url telah tercopy)",
    r"Add as a preferred source on Google",
    r"Jangan [Ll]ewatkan\s*!?\s*:?",
    # A caption left between paragraphs: a short line that ends with its photo credit.
    r"[^\n]{0,300}?(?:\(|\b)(?:Foto|FOTO|Photo|PHOTO|Dok\.?)\s*:\s*[^.!?()]{1,60}\)?\.?",
)
# Furniture that ends the story: everything from here on is dropped.
COMMON_STOP = (
    r"Next Article\b.*",
    r"Tags?\s*:?",
    r"Related Articles?\b.*",
    r"Berita Terkait\b.*",
    r"(?:Artikel |ARTIKEL )?(?:Terkait|TERKAIT)\s*:?",
    r"Most Popular\b.*",
    r"Recommendation\b.*",
)
# Placeholders that sit inside a paragraph.
_INLINE_JUNK = re.compile(r"\[Gambas:[^\]]*\]|SCROLL TO (?:CONTINUE WITH|RESUME) CONTENT")

_BLOCK_TAGS = frozenset(
    "p div section article h1 h2 h3 h4 h5 h6 ul ol li blockquote table tbody tr td th pre "
    "header footer aside center dl dt dd hr".split()
)

_DASH = r"(?:-{1,2}|–|—)"
_INITIALS = re.compile(r"[A-Za-z]{2,5}")
_PLACE = r"[A-Z][A-Za-z.'’]*(?:\s+[A-Z][A-Za-z.'’]*){0,3}"


def _compile_all(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


@dataclass(frozen=True)
class BodyRules:
    """What a site adds to the shared clean-up. Patterns are regex sources, matched whole."""

    drop: Sequence[str] = ()
    boilerplate: Sequence[str] = ()
    stop: Sequence[str] = ()
    # Outlet names printed in the dateline: "Jakarta, CNBC Indonesia -", "JAKARTA, KOMPAS.com -".
    dateline_outlets: Sequence[str] = ()
    # Lead words with no place: "KOMPAS.com -", "Suara.com -".
    lead_markers: Sequence[str] = ()
    # Regexes of outlet names printed before the place: "TRIBUNNEWS.COM, JAKARTA -".
    outlet_first: Sequence[str] = ()
    # Rights notices to lift out of the body ("Dilarang keras mengambil konten …").
    rights_notices: Sequence[str] = ()
    editor_code: re.Pattern[str] = EDITOR_CODE

    def compiled(self) -> _CompiledRules:
        # Kept on the instance: a cache keyed by id() handed one object's rules to another
        # made later at the same address.
        cached = self.__dict__.get("_compiled")
        if cached is None:
            cached = _compile_rules(self)
            object.__setattr__(self, "_compiled", cached)
        return cached


class DropMatcher:
    """Comments and the elements any of `selectors` matches, found in one walk of a tree.

    As one lxml query, the drop lists (about 35 selectors) cost a tree walk per selector, or
    one walk evaluating ~35 XPath predicates per element, and were the largest part of
    cleaning a body. Simple selectors (a tag, a class, one attribute test: what the drop lists
    hold) become a tag set and one regex per attribute, checked in one walk; anything else
    (several conditions, combinators, pseudo-classes) keeps an XPath query.
    """

    def __init__(self, selectors: Sequence[str]):
        self.tags: set[str] = set()
        any_tag: dict[str, list[str]] = {}
        per_tag: dict[tuple[str, str], list[str]] = {}
        complex_paths = []
        for css in selectors:
            simple = _simple_selector(css)
            if simple is None or len(simple[1]) > 1 or simple == (None, ()):
                complex_paths.append(CSSSelector(css).path)
                continue
            tag, conditions = simple
            if not conditions:
                assert tag is not None
                self.tags.add(tag)
                continue
            name, operator, value = conditions[0]
            pattern = _ATTRIBUTE_PATTERNS[operator](re.escape(value))
            if tag is None:
                any_tag.setdefault(name, []).append(pattern)
            else:
                per_tag.setdefault((tag, name), []).append(pattern)
        self.any_tag = [(name, re.compile("|".join(p))) for name, p in any_tag.items()]
        self.per_tag: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for (tag, name), patterns in per_tag.items():
            self.per_tag.setdefault(tag, []).append((name, re.compile("|".join(patterns))))
        self.complex = etree.XPath(" | ".join(complex_paths)) if complex_paths else None

    def __call__(self, root: etree._Element) -> list[etree._Element]:
        found = []
        tags, any_tag, per_tag = self.tags, self.any_tag, self.per_tag
        for element in root.iter():
            tag = element.tag
            if not isinstance(tag, str):
                if tag is etree.Comment:
                    found.append(element)
                continue
            if tag in tags:
                found.append(element)
                continue
            if _attribute_match(element, any_tag) or (
                tag in per_tag and _attribute_match(element, per_tag[tag])
            ):
                found.append(element)
        if self.complex is not None:
            found += self.complex(root)
        return found


def _attribute_match(element: etree._Element, tests: list[tuple[str, re.Pattern[str]]]) -> bool:
    for name, pattern in tests:
        value = element.get(name)
        if value is not None and pattern.search(value):
            return True
    return False


# One attribute test as a regex over the attribute's raw value (CSS semantics: an empty value
# never matches ^=, $= and *=; ~= is a whole whitespace-separated token).
_ATTRIBUTE_PATTERNS = {
    "exists": lambda value: "",
    "=": lambda value: rf"^{value}\Z",
    "~=": lambda value: rf"(?:^|\s){value}(?:\s|\Z)" if value else "(?!)",
    "^=": lambda value: f"^{value}" if value else "(?!)",
    "$=": lambda value: rf"{value}\Z" if value else "(?!)",
    "*=": lambda value: value or "(?!)",
    "|=": lambda value: rf"^{value}(?:-|\Z)",
}


def _simple_selector(css: str) -> tuple[str | None, tuple[tuple[str, str, str], ...]] | None:
    """(tag or None, attribute conditions) of a selector without combinators, else None."""
    parsed = cssselect.parse(css)
    if len(parsed) != 1 or parsed[0].pseudo_element:
        return None
    node = parsed[0].parsed_tree
    conditions: list[tuple[str, str, str]] = []
    while not isinstance(node, cssselect.parser.Element):
        if isinstance(node, cssselect.parser.Class):
            conditions.append(("class", "~=", node.class_name))
        elif isinstance(node, cssselect.parser.Hash):
            conditions.append(("id", "=", node.id))
        elif isinstance(node, cssselect.parser.Attrib) and node.namespace is None:
            value = node.value.value if node.value is not None else ""
            conditions.append((node.attrib, node.operator, value))
        else:
            return None
        node = node.selector
    if node.namespace is not None:
        return None
    tag = node.element.lower() if node.element else None
    return tag, tuple(reversed(conditions))


@dataclass
class _CompiledRules:
    drop: DropMatcher
    boilerplate: re.Pattern[str]
    stop: re.Pattern[str]
    dateline: re.Pattern[str]
    rights: re.Pattern[str] | None
    editor_code: re.Pattern[str]


def _compile_rules(rules: BodyRules) -> _CompiledRules:
    outlets = "|".join(re.escape(o) for o in rules.dateline_outlets)
    leads = "|".join(re.escape(m) for m in rules.lead_markers)
    with_outlet = (
        rf"(?:(?P<place>{_PLACE})\s*,\s*)?(?:{outlets})\s*(?:\(\w+\))?" if outlets else ""
    )
    wire = rf"(?P<place2>{_PLACE})\s*\((?:ANTARA|Antara|ANTARA News)\)"
    plain = rf"(?P<place3>{_PLACE})"
    lead = rf"(?:{leads})" if leads else ""
    first = "|".join(rules.outlet_first)
    outlet_then_place = rf"(?:{first})\s*,\s*(?P<place4>{_PLACE})" if first else ""
    alternatives = "|".join(
        p for p in (with_outlet, outlet_then_place, wire, lead, plain) if p
    )
    dateline = re.compile(rf"^(?:{alternatives})\s*{_DASH}(?:\s+|$)")
    return _CompiledRules(
        drop=DropMatcher((*COMMON_DROP, *rules.drop)),
        boilerplate=re.compile(
            rf"^(?:{_compile_all((*COMMON_BOILERPLATE, *rules.boilerplate)).pattern})$"
        ),
        stop=re.compile(rf"^(?:{_compile_all((*COMMON_STOP, *rules.stop)).pattern})$"),
        dateline=dateline,
        rights=_compile_all(rules.rights_notices) if rules.rights_notices else None,
        editor_code=rules.editor_code,
    )


@dataclass
class BodyParts:
    paragraphs: list[str] = field(default_factory=list)
    dateline: str | None = None
    editor_codes: list[str] = field(default_factory=list)
    # Names in a closing tag (Okezone's "(Arief Setyadi )"), where a site's pattern allows them.
    editors: list[str] = field(default_factory=list)
    rights_notice: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def html_paragraphs(root: etree._Element) -> list[str]:
    """Paragraph texts of an element: block elements and <br> end a paragraph."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = clean_text("".join(current))
        if text:
            paragraphs.append(text)
        current.clear()

    # One walk without recursion, so no depth of nesting can exhaust Python's stack.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag == "br" or tag in _BLOCK_TAGS:
                flush()
            if element.text and tag:
                current.append(element.text)
        else:
            if tag in _BLOCK_TAGS:
                flush()
            if element is not root and element.tail:
                current.append(element.tail)
    flush()
    return paragraphs


def _drop_elements(root: etree._Element, drop: DropMatcher) -> None:
    for node in drop(root):
        drop_element(node)


def drop_element(element: etree._Element) -> None:
    """Remove `element` and its subtree, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _title_place(place: str) -> str:
    return place.title() if place.isupper() else place


def clean_body(
    html: str | etree._Element | None,
    rules: BodyRules = BodyRules(),
    *,
    trim_lead: bool = False,
    title: str | None = None,
) -> BodyParts:
    """Clean a body fragment into paragraphs plus dateline, editor codes and rights notice.

    `trim_lead` is for containers found by the generic extractor, which may hold what sits
    above the story (the headline, a channel label, a date line): before the dateline or
    the first sentence, the headline and short lines that are not sentences are dropped."""
    parts = BodyParts()
    if html is None or (isinstance(html, str) and not html.strip()):
        return parts
    if isinstance(html, str):
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    else:
        root = html
    compiled = rules.compiled()
    _drop_elements(root, compiled.drop)

    paragraphs: list[str] = []
    for paragraph in html_paragraphs(root):
        if compiled.stop.match(paragraph):
            # Keep a code printed on the same line as the furniture ("(fab/fab) Next Article").
            break
        code_then_stop = re.match(r"^(\([^)]*\))\s+(.*)$", paragraph)
        if code_then_stop and compiled.stop.match(code_then_stop.group(2)):
            paragraphs.append(code_then_stop.group(1))
            break
        if compiled.rights and compiled.rights.search(paragraph):
            parts.rights_notice = paragraph
            continue
        if compiled.boilerplate.match(paragraph):
            continue
        paragraph = clean_text(_INLINE_JUNK.sub(" ", paragraph))
        if paragraph:
            paragraphs.append(paragraph)

    # The editor code closes the story, alone or at the end of the last paragraph.
    while paragraphs:
        rest, codes = _strip_code(paragraphs[-1], compiled.editor_code)
        if not codes:
            break
        parts.editor_codes = codes + parts.editor_codes
        if rest:
            paragraphs[-1] = rest
            break
        paragraphs.pop()

    if trim_lead:
        _trim_lead(paragraphs, title, compiled.dateline)
    if paragraphs:
        match = compiled.dateline.match(paragraphs[0])
        if match:
            place = match.groupdict().get("place") or match.groupdict().get("place2")
            place = place or match.groupdict().get("place3") or match.groupdict().get("place4")
            parts.dateline = _title_place(place) if place else None
            rest = paragraphs[0][match.end() :].strip()
            if rest:
                paragraphs[0] = rest
            else:
                paragraphs.pop(0)
    parts.paragraphs = paragraphs
    # A closing tag holds initials ("fab"); a site pattern may also admit a full name.
    parts.editors = [c for c in parts.editor_codes if not _INITIALS.fullmatch(c)]
    parts.editor_codes = [c for c in parts.editor_codes if _INITIALS.fullmatch(c)]
    return parts


# A line above the story that is not a sentence: at most this many words, no closing stop.
_FURNITURE_WORDS = 12
# How far down a dateline may open the story on a page read by the generic path.
_LEAD_WINDOW = 4
_SENTENCE_END = re.compile(r"[.!?…\"”’)]$")


def _trim_lead(paragraphs: list[str], title: str | None, dateline: re.Pattern[str]) -> None:
    # The dateline opens the story: a standfirst or teaser printed above it is not story.
    opening = next(
        (i for i, p in enumerate(paragraphs[:_LEAD_WINDOW]) if dateline.match(p)), None
    )
    if opening:
        del paragraphs[:opening]
        return
    folded_title = clean_text(title).casefold() if title else None
    while len(paragraphs) > 1:
        first = paragraphs[0]
        if folded_title and first.casefold() == folded_title:
            paragraphs.pop(0)
        elif dateline.match(first):
            return
        elif len(first.split()) <= _FURNITURE_WORDS and not _SENTENCE_END.search(first):
            paragraphs.pop(0)
        else:
            return


def _strip_code(paragraph: str, pattern: re.Pattern[str]) -> tuple[str, list[str]]:
    match = pattern.search(paragraph)
    if not match:
        return paragraph, []
    rest = paragraph[: match.start()].rstrip()
    # A parenthesis that closes a sentence is not a code: "(AP)" inside text is kept unless
    # it stands alone or after the final full stop.
    if rest and not re.search(r"[.!?\"”’)]$", rest):
        return paragraph, []
    return rest, [c.strip() for c in match.group(1).split("/")]


def merge_rules(*rules: BodyRules) -> BodyRules:
    """One set of rules doing what each of `rules` does (lists joined, duplicates once; the
    first editor-code pattern that is not the shared one wins)."""
    if len(rules) == 1:
        return rules[0]
    if not rules:
        return BodyRules()

    def joined(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for r in rules for p in getattr(r, name)))

    editor_code = next((r.editor_code for r in rules if r.editor_code is not EDITOR_CODE),
                       EDITOR_CODE)
    return BodyRules(
        drop=joined("drop"),
        boilerplate=joined("boilerplate"),
        stop=joined("stop"),
        dateline_outlets=joined("dateline_outlets"),
        lead_markers=joined("lead_markers"),
        outlet_first=joined("outlet_first"),
        rights_notices=joined("rights_notices"),
        editor_code=editor_code,
    )
