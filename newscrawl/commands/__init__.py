"""The project's Scrapy commands (COMMANDS_MODULE), and what their options share."""

from __future__ import annotations

from scrapy.exceptions import UsageError

from newscrawl.items import quality_flag_names


def comma_separated(value: str | None) -> list[str]:
    """`a, b,,c` -> ["a", "b", "c"]: the form of --only, --skip, --flags, --format."""
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def quality_flags_option(value: str | None, option: str) -> list[str]:
    """The quality flags of an option; a name the record schema does not know (a typo that
    would silently select nothing) is a usage error."""
    flags = comma_separated(value)
    known = quality_flag_names()
    unknown = sorted(set(flags) - set(known))
    if unknown:
        raise UsageError(f"{option}: unknown quality flags: {', '.join(unknown)} (known: "
                         f"{', '.join(known)})")
    return flags
