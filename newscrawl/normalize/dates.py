"""Date parsing for Indonesian news pages.

Every outlet prints dates differently (``Rabu, 18 Jun 2025 07:30 WIB``,
``Kompas.com - 18/06/2025, 21:35 WIB``, ``18 Juni 2025 | 20.04 WIB``, ISO with offsets,
epoch milliseconds in meta tags, ``2 jam yang lalu`` on listings). A generic parser such as
dateparser handles some of them but costs about a millisecond per string and misses several
shapes, so the shapes we know are parsed by compiled regexes and lookup tables, and
dateparser is only a fallback for shapes we have not seen.

Results are timezone-aware datetimes with a fixed-offset tzinfo: the record stores the offset
the site printed (WIB +07:00, WITA +08:00, WIT +09:00), so zone names must not be replaced by
a region (Asia/Jakarta) or by UTC.

Nothing here guesses "now": a string that needs a base date (relative forms, dates without a
year) returns None unless the caller passes ``reference``.
"""

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache

__all__ = [
    "in_offset",
    "normalize_date",
    "parse_date",
    "parse_offset",
    "split_published_updated",
    "to_iso",
]

DEFAULT_OFFSET = "+07:00"

_MONTHS: dict[str, int] = {
    # Indonesian full and short forms (including the several spellings of August and the
    # older "Nopember"), then English.
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "ags": 8, "agt": 8, "agst": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip

_ZONE_MINUTES: dict[str, int] = {
    "wib": 7 * 60,
    "wita": 8 * 60,
    "wit": 9 * 60,
    "gmt": 0,
    "utc": 0,
    "z": 0,
}

# Whole-string ISO-like values (JSON-LD, article:published_time, detik/Kompas meta tags).
# The time separator is captured so detik's "07-16-35Z" can be told apart from real ISO.
_ISO_RE = re.compile(
    r"""
    (?P<y>\d{4})(?P<ds>[-/])(?P<mo>\d{1,2})(?P=ds)(?P<d>\d{1,2})
    (?:
        (?:[Tt]|\s+)
        (?P<h>\d{1,2})(?P<ts>[:.\-])(?P<mi>\d{2})
        (?:(?P=ts)(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?
    )?
    \s*(?P<z>[Zz]|[+-]\d{2}(?::?\d{2})?|(?i:utc|gmt|wita|wib|wit))?
    """,
    re.X,
)
_EPOCH_RE = re.compile(r"(\d{10}|\d{13})(?:\.(\d+))?")
# YYYYMMDD and YYYYMMDDHHMMSS appear in Bisnis/CNN/CNBC URLs and some feeds.
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?")
# Short integers are placeholders ("-1" in detik's dtk:createddate on listing pages), not dates;
# without this guard dateparser turns "-1" into a day of the current month.
_PLACEHOLDER_RE = re.compile(r"[+-]?\d{1,9}")
_DIGIT_RE = re.compile(r"\d")

# Date shapes searched inside free text (already lower-cased). Searching instead of
# matching the whole string is what lets prefixes ("Kompas.com -", "Jurnalis-Senin,",
# "Editor: ...") and day names pass without a table of every prefix.
_YMD_RE = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?!\d)")
_D_MON_Y_RE = re.compile(
    r"(?<![\w])(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*(?:of\s+)?([a-z]{3,9})\.?,?[\s\-/.]*(\d{4})(?!\d)"
)
_MON_D_Y_RE = re.compile(r"(?<![a-z])([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")

_TIME_AFTER_RE = re.compile(
    r"[\s,|/@\-\u2013\u2014]*(?:t|pukul|pkl\.?|jam|at)?\s*"
    r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,](\d{1,9}))?)?(?!\d)"
    r"(?:\s*([ap])\.?m\b\.?)?"
)
# A time printed before the date ("09:55 WIB, 27 Maret 2024") is accepted only when nothing
# but a zone and separators stands between it and the date.
_TIME_BEFORE_RE = re.compile(
    r"(?<![\d.:])(\d{1,2})[:.](\d{2})(?::(\d{2}))?(?!\d)\s*(wita|wib|wit)?[\s,|\-\u2013]*$"
)
# A bare sign needs four digits ("+0700", "+07:00") so a dash separator before a number is
# not read as an offset; after GMT/UTC the short "GMT+7" form is accepted too.
_ZONE_AFTER_RE = re.compile(
    r"\s*(?:(wita|wib|wit|z)\b"
    r"|(?:gmt|utc)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b"
    r"|([+-])(\d{2}):?(\d{2})\b"
    r"|(gmt|utc)\b)"
)
_ZONE_ANY_RE = re.compile(r"\b(wita|wib|wit|gmt|utc)\b")

