"""Tests for newscrawl.normalize.dates.

The tables hold date strings in the shapes the 15 target sites print (see docs on sites);
the values are made up, the shapes are real.
"""

import re
from datetime import datetime, timedelta, timezone

import pytest

from newscrawl.normalize import dates
from newscrawl.normalize.dates import (
    in_offset,
    normalize_date,
    parse_date,
    parse_offset,
    split_published_updated,
    to_iso,
)

WIB = timezone(timedelta(hours=7))
# Reference for relative forms: a listing page crawled at noon WIB.
REF = datetime(2025, 6, 18, 12, 0, tzinfo=WIB)

ABSOLUTE: list[tuple[str | int | float, str]] = [
    # detik (visible, meta dtk:publishdate, broken pubdate, dtk:publishdateunix, JSON-LD)
    ("Rabu, 18 Jun 2025 07:30 WIB", "2025-06-18T07:30:00+07:00"),
    ("Sabtu, 07 Des 2024 21:05 WIB", "2024-12-07T21:05:00+07:00"),
    ("Senin, 02 Jan 2023 22:00 WIB", "2023-01-02T22:00:00+07:00"),
    ("2025/06/18 07:30:12", "2025-06-18T07:30:12+07:00"),
    ("2025-06-18T07-30-12Z", "2025-06-18T07:30:12+07:00"),
    ("1711508100000", "2024-03-27T09:55:00+07:00"),
    ("2025-06-18T07:30:12+07:00", "2025-06-18T07:30:12+07:00"),
    # CNN Indonesia
    ("Rabu, 27 Mar 2024 09:55 WIB", "2024-03-27T09:55:00+07:00"),
    ("Selasa, 31 Des 2024 23:15 WIB", "2024-12-31T23:15:00+07:00"),
    ("2024/03/27 09:55:41", "2024-03-27T09:55:41+07:00"),
    # CNBC Indonesia (English month names)
    ("27 March 2024 09:55", "2024-03-27T09:55:00+07:00"),
    ("28 March 2024 19:54", "2024-03-28T19:54:00+07:00"),
    ("2024-03-27T19:54:00+07:00", "2024-03-27T19:54:00+07:00"),
    # Kompas (visible with and without "Diperbarui", content_PublishedDate, UTC meta)
    ("Kompas.com - 18/06/2025, 21:35 WIB", "2025-06-18T21:35:00+07:00"),
    ("Kompas.com- 18/06/2025, 21:35 WIB", "2025-06-18T21:35:00+07:00"),
    (
        "Kompas.com - 18/06/2025, 21:35 WIB Diperbarui 18/06/2025, 22:10 WIB",
        "2025-06-18T21:35:00+07:00",
    ),
    ("Kompas.com - 05/01/2025, 08:01 WIB", "2025-01-05T08:01:00+07:00"),
    ("2025-06-18 21:35:07", "2025-06-18T21:35:07+07:00"),
    ("2025-06-18T14:35:07+00:00", "2025-06-18T14:35:07+00:00"),
    # Liputan6
    ("Diperbarui 18 Jun 2025, 14:05 WIB", "2025-06-18T14:05:00+07:00"),
    ("18 Jun 2025, 14:05 WIB", "2025-06-18T14:05:00+07:00"),
    ("2025-06-18T14:05:33+07:00", "2025-06-18T14:05:33+07:00"),
    # Okezone (raw text keeps the comma, NBSP and missing space before the time)
    (",\u00a0Jurnalis-Senin, 16 Juni 2025 |15:20 WIB", "2025-06-16T15:20:00+07:00"),
    ("Jurnalis-Senin, 16 Juni 2025 |15:20 WIB", "2025-06-16T15:20:00+07:00"),
    ("Sabtu, 01 Maret 2025 - 06:45 WIB", "2025-03-01T06:45:00+07:00"),
    # Tempo (dot as hour separator)
    ("18 Juni 2025 | 20.04 WIB", "2025-06-18T20:04:00+07:00"),
    ("Rabu, 18 Juni 2025 20:04 WIB", "2025-06-18T20:04:00+07:00"),
    # Kumparan (article:published_time in UTC)
    ("2024-03-27T02:55:00Z", "2024-03-27T02:55:00+00:00"),
    ("2024-03-27T02:55:00.000Z", "2024-03-27T02:55:00+00:00"),
    ("27 Maret 2024 9:55", "2024-03-27T09:55:00+07:00"),
    # Sindonews (Jum'at with three apostrophe styles)
    ("Jum'at, 22 Maret 2024 - 09:55 WIB", "2024-03-22T09:55:00+07:00"),
    ("Jum\u2019at, 22 Maret 2024 - 09:55 WIB", "2024-03-22T09:55:00+07:00"),
    ("Jum`at, 22 Maret 2024 - 09:55 WIB", "2024-03-22T09:55:00+07:00"),
    ("Sabtu, 23 Maret 2024 - 10:01 WIB", "2024-03-23T10:01:00+07:00"),
    # Tribunnews
    ("Rabu, 2 Juli 2025 21:28 WIB", "2025-07-02T21:28:00+07:00"),
    ("Minggu, 6 Juli 2025 08:00 WIB", "2025-07-06T08:00:00+07:00"),
    ("2025-07-02T21:28:00+07:00", "2025-07-02T21:28:00+07:00"),
    # Antara
    ("Kamis, 3 Juli 2025 10:12 WIB", "2025-07-03T10:12:00+07:00"),
    ("3 Juli 2025 10:12 WIB", "2025-07-03T10:12:00+07:00"),
    # Suara
    ("Rabu, 02 Juli 2025 | 21:28 WIB", "2025-07-02T21:28:00+07:00"),
    ("Jum'at, 04 Juli 2025 | 07:05 WIB", "2025-07-04T07:05:00+07:00"),
    # Bisnis (no zone printed; author line; meta publishdate)
    ("Jumat, 14 November 2025 | 15:20", "2025-11-14T15:20:00+07:00"),
    ("Budi Santoso | 14/11/2025 15:20 WIB", "2025-11-14T15:20:00+07:00"),
    ("2025/11/14 15:20:00", "2025-11-14T15:20:00+07:00"),
    # IDN Times
    ("15 Jan 2026, 16:24 WIB", "2026-01-15T16:24:00+07:00"),
    # Viva
    ("Rabu, 2 Juli 2025 - 21:28", "2025-07-02T21:28:00+07:00"),
    ("2 Juli 2025 | 21:28 WIB", "2025-07-02T21:28:00+07:00"),
    # Republika-style runs of spaces
    ("Rabu   18 Jun 2025  22:02 WIB", "2025-06-18T22:02:00+07:00"),
    # WITA / WIT
    ("Kamis, 3 Juli 2025 10:12 WITA", "2025-07-03T10:12:00+08:00"),
    ("3 Juli 2025 10:12 WIT", "2025-07-03T10:12:00+09:00"),
    ("Senin, 16 Juni 2025 |15:20 WITA", "2025-06-16T15:20:00+08:00"),
    ("15 Jan 2026, 16:24 WIT", "2026-01-15T16:24:00+09:00"),
    # Month spellings
    ("17 Agu 2025 10:00 WIB", "2025-08-17T10:00:00+07:00"),
    ("17 Ags 2025", "2025-08-17T00:00:00+07:00"),
    ("17 Agt 2025 10:00", "2025-08-17T10:00:00+07:00"),
    ("17 Agustus 2025 10:00 WIB", "2025-08-17T10:00:00+07:00"),
    ("3 Agu. 2025 10:00", "2025-08-03T10:00:00+07:00"),
    ("1 Okt 2024 08:00", "2024-10-01T08:00:00+07:00"),
    ("5 Nop 2024 12:30", "2024-11-05T12:30:00+07:00"),
    ("5 Sept 2024 12:30", "2024-09-05T12:30:00+07:00"),
    ("12 Mei 2024 07:00", "2024-05-12T07:00:00+07:00"),
    ("31 Desember 2024 23:59 WIB", "2024-12-31T23:59:00+07:00"),
    ("1 Januari 2025 00:01", "2025-01-01T00:01:00+07:00"),
    ("9 Februari 2025", "2025-02-09T00:00:00+07:00"),
    ("20 APRIL 2025 08:30 WIB", "2025-04-20T08:30:00+07:00"),
    ("Sabtu, 5 Oktober 2024 19:00 WIB", "2024-10-05T19:00:00+07:00"),
    # English forms, RSS pubDate, explicit zones
    ("March 27, 2024 9:55 AM", "2024-03-27T09:55:00+07:00"),
    ("Wednesday, 27 Mar 2024 9:55 PM", "2024-03-27T21:55:00+07:00"),
    ("Wed, 27 Mar 2024 02:55:00 +0000", "2024-03-27T02:55:00+00:00"),
    ("Wed, 27 Mar 2024 09:55:00 +0700", "2024-03-27T09:55:00+07:00"),
    ("Wed, 27 Mar 2024 02:55:00 GMT", "2024-03-27T02:55:00+00:00"),
    ("27 Mar 2024 02:55 UTC", "2024-03-27T02:55:00+00:00"),
    ("27 Mar 2024 09:55 GMT+7", "2024-03-27T09:55:00+07:00"),
    ("27 Mar 2024 09:55 +07:00", "2024-03-27T09:55:00+07:00"),
    # ISO variants
    ("2024-03-27T09:55:00+0700", "2024-03-27T09:55:00+07:00"),
    ("2024-03-27T09:55+07:00", "2024-03-27T09:55:00+07:00"),
    ("2024-03-27 09:55:00 WIB", "2024-03-27T09:55:00+07:00"),
    ("2024-03-27T09:55:00 WIB", "2024-03-27T09:55:00+07:00"),
    ("2024-03-27T09:55:00.123456+07:00", "2024-03-27T09:55:00+07:00"),
    ("2024-03-27T01:55:00-01:00", "2024-03-27T01:55:00-01:00"),
    ("2024-03-27", "2024-03-27T00:00:00+07:00"),
    # Numeric day-first forms, prefixes
    ("27-03-2024 09:55", "2024-03-27T09:55:00+07:00"),
    ("27/03/2024", "2024-03-27T00:00:00+07:00"),
    ("27.03.2024 09.55 WIB", "2024-03-27T09:55:00+07:00"),
    ("Published: 27/03/2024 09:55 WIB", "2024-03-27T09:55:00+07:00"),
    ("Diterbitkan 27 Maret 2024 09:55 WIB", "2024-03-27T09:55:00+07:00"),
    ("Dipublikasikan: Rabu, 27 Maret 2024 | 09:55 WIB", "2024-03-27T09:55:00+07:00"),
    ("Tayang: 27 Mar 2024, 09.55 WIB", "2024-03-27T09:55:00+07:00"),
    ("Rabu, 27 Maret 2024 pukul 09.55 WIB", "2024-03-27T09:55:00+07:00"),
    ("Editor: Budi Santoso \u2013 27 Mar 2024 09:55", "2024-03-27T09:55:00+07:00"),
    ("09:55 WIB, 27 Maret 2024", "2024-03-27T09:55:00+07:00"),
    (
        "Published 27 Mar 2024 09:55 WIB | Updated 28 Mar 2024 10:00 WIB",
        "2024-03-27T09:55:00+07:00",
    ),
    ("Updated 28 Mar 2024 10:00 WIB", "2024-03-28T10:00:00+07:00"),
    # Epoch seconds / milliseconds, compact URL stamps
    ("1711508100", "2024-03-27T09:55:00+07:00"),
    (1711508100, "2024-03-27T09:55:00+07:00"),
    (1711508100000, "2024-03-27T09:55:00+07:00"),
    (1711508100.0, "2024-03-27T09:55:00+07:00"),
    ("20240327", "2024-03-27T00:00:00+07:00"),
    ("20240327095500", "2024-03-27T09:55:00+07:00"),
]

