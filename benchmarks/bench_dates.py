"""Time newscrawl's parse_date against dateparser on real-format date strings.

Run from the repository root:  python benchmarks/bench_dates.py

Prints the median microseconds per string for both parsers, the speed ratio, how many strings
each parses, the agreement rate on strings both parse, and the machine. dateparser is called
with the settings our fallback uses (languages id/en, tz-aware, TIMEZONE +07:00, prefer past)
and, for relative strings, the same reference as RELATIVE_BASE so neither side reads the clock.
"""

import os
import platform
import statistics
import sys
import time
import timeit
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

# The strings of the date normaliser's test table: one list of real formats, two uses.
import test_dates  # noqa: E402

ABSOLUTE = [text for text, _ in test_dates.ABSOLUTE if isinstance(text, str)]
RELATIVE = [text for text, _ in test_dates.RELATIVE]
REFERENCE = test_dates.REF

from newscrawl.normalize.dates import parse_date  # noqa: E402

REPEAT = 5
OURS_NUMBER = 200  # calls per timing run; ours is fast enough that one call is below timer noise
THEIRS_NUMBER = 3


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def per_call_us(fn, number: int) -> float:
    # The minimum of several runs is the least noisy estimate of the cost itself.
    return min(timeit.repeat(fn, number=number, repeat=REPEAT)) / number * 1e6


def minute_utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(second=0, microsecond=0)


def main() -> None:
    started = time.perf_counter()
    t0 = time.perf_counter()
    import dateparser

    import_s = time.perf_counter() - t0

    settings = {
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "+07:00",
        "PREFER_DATES_FROM": "past",
    }
    base = REFERENCE.replace(tzinfo=None)  # REFERENCE is already in +07:00
    rel_settings = {**settings, "RELATIVE_BASE": base}

    samples = [(s, None) for s in ABSOLUTE] + [(s, REFERENCE) for s in RELATIVE]

    def theirs_call(text: str, ref: datetime | None):
        return dateparser.parse(
            text, languages=["id", "en"], settings=rel_settings if ref else settings
        )

    t0 = time.perf_counter()
    theirs_call(samples[0][0], None)  # first call loads language data
    first_call_s = time.perf_counter() - t0

    ours_us: list[float] = []
    theirs_us: list[float] = []
    ours_parsed = theirs_parsed = both = same_instant = same_minute_offset = 0
    disagreements: list[tuple[str, str, str]] = []
    for text, ref in samples:
        ours = parse_date(text, reference=ref)
        theirs = theirs_call(text, ref)
        ours_us.append(per_call_us(lambda t=text, r=ref: parse_date(t, reference=r), OURS_NUMBER))
        theirs_us.append(per_call_us(lambda t=text, r=ref: theirs_call(t, r), THEIRS_NUMBER))
        ours_parsed += ours is not None
        theirs_parsed += theirs is not None
        if ours is None or theirs is None:
            continue
        both += 1
        if minute_utc(ours) == minute_utc(theirs):
            same_instant += 1
            if ours.utcoffset() == theirs.utcoffset():
                same_minute_offset += 1
        else:
            disagreements.append((text, ours.isoformat(), theirs.isoformat()))

    ours_med = statistics.median(ours_us)
    theirs_med = statistics.median(theirs_us)
    n = len(samples)
    print(f"date strings: {n} ({len(ABSOLUTE)} absolute, {len(RELATIVE)} relative)")
    print(
        f"newscrawl parse_date : median {ours_med:8.2f} us/string"
        f"  (p90 {statistics.quantiles(ours_us, n=10)[-1]:.2f}, max {max(ours_us):.2f})"
        f"  parsed {ours_parsed}/{n}"
    )
    print(
        f"dateparser.parse     : median {theirs_med:8.2f} us/string"
        f"  (p90 {statistics.quantiles(theirs_us, n=10)[-1]:.2f}, max {max(theirs_us):.2f})"
        f"  parsed {theirs_parsed}/{n}"
    )
    print(f"speed ratio (dateparser / ours, medians): {theirs_med / ours_med:.0f}x")
    print(f"dateparser import {import_s * 1e3:.0f} ms, first call {first_call_s * 1e3:.0f} ms")
    print(
        f"agreement on {both} strings both parse: same instant to the minute "
        f"{same_instant}/{both} ({same_instant / both:.1%}); same minute and offset "
        f"{same_minute_offset}/{both} ({same_minute_offset / both:.1%})"
    )
    print(
        "  (dateparser re-expresses explicit zones such as Z, GMT, WITA, WIT in its TIMEZONE "
        "setting, so 'same offset' fails there even when the instant agrees)"
    )
    for text, o, t in disagreements:
        print(f"  disagree: {text!r}: ours {o}, dateparser {t}")
    print(
        f"machine: {platform.platform()}, {cpu_model()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"dateparser {dateparser.__version__}"
    )
    print(f"benchmark wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
