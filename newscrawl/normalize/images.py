"""Lead-image captions: the caption text and the photo credit printed with it.

Shapes seen on the sites: "Foto: <caption> (AP/Susan Walsh)" (CNBC), "<caption>. Foto: Getty
Images" and "Foto: Name/detikInet" (detik), "<caption> (KOMPAS.com/NAME)" (Kompas),
"<caption>. ANTARA FOTO/Name/abc." (Antara).
"""

from __future__ import annotations

import re

from newscrawl.normalize.text import clean_text

_LEADING_LABEL = re.compile(r"^(?:Foto|Photo|Ilustrasi foto|Gambar)\s*:\s*", re.IGNORECASE)
_TRAILING_PAREN = re.compile(r"\s*\(([^()]{2,80})\)\s*$")
_TRAILING_LABEL = re.compile(r"\s*\b(?:Foto|Photo|Sumber foto|Dok\.?)\s*:\s*(.+)$", re.IGNORECASE)
_ANTARA_CREDIT = re.compile(r"\s*(ANTARA FOTO/[^.]+(?:\.[^.]+)*?)\.?\s*$")


def split_caption_credit(text: str | None) -> tuple[str | None, str | None]:
    """(caption, credit); either may be None."""
    text = clean_text(text)
    if not text:
        return None, None
    credit = None
    text = _LEADING_LABEL.sub("", text)
    for pattern in (_TRAILING_LABEL, _ANTARA_CREDIT):
        match = pattern.search(text)
        if match:
            credit = match.group(1).strip().rstrip(".")
            text = text[: match.start()]
            break
    else:
        match = _TRAILING_PAREN.search(text)
        if match and (
            "/" in match.group(1) or re.search(r"\b(?:Photo|Foto|Dok)\b", match.group(1))
        ):
            credit = match.group(1).strip()
            text = text[: match.start()]
    caption = clean_text(text) or None
    whole_paren = re.fullmatch(r"\(([^()]+)\)", caption or "")
    if whole_paren and credit is None:
        # "Foto: (Getty Images)": a credit with no caption.
        return None, whole_paren.group(1).strip()
    if caption and credit is None and "/" in caption and len(caption.split()) <= 4:
        # "Foto: Name/detikInet" is a credit with no caption.
        return None, caption
    return caption, credit
