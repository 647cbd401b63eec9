"""`newscrawl …`: the project's scrapy commands from any directory (e.g. a crontab line)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys

HELP = {"-h", "--help"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.cmdline import execute

    args = sys.argv[1:] if argv is None else argv
    if args and not HELP & set(args):
        execute(["scrapy", *args])
        return
    # Help texts name the program: Scrapy writes "scrapy <command>", this is `newscrawl`.
    text = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(text):
        try:
            execute(["scrapy", *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    sys.stdout.write(re.sub(r"\bscrapy (?=<command>|[a-z]+\b)", "newscrawl ", text.getvalue()))
    sys.exit(code)


if __name__ == "__main__":
    main()