RELATIVE: list[tuple[str, str]] = [
    ("2 jam yang lalu", "2025-06-18T10:00:00+07:00"),
    ("17 menit yang lalu", "2025-06-18T11:43:00+07:00"),
    ("3 hari lalu", "2025-06-15T12:00:00+07:00"),
    ("1 detik yang lalu", "2025-06-18T11:59:59+07:00"),
    ("sejam yang lalu", "2025-06-18T11:00:00+07:00"),
    ("2 minggu lalu", "2025-06-04T12:00:00+07:00"),
    ("1 bulan yang lalu", "2025-05-18T12:00:00+07:00"),
    ("1 tahun lalu", "2024-06-18T12:00:00+07:00"),
    ("kemarin", "2025-06-17T12:00:00+07:00"),
    ("kemarin 14:05", "2025-06-17T14:05:00+07:00"),
    ("Kemarin, 14:05 WIB", "2025-06-17T14:05:00+07:00"),
    ("hari ini 09:00", "2025-06-18T09:00:00+07:00"),
    ("Hari ini, 09.00 WIB", "2025-06-18T09:00:00+07:00"),
    ("baru saja", "2025-06-18T12:00:00+07:00"),
    ("2 hours ago", "2025-06-18T10:00:00+07:00"),
    ("an hour ago", "2025-06-18T11:00:00+07:00"),
    ("5 mins ago", "2025-06-18T11:55:00+07:00"),
    ("yesterday 2:05 pm", "2025-06-17T14:05:00+07:00"),
    ("just now", "2025-06-18T12:00:00+07:00"),
]

