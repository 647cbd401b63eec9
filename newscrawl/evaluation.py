"""Scoring extracted records against expected ones: pure functions, no Scrapy imports.

Used by ``scrapy evaluate`` (newscrawl/commands/evaluate.py) and its tests.

Body: 4-gram shingle precision / recall / F1
    The metric of the ScrapingHub (Zyte) article-extraction benchmark,
    https://github.com/scrapinghub/article-extraction-benchmark (``evaluate.py``:
    ``string_shingle_matching``, ``metrics_from_tp_fp_fns``), re-implemented here to the
    same definition:

    * tokens are the ``\\w+`` runs of the text (Unicode, case kept, punctuation dropped);
    * shingles are the consecutive 4-token tuples, counted as a multiset; a text of fewer
      than 4 tokens is one shorter shingle, an empty text has none;
    * per page, over the union of shingles: ``tp += min(true, pred)``,
      ``fp += max(0, pred - true)``, ``fn += max(0, true - pred)``, then the three are
      divided by their sum so long pages do not weigh more;
    * per page, precision is 1 when ``fp == fn == 0``, 0 when ``tp == fp == 0``, else
      ``tp / (tp + fp)``; recall likewise with ``fn``;
    * over a set of pages, precision is the mean of the per-page precisions of the pages
      that predicted something (``tp + fp > 0``), recall the mean of the per-page recalls
      of the pages that expected something (``tp + fn > 0``), and F1 the harmonic mean of
      those two means (not the mean of per-page F1s). "Exact" is the share of pages whose
      token lists are equal (the benchmark's "accuracy").

Fields
    * ``title``, ``authors``, ``editors``, ``editor_codes``, ``dateline``, ``tags``: exact
      match. Strings are compared after Unicode NFC and collapsing runs of whitespace (a
      trailing newline is not an extraction error); lists compare item by item, in order;
      ``None`` and ``""`` are the same, as are ``None`` and ``[]``.
    * ``published_at``: equal when both name the same local minute *and* carry the same UTC
      offset ("2024-03-27T09:55:00+07:00" vs "2024-03-27T09:55:59+07:00": equal;
      vs "2024-03-27T02:55:00+00:00", the same instant: not equal, the record promises the
      offset the site printed). A value without a time of day or without an offset (a
      generic extractor's "2024-03-27") is not equal to a full timestamp.

Aggregation
    A field's accuracy is the share of pages where it matched; per site and overall
    (overall counts every page once, so it is a micro average).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "EXACT_FIELDS",
    "SCORED_FIELDS",
    "BodyScore",
    "PageScore",
    "aggregate",
    "aggregate_body",
    "body_score",
    "field_equal",
    "ngrams",
    "precision_score",
    "recall_score",
    "same_minute",
    "score_record",
    "shingle_counts",
    "tokenize",
]

SHINGLE_N = 4
# Compared by exact match (after whitespace normalisation).
EXACT_FIELDS = ("title", "authors", "editors", "editor_codes", "dateline", "tags")
# Every field a page is scored on, besides the body.
SCORED_FIELDS = (*EXACT_FIELDS, "published_at")

_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------- body
def tokenize(text: str | None) -> list[str]:
    """The benchmark's tokens: ``\\w+`` runs, case kept."""
    return _TOKEN.findall(text or "")