# "Diperbarui" (updated) separates the publish date from the update date on Kompas and is
# the only date Liputan6 prints.
_UPDATED_RE = re.compile(
    r"\b(?:terakhir\s+)?(?:diperbarui|diperbaharui|diupdate|di-update|pembaruan|last\s+updated"
    r"|last\s+modified|updated|update|modified)\b(?:\s+(?:pada|on|at))?\s*:?",
    re.I,
)
_PUBLISHED_RE = re.compile(
    r"\b(?:dipublikasikan|diterbitkan|diunggah|terbit|tayang|published|posted)\b"
    r"(?:\s+(?:pada|on|at))?\s*:?",
    re.I,
)

_REL_AGO_RE = re.compile(
    r"(?<![\w])(\d+|se|satu|sebuah|an?|one)\s*"
    r"(detik|menit|jam|hari|minggu|pekan|bulan|tahun"
    r"|secs?|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?)"
    r"\s+(?:yang\s+)?(?:lalu|ago|silam)\b"
)
_REL_DAY_RE = re.compile(
    r"\b(kemarin|yesterday|hari\s+ini|today)\b"
    r"(?:[\s,|\-\u2013]*(?:pukul|pkl\.?|jam|at)?\s*(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?"
    r"(?:\s*([ap])\.?m\b\.?)?)?"
    r"(?:\s*(wita|wib|wit)\b)?"
)
_REL_NOW_RE = re.compile(r"\b(?:baru\s+saja|barusan|just\s+now)\b")

_REL_UNITS: dict[str, str] = {
    "detik": "seconds", "sec": "seconds", "secs": "seconds",
    "second": "seconds", "seconds": "seconds",
    "menit": "minutes", "min": "minutes", "mins": "minutes",
    "minute": "minutes", "minutes": "minutes",
    "jam": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "hari": "days", "day": "days", "days": "days",
    "minggu": "weeks", "pekan": "weeks", "week": "weeks", "weeks": "weeks",
    "bulan": "months", "month": "months", "months": "months",
    "tahun": "years", "year": "years", "years": "years",
}  # fmt: skip
_ONE_WORDS = frozenset({"se", "satu", "sebuah", "a", "an", "one"})

# Dates outside this window are misreads (a stray number taken as a year), not articles.
_MIN_YEAR, _MAX_YEAR = 1970, 2100
_MAX_EPOCH_S = 4_102_444_800  # 2100-01-01T00:00:00Z

# Marks "the fast path does not know this shape" as opposed to "known shape, no valid date".
_UNKNOWN = object()


