"""Run reports and layout-drift monitors for unattended runs. No Scrapy imports.

A source's report is made from its crawler's stats. Monitors compare it with fixed floors
and with the source's recent runs (the reports under data/runs/); a failed monitor marks the
source `degraded`. The process exit code says the worst state of any source.

Why not spidermon: its monitors run inside one crawl and see only that crawl, while drift
shows against earlier runs; the few checks needed here are plain functions over two dicts,
tested directly, and the report they feed is ours anyway.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from newscrawl.ledger_protocol import parse_iso

logger = logging.getLogger(__name__)

# Exit codes of `crawlall` (documented in the README).
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_DEGRADED = 4
EXIT_BLOCKED = 5
EXIT_FAILED = 6
# `status`: the last run is older than --max-age-hours (cron stopped, or runs hang).
EXIT_STALE = 7
STATUS_EXIT = {"healthy": EXIT_OK, "degraded": EXIT_DEGRADED, "blocked": EXIT_BLOCKED,
               "failed": EXIT_FAILED}

# Fixed floors: below these a source's layout has most likely changed.
FLOORS = {"published_at": 0.98, "title": 0.98, "body": 0.98}
# More than this share of recent bodies from paths no declared layout gave: layout drift.
# "Recent": this run's bodies, and earlier runs' until there are DRIFT_WINDOW of them, so an
# hourly run of three articles is not judged on three; and at least DRIFT_MIN_OFF bodies must
# be off the layouts, so one page of an odd template does not raise the alarm.
DRIFT_SHARE = 0.2
DRIFT_WINDOW = 10
DRIFT_MIN_OFF = 2
# The `parser` suffixes of bodies that did not come from the detected layout (see
# newscrawl/extraction/parser.py), as the drift verdict names them.
OFF_LAYOUT_PATHS = {
    "other-layout": "another layout's selectors",
    "jsonld-body": "JSON-LD articleBody",
    "generic": "the generic path",
}
HISTORY_RUNS = 5


@dataclass
class Monitor:
    name: str
    passed: bool
    detail: str


def _sum_prefix(stats: dict[str, Any], prefix: str) -> int:
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix))


def source_report(name: str, stats: dict[str, Any]) -> dict[str, Any]:
    """The per-source part of a run report, from a crawler's stats."""
    dropped = {
        k.removeprefix("newscrawl/dropped/"): int(v)
        for k, v in sorted(stats.items())
        if k.startswith("newscrawl/dropped/")
    }
    checked = int(stats.get("newscrawl/checked", 0))
    stored = int(stats.get("newscrawl/stored", 0))

    def page_rate(missing: str) -> float | None:
        return None if not checked else round(1 - dropped.get(missing, 0) / checked, 4)

    def fill_rate(key: str) -> float | None:
        return None if not stored else round(int(stats.get(key, 0)) / stored, 4)

    started, finished = stats.get("start_time"), stats.get("finish_time")
    duration = stats.get("elapsed_time_seconds")
    if duration is None and started and finished:
        duration = (finished - started).total_seconds()
    return {
        "source": name,
        "status": "healthy",
        "finish_reason": stats.get("finish_reason"),
        # Why the crawl stopped early, in words (a storage error), else None.
        "failure": stats.get("newscrawl/storage_error"),
        # Repairs made when the crawl state was opened (the store is the truth).
        "state": {
            "ledger_rebuilt_from_store": stats.get("newscrawl/state/ledger_rebuilt"),
            "records_reconciled": int(stats.get("newscrawl/store/reconciled", 0)),
            "torn_lines_cut": int(stats.get("newscrawl/store/repaired_lines", 0)),
            "corrupt_lines_skipped": int(stats.get("newscrawl/store/corrupt_lines", 0)),
            "redis_refilled_from_store": int(stats.get("newscrawl/state/redis_refilled", 0)),
            "redis_lost_during_run": bool(stats.get("newscrawl/state/redis_lost_during_run")),
        },
        "new": int(stats.get("newscrawl/new", 0)),
        "updated": int(stats.get("newscrawl/updated", 0)),
        "duplicate": _sum_prefix(stats, "newscrawl/duplicate/"),
        "skipped": _sum_prefix(stats, "newscrawl/skipped/"),
        "dropped": dropped,
        "blocked": int(stats.get("newscrawl/blocked", 0))
        + int(stats.get("robotstxt/forbidden", 0)),
        "errors": int(stats.get("log_count/ERROR", 0)),
        # Responses given up on, by status, and downloads that failed, by exception (timeouts,
        # connections lost mid-body, responses over DOWNLOAD_MAXSIZE).
        "http_errors": {
            k.rpartition("/")[2]: int(v) for k, v in sorted(stats.items())
            if k.startswith("httperror/response_ignored_status_count/")
        },
        "download_errors": {
            k.rpartition("/")[2].rpartition(".")[2]: int(v) for k, v in sorted(stats.items())
            if k.startswith("downloader/exception_type_count/")
        },
        "retries": int(stats.get("retry/count", 0)),
        "retries_exhausted": int(stats.get("retry/max_reached", 0)),
        # Articles not fetched, by reason (http_403, too_large, DownloadTimeoutError …): a
        # later run fetches them again.
        "fetch_failed": {
            k.removeprefix("newscrawl/fetch_failed/"): int(v) for k, v in sorted(stats.items())
            if k.startswith("newscrawl/fetch_failed/")
        },
        # Requests not sent because this run had already made them (redirect loops end here).
        "duplicate_requests": int(stats.get("dupefilter/filtered", 0)),
        "offsite_filtered": int(stats.get("offsite/filtered", 0)),
        "parser_exceptions": _sum_prefix(stats, "spider_exceptions/"),
        "discovered": int(stats.get("newscrawl/articles/discovered", 0)),
        "checked": checked,
        "stored": stored,
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses": int(stats.get("response_received_count", 0))
        - int(stats.get("newscrawl/robots/stand_in_responses", 0)),
        "bytes": int(stats.get("downloader/response_bytes", 0)),
        "duration_s": round(float(duration or 0), 1),
        "rates": {
            "published_at": page_rate("missing_published_at"),
            "title": page_rate("missing_title"),
            "body": page_rate("missing_body"),
            "authors": fill_rate("newscrawl/fill/authors"),
            "editor_codes": fill_rate("newscrawl/fill/editor_codes"),
            "long_body": fill_rate("newscrawl/fill/long_body"),
        },
        "body_words_median": stats.get("newscrawl/body_words_median"),
        # Article links per discovery source, those only one source knew, and listing pages
        # where the declared container held no article link (read from the whole page).
        "discovery": {
            "links": {
                k.removeprefix("newscrawl/links/from/"): int(v) for k, v in sorted(stats.items())
                if k.startswith("newscrawl/links/from/")
            },
            "only": {
                k.removeprefix("newscrawl/links/only/"): int(v) for k, v in sorted(stats.items())
                if k.startswith("newscrawl/links/only/")
            },
            "listing_fallback_pages": int(stats.get("newscrawl/links/listing_fallback_pages", 0)),
            "listing_scope": stats.get("newscrawl/links/listing_scope"),
        },
        # Every counter of the crawl (Scrapy's and newscrawl's), for whoever needs one the
        # fields above do not show.
        "counters": {k: v for k, v in sorted(stats.items())
                     if isinstance(v, (int, float)) and not isinstance(v, bool)},
        # robots.txt that could not be read after the retries (a 5xx, a 429, no answer): the
        # host was then not crawled at all (RFC 9309), counted by reason.
        "robots_not_read": {
            k.removeprefix("newscrawl/robots/unreachable/"): int(v)
            for k, v in sorted(stats.items())
            if k.startswith("newscrawl/robots/unreachable/")
        },
        # Pages kept in the WARC archive, and why archiving stopped if it did.
        "archive": {
            "pages": int(stats.get("newscrawl/archive/pages", 0)),
            "bytes": int(stats.get("newscrawl/archive/bytes", 0)),
            "files_recovered": int(stats.get("newscrawl/archive/recovered_files", 0)),
            "failed": stats.get("newscrawl/archive/failed"),
        },
        # Bodies per extraction path ("<site>@<layout>", "<site>@generic" …).
        "parsers": {
            k.removeprefix("newscrawl/parser/"): int(v)
            for k, v in sorted(stats.items())
            if k.startswith("newscrawl/parser/")
        },
        "monitors": [],
    }


