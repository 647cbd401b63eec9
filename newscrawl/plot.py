"""Articles per day per outlet, as a PNG beside an export's datasheet: gaps in a crawl show.

No Scrapy imports. Needs matplotlib (`pip install -e ".[plot]"`); without it `available()` is
False and the datasheet says how to get the plot. The PNG is byte-reproducible for the same
counts and the same matplotlib: the Agg backend, the bundled DejaVu Sans font, and no creation
time or software version in its metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from importlib.util import find_spec
from pathlib import Path

INSTALL_HINT = 'pip install -e ".[plot]"'


def available() -> bool:
    return find_spec("matplotlib") is not None


def articles_per_day(counts: Mapping[str, Mapping[date, int]], path: Path,
                     title: str = "Articles per day") -> None:
    """Write a PNG with one line per outlet (`counts[source][day]`), every day of the window
    on the x axis (a day without articles is a zero, not a gap in the line)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    days = sorted({day for per_day in counts.values() for day in per_day})
    with plt.rc_context({"font.family": "DejaVu Sans", "svg.hashsalt": "newscrawl",
                         "path.simplify": False}):
        figure, axes = plt.subplots(figsize=(10, 4.5), dpi=100)
        if days:
            window = [days[0] + timedelta(days=n) for n in range((days[-1] - days[0]).days + 1)]
            for source in sorted(counts):
                per_day = counts[source]
                axes.plot(window, [per_day.get(day, 0) for day in window], label=source,
                          linewidth=1.2)
            axes.legend(loc="upper left", fontsize=7, ncol=3, frameon=False)
            # Whole days on the axis, however short the window.
            locator = (mdates.DayLocator(interval=max(1, len(window) // 10))
                       if len(window) <= 62 else mdates.AutoDateLocator())
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title)
        axes.set_ylabel("articles")
        axes.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(path, format="png", metadata={"Software": None})
        plt.close(figure)
