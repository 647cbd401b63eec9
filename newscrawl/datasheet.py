"""The datasheet written beside every export: what the dataset holds, how it was collected
and cleaned, what may be done with it, and how to check its files.

No Scrapy imports. Modelled on "Datasheets for Datasets" (Gebru et al.): composition,
collection, preprocessing, uses and rights, distribution. Everything in it is derived from the
exported records and the export's manifest, so the same store and the same command give the
same datasheet, byte for byte. The records are not kept: `DatasheetFacts` gathers what the text
needs while the export writes them, one at a time, so a million records cost no more memory than
ten.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from newscrawl.datacard import card_header
from newscrawl.fields import FIELD_ORDER
from newscrawl.plot import INSTALL_HINT

# Reserved-rights notices quoted in the datasheet (the first ones in sorted order).
NOTICES_QUOTED = 5


def _widened(first: str | None, last: str | None, value: str) -> tuple[str, str]:
    """The range (first, last) of ISO strings, widened to hold `value`."""
    return (value if first is None or value < first else first,
            value if last is None or value > last else last)


@dataclass(slots=True)
class SourceFacts:
    records: int = 0
    outlet: str | None = None  # as the source's first record (in the dataset's order) prints it
    first_published: str | None = None
    last_published: str | None = None


@dataclass
class DatasheetFacts:
    """What the datasheet says about the exported records, gathered one record at a time in
    the dataset's order (`add`), in memory that does not grow with the records."""

    sources: dict[str, SourceFacts] = field(default_factory=dict)
    crawled_first: str | None = None
    crawled_last: str | None = None
    # The distinct notices of records whose rights are reserved, the smallest NOTICES_QUOTED
    # of them in sorted order: all the datasheet quotes.
    notices: list[str] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        source = self.sources.get(record["source"])
        if source is None:
            source = self.sources[record["source"]] = SourceFacts(outlet=record.get("outlet"))
        source.records += 1
        published = record.get("published_at")
        if published:
            source.first_published, source.last_published = _widened(
                source.first_published, source.last_published, published)
        crawled = record.get("crawled_at")
        if crawled:
            self.crawled_first, self.crawled_last = _widened(
                self.crawled_first, self.crawled_last, crawled)
        rights = record.get("rights") or {}
        if rights.get("reserved"):
            notice = rights.get("notice") or ""
            if notice and notice not in self.notices and (
                    len(self.notices) < NOTICES_QUOTED or notice < self.notices[-1]):
                bisect.insort(self.notices, notice)
                del self.notices[NOTICES_QUOTED:]


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def rights_summary(manifest: dict[str, Any]) -> str:
    """One sentence on the rights, for the dataset card's `license_details`."""
    rights = manifest.get("rights") or {}
    return (f"Articles of Indonesian news outlets, their publishers' property; research use. "
            f"{rights.get('reserved_written', 0)} records with a text-and-data-mining "
            f"reservation included, {rights.get('reserved_left_out', 0)} left out.")


def reserved_line(rights: dict[str, Any]) -> list[str]:
    """The visible line on reserved records: left out (the default) or included."""
    if rights.get("include_reserved"):
        return [f"- **Included on request (`--include-reserved`): "
                f"{rights.get('reserved_written', 0)} records whose publishers reserve text and "
                "data mining** (see Uses and rights).", ""]
    left_out = rights.get("reserved_left_out", 0)
    return [f"- {left_out} records whose publishers reserve text and data mining were left out "
            "(`--include-reserved` includes them).", ""] if left_out else []


def render(name: str, facts: DatasheetFacts, manifest: dict[str, Any]) -> str:
    """The datasheet of an export as Markdown, from the facts gathered while its records were
    written and its manifest."""
    filters = manifest["filters"]
    rights = manifest.get("rights") or {}
    lines = [
        card_header(name, manifest, manifest.get("license", "other"), rights_summary(manifest)),
        f"# Datasheet: {name}",
        "",
        "Written by `scrapy export` (newscrawl) with the dataset; the same store and command give "
        "the same files and this same text. Record schema: `newscrawl/schema/article.schema.json` "
        "and `docs/schema.md` in the newscrawl repository.",
        "",
        "## Composition",
        "",
        *reserved_line(rights),
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
    rows = [
        (f"`{source}`", item.outlet or "–", item.records, item.first_published or "–",
         item.last_published or "–")
        for source, item in sorted(facts.sources.items())
    ]
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
    lines += [
        f"- Crawled between {facts.crawled_first or '–'} and {facts.crawled_last or '–'} (UTC) by newscrawl's per-outlet "
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
    notices = facts.notices
    lines += [
        "",
        "## Uses and rights",
        "",
        "- The articles remain the work and property of their publishers; the dataset is meant "
        "for research (text analysis, NLP, media studies). Check each outlet's terms before any "
        "other use, and do not redistribute full texts where they forbid it.",
        f"- License declared for this export: `{manifest.get('license', 'other')}`.",
        f"- {manifest['rights_reserved']} records in this dataset carry a reservation in "
        "`rights`" + (":" if notices else "."),
    ]
    lines += [f"  - \"{notice}\"" for notice in notices[:NOTICES_QUOTED]]
    lines += [""]
    by_source = rights.get("reserving_signals_by_source") or {}
    if by_source:
        lines += ["Records whose rights are reserved, per outlet and signal (a record may carry "
                  "several; `docs/schema.md` explains each):", ""]
        kinds = sorted({kind for signals in by_source.values() for kind in signals})
        lines += _table(("source", *kinds), [
            (f"`{source}`", *(signals.get(kind, 0) for kind in kinds))
            for source, signals in by_source.items()])
    plot = next((f for f, i in manifest["files"].items() if i["format"] == "plot"), None)
    lines += ["", "## Articles per day", ""]
    lines += [f"![Articles per day per outlet]({plot})" if plot else
              f"No plot: install the plot extra (`{INSTALL_HINT}`) and export again."]
    lines += ["", "## Files", ""]
    lines += _table(
        ("file", "format", "bytes", "sha256"),
        [(f"`{f}`", i["format"], i["bytes"], f"`{i['sha256']}`")
         for f, i in manifest["files"].items() if i["format"] != "datasheet"],
    )
    lines += ["", f"The manifest `{name}.manifest.json` holds the same figures as JSON.", ""]
    return "\n".join(lines)