@lru_cache(maxsize=64)
def parse_offset(offset: str) -> timezone:
    """Return the fixed-offset tzinfo for "+07:00", "+0700", "+07", "UTC+7", "WIB", "Z", ...

    Raises ValueError for anything else, so a typo in a site module fails loudly.
    """
    text = offset.strip().lower()
    if text in _ZONE_MINUTES:
        return _fixed(_ZONE_MINUTES[text])
    m = re.fullmatch(r"(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if m is None:
        raise ValueError(f"not a UTC offset: {offset!r}")
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60:
        raise ValueError(f"not a UTC offset: {offset!r}")
    return _fixed(-minutes if m.group(1) == "-" else minutes)


@lru_cache(maxsize=64)
def _fixed(minutes: int) -> timezone:
    # One shared instance per offset keeps the tzinfo objects comparable and cheap.
    return timezone.utc if minutes == 0 else timezone(timedelta(minutes=minutes))


def to_iso(dt: datetime) -> str:
    """Format as "2024-03-27T09:55:00+07:00": seconds always, no microseconds, colon offset."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        # A naive datetime has no offset to print; guessing one is how records end up wrong.
        raise ValueError("to_iso needs a timezone-aware datetime")
    return dt.replace(microsecond=0).isoformat(timespec="seconds")


def in_offset(dt: datetime, offset: str) -> datetime:
    """Express the same instant in a fixed offset (e.g. Kompas' UTC meta time in WIB)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        # astimezone() would silently treat a naive value as the machine's local time.
        raise ValueError("in_offset needs a timezone-aware datetime")
    return dt.astimezone(parse_offset(offset))


def normalize_date(
    text: str | int | float | None,
    *,
    reference: datetime | None = None,
    default_offset: str = DEFAULT_OFFSET,
) -> str | None:
    """``to_iso(parse_date(...))``, or None when nothing parsable."""
    dt = parse_date(text, reference=reference, default_offset=default_offset)
    return None if dt is None else to_iso(dt)


def split_published_updated(text: str) -> tuple[str, str | None]:
    """Split a visible date string into (published part, updated part or None).

    Kompas prints "18/06/2025, 21:35 WIB Diperbarui 18/06/2025, 22:10 WIB"; the first part is
    the publish date. Liputan6 prints only "Diperbarui 18 Jun 2025, 14:05 WIB": that lone date
    is returned as both parts, so ``parse_date`` still finds the only date printed while callers
    filling ``modified_at`` can see it was labelled an update.
    """
    m = _UPDATED_RE.search(text)
    if m is None:
        return text.strip(), None
    before, after = text[: m.start()], text[m.end() :]
    p = _PUBLISHED_RE.search(after)
    if p is not None:
        # "Updated X | Published Y": the publish marker wins over position.
        return _trim(after[p.end() :]), _trim(after[: p.start()]) or None
    updated = _trim(after) or None
    low = before.lower()
    if _find_date(low) is not None or _parse_relative(low, None, timezone.utc) is not _UNKNOWN:
        return _trim(before), updated
    # Nothing date-like precedes the marker ("Diperbarui 18 Jun 2025, 14:05 WIB", or only an
    # editor's name), so the update date is the only date printed.
    return text.strip(), updated


def _trim(part: str) -> str:
    return part.strip(" \t\r\n\u00a0,|-\u2013\u2014:;()[]")


def parse_date(
    text: str | int | float | None,
    *,
    reference: datetime | None = None,
    default_offset: str = DEFAULT_OFFSET,
) -> datetime | None:
    """Parse a date as printed by an Indonesian news site into an aware datetime.

    ``default_offset`` applies when the string names no zone (site-local wall-clock time);
    ``reference`` is the base for relative forms ("2 jam yang lalu") and year-less dates and is
    never replaced by the current time. Returns None when nothing parsable is found.
    """
    default_tz = parse_offset(default_offset)
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return _from_epoch(text, default_tz)
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s:
        return None

    m = _ISO_RE.fullmatch(s)
    if m is not None:
        return _from_iso(m, default_tz)
    m = _EPOCH_RE.fullmatch(s)
    if m is not None:
        value = int(m.group(1))
        if m.group(2):
            return _from_epoch(float(s), default_tz)
        return _from_epoch(value, default_tz)
    m = _COMPACT_RE.fullmatch(s)
    if m is not None:
        return _build(
            m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6), None, default_tz
        )
    if _PLACEHOLDER_RE.fullmatch(s):
        return None

    published, _ = split_published_updated(s)
    result = _parse_text(published.lower(), default_tz, reference)
    if result is not _UNKNOWN:
        return result if isinstance(result, datetime) else None
    return _dateparser_parse(published, reference, default_tz)


def _from_epoch(value: float, tz: tzinfo) -> datetime | None:
    if value != value or value <= 0:  # NaN, 0 and negatives are placeholders
        return None
    if isinstance(value, int):
        seconds, millis = divmod(value, 1000) if value >= 100_000_000_000 else (value, 0)
        if seconds > _MAX_EPOCH_S:
            return None
        return datetime.fromtimestamp(seconds, tz) + timedelta(milliseconds=millis)
    # 1e11 s is year 5138, so anything larger can only be milliseconds.
    if value >= 1e11:
        value /= 1000
    if value > _MAX_EPOCH_S:
        return None
    return datetime.fromtimestamp(value, tz)


def _from_iso(m: re.Match[str], default_tz: tzinfo) -> datetime | None:
    zone = m.group("z")
    if m.group("ts") == "-" and zone in (None, "Z", "z"):
        # detik's <meta name="pubdate"> prints WIB wall-clock time as "2022-12-10T07-16-35Z":
        # the dashes show it is not real ISO, and the same page's dtk:publishdateunix and
        # JSON-LD agree with the digits read as WIB, so the "Z" is a mislabel.
        zone = None
    tz = default_tz if zone is None else _zone_tz(zone.lower(), None)
    return _build(
        m.group("y"),
        m.group("mo"),
        m.group("d"),
        m.group("h"),
        m.group("mi"),
        m.group("s"),
        m.group("f"),
        tz,
    )


def _zone_tz(name: str, numeric: tuple[str, str, str | None] | None) -> tzinfo:
    if numeric is not None:
        sign, hours, minutes = numeric
        total = int(hours) * 60 + int(minutes or 0)
        return _fixed(-total if sign == "-" else total)
    if name in _ZONE_MINUTES:
        return _fixed(_ZONE_MINUTES[name])
    return parse_offset(name)


def _build(
    y: str | int,
    mo: str | int,
    d: str | int,
    h: str | int | None,
    mi: str | int | None,
    s: str | int | None,
    frac: str | None,
    tz: tzinfo,
) -> datetime | None:
    year = int(y)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    try:
        return datetime(
            year, int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, tzinfo=tz
        )
    except ValueError:
        # A recognised shape with impossible values (31/02, 25:00) is a bad date, not a
        # different format, so it is not handed to the fallback either.
        return None


def _find_date(s: str) -> tuple[int, int, int, int, int] | None:
    """Earliest (year, month, day, start, end) in lower-cased text, or None."""
    best: tuple[int, int, int, int, int] | None = None

    m = _YMD_RE.search(s)
    if m is not None:
        best = (int(m.group(1)), int(m.group(3)), int(m.group(4)), m.start(), m.end())

    m = _DMY_RE.search(s)
    if m is not None and (best is None or m.start() < best[3]):
        day, month = int(m.group(1)), int(m.group(3))
        if month > 12 >= day:
            # Indonesian pages print day first; month-first only shows up where the day
            # cannot be a month (detik's index takes MM/DD/YYYY), so swap only then.
            day, month = month, day
        best = (int(m.group(4)), month, day, m.start(), m.end())

    for m in _D_MON_Y_RE.finditer(s):
        if best is not None and m.start() >= best[3]:
            break
        month = _MONTHS.get(m.group(2))
        if month is not None:
            best = (int(m.group(3)), month, int(m.group(1)), m.start(), m.end())
            break

    for m in _MON_D_Y_RE.finditer(s):
        if best is not None and m.start() >= best[3]:
            break
        month = _MONTHS.get(m.group(1))
        if month is not None:
            best = (int(m.group(3)), month, int(m.group(2)), m.start(), m.end())
            break

    return best


def _hour_12(hour: int, meridiem: str | None) -> int | None:
    if meridiem is None:
        return hour
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if meridiem == "p" else 0)


