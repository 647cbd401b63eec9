"""newscrawl's own settings, each declared once: name, default, type and meaning.

Pure module (no Scrapy imports). `newscrawl/settings.py` takes every value from here (the
environment variable of the same name overriding the default), so each works as
`-s NAME=value` (which wins) and as an environment variable (a crontab line); components read
them with `setting(crawler.settings, NAME)`, which falls back to the default declared here and
gives the declared type. The README's settings table is checked against this list by a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    kind: type
    doc: str

    def parse(self, value: Any) -> Any:
        """The value as its type; ValueError (in words) for one it cannot be."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.default if self.kind is not str else (self.default or None)
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name} must be 1 or 0 (on or off), got {value!r}")
        if self.kind in (int, float):
            try:
                number = self.kind(value)
            except (TypeError, ValueError):
                kind = "a whole number" if self.kind is int else "a number"
                raise ValueError(f"{self.name} must be {kind}, got {value!r}") from None
            if number < 0:
                raise ValueError(f"{self.name} must not be negative, got {value!r}")
            return number
        return str(value)


SETTINGS: tuple[Setting, ...] = (
    Setting("NEWSCRAWL_DATA_DIR", "data", str,
            "where records, archive, state, reports and logs go"),
    Setting("NEWSCRAWL_MIRROR", None, str,
            "serve every request (robots.txt included) from an offline mirror directory"),
    Setting("NEWSCRAWL_HOST_OVERRIDE", None, str,
            "send every request to this host:port instead (a stand-in server on loopback for "
            "tests and benchmarks)"),
    Setting("NEWSCRAWL_REVISIT_HOURS", 0.0, float,
            "re-fetch articles published within this many hours, to catch updates (0 = never)"),
    Setting("NEWSCRAWL_REVISIT_EVERY_HOURS", 6.0, float, "… but each article at most this often"),
    Setting("NEWSCRAWL_STORY_WINDOW_DAYS", 30.0, float,
            "a new record is matched into stories against records stored within this many days"),
    Setting("NEWSCRAWL_STORY_MEMORY", 65536, int,
            "story-window records whose LSH keys a process keeps in memory (~0.3 KB each, only "
            "as many as the window holds; past it the oldest are looked up in the ledger, and "
            "story matching is up to 2.7x slower)"),
    Setting("NEWSCRAWL_MIN_WORDS", 40, int, "bodies shorter than this are flagged `short_body`"),
    Setting("NEWSCRAWL_MAX_TITLE_CHARS", 1000, int,
            "longer titles are dropped as `title_too_long` (a broken page, not an article)"),
    Setting("NEWSCRAWL_MAX_BODY_CHARS", 300_000, int,
            "longer bodies are dropped as `body_too_long`"),
    Setting("NEWSCRAWL_MAX_RECORD_BYTES", 2 * 1024 * 1024, int,
            "a stored line (one record) over this size is dropped as `record_too_large`"),
    Setting("NEWSCRAWL_GENERIC_BODY", True, bool,
            "when no declared layout finds an article's body, read it with the generic "
            "extractor (flagged `generic_body`); 0: drop such pages as `missing_body`"),
    Setting("NEWSCRAWL_ARCHIVE", True, bool,
            "keep every fetched article, listing, feed and sitemap page as received, in WARC "
            "files under `<data>/warc/` (records point at theirs); 0: off"),
    Setting("NEWSCRAWL_ARCHIVE_MAX_BYTES", 100 * 1024 * 1024, int,
            "a WARC file is closed and a new one started past this size"),
    Setting("NEWSCRAWL_ARCHIVE_GZIP_LEVEL", 6, int,
            "gzip level of the archive (1: faster, ~18 % larger)"),
    Setting("NEWSCRAWL_REEXTRACT_WORKERS", 0, int,
            "processes that read and extract archived pages in `reextract` (0: one per core "
            "for 1,000 pages or more, else in the crawl process; 1: in the crawl process)"),
    Setting("NEWSCRAWL_FSYNC", False, bool,
            "fsync after every record (power-loss safety; kill -9 safety needs no fsync)"),
    Setting("NEWSCRAWL_BACKOFF_BASE", 2.0, float,
            "seconds before the first retry of a 429/5xx, doubling each time, unless the "
            "server sends `Retry-After`"),
    Setting("NEWSCRAWL_BACKOFF_MAX", 300.0, float, "the longest wait before a retry (seconds)"),
    Setting("NEWSCRAWL_PROGRESS", None, bool,
            "a live progress line per source while crawling, exporting and re-extracting: "
            "on when stdout is a terminal (unset), 1 always, 0 never"),
    Setting("NEWSCRAWL_REDIS_URL", None, str,
            "distributed mode: a Redis (`redis://host:6379/0`) shared by crawler processes on "
            "several machines"),
    Setting("NEWSCRAWL_REDIS_TIMEOUT", 10.0, float,
            "distributed mode: seconds a Redis command or connection may take before the "
            "crawl stops as `failed` (a partitioned or hung Redis)"),
    Setting("NEWSCRAWL_RUN_ID", None, str,
            "distributed mode: processes with the same run id split one crawl (default: the "
            "UTC hour they started in)"),
)
BY_NAME = {s.name: s for s in SETTINGS}
# Not a setting of its own: the environment's name for Scrapy's LOG_LEVEL (on the command
# line, Scrapy's own `-L LEVEL` or `-s LOG_LEVEL=…`).
LOG_LEVEL_VARIABLE = "NEWSCRAWL_LOG_LEVEL"


def default(name: str) -> Any:
    return BY_NAME[name].default


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting's value for the settings module: the environment variable of its name
    when set (as given: checked by `problems`), else the default."""
    values: dict[str, Any] = {}
    for item in SETTINGS:
        raw = environ.get(item.name)
        values[item.name] = item.default if raw is None or raw == "" else raw
    return values


def setting(settings: Any, name: str) -> Any:
    """A setting's value from Scrapy settings (or any mapping with .get), typed; the declared
    default when it is not set at all."""
    return BY_NAME[name].parse(settings.get(name))


def problems(settings: Any) -> list[str]:
    """The settings whose values cannot be used, one line each."""
    found = []
    for item in SETTINGS:
        try:
            item.parse(settings.get(item.name))
        except ValueError as exc:
            found.append(str(exc))
    return found


def shown(item: Setting) -> str:
    """A default as the README shows it."""
    value = item.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def markdown_table() -> str:
    """The README's settings table, made from SETTINGS (a test keeps the README in step)."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | {'unset' if s.default is None else f'`{shown(s)}`'} | {s.doc} |"
             for s in SETTINGS]
    return "\n".join(rows)
