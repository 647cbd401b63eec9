"""The datasheet's plot: one PNG of articles per day per outlet, the same bytes for the same
counts, so an export stays reproducible."""

from __future__ import annotations

from datetime import date

from newscrawl.plot import articles_per_day, available


def test_the_plot_is_byte_reproducible_and_follows_the_counts(tmp_path):
    assert available()
    counts = {"detikinet": {date(2025, 6, 1): 3, date(2025, 6, 4): 5},
              "kompastekno": {date(2025, 6, 2): 2}}
    first, second, other = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    articles_per_day(counts, first)
    articles_per_day(counts, second)
    assert first.read_bytes().startswith(b"\x89PNG") and first.read_bytes() == second.read_bytes()
    assert b"Software" not in first.read_bytes()  # no version or date that would differ
    articles_per_day({**counts, "kompastekno": {date(2025, 6, 2): 4}}, other)
    assert other.read_bytes() != first.read_bytes()


def test_an_empty_window_still_draws(tmp_path):
    path = tmp_path / "empty.png"
    articles_per_day({}, path)
    assert path.read_bytes().startswith(b"\x89PNG")
