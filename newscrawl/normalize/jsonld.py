"""JSON-LD on article pages: find the article object and read its fields. No Scrapy imports.

Sites wrap the object differently: a bare object, a list (Liputan6), an `@graph` (Tribun,
CNBC), and some put a `WebPage` beside the `NewsArticle` (detik). CMS templates also emit
invalid JSON (raw newlines in strings, trailing commas), which is repaired where cheap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNews", "BlogPosting", "AnalysisNewsArticle")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x1f]")


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text))
    try:
        return json.loads(repaired)
    except ValueError:
        return None


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for child in node:
            yield from _walk(child)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk(node["@graph"])
        # A WebPage may nest its BreadcrumbList (IDN Times): "breadcrumb": {...}.
        if isinstance(node.get("breadcrumb"), (dict, list)):
            yield from _walk(node["breadcrumb"])


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("@type", [])
    return [kind] if isinstance(kind, str) else [k for k in kind if isinstance(k, str)]


def jsonld_objects(scripts: Iterable[str]) -> list[dict[str, Any]]:
    """Every JSON object in the page's ld+json scripts, flattened."""
    objects: list[dict[str, Any]] = []
    for script in scripts:
        data = _loads(script.strip())
        if data is not None:
            objects.extend(_walk(data))
    return objects


# What can still be read from a block that is not JSON (unescaped quotes in a headline …):
# a key's string value up to the quote that ends it, i.e. one followed by the next key or
# the end of the object.
_SALVAGED_KEYS = ("headline", "datePublished", "dateModified", "dateCreated", "description")
_ARTICLE_TYPE = re.compile(r'"@type"\s*:\s*"(?:' + "|".join(ARTICLE_TYPES) + ')"')
_AUTHOR_NAME = re.compile(r'"author"\s*:\s*\[?\s*\{[^{}]*?"name"\s*:\s*"([^"]+)"')


def _salvaged_value(key: str, script: str) -> str | None:
    match = re.search(
        rf'"{key}"\s*:\s*"(.*?)"\s*(?:,\s*"[@\w]+"\s*:|\}})', script, re.DOTALL
    )
    return match.group(1).strip() if match else None


def salvage_article(scripts: Iterable[str]) -> dict[str, Any]:
    """The article fields a malformed ld+json script still states (headline, dates,
    description, the author's name), read with patterns; {} when no script is an article.
    Only for scripts that are not JSON: a valid block is read by `find_article`."""
    for script in scripts:
        if _loads(script.strip()) is not None or not _ARTICLE_TYPE.search(script):
            continue
        found: dict[str, Any] = {}
        for key in _SALVAGED_KEYS:
            value = _salvaged_value(key, script)
            if value:
                found[key] = value
        author = _AUTHOR_NAME.search(script)
        if author:
            found["author"] = {"@type": "Person", "name": author.group(1)}
        if found:
            return found
    return {}


ORGANIZATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation"})


def person_names(value: Any) -> list[str]:
    """Like `names`, without entries typed as an organisation (an outlet as `author`)."""
    items = value if isinstance(value, list) else [value]
    people = [
        item for item in items
        if not (isinstance(item, dict) and ORGANIZATION_TYPES.intersection(_types(item)))
    ]
    return names(people)


def find_article(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The article object; else a WebPage with a date; else {}."""
    for obj in objects:
        if any(t in ARTICLE_TYPES for t in _types(obj)):
            return obj
    for obj in objects:
        if "WebPage" in _types(obj) and obj.get("datePublished"):
            return obj
    return {}


def resolve_references(obj: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, Any]:
    """`obj` with its people given as references ({"@id": …}, as an `@graph` names each node
    once: Suara) replaced by the nodes they point to."""
    nodes = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str) and "name" in o}

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict) and "name" not in value and value.get("@id") in nodes:
            return nodes[value["@id"]]
        return value

    if not nodes or not any(key in obj for key in ("author", "editor")):
        return obj
    return {**obj, **{key: resolve(obj[key]) for key in ("author", "editor") if key in obj}}


def breadcrumb_names(objects: list[dict[str, Any]]) -> list[str]:
    for obj in objects:
        if "BreadcrumbList" in _types(obj):
            items = sorted(
                (i for i in obj.get("itemListElement", []) if isinstance(i, dict)),
                key=lambda i: int(i.get("position", 0) or 0),
            )
            names = []
            for item in items:
                inner = item.get("item")
                name = item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
                if isinstance(name, str):
                    names.append(name)
            return names
    return []


def text_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return text_value(value.get("name") or value.get("@value"))
    if isinstance(value, list) and value:
        return text_value(value[0])
    return None


def names(value: Any) -> list[str]:
    """Person names from `author` / `editor` (object, list of objects, or strings)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        name = text_value(item)
        if name:
            out.append(name)
    return out


def image_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return text_value(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list) and value:
        return image_url(value[0])
    return None


# What a CMS leaves in `keywords` when nobody filled the field (IDN Times: "Update me").
PLACEHOLDER_KEYWORDS = frozenset({"update me"})


def keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        candidates = value.split(",")
    elif isinstance(value, list):
        candidates = [k for k in value if isinstance(k, str)]
    else:
        return []
    stripped = (k.strip() for k in candidates)
    return [k for k in stripped if k and k.casefold() not in PLACEHOLDER_KEYWORDS]
