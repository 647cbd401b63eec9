"""The datasheet written beside every export: what the dataset holds, how it was collected
and cleaned, what may be done with it, and how to check its files.

No Scrapy imports. Modelled on "Datasheets for Datasets" (Gebru et al.): composition,
collection, preprocessing, uses and rights, distribution. Everything in it is derived from the
exported records and the export's manifest, so the same store and the same command give the
same datasheet, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from newscrawl.items import FIELD_ORDER


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _range(values: Sequence[str | None]) -> tuple[str, str]:
    present = sorted(v for v in values if v)
    return (present[0], present[-1]) if present else ("–", "–")


def render(name: str, records: Sequence[dict[str, Any]], manifest: dict[str, Any]) -> str:
    """The datasheet of an export as Markdown."""
    filters = manifest["filters"]
    lines = [
        f"# Datasheet: {name}",
        "",
        "Written by `scrapy export` (newscrawl) with the dataset; the same store and command give "
        "the same files and this same text. Record schema: `newscrawl/schema/article.schema.json` "
        "and `docs/schema.md` in the newscrawl repository.",
        "",
        "## Composition",
        "",
        f"- {manifest['records']} records, one per news article (its latest stored version), in "
        f"{manifest['stories']} stories: copies of one story across outlets share `story_id`; "
        "later copies carry `duplicate_of`.",
        f"- Published from {manifest['published_from'] or '–'} to "
        f"{manifest['published_to'] or '–'}, with the offset each outlet printed (WIB +07:00, "
        "WITA +08:00, WIT +09:00). Language: Indonesian.",
        "- Each record is one technology-section article of an Indonesian news outlet: title, "
        "authors, editors and editor codes, dateline, publish and update times, body text, tags, "
        "category, lead image with caption and credit, word count, content hash, version.",
        "",
    ]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_source.setdefault(record["source"], []).append(record)
    rows = []
    for source, items in sorted(by_source.items()):
        first, last = _range([r.get("published_at") for r in items])
        rows.append((f"`{source}`", items[0].get("outlet") or "–", len(items), first, last))
    lines += _table(("source", "outlet", "records", "first published", "last published"), rows)
    lines += ["", "Share of records with each field filled:", ""]
    fill = manifest["fill_rates"]
    lines += _table(
        ("field", "filled"), [(f"`{f}`", f"{fill.get(f, 0):.1%}") for f in FIELD_ORDER if f in fill]
    )
    flags = manifest["quality_flags"]
    lines += [
        "",
        "Quality flags (problems found, not fatal; `docs/schema.md`): "
        + (", ".join(f"`{k}` {v}" for k, v in flags.items()) if flags else "none")
        + ".",
        "",
        "## Collection",
        "",
    ]
    crawled_first, crawled_last = _range([r.get("crawled_at") for r in records])
    lines += [
        f"- Crawled between {crawled_first} and {crawled_last} (UTC) by newscrawl's per-outlet "
        "spiders from each outlet's section listings, RSS feeds, news sitemaps and date indexes "
        "(`docs/sites.md` lists them per outlet).",
        "- With newscrawl's polite defaults: robots.txt obeyed, an identifying User-Agent with "
        "a contact URL, AutoThrottle, at most two concurrent requests per site.",
        f"- Read from {filters.get('stores', 1)} crawl store(s).",
        "",
        "## Preprocessing",
        "",
        "- Fields come from each outlet's own article template, then its JSON-LD, then its meta "
        "tags (`parser` names the template version used).",
        "- Bodies keep the article's paragraphs only: inserted links (\"Baca juga\"), ads, "
        "video prompts, captions and embeds are removed; the opening dateline and the closing "
        "editor code (\"(fab/fab)\") are moved into `dateline` and `editor_codes`.",
        "- The same article reached under several URLs is stored once; a changed article is a "
        "new `version` (this dataset keeps the latest); near-copies across outlets share a "
        "`story_id` (MinHash, Jaccard >= 0.5 on 5-word shingles).",
        "",
        "## Selection",
        "",
    ]
    lines += _table(("filter", "value"), [
        ("sources", ", ".join(filters["sources"]) or "all"),
        ("published since", filters["since"] or "–"),
        ("published until", filters["until"] or "–"),
        ("later copies of a story left out", "yes" if filters["unique_stories"] else "no"),
        ("records with these flags left out", ", ".join(filters["exclude_flags"]) or "–"),
    ])
    if manifest.get("splits"):
        splits = manifest["splits"]
        lines += [
            "",
            f"Splits by a hash of `story_id` (copies of a story stay together): train "
            f"{splits['train']}, dev {splits['dev']}, test {splits['test']}.",
        ]
    notices = sorted({
        (r.get("rights") or {}).get("notice") or "" for r in records
        if (r.get("rights") or {}).get("reserved")
    } - {""})
    lines += [
        "",
        "## Uses and rights",
        "",
        "- The articles remain the work and property of their publishers; the dataset is meant "
        "for research (text analysis, NLP, media studies). Check each outlet's terms before any "
        "other use, and do not redistribute full texts where they forbid it.",
        f"- {manifest['rights_reserved']} records carry an explicit reservation in `rights` "
        "(a notice in the article, or robots `noai`)"
        + (":" if notices else "."),
    ]
    lines += [f"  - \"{notice}\"" for notice in notices[:5]]
    lines += ["", "## Files", ""]
    lines += _table(
        ("file", "format", "bytes", "sha256"),
        [(f"`{f}`", i["format"], i["bytes"], f"`{i['sha256']}`")
         for f, i in manifest["files"].items() if i["format"] != "datasheet"],
    )
    lines += ["", f"The manifest `{name}.manifest.json` holds the same figures as JSON.", ""]
    return "\n".join(lines)
