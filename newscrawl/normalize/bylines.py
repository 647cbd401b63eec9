"""People on the page: author bylines, editor credits and the closing editor codes.

No Scrapy imports: every function takes and returns plain strings.
"""

from __future__ import annotations

import re

from newscrawl.normalize.text import clean_text, unique

# Outlet names that share a byline with the writer ("Intan Rakhmayanti, CNBC Indonesia",
# "Fino Yurio Kristo - detikInet", "Name | CNN Indonesia"). Matched against a whole part.
OUTLET_NAMES = re.compile(
    r"^(?:detik\w*|cnbc\s*indonesia|cnn\s*indonesia|kompas(?:\.com|\s*tekno)?|liputan6(?:\.com)?|"
    r"tempo(?:\.co)?|kumparan\w*|okezone(?:\.com)?|sindonews(?:\.com)?|tribun\w*(?:\.com)?|"
    r"antara(?:news)?|suara(?:\.com)?|bisnis(?:\.com)?|idn\s*times|viva(?:\.co\.id)?|"
    r"tim\s*redaksi|redaksi|kompas\s*cyber\s*media|admin|unknown)$",
    re.IGNORECASE,
)
_ROLE_PREFIX = re.compile(
    r"^(?:penulis|oleh|reporter|pewarta|wartawan|jurnalis|by|written by|laporan)\s*:?\s+", re.I
)
_SEPARATORS = re.compile(r"\s*(?:,|;|&|\||\s-\s?|\s?-\s|\s+dan\s+|\s+and\s+)\s*")

# "Penulis: X | Editor: Y", Antara's "Pewarta: X Editor: Y Copyright © ANTARA 2026" (the name
# is sometimes glued to the next role: "SavitriEditor:").
_CREDIT_ROLES = {
    "penulis": "authors",
    "pewarta": "authors",
    "reporter": "authors",
    "wartawan": "authors",
    "oleh": "authors",
    "kontributor": "authors",
    "editor": "editors",
    "penyunting": "editors",
    "redaktur": "editors",
    "fotografer": "photographers",
    "pewarta foto": "photographers",
}
_CREDIT_LABEL = re.compile(
    r"(Pewarta Foto|Penulis|Pewarta|Reporter|Wartawan|Oleh|Kontributor|Editor|Penyunting|Redaktur"
    r"|Fotografer)\s*:",
    re.IGNORECASE,
)
_CREDIT_TAIL = re.compile(r"\s*(?:Copyright|COPYRIGHT|Hak Cipta|©).*$")

# The closing code: "(fab/fab)", "(fyk/fay)", Okezone's single "(kha)" or "(SIS)".
EDITOR_CODE = re.compile(r"\(\s*([A-Za-z]{2,5}(?:\s*/\s*[A-Za-z]{2,5}){0,3})\s*\)\s*$")


# A domain, an address, an e-mail or a company (PT = perseroan terbatas) is no person's name
# ("mediaindonesia.com developer", "PT. VIVA MEDIA BARU"); nor is a role with a place
# ("Kontributor Lhokseumawe, Masriadi": the name is after the comma).
_NOT_A_NAME = re.compile(
    r"\w\.(?:com|co\.id|id|net|org)\b|https?:|www\.|@|^PT\.?\s|^(?:Kontributor|Koresponden)\b",
    re.IGNORECASE,
)
# A role word printed after the name in a byline box: "Dewi Kania Jurnalis".
_ROLE_SUFFIX = re.compile(r"\s+Jurnalis$", re.IGNORECASE)


def split_names(text: str | None) -> list[str]:
    """Writer names from a byline, outlet names and role prefixes removed, in printed order."""
    text = clean_text(text)
    if not text:
        return []
    text = _ROLE_PREFIX.sub("", text)
    names: list[str] = []
    for part in _SEPARATORS.split(text):
        part = _ROLE_PREFIX.sub("", part.strip(" .:-–—|"))
        if not part or OUTLET_NAMES.match(part) or not re.search(r"[A-Za-z]", part):
            continue
        if _NOT_A_NAME.search(part):
            continue
        part = _ROLE_SUFFIX.sub("", part)
        names.append(part)
    return unique(names)


def parse_credits(text: str | None) -> dict[str, list[str]]:
    """Split a credit line into roles: {'authors': [...], 'editors': [...], ...}."""
    text = _CREDIT_TAIL.sub("", clean_text(text))
    result: dict[str, list[str]] = {}
    labels = list(_CREDIT_LABEL.finditer(text))
    for index, label in enumerate(labels):
        end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
        role = _CREDIT_ROLES[label.group(1).lower()]
        result.setdefault(role, []).extend(split_names(text[label.end() : end]))
    return {role: unique(names) for role, names in result.items()}


def parse_editor_codes(text: str | None) -> list[str]:
    """Initials of a closing code, writer first: "(fyk/fay)" -> ["fyk", "fay"]."""
    match = EDITOR_CODE.search(clean_text(text))
    if not match:
        return []
    return [code.strip() for code in match.group(1).split("/")]


# ---------------------------------------------------------------- credit shapes a site declares
# The text functions behind the credit declarations of `SiteParser` (newscrawl/extraction/parser.py),
# one per shape an outlet prints. Each takes the pattern the site declares.

ALL_AUTHORS = "authors"
LAST_IS_EDITOR = "last-is-editor"


def split_unlabelled_credit(names: list[str], reading: str) -> tuple[list[str], list[str]]:
    """(authors, editors) of a credit block that prints names without roles. Read as
    `ALL_AUTHORS` every name is a writer; as `LAST_IS_EDITOR` one name is the writer and of
    several the last is the editor (Kompas: writers first, then the editor)."""
    if reading == LAST_IS_EDITOR and len(names) > 1:
        return names[:-1], names[-1:]
    return list(names), []


def footer_credits(text: str | None, footer: re.Pattern[str]) -> dict[str, list[str]]:
    """The names by role in the credit footer `footer` finds in `text` ("Pewarta: X Editor: Y
    Copyright © ANTARA"), {} when the text has none."""
    match = footer.search(text or "")
    return parse_credits(match.group(0)) if match else {}


def paragraph_credits(paragraphs: list[str], credit_line: re.Pattern[str]) -> dict[str, list[str]]:
    """The names by role in the paragraphs that are a credit line as a whole ("Penulis: X",
    "Reporter: X Editor: Y"), in printed order."""
    found: dict[str, list[str]] = {}
    for paragraph in paragraphs:
        if credit_line.match(paragraph):
            for role, people in parse_credits(paragraph).items():
                found[role] = unique(found.get(role, []) + people)
    return found


def contributor_names(text: str | None, contributor: re.Pattern[str]) -> list[str]:
    """Writers named by the sentences `contributor` finds in `text` (its first group holds
    the names): "A dan B berkontribusi dalam penulisan artikel ini." gives ["A", "B"]."""
    names: list[str] = []
    for match in contributor.finditer(text or ""):
        names += split_names(match.group(1))
    return unique(names)


def run_on_byline_names(text: str | None, trailing: re.Pattern[str]) -> list[str]:
    """Writer names from a byline printed as one text with what follows it ("Dian
    PermatasariSabtu, 22 November 2025 - 09:15 WIB"): `trailing` matches what is cut away."""
    return split_names(trailing.sub("", text or ""))