# Discovery sources as the verdicts name them, and how each "lists" its links.
SOURCE_NAMES = {"listing": "listing", "date-index": "date index", "feed": "feed",
                "sitemap": "sitemap"}


def _by_source(links: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for via, count in links.items():
        kind = via.removesuffix("-fallback")
        out[kind] = out.get(kind, 0) + count
    return out


def discovery_cross_check(now: dict[str, int], before: dict[str, int]) -> Monitor | None:
    """A discovery source that gave article links in the last run and gives none now, while
    another source of the outlet still does, is named: that source broke, not the outlet."""
    now_by, before_by = _by_source(now), _by_source(before)
    silent = [k for k, n in before_by.items() if n and not now_by.get(k)]
    alive = [(k, n) for k, n in sorted(now_by.items()) if n]
    if not silent or not alive:
        return None
    still = "; ".join(f"{SOURCE_NAMES.get(k, k)} still lists {n} articles" for k, n in alive)
    gone = ", ".join(f"{SOURCE_NAMES.get(k, k)} found 0 (last run {before_by[k]})" for k in silent)
    return Monitor("discovery_sources", False, f"{still}; {gone}")


def layout_drift(
    parsers: dict[str, int], history: Sequence[dict[str, Any]] = ()
) -> Monitor | None:
    """Fails when more than DRIFT_SHARE of the recent bodies (this run's, topped up from
    earlier runs' to DRIFT_WINDOW) came from paths no declared layout gave, at least
    DRIFT_MIN_OFF of them: the site changed its markup (the records are kept, flagged
    `generic_body` where the generic path or JSON-LD made them)."""
    window = dict(parsers)
    runs_used = 1
    for earlier in history:
        if sum(window.values()) >= DRIFT_WINDOW:
            break
        for parser, count in (earlier.get("parsers") or {}).items():
            window[parser] = window.get(parser, 0) + count
        runs_used += 1
    total = sum(window.values())
    if not sum(parsers.values()):
        return None
    off: dict[str, int] = {}
    for parser, count in window.items():
        path = parser.rpartition("@")[2]
        if path in OFF_LAYOUT_PATHS:
            off[path] = off.get(path, 0) + count
    drifted = sum(off.values())
    over = f" over the last {runs_used} runs" if runs_used > 1 else ""
    if not drifted:
        return Monitor("layout_drift", True, f"all {total} bodies{over} from a declared layout")
    detail = ", ".join(f"{n} from {OFF_LAYOUT_PATHS[p]}" for p, n in sorted(off.items()))
    verdict = (
        f"layout drift: {drifted} of {total} bodies{over} not from a declared layout ({detail})"
    )
    passed = drifted <= DRIFT_SHARE * total or drifted < DRIFT_MIN_OFF
    return Monitor("layout_drift", passed, verdict)


def run_monitors(report: dict[str, Any], history: Sequence[dict[str, Any]]) -> list[Monitor]:
    """Checks of one source's report against fixed floors and its own recent runs
    (`history`: earlier reports of the same source, newest first)."""
    monitors: list[Monitor] = []
    rates = report["rates"]
    for field, floor in FLOORS.items():
        rate = rates.get(field)
        if rate is not None:
            monitors.append(Monitor(
                f"{field}_floor", rate >= floor,
                f"{field} found on {rate:.0%} of article pages (floor {floor:.0%})",
            ))
    drift = layout_drift(report.get("parsers") or {}, history)
    if drift is not None:
        monitors.append(drift)
    archive_failure = (report.get("archive") or {}).get("failed")
    if archive_failure:
        monitors.append(Monitor(
            "archive", False,
            f"archive not written ({archive_failure}): records stored from then on have no "
            "archived page",
        ))
    if report["parser_exceptions"]:
        monitors.append(Monitor(
            "parser_exceptions", False,
            f"{report['parser_exceptions']} pages raised an exception in the parser",
        ))
    # Compared with the source's last healthy runs: a source that fails the same way run
    # after run must not become its own baseline.
    discovery = report.get("discovery") or {}
    if discovery.get("listing_fallback_pages"):
        links = discovery["links"]
        fallback = links.get("listing-fallback", 0) + links.get("date-index-fallback", 0)
        monitors.append(Monitor(
            "listing_drift", False,
            f"listing drift: the declared link container ({discovery.get('listing_scope')}) "
            f"held no article link on {discovery['listing_fallback_pages']} listing pages; "
            f"{fallback} links were read from the whole page instead",
        ))
    # A backfill reads date indexes for a window: a day without articles is no broken source,
    # and hourly runs are no baseline for it.
    backfill = bool(report.get("backfill"))
    earlier = next((r for r in history if (r.get("discovery") or {}).get("links")), None)
    # A process of a distributed crawl sees only the pages the shared queue gave it: a feed
    # another process read is no silent feed.
    if earlier is not None and not backfill and not report.get("distributed"):
        cross = discovery_cross_check(discovery.get("links") or {}, earlier["discovery"]["links"])
        if cross is not None:
            monitors.append(cross)
    recent = [r for r in history if r.get("status", "healthy") == "healthy"][:HISTORY_RUNS]
    # A process of a distributed crawl may get none of a source's listing pages: finding no
    # links is then another process's share, not a broken source.
    if (
        recent
        and not backfill
        and not report.get("distributed")
        and all(r.get("discovered", 0) > 0 for r in recent)
    ):
        monitors.append(Monitor(
            "articles_found", report["discovered"] > 0,
            f"{report['discovered']} article links found (each of the last {len(recent)} runs "
            "found some)",
        ))
    medians = [r["body_words_median"] for r in recent if r.get("body_words_median")]
    current = report.get("body_words_median")
    if medians and current and report["stored"] >= 3:
        usual = statistics.median(medians)
        monitors.append(Monitor(
            "body_length", current >= usual / 2,
            f"median body {current} words (recent runs {usual:g})",
        ))
    author_rates = [r["rates"]["authors"] for r in recent if r["rates"].get("authors") is not None]
    if author_rates and rates.get("authors") is not None and report["stored"] >= 3:
        usual = statistics.mean(author_rates)
        monitors.append(Monitor(
            "authors_fill", rates["authors"] >= usual - 0.5,
            f"authors on {rates['authors']:.0%} of records (recent runs {usual:.0%})",
        ))
    return monitors


def judge(report: dict[str, Any], history: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Fill in a source report's monitors and status."""
    monitors = run_monitors(report, history)
    report["monitors"] = [m.__dict__ for m in monitors]
    if report["finish_reason"] != "finished" or report.get("failure"):
        # No finish reason at all: the crawl never ended normally (killed, or never closed);
        # a storage failure fails the source however the engine then wound down.
        report["status"] = "failed"
    elif (report.get("state") or {}).get("redis_lost_during_run"):
        report["status"] = "failed"
    elif report.get("requests") and not report.get("responses", 1):
        # Every request failed before any answer (DNS, refused connections, timeouts): the
        # outlet was never reached, which says nothing about its layout.
        report["status"] = "failed"
        errors = report.get("download_errors") or {}
        report["failure"] = report.get("failure") or (
            "no response to any of {} requests ({})".format(
                report["requests"],
                ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "no answer",
            )
        )
    elif report["blocked"] and not report["checked"]:
        report["status"] = "blocked"
    elif any(not m.passed for m in monitors):
        report["status"] = "degraded"
    else:
        report["status"] = "healthy"
    return report


def write_report(path: Path, run: dict[str, Any], exclusive: bool = False) -> None:
    """Write a run report atomically; on failure (a full disk) no partial file stays. With
    `exclusive`, FileExistsError when `path` is already there (it is not replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(run, ensure_ascii=False, indent=2, default=str) + "\n")
        if exclusive:
            os.link(tmp, path)
            tmp.unlink()
        else:
            tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def save_report(path: Path, report: dict[str, Any], code: int, command: str) -> int:
    """Write a command's report and print where it is with the exit code; a report that
    cannot be written (a full disk) is said on stderr and makes the run failed."""
    try:
        write_report(path, report)
    except OSError as exc:
        print(f"{command}: could not write the report {path}: {exc.strerror or exc}",
              file=sys.stderr)
        return max(code, EXIT_FAILED)
    print(f"report: {path}  exit code: {code}")
    return code


def finish_run(runs_dir: Path, run_id: str, started: datetime, sources: list[dict[str, Any]],
               command: str, window: dict[str, Any] | None = None,
               log_file: Path | None = None) -> tuple[int, Path, str | None]:
    """Write the report of a run (`crawl`: one source; `crawlall`: several) to
    `runs_dir/<run_id>.json`. Returns the run's exit code, the report's path and, when it
    could not be written (a full disk), why: the run is then failed."""
    code = exit_code(sources)
    finished = datetime.now(timezone.utc).replace(microsecond=0)
    run = {
        "run_id": run_id,
        "command": command,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "exit_code": code,
        "window": window,
        "log_file": str(log_file) if log_file else None,
        "sources": sources,
    }
    path = runs_dir / f"{run_id}.json"
    # Two runs started in the same second (two `scrapy crawl`s) each keep their report; the
    # suffix sorts the later one first, as newest.
    for attempt in range(2, 100):
        try:
            write_report(path, run, exclusive=True)
            break
        except FileExistsError:
            run["run_id"] = f"{run_id}_{attempt}"
            path = runs_dir / f"{run['run_id']}.json"
        except OSError as exc:
            return max(code, EXIT_FAILED), path, f"could not write the run report {path}: " \
                f"{exc.strerror or exc}"
    return code, path, None


def exit_code(sources: Sequence[dict[str, Any]]) -> int:
    return max((STATUS_EXIT[s["status"]] for s in sources), default=EXIT_OK)


def load_history(runs_dir: Path, limit: int = 50) -> dict[str, list[dict[str, Any]]]:
    """Earlier reports per source, newest first (unreadable report files are skipped)."""
    history: dict[str, list[dict[str, Any]]] = {}
    for run in load_runs(runs_dir, limit):
        for source in run.get("sources", []):
            history.setdefault(source["source"], []).append(source)
    return history


def aligned(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Rows of a plain-text table, columns padded to their widest cell."""
    cells = [[str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            for row in cells]


def _records(count: int) -> str:
    return f"{count:,} record" + ("" if count == 1 else "s")


def render_table(sources: Sequence[dict[str, Any]]) -> str:
    """The short table printed at the end of a run."""
    columns = ("source", "status", "new", "upd", "dup", "skip", "drop", "blk", "err", "req",
               "secs", "date%", "auth%", "layout%")
    rows = [columns]
    for s in sources:
        rate = s["rates"]
        rows.append((
            s["source"], s["status"], s["new"], s["updated"], s["duplicate"], s["skipped"],
            sum(s["dropped"].values()), s["blocked"], s["errors"], s["requests"],
            s["duration_s"],
            "-" if rate["published_at"] is None else f"{rate['published_at']:.0%}",
            "-" if rate["authors"] is None else f"{rate['authors']:.0%}",
            _layout_share(s.get("parsers") or {}),
        ))
    lines = aligned(rows)
    # The state is shared by every source of a run: its repairs are said once.
    state = next((s["state"] for s in sources if s.get("state")), {})
    if state.get("ledger_rebuilt_from_store"):
        lines.append(
            f"ledger was damaged: moved to {state['ledger_rebuilt_from_store']} and rebuilt "
            f"from the store ({_records(state['records_reconciled'])})"
        )
    if state.get("redis_refilled_from_store"):
        lines.append(
            f"Redis held no crawl state (new, or it lost its data): this machine's store was "
            f"read back into it ({_records(state['redis_refilled_from_store'])}); run "
            "`newscrawl catchup` on the other machines before they crawl"
        )
    if state.get("corrupt_lines_skipped"):
        lines.append(f"store: {state['corrupt_lines_skipped']} lines that are not records "
                     "skipped (see the log for file and line)")
    for s in sources:
        if s["status"] == "failed":
            why = s.get("failure") or "the crawl did not finish normally"
            lines.append(f"{s['source']}: failed: {why} "
                         f"(finish reason: {s.get('finish_reason') or 'none'})")
        robots = s.get("robots_not_read") or {}
        if robots:
            why = ", ".join(f"{k} {v}" for k, v in robots.items())
            lines.append(f"{s['source']}: robots.txt unreachable ({why}): nothing fetched from "
                         "its host this run (RFC 9309: complete disallow); the next run asks again")
        for monitor in s["monitors"]:
            if not monitor["passed"]:
                lines.append(f"{s['source']}: {monitor['name']} failed: {monitor['detail']}")
    return "\n".join(lines)


def _layout_share(parsers: dict[str, int]) -> str:
    """The share of bodies a declared layout gave, for the table."""
    total = sum(parsers.values())
    if not total:
        return "-"
    off = sum(n for p, n in parsers.items() if p.rpartition("@")[2] in OFF_LAYOUT_PATHS)
    return f"{1 - off / total:.0%}"


def prune(directory: Path, pattern: str, keep_days: float, now: datetime | None = None) -> int:
    """Delete files matching `pattern` older than `keep_days`; returns how many."""
    if not directory.exists():
        return 0
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=keep_days)
    removed = 0
    for path in directory.glob(pattern):
        if datetime.fromtimestamp(path.stat().st_mtime, timezone.utc) < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def load_runs(runs_dir: Path, limit: int = 50) -> list[dict[str, Any]]:
    """The run reports under `runs_dir`, newest first. A file that is not a run report (cut,
    edited by hand, another tool's) is skipped with a warning: the monitors and `status` judge
    from the others, and the cron job keeps running."""
    found = []
    if runs_dir.exists():
        for path in sorted(runs_dir.glob("*.json"), reverse=True)[:limit]:
            try:
                report = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning("Skipped run report %s: %s", path, exc)
                continue
            if not _is_run_report(report):
                logger.warning("Skipped %s: not a run report (no list of sources with their "
                               "status)", path)
                continue
            found.append(report)
    return found


def _is_run_report(report: Any) -> bool:
    if not isinstance(report, dict) or not isinstance(report.get("sources", []), list):
        return False
    finished = report.get("finished")
    if finished is not None and not (isinstance(finished, str) and parse_iso(finished)):
        return False
    return all(isinstance(source, dict) and isinstance(source.get("source"), str)
               and isinstance(source.get("status"), str) for source in report.get("sources", []))


def source_status(name: str, reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One source's state over recent runs (`reports`: run reports, newest first)."""
    seen = [(run, s) for run in reports for s in run.get("sources", []) if s["source"] == name]
    if not seen:
        return {"source": name, "status": "never run"}
    last_run, last = seen[0]
    unhealthy = 0
    for _, source in seen:
        if source["status"] == "healthy":
            break
        unhealthy += 1
    healthy = next((run for run, source in seen if source["status"] == "healthy"), None)
    new_at = next((run for run, source in seen if source.get("new")), None)
    return {
        "source": name,
        "status": last["status"],
        "last_run": last_run.get("finished"),
        "runs_not_healthy": unhealthy,
        "last_healthy": healthy.get("finished") if healthy else None,
        "last_new_records": new_at.get("finished") if new_at else None,
        "failed_monitors": [m["name"] for m in last.get("monitors", []) if not m["passed"]],
        "reasons": [m["detail"] for m in last.get("monitors", []) if not m["passed"]],
    }


def render_status(rows: Sequence[dict[str, Any]]) -> str:
    columns = ("source", "status", "last run", "not healthy", "last healthy", "last new records")
    table = [columns] + [
        (
            r["source"], r["status"], r.get("last_run") or "-",
            str(r.get("runs_not_healthy", "-")), r.get("last_healthy") or "-",
            r.get("last_new_records") or "-",
        )
        for r in rows
    ]
    lines = aligned(table)
    for r in rows:
        for name, reason in zip(r.get("failed_monitors", []), r.get("reasons", []), strict=False):
            lines.append(f"{r['source']}: {name} failed in the last run: {reason}")
    return "\n".join(lines)
