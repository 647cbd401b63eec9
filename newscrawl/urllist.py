"""URL lists: a dataset published as URLs and content hashes, and rebuilt ("rehydrated") from them.

No Scrapy imports. Many outlets' text may not be republished, so a researcher shares
`scrapy export --urls-only` (one JSON object per line: id, source, url, published_at,
content_hash) and others run `scrapy rehydrate <file>` to fetch the same articles and learn,
per URL, whether the text they got is the one published (`same`), has changed since
(`changed`), or could not be had (`gone`: not found, refused, no longer an article).

A list may also be plain text, one URL per line (`#` comments allowed): then there is no
hash to compare with, and a fetched article counts as `fetched`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

URL_FIELDS = ("id", "source", "url", "published_at", "content_hash")
OUTCOMES = ("same", "changed", "fetched", "gone")


class UrlListError(ValueError):
    """A URL list that cannot be read, said with its file and line."""


@dataclass(frozen=True, slots=True)
class UrlEntry:
    url: str
    source: str | None = None
    id: str | None = None
    content_hash: str | None = None


def url_row(record: dict[str, Any]) -> dict[str, Any]:
    """The line of a record in a URL list."""
    return {name: record.get(name) for name in URL_FIELDS}


def read_url_list(path: Path) -> list[UrlEntry]:
    """The entries of a URL list (JSON lines as `--urls-only` writes them, or one URL a line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UrlListError(f"{path}: cannot be read ({exc})") from None
    entries = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("{"):
            try:
                row = json.loads(text)
            except ValueError:
                raise UrlListError(f"{path}:{number}: not JSON") from None
            if not isinstance(row, dict) or not isinstance(row.get("url"), str):
                raise UrlListError(f"{path}:{number}: a line without a url")
            entries.append(UrlEntry(row["url"], row.get("source"), row.get("id"),
                                    row.get("content_hash")))
        elif text.startswith(("http://", "https://")):
            entries.append(UrlEntry(text))
        else:
            raise UrlListError(f"{path}:{number}: neither a URL nor a JSON line")
    return entries


def entries_for(entries: Iterable[UrlEntry], source: str,
                claims: Callable[[str], bool]) -> Iterator[UrlEntry]:
    """The entries a spider fetches: those of its source, and plain URLs its pattern claims."""
    for entry in entries:
        if entry.source == source or (entry.source is None and claims(entry.url)):
            yield entry


def outcome(entry: UrlEntry, stored_hash: str | None) -> str:
    """same / changed / fetched (no hash to compare) / gone, from the hash stored after the
    rehydration (None: nothing stored for this entry)."""
    if stored_hash is None:
        return "gone"
    if entry.content_hash is None:
        return "fetched"
    return "same" if stored_hash == entry.content_hash else "changed"