def _parse_text(s: str, default_tz: tzinfo, reference: datetime | None) -> object:
    """Fast path for free text; returns a datetime, None, or _UNKNOWN (use the fallback)."""
    if not _DIGIT_RE.search(s):
        # Without digits only a relative word can carry a date; "null WIB" or
        # "Invalid date" must not reach dateparser, which may answer with "now".
        rel = _parse_relative(s, reference, default_tz)
        return None if rel is _UNKNOWN else rel

    found = _find_date(s)
    if found is None:
        return _parse_relative(s, reference, default_tz)
    year, month, day, start, end = found

    hour = minute = second = None
    frac: str | None = None
    zone_end = end
    m = _TIME_AFTER_RE.match(s, end)
    if m is not None:
        hour = _hour_12(int(m.group(1)), m.group(5))
        if hour is None:
            return None
        minute, second, frac = int(m.group(2)), m.group(3), m.group(4)
        zone_end = m.end()
    else:
        b = _TIME_BEFORE_RE.search(s, 0, start)
        if b is not None:
            hour, minute, second = int(b.group(1)), int(b.group(2)), b.group(3)

    tz = default_tz
    z = _ZONE_AFTER_RE.match(s, zone_end)
    if z is not None:
        if z.group(2):
            tz = _zone_tz("", (z.group(2), z.group(3), z.group(4)))
        elif z.group(5):
            tz = _zone_tz("", (z.group(5), z.group(6), z.group(7)))
        else:
            tz = _zone_tz(z.group(1) or z.group(8), None)
    else:
        z = _ZONE_ANY_RE.search(s)
        if z is not None:
            tz = _zone_tz(z.group(1), None)

    return _build(year, month, day, hour, minute, second, frac, tz)


