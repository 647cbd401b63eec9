"""newscrawl's settings: every one works as `-s NAME=value` and as an environment variable,
`-s` wins, each default is declared once (newscrawl/config.py) and the README shows them."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from scrapy.settings import Settings

from newscrawl import config

# A value other than the default, per type.
OTHER = {str: "/tmp/x-value", int: 7, float: 2.5, bool: None}


def other_value(item: config.Setting) -> object:
    if item.kind is bool:
        return not item.default  # None (auto) -> True
    return OTHER[item.kind]


def project_settings(environ: dict[str, str]) -> Settings:
    """The project's settings as a process with `environ` loads them."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(environ)
        module = importlib.reload(importlib.import_module("newscrawl.settings"))
        settings = Settings()
        settings.setmodule(module, priority="project")
        return settings
    finally:
        os.environ.clear()
        os.environ.update(saved)
        importlib.reload(importlib.import_module("newscrawl.settings"))


@pytest.mark.parametrize("item", config.SETTINGS, ids=lambda s: s.name)
def test_every_setting_works_from_the_environment_and_from_the_command_line(item):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    value = other_value(item)
    text = ("1" if value else "0") if isinstance(value, bool) else str(value)

    default = project_settings(clean)
    assert config.setting(default, item.name) == item.default

    from_env = project_settings({**clean, item.name: text})
    assert config.setting(from_env, item.name) == value

    # -s (priority "cmdline") wins over the environment.
    from_env.set(item.name, text if item.kind is not bool else ("0" if value else "1"),
                 priority="cmdline")
    expected = value if item.kind is not bool else (not value)
    assert config.setting(from_env, item.name) == expected


def test_the_command_line_and_the_environment_reach_a_real_command():
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}

    def get(name: str, *extra: str, **variables: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "settings", "--get", name, *extra], cwd=ROOT,
            env={**env, **variables}, capture_output=True, text=True, timeout=60)
        return done.stdout.strip()

    # NEWSCRAWL_FSYNC and NEWSCRAWL_MIN_WORDS once ignored the environment.
    assert get("NEWSCRAWL_FSYNC", NEWSCRAWL_FSYNC="1") == "1"
    assert get("NEWSCRAWL_MIN_WORDS", NEWSCRAWL_MIN_WORDS="77") == "77"
    assert get("NEWSCRAWL_MIN_WORDS", "-s", "NEWSCRAWL_MIN_WORDS=12",
               NEWSCRAWL_MIN_WORDS="77") == "12"
    assert get("LOG_LEVEL", NEWSCRAWL_LOG_LEVEL="DEBUG") == "DEBUG"


def test_a_value_that_cannot_be_used_is_one_line_and_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env.update(NEWSCRAWL_DATA_DIR=str(tmp_path / "data"), NEWSCRAWL_MIN_WORDS="abc")
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "detikinet"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "crawl: NEWSCRAWL_MIN_WORDS must be a whole number, got 'abc'"
    assert not (tmp_path / "data").exists()
    for bad, message in (("NEWSCRAWL_FSYNC", "must be 1 or 0"),
                         ("NEWSCRAWL_BACKOFF_MAX", "must be a number")):
        assert message in config.problems({bad: "maybe"})[0]


def test_the_readme_shows_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.markdown_table() in readme
