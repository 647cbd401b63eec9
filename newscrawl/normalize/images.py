"""Lead-image captions: the caption text and the photo credit printed with it.

Shapes seen on the sites: "Foto: <caption> (AP/Susan Walsh)" (CNBC), "<caption>. Foto: Getty
Images" and "Foto: Name/detikInet" (detik), "<caption> (KOMPAS.com/NAME)" (Kompas),
"<caption>. ANTARA FOTO/Name/abc." (Antara), "<caption> [Suara.com/Name]" (Suara).
"""

from __future__ import annotations

import re

from newscrawl.normalize.text import clean_text

_LEADING_LABEL = re.compile(r"^(?:Foto|Photo|Ilustrasi foto|Gambar)\s*:\s*", re.IGNORECASE)
# "Foto:", "Kredit:" (Liputan6), "Credit:", "Sumber foto:", "Dok.:".
_LABEL = r"(?:Foto|Photo|Kredit|Credit|Sumber foto|Dok\.?)"
# "(AP/Susan Walsh)", "(Foto: CNN Indonesia/Name)", "(ANTARA FOTO/Name)", "(Getty Images)".
_TRAILING_PAREN = re.compile(rf"\s*\(\s*(?:{_LABEL}\s*:\s*)?([^()]{{2,80}}?)\s*\)\s*$", re.I)
_LABELLED_PAREN = re.compile(rf"\(\s*{_LABEL}\s*:", re.IGNORECASE)
_CREDIT_WORDS = re.compile(
    r"/|\b(?:Photo|Foto|Dok|Getty|Reuters|AFP|AP|ANTARA|Shutterstock|istimewa)\b", re.I
)
# "<caption>. Foto: Getty Images" (the label outside any parenthesis).
_TRAILING_LABEL = re.compile(rf"\s*\b{_LABEL}\s*:\s*([^()]+)$", re.I)
_PHOTO_DAY = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
# "<caption> [Suara.com/Name]", "<caption>. [Shutterstock]".
_TRAILING_BRACKET = re.compile(r"\s*\[([^\[\]]{2,80})\]\s*$")
_ANTARA_CREDIT = re.compile(r"\s*(ANTARA(?: FOTO)?/[^.()]+(?:\.[^.()]+)*?)\.?\s*$")


def split_caption_credit(text: str | None) -> tuple[str | None, str | None]:
    """(caption, credit); either may be None."""
    text = _LEADING_LABEL.sub("", clean_text(text))
    if not text:
        return None, None
    bracket = _TRAILING_BRACKET.search(text)
    if bracket:
        return clean_text(text[: bracket.start()]) or None, bracket.group(1).strip()
    credit = None
    paren = _TRAILING_PAREN.search(text)
    if paren and _PHOTO_DAY.fullmatch(paren.group(1)):
        paren = None  # "Rabu (27/3/2024)": the day the photo was taken, not a credit
    if paren and (
        _LABELLED_PAREN.search(paren.group(0)) or _CREDIT_WORDS.search(paren.group(1))
    ):
        credit, text = paren.group(1).strip(), text[: paren.start()]
    else:
        for pattern in (_TRAILING_LABEL, _ANTARA_CREDIT):
            match = pattern.search(text)
            if match:
                credit, text = match.group(1).strip().rstrip("."), text[: match.start()]
                break
    caption = clean_text(text) or None
    if caption and credit is None and "/" in caption and len(caption.split()) <= 4:
        # "Foto: Name/detikInet" is a credit with no caption.
        return None, caption
    return caption, credit