UNPARSABLE: list[object] = [
    None,
    "",
    "   ",
    "null WIB",
    "Invalid date",
    "undefined",
    "NaN",
    "-1",
    "0",
    "Rabu, WIB",
    "Senin",
    "31/02/2025",
    "32 Maret 2024 10:00",
    "2024-13-01T00:00:00Z",
    "27 Mar 2024 25:10 WIB",
    True,
    0,
    -5,
    float("nan"),
]


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"dateparser fallback called for {args[0]!r}")

    monkeypatch.setattr(dates, "_dateparser_parse", boom)


def test_table_sizes() -> None:
    strings = {v for v, _ in ABSOLUTE if isinstance(v, str)} | {v for v, _ in RELATIVE}
    assert len(strings) >= 70
    assert len(strings) == len([v for v, _ in ABSOLUTE if isinstance(v, str)]) + len(RELATIVE)


@pytest.mark.parametrize(("text", "expected"), ABSOLUTE)
def test_absolute(text: str | int | float, expected: str, no_fallback: None) -> None:
    assert normalize_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), RELATIVE)
def test_relative(text: str, expected: str, no_fallback: None) -> None:
    assert normalize_date(text, reference=REF) == expected


@pytest.mark.parametrize(("text", "_expected"), RELATIVE)
def test_relative_without_reference_is_none(text: str, _expected: str, no_fallback: None) -> None:
    assert parse_date(text) is None


