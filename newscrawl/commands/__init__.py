"""The project's Scrapy commands (COMMANDS_MODULE), and what their options share."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from scrapy.exceptions import UsageError

from newscrawl import datadir, runs
from newscrawl.config import problems as config_problems
from newscrawl.config import setting
from newscrawl.items import quality_flag_names
from newscrawl.mirror import mirror_problem

Run = TypeVar("Run", bound=Callable[..., None])


def survives_closed_pipe(run: Run) -> Run:
    """A command's ``run`` that stops writing quietly when its reader goes away
    (``scrapy status | head``), as Unix tools do: no traceback, the exit code the command had
    set. Whatever it stored before is already safe (a closed pipe is no crash of the store)."""

    @functools.wraps(run)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            run(self, *args, **kwargs)
        except BrokenPipeError:
            # Python would report the pipe again when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())

    return wrapper  # type: ignore[return-value]


def comma_separated(value: str | None) -> list[str]:
    """`a, b,,c` -> ["a", "b", "c"]: the form of --only, --skip, --flags, --format."""
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 record", "2 records", "1,200 stories"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


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


def setup_problem(
    settings: Any, writes: bool = True, uses_mirror: bool = True, uses_redis: bool = True
) -> tuple[int, str] | None:
    """(exit code, one line) when a command cannot start as configured: a setting that cannot
    be used or a mirror directory that is not one (usage errors, 2), a data directory that
    cannot be written or a Redis that does not answer (6)."""
    bad = config_problems(settings)
    if bad:
        return runs.EXIT_USAGE, "; ".join(bad)
    mirror = settings.get("NEWSCRAWL_MIRROR")
    if mirror and uses_mirror:
        problem = mirror_problem(mirror)
        if problem:
            return runs.EXIT_USAGE, f"NEWSCRAWL_MIRROR: {problem}"
    if writes:
        problem = datadir.write_problem(Path(setting(settings, "NEWSCRAWL_DATA_DIR")))
        if problem:
            return runs.EXIT_FAILED, f"{problem}; {datadir.FIX}"
    redis_url = setting(settings, "NEWSCRAWL_REDIS_URL")
    if redis_url and uses_redis:
        from newscrawl.distributed import redis_problem, redis_timeouts

        problem = redis_problem(redis_url, redis_timeouts(settings))
        if problem:
            return runs.EXIT_FAILED, f"{problem} (NEWSCRAWL_REDIS_URL)"
    return None


class SetupChecked:
    """For commands that start crawls or write: what is wrong with the setup is found while
    the options are read (`check_setup`), with logging off so that nothing starts, and said in
    one line with its exit code when the command runs (`said_setup_problem`)."""

    problem: tuple[int, str] | None = None

    def check_setup(self, settings: Any, **checks: bool) -> tuple[int, str] | None:
        self.problem = setup_problem(settings, **checks)
        if self.problem:
            settings.set("LOG_ENABLED", False, priority="cmdline")
        return self.problem

    def said_setup_problem(self, name: str) -> str | None:
        """The problem's line (printed on stderr, the exit code set), or None when there is none."""
        if self.problem is None:
            return None
        self.exitcode, message = self.problem
        print(f"{name}: {message}", file=sys.stderr)
        return message
