"""The add-ons that switch a crawl's infrastructure: each acts only when its setting is given,
settings.py's polite defaults yield to it, and `-s` on the command line still wins."""

from __future__ import annotations

import pytest
from scrapy.crawler import CrawlerRunner
from scrapy.utils.project import get_project_settings

from newscrawl.addons import Distributed, OfflineMirror
from newscrawl.spiders.detikinet import DetikInetSpider

HANDLER = "newscrawl.mirror.MirrorDownloadHandler"


def configured(environment: dict[str, str], **command_line: object):
    """The crawler a `scrapy crawl detikinet` would build, its add-ons applied: `environment`
    as NEWSCRAWL_* variables (settings.py reads them at the project priority), `command_line`
    as `-s` options."""
    settings = get_project_settings()
    for name in ("NEWSCRAWL_MIRROR", "NEWSCRAWL_HOST_OVERRIDE", "NEWSCRAWL_REDIS_URL"):
        settings.set(name, None, "project")
    settings.setdict(environment, priority="project")
    settings.setdict(command_line, priority="cmdline")
    crawler = CrawlerRunner(settings).create_crawler(DetikInetSpider)
    crawler.addons.load_settings(crawler.settings)  # as Crawler.crawl does
    return crawler


def handler(crawler, scheme: str) -> str | None:
    return crawler.settings.getwithbase("DOWNLOAD_HANDLERS").get(scheme)


def test_a_live_crawl_uses_scrapys_handlers_and_polite_settings():
    crawler = configured({})
    assert handler(crawler, "https") != HANDLER and handler(crawler, "http") != HANDLER
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert crawler.settings.getbool("AUTOTHROTTLE_ENABLED")
    assert not crawler.settings.get("SCHEDULER", "").startswith("newscrawl")
    assert not any(isinstance(a, (OfflineMirror, Distributed)) for a in crawler.addons.addons)


def test_a_mirror_crawl_is_served_from_the_mirror_unthrottled(tmp_path):
    crawler = configured({"NEWSCRAWL_MIRROR": str(tmp_path)})
    assert handler(crawler, "https") == HANDLER and handler(crawler, "http") == HANDLER
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 0
    assert not crawler.settings.getbool("AUTOTHROTTLE_ENABLED")


def test_the_command_line_wins_over_an_addon(tmp_path):
    crawler = configured({"NEWSCRAWL_MIRROR": str(tmp_path)}, DOWNLOAD_DELAY=0.25)
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 0.25


def test_a_loopback_crawl_keeps_the_polite_delay():
    crawler = configured({"NEWSCRAWL_HOST_OVERRIDE": "127.0.0.1:9"})
    assert handler(crawler, "https") == HANDLER
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 1.0


@pytest.mark.parametrize("timeout", [None, "2.5"])
def test_distributed_mode_shares_scheduler_and_dupefilter_through_redis(timeout):
    environment = {"NEWSCRAWL_REDIS_URL": "redis://127.0.0.1:6399/3", "NEWSCRAWL_RUN_ID": "r1"}
    if timeout:
        environment["NEWSCRAWL_REDIS_TIMEOUT"] = timeout
    crawler = configured(environment)
    settings = crawler.settings
    assert settings["SCHEDULER"] == "newscrawl.distributed.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["SCHEDULER_DUPEFILTER_KEY"] == "newscrawl:%(spider)s:dupefilter:r1"
    assert settings.getdict("REDIS_PARAMS")["socket_timeout"] == float(timeout or 10)
    extensions = settings.getwithbase("EXTENSIONS")
    assert any("ExpireRunKeys" in str(key) for key in extensions)
    # The project's own extensions stay.
    assert "newscrawl.progress.Progress" in extensions