def test_relative_keeps_reference_offset() -> None:
    ref_utc = datetime(2025, 6, 18, 5, 0, tzinfo=timezone.utc)
    assert normalize_date("2 jam yang lalu", reference=ref_utc) == "2025-06-18T03:00:00+00:00"
    # The printed WIB wall-clock time is kept as an instant, shown in the reference's offset.
    assert normalize_date("kemarin 14:05 WIB", reference=ref_utc) == "2025-06-17T07:05:00+00:00"


def test_naive_reference_is_site_local() -> None:
    assert normalize_date("2 jam yang lalu", reference=datetime(2025, 6, 18, 12, 0)) == (
        "2025-06-18T10:00:00+07:00"
    )


@pytest.mark.parametrize("value", UNPARSABLE, ids=repr)
def test_unparsable_is_none(value: object) -> None:
    assert parse_date(value) is None  # type: ignore[arg-type]
    assert normalize_date(value) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["null WIB", "Invalid date", "-1", "", "31/02/2025"])
def test_unparsable_never_reaches_fallback(text: str, no_fallback: None) -> None:
    assert parse_date(text) is None


def test_default_offset_applies_only_without_zone() -> None:
    assert normalize_date("18 Jun 2025 07:30", default_offset="+08:00") == (
        "2025-06-18T07:30:00+08:00"
    )
    assert normalize_date("18 Jun 2025 07:30 WIB", default_offset="+08:00") == (
        "2025-06-18T07:30:00+07:00"
    )
    assert normalize_date("2025-06-18T07-30-12Z", default_offset="WITA") == (
        "2025-06-18T07:30:12+08:00"
    )
    assert normalize_date(1711508100, default_offset="+00:00") == "2024-03-27T02:55:00+00:00"


