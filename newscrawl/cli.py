"""`newscrawl …`: the project's scrapy commands from any directory (e.g. a crontab line)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.cmdline import execute

    execute(["scrapy", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
