"""Encodings: mojibake detection, and decoding pages whose bytes do not match their label.

The crawler itself decodes each page by its declared encoding; this catches pages whose
own text already carries mojibake (the seed article's copy had GBK bytes read as Latin-1:
"²©²ÊÍøÕ¾"). Such text is flagged in `quality_flags`, never silently kept as clean.
"""

from __future__ import annotations

import codecs
import re

# Runs of Latin-1 supplement symbols/letters are rare in Indonesian prose; names such as
# "José" contain one such letter, not three in a row.
_LATIN1_RUN = re.compile(r"[\u00a1-\u00ff]{3,}")
# UTF-8 read as Latin-1/cp1252: "Ã©", "â€™", "Â ".
_UTF8_AS_LATIN1 = re.compile(
    r"(?:Ã[\u0080-\u00bf]|â€[\u0080-\u00bf\u2018-\u201e\u2122]|Â[\u00a0-\u00bf])"
)
_REPAIR_CODECS = ("utf-8", "gbk", "big5", "shift_jis")


def _repairs(fragment: str) -> bool:
    """True when the fragment's Latin-1 bytes decode cleanly as another common codec."""
    try:
        raw = fragment.encode("latin-1")
    except UnicodeEncodeError:
        return False
    for codec in _REPAIR_CODECS:
        try:
            repaired = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if repaired != fragment and len(repaired) < len(fragment):
            return True
    return False


def find_mojibake(text: str | None) -> list[str]:
    """The suspicious fragments of `text`, in order (empty when the text looks clean)."""
    if not text:
        return []
    found = [m.group(0) for m in _UTF8_AS_LATIN1.finditer(text)]
    found += [m.group(0) for m in _LATIN1_RUN.finditer(text) if _repairs(m.group(0))]
    return found


def has_mojibake(text: str | None) -> bool:
    return bool(find_mojibake(text))


# --------------------------------------------------------------------- decoding a page
_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8"})


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejected as Windows-1252 (the five bytes it leaves undefined
    as Latin-1): what a page labelled UTF-8 but saved by a Windows editor holds."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return "".join(
        bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad
    ), error.end


codecs.register_error("newscrawl-cp1252", _cp1252_fallback)


# Single-byte labels a server sends by default (Apache's ISO-8859-1, for one) on pages that are
# UTF-8; as Scrapy and w3lib do, ISO-8859-1 and ASCII are read as Windows-1252 anyway.
_LATIN_NAMES = frozenset({"iso8859_1", "iso_8859_1", "latin_1", "latin1", "cp1252",
                          "windows_1252", "ascii", "us_ascii", "iso8859_15", "iso_8859_15"})


def decode_page(body: bytes, declared: str, decoded: str) -> tuple[str, bool]:
    """The page's text, and whether it had to be repaired. `decoded` is what the crawler
    made of `body` with the `declared` encoding (errors replaced by U+FFFD).

    - Declared UTF-8, bytes not valid UTF-8: the invalid bytes are read as Windows-1252 instead
      of being lost ("â€™" and "é" typed on Windows into a UTF-8 page).
    - Declared a single-byte Latin encoding, bytes valid UTF-8 with non-ASCII characters: read as
      UTF-8 (a server's default label on a UTF-8 page would make every "é" an "Ã©"; Latin text
      whose bytes also form valid multi-byte UTF-8 sequences is all but unknown)."""
    label = declared.replace("-", "_").lower()
    if label in _LATIN_NAMES:
        if body.isascii():
            return decoded, False
        try:
            return body.decode("utf-8-sig"), True
        except UnicodeDecodeError:
            return decoded, False
    if label not in {n.replace("-", "_") for n in _UTF8_NAMES}:
        return decoded, False
    if "\ufffd" not in decoded:
        return decoded, False
    try:
        body.decode("utf-8")
        return decoded, False  # the replacement characters are in the page itself
    except UnicodeDecodeError:
        pass
    return body.decode("utf-8-sig", errors="newscrawl-cp1252"), True