def test_result_has_fixed_offset_tzinfo() -> None:
    dt = parse_date("Rabu, 18 Jun 2025 07:30 WITA")
    assert dt is not None
    assert isinstance(dt.tzinfo, timezone)
    assert dt.utcoffset() == timedelta(hours=8)


def test_fractions_are_kept_by_parse_and_dropped_by_to_iso() -> None:
    dt = parse_date("2024-03-27T09:55:00.5+07:00")
    assert dt is not None and dt.microsecond == 500000
    assert to_iso(dt) == "2024-03-27T09:55:00+07:00"


def test_epoch_ms_keeps_milliseconds() -> None:
    dt = parse_date("1711508100250")
    assert dt is not None and dt.microsecond == 250000


def test_fallback_used_for_unknown_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = dates._dateparser_parse

    def spy(text: str, *args: object) -> datetime | None:
        calls.append(text)
        return real(text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(dates, "_dateparser_parse", spy)
    # Two-digit years are not a shape the fast path knows.
    assert normalize_date("18/06/25 20:04") == "2025-06-18T20:04:00+07:00"
    # Day first, as Indonesian pages print it (dateparser's default would say 1 May).
    assert normalize_date("05/01/25 20:04") == "2025-01-05T20:04:00+07:00"
    assert calls == ["18/06/25 20:04", "05/01/25 20:04"]


def test_fallback_rejects_dates_filled_in_from_now() -> None:
    # dateparser would fill the missing year from the current date; without a reference
    # that is a guess, so None.
    assert parse_date("27 Maret") is None
    assert normalize_date("27 Maret 09:55", reference=REF) == "2025-03-27T09:55:00+07:00"


def test_split_published_updated() -> None:
    assert split_published_updated(
        "Kompas.com - 18/06/2025, 21:35 WIB Diperbarui 18/06/2025, 22:10 WIB"
    ) == ("Kompas.com - 18/06/2025, 21:35 WIB", "18/06/2025, 22:10 WIB")
    assert split_published_updated("Diperbarui 18 Jun 2025, 14:05 WIB") == (
        "Diperbarui 18 Jun 2025, 14:05 WIB",
        "18 Jun 2025, 14:05 WIB",
    )
    assert split_published_updated("Rabu, 18 Jun 2025 07:30 WIB") == (
        "Rabu, 18 Jun 2025 07:30 WIB",
        None,
    )
    # Digits before the marker that are not a date do not make a publish part.
    assert split_published_updated("Editor 2 | Diperbarui 18 Jun 2025, 14:05 WIB") == (
        "Editor 2 | Diperbarui 18 Jun 2025, 14:05 WIB",
        "18 Jun 2025, 14:05 WIB",
    )
    published, updated = split_published_updated(
        "Updated: 28 Mar 2024 10:00 WIB | Published: 27 Mar 2024 09:55 WIB"
    )
    assert normalize_date(published) == "2024-03-27T09:55:00+07:00"
    assert normalize_date(updated) == "2024-03-28T10:00:00+07:00"


def test_to_iso() -> None:
    assert to_iso(datetime(2024, 3, 27, 9, 55, tzinfo=WIB)) == "2024-03-27T09:55:00+07:00"
    assert to_iso(datetime(2024, 3, 27, 2, 55, 1, 999, tzinfo=timezone.utc)) == (
        "2024-03-27T02:55:01+00:00"
    )
    with pytest.raises(ValueError):
        to_iso(datetime(2024, 3, 27, 9, 55))


def test_in_offset_converts_kompas_utc_meta() -> None:
    meta = parse_date("2025-06-18T14:35:07+00:00")
    assert meta is not None
    local = in_offset(meta, "+07:00")
    assert to_iso(local) == "2025-06-18T21:35:07+07:00"
    assert local == meta  # same instant
    assert to_iso(in_offset(meta, "WITA")) == "2025-06-18T22:35:07+08:00"
    with pytest.raises(ValueError):
        in_offset(datetime(2025, 6, 18), "+07:00")


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [("+07:00", 420), ("+0700", 420), ("+07", 420), ("UTC+7", 420), ("WIB", 420),
     ("WITA", 480), ("WIT", 540), ("Z", 0), ("-03:30", -210)],
)  # fmt: skip
def test_parse_offset(offset: str, minutes: int) -> None:
    assert parse_offset(offset).utcoffset(None) == timedelta(minutes=minutes)


