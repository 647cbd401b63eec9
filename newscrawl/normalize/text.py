"""Text clean-up shared by every field: Unicode, whitespace, hashing. No Scrapy imports."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Zero-width characters and soft hyphens survive copy-paste in CMS bodies and break matching.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def clean_text(text: str | None) -> str:
    """NFC-normalise, drop invisible characters and collapse every run of whitespace (incl. NBSP)."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _INVISIBLE.search(text):
            text = _INVISIBLE.sub("", text)
    # str.split() splits on exactly the characters `\s` matches (NBSP included), faster.
    return " ".join(text.split())


def word_count(text: str | None) -> int:
    return len(text.split()) if text else 0


def content_hash(body: str | None) -> str:
    """A hash that ignores whitespace and case, so a re-flowed paragraph is not an 'update'."""
    normalised = clean_text(body or "").casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def unique(values: list[str]) -> list[str]:
    """Keep the first occurrence of each value (case-insensitive), in order."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out