def _reference_tz(reference: datetime, default_tz: tzinfo) -> datetime:
    # A naive reference is read as site-local time; an aware one keeps its own offset, fixed.
    if reference.tzinfo is None or reference.utcoffset() is None:
        return reference.replace(tzinfo=default_tz)
    offset = reference.utcoffset()
    assert offset is not None
    return reference.astimezone(_fixed(int(offset.total_seconds()) // 60))


def _parse_relative(s: str, reference: datetime | None, default_tz: tzinfo) -> object:
    """Relative forms; _UNKNOWN when s is not relative, None when no reference is given."""
    m_ago = _REL_AGO_RE.search(s)
    m_day = None if m_ago else _REL_DAY_RE.search(s)
    m_now = None if (m_ago or m_day) else _REL_NOW_RE.search(s)
    if m_ago is None and m_day is None and m_now is None:
        return _UNKNOWN
    if reference is None:
        return None
    ref = _reference_tz(reference, default_tz)

    if m_ago is not None:
        qty_text, unit = m_ago.group(1), _REL_UNITS[m_ago.group(2)]
        qty = 1 if qty_text in _ONE_WORDS else int(qty_text)
        if unit == "months":
            return _add_months(ref, -qty)
        if unit == "years":
            return _add_months(ref, -12 * qty)
        return ref - timedelta(**{unit: qty})

    if m_day is not None:
        days_back = 0 if m_day.group(1) in ("today",) or m_day.group(1).startswith("hari") else 1
        if m_day.group(2) is None:
            return ref - timedelta(days=days_back)
        hour = _hour_12(int(m_day.group(2)), m_day.group(5))
        if hour is None:
            return None
        # The printed time is wall-clock in the printed zone (else the reference's zone);
        # the result is then expressed in the reference's offset.
        frame = _fixed(_ZONE_MINUTES[m_day.group(6)]) if m_day.group(6) else ref.tzinfo
        assert frame is not None
        day = ref.astimezone(frame).date() - timedelta(days=days_back)
        try:
            local = datetime.combine(
                day, time(hour, int(m_day.group(3)), int(m_day.group(4) or 0)), tzinfo=frame
            )
        except ValueError:
            return None
        return local.astimezone(ref.tzinfo)

    return ref


def _add_months(dt: datetime, months: int) -> datetime:
    total = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    # Clamp the day so "1 bulan lalu" from 31 March lands on the last day of February.
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return dt.replace(year=year, month=month, day=min(dt.day, last_day))


# Two bases far apart: a result that changes with the base was filled in from "now"
# (year-less dates, bare numbers) and is rejected. Late-century bases keep dateparser's
# two-digit-year handling ("18/06/25") in the 2000s.
_APOSTROPHE_RE = re.compile(r"['\u2019`]")  # dateparser knows "Jumat", not "Jum'at"
_FALLBACK_BASES = (datetime(2099, 12, 31, 23, 59), datetime(2098, 7, 2, 3, 4))


def _dateparser_parse(text: str, reference: datetime | None, default_tz: tzinfo) -> datetime | None:
    """dateparser fallback for shapes the fast path does not know."""
    import dateparser  # slow to import and rarely needed, so only on first fallback

    offset = default_tz.utcoffset(None)
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    tz_name = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    settings: dict[str, object] = {
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": tz_name,
        "PREFER_DATES_FROM": "past",
        # Indonesian pages print day first; dateparser's English default reads 05/01/25 as May.
        "DATE_ORDER": "DMY",
    }
    cleaned = _APOSTROPHE_RE.sub("", text)

    if reference is not None:
        base = _reference_tz(reference, default_tz).astimezone(default_tz).replace(tzinfo=None)
        result = dateparser.parse(
            cleaned, languages=["id", "en"], settings={**settings, "RELATIVE_BASE": base}
        )
    else:
        results = [
            dateparser.parse(
                cleaned, languages=["id", "en"], settings={**settings, "RELATIVE_BASE": base}
            )
            for base in _FALLBACK_BASES
        ]
        result = results[0]
        if result is None or results[1] != result:
            return None
    if result is None or result.utcoffset() is None:
        return None
    offset = result.utcoffset()
    assert offset is not None
    result = result.replace(tzinfo=_fixed(int(offset.total_seconds()) // 60))
    if not _MIN_YEAR <= result.year <= _MAX_YEAR:
        return None
    return result
