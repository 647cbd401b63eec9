"""The generic body path: find the article text on a page whose layout no site file declares.

A content scorer in the family of Arc90's readability (as kept in Mozilla's Readability.js
and readability-lxml), run on the tree the page was already parsed into:

1. every paragraph of at least 25 characters (a <p>, or a run of text directly inside a
   <div> and the like, as older Indonesian templates print bodies with <br><br>) scores
   1 + its commas + one point per 100 characters (at most 3); the score goes to the element
   holding the paragraph, half of it to that element's parent, a third and less further up;
2. subtrees that are never the article (navigation, scripts, and elements whose class or id
   says related, comment, share, sidebar, ads …, unless it also says content, article,
   body …) are not scored;
3. each scored element's total is weighted by its class/id (a factor, not readability's
   ±25 points: Indonesian templates put "artikel" or "detail" in the class of a date line
   as much as of the body, so a name may tip a choice but never outweigh the text) and by
   how much of its text is link text; the best element wins, a parent is preferred when several strong candidates
   sit under it (a story split into page blocks), and siblings that score close to it, or
   are real paragraphs, join it;
4. the result, a copy, is pruned of link lists, share bars and other furniture
   (readability's "clean conditionally") before the site's own clean-up runs on it.

Why our own and not a library: the result is DOM, not text, so the site's `BodyRules`
(drop selectors for inserts, "Baca juga" boxes, ads) still apply on this path, and it costs
no second parse. The choice was measured against trafilatura on real pages (docs/benchmarks.md).
No Scrapy imports.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

# Never article text: their subtrees are not scored or kept.
SKIP_TAGS = frozenset(
    "script style noscript iframe svg form button select textarea template nav aside footer "
    "head object embed canvas video audio input label option ins figure figcaption picture "
    "map dialog menu".split()
)
# Text-level tags: their text is part of the surrounding paragraph.
INLINE_TAGS = frozenset(
    "a abbr b bdi bdo big cite code data del dfn em font i kbd mark q s samp small span "
    "strike strong sub sup time tt u var wbr".split()
)
# Elements that are a paragraph themselves: their score goes to their parent.
PARAGRAPH_TAGS = frozenset("p pre h2 h3 h4 h5 h6 blockquote".split())
_TAG_SCORE = {
    "div": 5, "article": 5, "section": 3, "main": 3, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
# Class and id words (English and Indonesian) that say "not the story" and "the story".
UNLIKELY = re.compile(
    r"comment|komentar|disqus|sidebar|side-bar|widget|footer|footnote|masthead|related|terkait"
    r"|rekomendasi|recommend|populer|popular|trending|terpopuler|terbaru|latest|share|social"
    r"|sosmed|sharing|banner|advert|iklan|sponsor|promo|(?:^|[\s_-])ads?(?:$|[\s_-])|adsbygoogle"
    r"|newsletter|subscribe|menu|navbar|breadcrumb|pagination|paging|pager|login|modal"
    r"|popup|cookie|baca-?juga|bacajuga|lihat-?juga|outbrain|taboola|mgid|author-?box"
    r"|headline-?list|list-?berita|box-?berita|indeks|tag-?list|tags|topik|hidden",
    re.IGNORECASE,
)
POSITIVE = re.compile(
    r"article|artikel|body|content|konten|entry|hentry|main|post|text|txt|story|isi"
    r"|berita|itp",
    re.IGNORECASE,
)
NEGATIVE = re.compile(
    r"comment|komentar|related|terkait|rekomendasi|recommend|populer|popular|trending"
    r"|share|social|sidebar|widget|footer|masthead|banner|advert|iklan|sponsor|promo"
    r"|(?:^|[\s_-])ads?(?:$|[\s_-])|newsletter|tags?(?:$|[\s_-])|breadcrumb|baca-?juga"
    r"|bacajuga|byline|author|meta|caption|credit|foto|photo|video|galeri|gallery",
    re.IGNORECASE,
)
# The headline is not body text; it is read from the page's metadata.
_UNSCORED = SKIP_TAGS | {"h1"}
_MIN_PARAGRAPH = 25
# Less text than this in the first pass's choice: score again without leaving anything out.
_ENOUGH_TEXT = 500
# Deeper than this the scorer stops descending (the recursion stays far below Python's limit).
_MAX_DEPTH = 400
# A caption or photo credit is never story text, whatever else its class says
# ("article-photo-caption").
CAPTION = re.compile(r"caption|keterangan|photo-?credit|foto-?credit|img-?credit", re.IGNORECASE)
_ANCESTOR_LEVELS = 5
# Readability.js: this many strong alternative candidates under one ancestor promote it.
_MIN_TOP_CANDIDATES = 3
_SENTENCE_END = re.compile(r"[.!?]['\"”’)]?(?:\s|$)")


@dataclass
class _Scores:
    content: dict[etree._Element, float]
    text_len: dict[etree._Element, int]
    link_len: dict[etree._Element, int]


def _attrs(element: etree._Element) -> str:
    cls = element.get("class")
    ident = element.get("id")
    if cls and ident:
        return f"{cls} {ident}"
    return cls or ident or ""


def class_weight(element: etree._Element) -> int:
    """Readability's class/id weight: -25 for words of furniture, +25 for words of content,
    for the class and the id separately."""
    weight = 0
    for value in (element.get("class"), element.get("id")):
        if not value:
            continue
        if NEGATIVE.search(value):
            weight -= 25
        if POSITIVE.search(value):
            weight += 25
    return weight


def class_factor(element: etree._Element) -> float:
    """The class/id weight as a factor on the element's text score: 0.5 to 1.5 by steps of
    a quarter per word of content or furniture."""
    return min(1.5, max(0.5, 1 + class_weight(element) / 100))


def is_unlikely(element: etree._Element) -> bool:
    """A subtree whose class or id names furniture and not content."""
    names = _attrs(element)
    if not names or element.tag in ("html", "body", "article", "main"):
        return False
    return bool(UNLIKELY.search(names)) and not POSITIVE.search(names)


def _text_length(text: str | None) -> int:
    return len(text.strip()) if text else 0


class _Scorer:
    """One walk of the tree: text and link lengths per element, and paragraph scores."""

    def __init__(self, skip_unlikely: bool = True) -> None:
        self.skip_unlikely = skip_unlikely
        self.text_len: dict[etree._Element, int] = {}
        self.link_len: dict[etree._Element, int] = {}
        self.paragraphs: list[tuple[etree._Element, float]] = []

    def walk(self, element: etree._Element, depth: int = 0) -> tuple[int, int, int]:
        """(text length, link text length, commas) of `element`'s subtree, scoring the
        paragraphs found in it on the way."""
        tag = element.tag
        if depth > _MAX_DEPTH:
            # Pathologically deep markup: the subtree counts as one run of text.
            text = " ".join(element.itertext())
            self.text_len[element] = len(text.strip())
            self.link_len[element] = 0
            return len(text.strip()), 0, text.count(",")
        total = links = commas = 0
        run_len = run_commas = 0
        holder = element.getparent() if tag in PARAGRAPH_TAGS else element

        def flush() -> None:
            nonlocal run_len, run_commas
            if run_len >= _MIN_PARAGRAPH and holder is not None:
                score = 1 + run_commas + min(run_len // 100, 3)
                self.paragraphs.append((holder, score))
            run_len = run_commas = 0

        text = element.text
        if text:
            length = _text_length(text)
            run_len += length
            run_commas += text.count(",")
        for child in element:
            child_tag = child.tag
            if (
                not isinstance(child_tag, str)
                or child_tag in _UNSCORED
                or (self.skip_unlikely and is_unlikely(child))
            ):
                pass
            elif child_tag == "br":
                flush()
            elif child_tag in INLINE_TAGS:
                c_total, c_links, c_commas = self.walk(child, depth + 1)
                total += c_total
                links += c_total if child_tag == "a" else c_links
                run_len += c_total
                run_commas += c_commas
            else:
                flush()
                c_total, c_links, c_commas = self.walk(child, depth + 1)
                total += c_total
                links += c_links
                commas += c_commas
            tail = child.tail
            if tail:
                run_len += _text_length(tail)
                run_commas += tail.count(",")
        own = _text_length(text) + sum(_text_length(c.tail) for c in element)
        total += own
        commas += run_commas
        flush()
        if tag not in INLINE_TAGS:
            self.text_len[element] = total
            self.link_len[element] = links
        return total, links, commas


def _score(root: etree._Element, skip_unlikely: bool = True) -> _Scores:
    scorer = _Scorer(skip_unlikely)
    body = root.find("body")
    scorer.walk(body if body is not None else root)
    content: dict[etree._Element, float] = {}
    for holder, score in scorer.paragraphs:
        node: etree._Element | None = holder
        for level in range(_ANCESTOR_LEVELS):
            if node is None or node.tag == "html":
                break
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            content[node] = content.get(node, 0.0) + score / divider
            node = node.getparent()
    weighted = {
        node: max(0.0, (text + _TAG_SCORE.get(node.tag, 0)) * class_factor(node))
        for node, text in content.items()
    }
    return _Scores(weighted, scorer.text_len, scorer.link_len)


def _link_density(scores: _Scores, element: etree._Element) -> float:
    total = scores.text_len.get(element, 0)
    return scores.link_len.get(element, 0) / total if total else 0.0


@dataclass
class Content:
    """The elements that hold the article text, in document order, and whether class names
    may be trusted to prune them (False when only the second pass found the story)."""

    elements: list[etree._Element]
    trust_names: bool = True


def find_content(root: etree._Element) -> Content:
    """The article text's elements ([] when the page has no paragraph of text). They belong
    to `root`: copy before changing them.

    As readability does, a first pass leaves out subtrees named like furniture; when what it
    finds is too short to be a story (a wrapper named "abmenu" can hold the whole column),
    a second pass scores everything, and the names are not trusted to prune it either."""
    chosen = _main_content(root, skip_unlikely=True)
    if sum(len(" ".join(e.itertext()).strip()) for e in chosen) < _ENOUGH_TEXT:
        second = _main_content(root, skip_unlikely=False)
        if second:
            return Content(second, trust_names=False)
    return Content(chosen)


def main_content(root: etree._Element) -> list[etree._Element]:
    """The elements that hold the article text (see `find_content`)."""
    return find_content(root).elements


def _main_content(root: etree._Element, skip_unlikely: bool) -> list[etree._Element]:
    scores = _score(root, skip_unlikely)
    if not scores.content:
        return []
    final = {
        element: score * (1 - _link_density(scores, element))
        for element, score in scores.content.items()
    }
    ranked = sorted(final, key=final.__getitem__, reverse=True)
    top = ranked[0]
    top = _promote(top, ranked, final)
    return _with_siblings(top, final, scores)


def _ancestors(element: etree._Element) -> list[etree._Element]:
    out = []
    node = element.getparent()
    while node is not None:
        out.append(node)
        node = node.getparent()
    return out


def _promote(top: etree._Element, ranked: list[etree._Element],
             final: dict[etree._Element, float]) -> etree._Element:
    """Readability.js's walk up from the best candidate: to the ancestor that several strong
    candidates share (a story split into page blocks), then to a parent that scores as well."""
    best = final[top]
    alternatives = [
        set(_ancestors(element)) for element in ranked[1:6] if final[element] >= 0.75 * best
    ]
    if len(alternatives) >= _MIN_TOP_CANDIDATES:
        parent = top.getparent()
        while parent is not None and parent.tag not in ("body", "html"):
            if sum(parent in ancestors for ancestors in alternatives) >= _MIN_TOP_CANDIDATES:
                top = parent
                break
            parent = parent.getparent()
    last = final.get(top, 0.0)
    threshold = last / 3
    parent = top.getparent()
    while parent is not None and parent.tag not in ("body", "html"):
        if parent not in final:
            parent = parent.getparent()
            continue
        score = final[parent]
        if score < threshold:
            break
        if score > last:
            top = parent
            break
        last = score
        parent = parent.getparent()
    # A lone child says nothing its parent does not.
    parent = top.getparent()
    while parent is not None and parent.tag not in ("body", "html") and len(parent) == 1:
        top = parent
        parent = top.getparent()
    return top


def _with_siblings(top: etree._Element, final: dict[etree._Element, float],
                   scores: _Scores) -> list[etree._Element]:
    parent = top.getparent()
    if parent is None:
        return [top]
    threshold = max(10.0, final.get(top, 0.0) * 0.2)
    top_class = top.get("class")
    chosen = []
    for sibling in parent:
        if sibling is top:
            chosen.append(sibling)
            continue
        if not isinstance(sibling.tag, str) or sibling.tag in SKIP_TAGS or is_unlikely(sibling):
            continue
        bonus = final.get(top, 0.0) * 0.2 if top_class and sibling.get("class") == top_class else 0
        if final.get(sibling, -1e9) + bonus >= threshold:
            chosen.append(sibling)
        elif sibling.tag == "p":
            length = scores.text_len.get(sibling, 0)
            density = _link_density(scores, sibling)
            text = " ".join(sibling.itertext()).strip()
            if (length > 80 and density < 0.25) or (
                0 < length <= 80 and density == 0 and _SENTENCE_END.search(text)
            ):
                chosen.append(sibling)
    return chosen


# ---------------------------------------------------------------- pruning the copy
_CONDITIONAL = ("div", "section", "ul", "ol", "table", "dl", "header")
_PHOTO_TEXT = 200
_PLAYERS = ("iframe", "video", "embed", "object", "audio")


def _stats(element: etree._Element) -> tuple[int, int, int]:
    text = " ".join(element.itertext())
    links = sum(len(" ".join(a.itertext()).strip()) for a in element.iter("a"))
    return len(text.strip()), links, text.count(",")


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def prune(container: etree._Element, trust_names: bool = True) -> etree._Element:
    """Remove what is not story text from a copy of the main content: scripts and the like,
    headline <h1>s, captions, subtrees named like furniture (when `trust_names`), and blocks
    that are mostly links, images or lists with little prose (readability's "clean
    conditionally")."""
    # Blocks that hold a player (iframe, video …): judged below, after the players are gone.
    with_player = {
        ancestor for player in container.iter(*_PLAYERS) for ancestor in _ancestors(player)
    }
    doomed = [
        element for element in container.iter()
        if element is not container and isinstance(element.tag, str)
        and (element.tag in SKIP_TAGS or element.tag == "h1"
             or (trust_names and is_unlikely(element)) or CAPTION.search(_attrs(element)))
    ]
    for element in doomed:
        _remove(element)
    # A link alone on its line is an insert ("Jangan lewatkan:" lists, one link per line).
    for link in [a for a in container.iter("a") if _alone_on_its_line(a)]:
        _remove(link)
    # Innermost first, so that a wrapper is judged on what is left inside it.
    blocks = [e for e in container.iter(*_CONDITIONAL) if e is not container]
    for element in reversed(blocks):
        if element.getparent() is None:
            continue
        if _should_drop(element) or (element in with_player and _is_player_box(element)):
            _remove(element)
    return container


_LINE_BREAKS = frozenset({"br", "p", "div", "li", "h2", "h3", "h4", "h5", "h6"})


def _alone_on_its_line(link: etree._Element) -> bool:
    """Nothing but white space between the link and the line breaks around it."""
    previous = link.getprevious()
    parent = link.getparent()
    if parent is None:
        return False
    before = previous.tail if previous is not None else parent.text
    if (before or "").strip() or (link.tail or "").strip():
        return False
    following = link.getnext()
    starts_line = previous is None or previous.tag in _LINE_BREAKS
    ends_line = following is None or following.tag in _LINE_BREAKS
    if previous is None and parent.tag not in _LINE_BREAKS:
        return False  # a link inside a <b>/<span> of a longer line
    return starts_line and ends_line and bool(" ".join(link.itertext()).strip())


def _is_player_box(element: etree._Element) -> bool:
    """A block that held an embedded player and has no paragraph of its own, only a label or
    a caption ("Video Pilihan", the video's title): never story text."""
    length, _links, _commas = _stats(element)
    return not element.findall(".//p") and length < _PHOTO_TEXT


def _should_drop(element: etree._Element) -> bool:
    weight = class_weight(element)
    if weight < 0:
        return True
    length, links, commas = _stats(element)
    if commas >= 10:
        return False
    paragraphs = len(element.findall(".//p"))
    images = len(element.findall(".//img"))
    items = len(element.findall(".//li"))
    density = links / length if length else 0.0
    if length == 0:
        return images == 0 or images > 2
    if images > 1 and images > paragraphs:
        return True
    # A photo with a line under it (an in-body picture whose caption has no caption class).
    if images and not paragraphs and length < _PHOTO_TEXT:
        return True
    if element.tag not in ("ul", "ol") and items > paragraphs and items > 3 and density > 0.3:
        return True
    if element.tag in ("ul", "ol") and density > 0.5:
        return True
    if length < _MIN_PARAGRAPH and images == 0 and density > 0:
        return True
    if weight < 25 and density > 0.5 and length < 400:
        return True
    return weight >= 25 and density > 0.7


# The least a body found by this path must hold to be a story: one paragraph of this many
# words ending a sentence. A byline, a date or a caption alone is not one.
MIN_SENTENCE_WORDS = 12
_ENDS_SENTENCE = re.compile(r"[.!?…][\"”’)]*$")


def is_prose(paragraphs: Iterable[str]) -> bool:
    """Whether cleaned paragraphs hold at least one real sentence of story text."""
    return any(
        len(p.split()) >= MIN_SENTENCE_WORDS and _ENDS_SENTENCE.search(p) for p in paragraphs
    )


def extract_container(
    root: etree._Element, content: Content | None = None
) -> etree._Element | None:
    """A pruned copy of the page's main content (`content`, by default found by
    `find_content`), wrapped in one <div>, or None."""
    content = find_content(root) if content is None else content
    if not content.elements:
        return None
    return prune(wrap(content.elements), content.trust_names)


def find_headline(root: etree._Element) -> etree._Element | None:
    """The page's headline: the first <h1> of three words or more (a logo's <h1> is not)."""
    return next(
        (h for h in root.iter("h1") if len(" ".join(h.itertext()).split()) >= 3), None
    )


def article_region(root: etree._Element, elements: list[etree._Element]) -> etree._Element:
    """The element that holds the article: the nearest ancestor of the story text that also
    holds the page's headline (the first <h1> that is not a logo). Bylines, credits, the lead
    image and the tag list are looked for inside it, not in the cards around it."""
    headline = find_headline(root)
    if not elements:
        if headline is None:
            return root
        region = headline.getparent()
        return region if region is not None else root
    story = elements[0] if len(elements) == 1 else elements[0].getparent()
    if story is None:
        return root
    if headline is None:
        return story
    above = set(_ancestors(headline))
    node: etree._Element | None = story
    while node is not None and node not in above:
        node = node.getparent()
    return node if node is not None else root


def wrap(elements: Iterable[etree._Element]) -> etree._Element:
    """Copies of `elements` side by side in a new <div> (tails dropped: they are the
    parent's text between the elements, not theirs)."""
    wrapper = etree.Element("div")
    for element in elements:
        clone = copy.deepcopy(element)
        clone.tail = None
        wrapper.append(clone)
    return wrapper
