"""Start-up cost: heavy libraries are imported by the code that uses them, not by every process.

`scrapy list`, a crawl that stores nothing new and every export worker process start often;
datasketch pulls in scipy (~0.4 s), pyarrow ~0.2 s, dateparser its language data, Scrapy ~0.3 s.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

HEAVY = ("datasketch", "scipy", "pyarrow", "dateparser", "scrapy")


def imported_after(statement: str) -> set[str]:
    """Which of HEAVY a fresh interpreter has imported after running `statement`."""
    probe = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=60)
    modules = json.loads(done.stdout.splitlines()[-1])
    return {name for name in HEAVY if name in modules}


def test_a_spider_imports_without_the_story_export_and_fallback_date_libraries():
    assert imported_after("import newscrawl.spiders.detikinet") == {"scrapy"}


def test_an_export_worker_process_starts_without_scrapy_or_pyarrow():
    assert imported_after("from newscrawl.export import serve") == set()


def test_the_story_index_loads_datasketch_only_to_make_a_signature():
    assert imported_after("from newscrawl.stories import StoryIndex") == set()
    made = imported_after("from newscrawl.stories import signature\nsignature('dua kata')")
    assert "datasketch" in made