def ngrams(text: str | None, n: int = SHINGLE_N) -> Counter[tuple[str, ...]]:
    """Multiset of the ``n``-token shingles of ``text`` (short text: one shorter shingle)."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) <= n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def shingle_counts(
    true: str | None, pred: str | None, n: int = SHINGLE_N
) -> tuple[float, float, float]:
    """(tp, fp, fn) over the shingles of the expected and predicted text, normalised to sum 1
    (all zero when both texts are empty)."""
    expected, predicted = ngrams(true, n), ngrams(pred, n)
    tp = fp = fn = 0
    for key in expected.keys() | predicted.keys():
        t, p = expected.get(key, 0), predicted.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def precision_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def _f1(precision: float, recall: float) -> float:
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class BodyScore:
    """One page's body score: normalised counts and the per-page metrics."""

    tp: float
    fp: float
    fn: float
    exact: bool

    @property
    def precision(self) -> float:
        return precision_score(self.tp, self.fp, self.fn)

    @property
    def recall(self) -> float:
        return recall_score(self.tp, self.fp, self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "exact": self.exact,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def body_score(true: str | None, pred: str | None, n: int = SHINGLE_N) -> BodyScore:
    tp, fp, fn = shingle_counts(true, pred, n)
    return BodyScore(tp, fp, fn, tokenize(true) == tokenize(pred))


def aggregate_body(scores: Iterable[BodyScore]) -> dict[str, float | int | None]:
    """The benchmark's set-level metrics: mean precision over pages that predicted
    something, mean recall over pages that expected something, F1 of the two means."""
    scores = list(scores)
    precisions = [s.precision for s in scores if s.tp + s.fp > 0]
    recalls = [s.recall for s in scores if s.tp + s.fn > 0]
    precision = statistics.fmean(precisions) if precisions else None
    recall = statistics.fmean(recalls) if recalls else None
    f1 = _f1(precision, recall) if precision is not None and recall is not None else None
    exact = statistics.fmean(s.exact for s in scores) if scores else None
    return {"pages": len(scores), "precision": precision, "recall": recall, "f1": f1,
            "exact": exact}


# ---------------------------------------------------------------------------- fields
def _norm(value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip() or None
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value] or None
    return value


def field_equal(expected: Any, actual: Any) -> bool:
    """Exact match of one field (strings: NFC, whitespace collapsed; lists: in order)."""
    return _norm(expected) == _norm(actual)


def _parse_stamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if len(text) <= 10 or ("T" not in text and " " not in text):
        return None  # a day without a time of day
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def same_minute(expected: Any, actual: Any) -> bool:
    """Same local minute and same UTC offset (see the module docstring). Two missing values
    are equal; a value that is not a full ISO timestamp with an offset equals nothing but an
    identical string."""
    if not expected and not actual:
        return True
    if expected == actual:
        return True
    a, b = _parse_stamp(expected), _parse_stamp(actual)
    if a is None or b is None or a.tzinfo is None or b.tzinfo is None:
        return False
    return (a.replace(second=0, microsecond=0, tzinfo=None), a.utcoffset()) == (
        b.replace(second=0, microsecond=0, tzinfo=None),
        b.utcoffset(),
    )


# ---------------------------------------------------------------------------- pages
@dataclass
class PageScore:
    """One page scored for one extractor. ``fields`` maps a field to True/False, or leaves
    it out when the extractor does not produce that field (trafilatura: editors …)."""

    site: str
    fields: dict[str, bool] = field(default_factory=dict)
    body: BodyScore | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"site": self.site, "fields": dict(self.fields)}
        out["body"] = self.body.as_dict() if self.body else None
        if self.error:
            out["error"] = self.error
        return out


def score_record(
    site: str,
    expected: Mapping[str, Any],
    actual: Mapping[str, Any] | None,
    fields: Sequence[str] = SCORED_FIELDS,
    error: str | None = None,
) -> PageScore:
    """Score ``actual`` against ``expected`` on those of ``fields`` the expected record
    states (a gold file that leaves out ``editors`` does not score them), and the body. A
    missing record (``None``: the extractor failed) scores False on every field and an empty
    body."""
    actual = actual or {}
    score = PageScore(site, error=error)
    for name in fields:
        if name not in expected:
            continue
        if name == "published_at":
            score.fields[name] = same_minute(expected.get(name), actual.get(name))
        else:
            score.fields[name] = field_equal(expected.get(name), actual.get(name))
    score.body = body_score(expected.get("body"), actual.get("body"))
    return score


def _summary(scores: list[PageScore]) -> dict[str, Any]:
    names: dict[str, None] = {}
    for s in scores:
        names.update(dict.fromkeys(s.fields))
    fields = {}
    for name in names:
        marks = [s.fields[name] for s in scores if name in s.fields]
        fields[name] = sum(marks) / len(marks) if marks else None
    return {
        "pages": len(scores),
        "errors": sum(1 for s in scores if s.error),
        "fields": fields,
        "body": aggregate_body(s.body for s in scores if s.body is not None),
    }


def aggregate(scores: Iterable[PageScore]) -> dict[str, Any]:
    """``{"sites": {site: summary}, "overall": summary}``; a summary holds ``pages``,
    ``errors``, ``fields`` (accuracy per field) and ``body`` (see :func:`aggregate_body`)."""
    scores = list(scores)
    by_site: dict[str, list[PageScore]] = {}
    for s in scores:
        by_site.setdefault(s.site, []).append(s)
    return {
        "sites": {site: _summary(group) for site, group in sorted(by_site.items())},
        "overall": _summary(scores),
    }