def test_parse_offset_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_offset("Asia/Jakarta")


# Strings where dateparser's answer is known to differ from ours, and why.
DATEPARSER_DISAGREES: dict[str, str] = {
    # dateparser drops the dot-separated time after "Hari ini," and answers with the base time.
    "Hari ini, 09.00 WIB": "dateparser ignores 09.00",
}
# dateparser re-expresses every explicit zone in its TIMEZONE setting (+07:00), while we keep the
# offset printed; the instant must still match.
_EXPLICIT_ZONE = re.compile(r"(?i)(?:\d[zZ]$|\b(?:utc|gmt|wita|wit)\b|[+-]\d{2}:?\d{2}$)")


def _dateparser(text: str, base: datetime) -> datetime | None:
    import dateparser

    return dateparser.parse(
        text,
        languages=["id", "en"],
        settings={
            "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": "+07:00",
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": base,
        },
    )


def _minute_utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(second=0, microsecond=0)


def test_agrees_with_dateparser() -> None:
    rows = [(t, e, None) for t, e in ABSOLUTE if isinstance(t, str)]
    rows += [(t, e, REF) for t, e in RELATIVE]
    compared = 0
    mismatches = []
    for text, expected, ref in rows:
        base = (ref or datetime(2099, 1, 1, tzinfo=WIB)).astimezone(WIB).replace(tzinfo=None)
        theirs = _dateparser(text, base)
        if theirs is None or text in DATEPARSER_DISAGREES:
            continue
        compared += 1
        ours = datetime.fromisoformat(expected)
        same_offset = ours.utcoffset() == theirs.utcoffset()
        if _minute_utc(ours) != _minute_utc(theirs) or not (
            same_offset or _EXPLICIT_ZONE.search(text)
        ):
            mismatches.append((text, expected, theirs.isoformat()))
    assert not mismatches
    # dateparser parses most of the table; a collapse here means the comparison is vacuous.
    assert compared >= 40


# ------------------------------------------------------------------ implausible dates
def _page(jsonld_date: str, meta_date: str = "2025-06-03T14:35:00+07:00") -> str:
    return (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        f'"headline": "Judul", "datePublished": {jsonld_date}}}</script>'
        f'<meta property="article:published_time" content="{meta_date}"></head>'
        "<body><h1>Judul</h1></body></html>"
    )


def _published(html: str) -> tuple[str | None, str | None, list[str]]:
    from newscrawl.extraction import GenericSite, Page

    item = GenericSite().extract_article(Page(html, "https://berita.example.id/a/1"))
    return item.get("published_at"), item.get("date_source"), item["quality_flags"]


def test_a_numeric_jsonld_date_is_not_an_epoch():
    # 12345 as epoch seconds is 1970-01-01; the valid meta date wins, without a disagreement.
    assert _published(_page("12345")) == ("2025-06-03T14:35:00+07:00", "meta", [])


def test_dates_outside_1990_to_tomorrow_are_not_candidates():
    assert _published(_page('"2099-12-01T10:00:00+07:00"'))[:2] == (
        "2025-06-03T14:35:00+07:00", "meta")
    assert _published(_page('"1970-01-01T07:00:00+07:00"'))[:2] == (
        "2025-06-03T14:35:00+07:00", "meta")
    # No plausible date anywhere: none, so validation drops the page with the reason.
    assert _published(_page('"2099-12-01T10:00:00+07:00"', "2099-01-01T00:00:00+07:00"))[0] is None


def test_a_backfill_cannot_start_before_the_outlet_existed():
    from newscrawl.spiders.detikinet import DetikInetSpider

    with pytest.raises(ValueError, match="before 1995-01-01"):
        DetikInetSpider(since="0001-01-01")
    with pytest.raises(ValueError, match="in the future"):
        DetikInetSpider(since="2025-01-01", until="2999-01-01")
    assert DetikInetSpider(since="2024-03-01", until="2024-03-02").window is not None
