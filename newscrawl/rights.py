"""Rights signals: what a page, its response and its host say about text and data mining.

No Scrapy imports. A record's `rights` gathers every signal found, each with where it came from:

| source | where | reserves when |
|---|---|---|
| `notice` | a notice printed in the article (ANTARA's ban on crawling for AI) | always |
| `robots-meta` | `<meta name="robots" content="noai, noimageai">` | `noai` / `noimageai` |
| `tdm-meta` | `<meta name="tdm-reservation" content="1">` (+ `tdm-policy`) | value 1 |
| `tdm-header` | the HTTP header `tdm-reservation: 1` (+ `tdm-policy`) | value 1 |
| `tdmrep.json` | the host's `/.well-known/tdmrep.json`, the first rule whose `location` matches the path | value 1 |
| `robots.txt` | the host's robots.txt disallows this URL to AI crawlers (GPTBot, CCBot, …) | always |

The TDM Reservation Protocol (W3C community group, https://www.w3.org/community/tdmrep/) is
how a European publisher reserves its rights under Art. 4 of the DSM directive in a machine-
readable way; `tdm-reservation: 0` says the opposite and is kept as a signal that does not
reserve. A record is `reserved` when any signal reserves; `notice` keeps the printed notice
(or the first reserving signal's detail) for people reading the record.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

# Crawlers that collect text for AI training or answers, by their published user-agent tokens.
AI_USER_AGENTS = (
    "GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "Google-Extended", "anthropic-ai",
    "ClaudeBot", "Claude-Web", "PerplexityBot", "Bytespider", "Applebot-Extended",
    "meta-externalagent", "cohere-ai", "Diffbot", "Amazonbot",
)
TDMREP_PATH = "/.well-known/tdmrep.json"
# Signals the page's HTML holds (extraction finds them; the crawl adds the others).
PAGE_SOURCES = ("notice", "robots-meta", "tdm-meta")

Signal = dict[str, Any]


def signal(source: str, reserved: bool, detail: str) -> Signal:
    return {"source": source, "reserved": reserved, "detail": detail}


def tdm_signal(source: str, reservation: Any, policy: Any = None) -> Signal | None:
    """A `tdm-reservation` value (1 or 0, from a header, a meta tag or tdmrep.json) as a
    signal; None when absent or unreadable."""
    text = str(reservation).strip() if reservation is not None else ""
    if text not in ("0", "1"):
        return None
    detail = f"tdm-reservation: {text}"
    if policy:
        detail += f"; tdm-policy: {str(policy).strip()}"
    return signal(source, text == "1", detail)


def tdmrep_rules(body: bytes | str) -> list[dict[str, Any]]:
    """The rules of a `/.well-known/tdmrep.json` file (a JSON array of objects with
    `location`, `tdm-reservation` and optionally `tdm-policy`); [] when it is not one."""
    try:
        rules = json.loads(body)
    except (TypeError, ValueError):
        return []
    if not isinstance(rules, list):
        return []
    return [rule for rule in rules if isinstance(rule, dict) and isinstance(rule.get("location"),
                                                                           str)]


def tdmrep_signal(rules: Sequence[Mapping[str, Any]], path: str) -> Signal | None:
    """The signal of the first rule whose `location` (a path pattern, `*` as wildcard, as the
    protocol's examples write them) matches `path`."""
    for rule in rules:
        location = rule["location"]
        pattern = location if location.startswith("/") else "/" + location
        if fnmatch.fnmatchcase(path, pattern) or (
            pattern.endswith("/") and path.startswith(pattern)
        ):
            found = tdm_signal("tdmrep.json", rule.get("tdm-reservation"), rule.get("tdm-policy"))
            if found is not None:
                found["detail"] = f"{TDMREP_PATH} {location}: {found['detail']}"
                return found
    return None


def robots_ai_signal(allowed: Callable[[str, str], bool], url: str,
                     agents: Iterable[str] = AI_USER_AGENTS) -> Signal | None:
    """A signal when robots.txt (its `allowed(url, agent)`) keeps AI crawlers from `url`."""
    refused = [agent for agent in agents if not allowed(url, agent)]
    if not refused:
        return None
    return signal("robots.txt", True, "robots.txt disallows this page to " + ", ".join(refused))


def page_signals(notice: str | None, robots_meta: Sequence[str],
                 meta: Callable[[str], str | None]) -> list[Signal]:
    """What the page itself says: a printed notice, robots noai, the TDMRep meta tags."""
    found = []
    if notice:
        found.append(signal("notice", True, notice))
    robots = " ".join(robots_meta).lower()
    if any(tag in robots.replace(",", " ").split() for tag in ("noai", "noimageai")):
        found.append(signal("robots-meta", True, f"robots: {robots}"))
    tdm = tdm_signal("tdm-meta", meta("tdm-reservation"), meta("tdm-policy"))
    if tdm is not None:
        found.append(tdm)
    return found


def response_signals(reservation: bytes | str | None, policy: bytes | str | None
                     ) -> list[Signal]:
    """The TDMRep headers of an HTTP response (`tdm-reservation`, `tdm-policy`)."""
    def text(value: bytes | str | None) -> str | None:
        return value.decode("latin-1") if isinstance(value, bytes) else value

    found = tdm_signal("tdm-header", text(reservation), text(policy))
    return [found] if found is not None else []


def rights_of(signals: Iterable[Signal]) -> dict[str, Any] | None:
    """A record's `rights` from its signals (each once, in the order found); None without any."""
    unique: list[Signal] = []
    for found in signals:
        if found not in unique:
            unique.append(found)
    if not unique:
        return None
    reserving = [s for s in unique if s["reserved"]]
    notice = next((s["detail"] for s in reserving if s["source"] == "notice"), None)
    if notice is None and reserving:
        notice = reserving[0]["detail"]
    return {"reserved": bool(reserving), "notice": notice, "signals": unique}
