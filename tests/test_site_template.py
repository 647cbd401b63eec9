"""`scrapy genspider -t newscrawl/templates/spiders/newssite.tmpl <name> <domain>`: the site
file it writes imports, is a NewsSpider, starts from its listing and already reads a plain
article page (title, date and body through the fallback paths) before anything is filled in."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

from conftest import ROOT

from newscrawl.extraction import extract_record
from newscrawl.spiders.base import NewsSpider

TEMPLATE = ROOT / "newscrawl" / "templates" / "spiders" / "newssite.tmpl"

PAGE = """<!DOCTYPE html><html lang="id"><head><title>Ponsel lipat baru | Contoh Tekno</title>
<script type="application/ld+json">{ld}</script></head><body>
<nav><a href="/">Beranda</a> <a href="/gadget">Gadget</a></nav>
<article><h1>Ponsel lipat baru meluncur di Indonesia</h1>
<p>Jakarta - Produsen ponsel asal China meluncurkan ponsel lipat terbarunya di Indonesia pada
Selasa, dengan harga mulai dari sembilan juta rupiah untuk varian memori terkecil.</p>
<p>Ponsel ini membawa layar lipat berukuran tujuh inci dan baterai yang diklaim tahan dua hari
pemakaian normal, menurut keterangan resmi perusahaan kepada wartawan.</p>
<p>Penjualan dimulai pekan depan melalui toko daring resmi dan sejumlah mitra ritel di kota-kota
besar, kata manajer pemasaran perusahaan itu dalam acara peluncuran.</p></article>
<footer>Hak cipta Contoh Tekno</footer></body></html>"""


def test_a_generated_site_file_crawls_and_reads_a_plain_article(tmp_path):
    # Outside the project (no SCRAPY_SETTINGS_MODULE, which a test process may have set, and no
    # spider module): the file goes to tmp_path, never into newscrawl/spiders.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSCRAWL_", "SCRAPY_"))}
    made = subprocess.run(
        [sys.executable, "-m", "scrapy", "genspider", "-s", "NEWSPIDER_MODULE=", "-t",
         str(TEMPLATE), "contohtekno", "tekno.contoh.id"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert not (ROOT / "newscrawl" / "spiders" / "contohtekno.py").exists()
    spec = importlib.util.spec_from_file_location("contohtekno", tmp_path / "contohtekno.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    site = module.ContohteknoSpider
    assert issubclass(site, NewsSpider) and site.name == "contohtekno"
    assert [r.url for r in site().start_requests_for_sources()] == [
        "https://tekno.contoh.id/indeks?page=1"]
    url = "https://tekno.contoh.id/gadget/ponsel-lipat-baru-meluncur-12345"
    assert site.article_url.search(url).group("id") == "12345"
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": "Ponsel lipat baru meluncur di Indonesia",
                     "datePublished": "2026-11-24T10:15:00+07:00",
                     "author": {"@type": "Person", "name": "Rina Wulandari"}})
    record = extract_record(PAGE.format(ld=ld), url, site)
    assert record["title"] == "Ponsel lipat baru meluncur di Indonesia"
    assert record["published_at"] == "2026-11-24T10:15:00+07:00"
    assert record["authors"] == ["Rina Wulandari"]
    paragraphs = record["body"].split("\n\n")
    assert len(paragraphs) == 3  # the three paragraphs, without the headline or the footer
    assert paragraphs[0].startswith("Produsen ponsel asal China")
    assert record["dateline"] == "Jakarta"
    assert paragraphs[2].endswith("dalam acara peluncuran.")
    assert record["parser"] == "contohtekno@2026"
