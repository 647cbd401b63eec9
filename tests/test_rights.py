"""Rights signals: what a page, its response headers, its host's TDMRep file and robots.txt say
about text and data mining end up in the record's `rights`, each with its source, and stay
there when the page is re-extracted from the archive."""

from __future__ import annotations

import json
import shutil

from conftest import MIRROR, run_scrapy
from protego import Protego

from newscrawl.rights import (
    page_signals,
    response_signals,
    rights_of,
    robots_ai_signal,
    signal,
    tdm_signal,
    tdmrep_rules,
    tdmrep_signal,
)

POLICY = "https://inet.detik.com/tdm/policy.json"


def test_tdm_reservation_values():
    assert tdm_signal("tdm-header", "1", POLICY) == signal(
        "tdm-header", True, f"tdm-reservation: 1; tdm-policy: {POLICY}")
    # 0 says mining is not reserved: kept, not reserving.
    assert tdm_signal("tdm-meta", 0) == signal("tdm-meta", False, "tdm-reservation: 0")
    assert tdm_signal("tdm-meta", "yes") is None and tdm_signal("tdm-meta", None) is None
    assert response_signals(b"1", None) == [signal("tdm-header", True, "tdm-reservation: 1")]
    assert response_signals(None, b"x") == []


def test_tdmrep_file_rules_match_paths_in_order():
    rules = tdmrep_rules(json.dumps([
        {"location": "/open/*", "tdm-reservation": 0},
        {"location": "/*", "tdm-reservation": 1, "tdm-policy": POLICY},
        "not a rule",
    ]))
    assert len(rules) == 2
    assert not tdmrep_signal(rules, "/open/a-1/title")["reserved"]
    closed = tdmrep_signal(rules, "/news/d-1/title")
    assert closed["reserved"] and closed["source"] == "tdmrep.json"
    assert closed["detail"] == f"/.well-known/tdmrep.json /*: tdm-reservation: 1; tdm-policy: {POLICY}"
    assert tdmrep_signal(tdmrep_rules(b"<html>not json</html>"), "/x") is None
    assert tdmrep_rules(b'{"location": "/*"}') == []  # an object, not the array of rules


def test_robots_txt_rules_for_ai_crawlers():
    robots = Protego.parse("User-agent: *\nDisallow: /search/\n\n"
                           "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\n")
    refused = robots_ai_signal(robots.can_fetch, "https://inet.detik.com/science/d-1/x")
    assert refused == signal("robots.txt", True,
                             "robots.txt disallows this page to GPTBot, CCBot")
    open_robots = Protego.parse("User-agent: *\nDisallow: /search/\n")
    assert robots_ai_signal(open_robots.can_fetch, "https://inet.detik.com/x") is None


def test_page_signals_and_the_record_value():
    meta = {"tdm-reservation": "1", "tdm-policy": POLICY}.get
    found = page_signals("Dilarang keras mengambil konten.", ["index, follow, noai"], meta)
    assert [s["source"] for s in found] == ["notice", "robots-meta", "tdm-meta"]
    rights = rights_of([*found, found[0]])
    assert rights["reserved"] and rights["notice"] == "Dilarang keras mengambil konten."
    assert len(rights["signals"]) == 3  # each signal once
    assert page_signals(None, ["index, follow"], {}.get) == []
    assert rights_of([]) is None
    allowed = rights_of([tdm_signal("tdm-header", "0")])
    assert allowed == {"reserved": False, "notice": None,
                       "signals": [signal("tdm-header", False, "tdm-reservation: 0")]}


PONSEL = "d-7301234"        # tdm-reservation header on its response
OPERATOR = "d-7305678"      # /telecommunication/: reserved by the host's tdmrep.json
JARINGAN_3G = "d-7320517"   # /telecommunication/ too
METEOR = "d-7299001"        # /science/: robots.txt keeps GPTBot out
CHIP = "d-7318842"          # no signal


def rights_mirror(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR / "detikinet", mirror / "detikinet")
    site = mirror / "detikinet"
    entries = [json.loads(line) for line in (site / "manifest.jsonl").read_text().splitlines()
               if line.strip()]
    for entry in entries:
        if PONSEL in entry["url"]:
            entry["headers"] = {"Content-Type": "text/html; charset=utf-8",
                                "tdm-reservation": "1", "tdm-policy": POLICY}
    (site / "tdmrep.json").write_text(json.dumps([
        {"location": "/telecommunication/*", "tdm-reservation": 1, "tdm-policy": POLICY},
        {"location": "/*", "tdm-reservation": 0},
    ]))
    entries.append({"url": "https://inet.detik.com/.well-known/tdmrep.json",
                    "file": "tdmrep.json", "headers": {"Content-Type": "application/json"}})
    robots = site / "robots-inet.txt"
    robots.write_text(robots.read_text() + "\nUser-agent: GPTBot\nDisallow: /science/\n")
    (site / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    return mirror


def sources_of(record: dict) -> dict[str, bool]:
    return {s["source"]: s["reserved"] for s in (record["rights"] or {}).get("signals", [])}


def test_a_crawl_records_each_signal_with_its_source_and_reextraction_keeps_them(tmp_path):
    data = tmp_path / "data"
    result = run_scrapy(["crawl", "detikinet"], data, mirror=rights_mirror(tmp_path))
    assert result.returncode == 0, result.log[-2000:]
    records = {r["url"].split("/")[4]: r for r in result.records("detikinet")}
    assert sources_of(records[PONSEL]) == {"tdm-header": True, "tdmrep.json": False}
    assert records[PONSEL]["rights"]["notice"] == f"tdm-reservation: 1; tdm-policy: {POLICY}"
    for reserved in (OPERATOR, JARINGAN_3G):
        assert sources_of(records[reserved]) == {"tdmrep.json": True}
        assert records[reserved]["rights"]["reserved"]
    assert sources_of(records[METEOR]) == {"tdmrep.json": False, "robots.txt": True}
    assert records[METEOR]["rights"]["notice"] == "robots.txt disallows this page to GPTBot"
    assert sources_of(records[CHIP]) == {"tdmrep.json": False}
    assert not records[CHIP]["rights"]["reserved"]
    # The host's file was asked for once, not once per article.
    assert result.stat("newscrawl/rights/tdmrep_rules/inet.detik.com") == 2

    # Re-extraction reads no tdmrep.json and no robots.txt: the archive kept the host's
    # signals with each page, so every record comes out the same.
    again = run_scrapy(["reextract"], data, mirror=None)
    assert again.returncode == 0, again.log[-2000:]
    [report] = [json.loads(p.read_text()) for p in (data / "runs" / "reextract").glob("*.json")]
    assert report["sources"][0]["changed"] == 0, report
    assert report["sources"][0]["unchanged"] == len(records)
    after = {r["url"].split("/")[4]: r for r in again.records("detikinet")}
    assert {k: r["rights"] for k, r in after.items()} == {
        k: r["rights"] for k, r in records.items()}

    # A default export leaves the reserved records out and counts them; --include-reserved
    # puts them in, and the datasheet says so in a visible line.
    default = run_scrapy(["export", "--out", str(tmp_path / "default")], data, mirror=None)
    assert default.returncode == 0, default.log[-2000:]
    exported = [json.loads(line) for line in
                (tmp_path / "default" / "articles.jsonl").read_text().splitlines()]
    reserved = {k for k, r in records.items() if r["rights"]["reserved"]}
    assert reserved == {PONSEL, OPERATOR, JARINGAN_3G, METEOR}
    assert [r["url"].split("/")[4] for r in exported] == [CHIP]
    manifest = json.loads((tmp_path / "default" / "articles.manifest.json").read_text())
    assert manifest["rights"]["reserved_left_out"] == 4
    assert manifest["rights"]["reserving_signals_by_source"] == {
        "detikinet": {"robots.txt": 1, "tdm-header": 1, "tdmrep.json": 2}}
    assert "left out: 4 records whose publishers reserve text and data mining" in default.log
    sheet = (tmp_path / "default" / "articles.datasheet.md").read_text()
    assert "4 records whose publishers reserve text and data mining were left out" in sheet
    assert "| `detikinet` | 1 | 1 | 2 |" in sheet  # robots.txt, tdm-header, tdmrep.json

    included = run_scrapy(["export", "--include-reserved", "--out", str(tmp_path / "all")],
                          data, mirror=None)
    assert included.returncode == 0
    assert len((tmp_path / "all" / "articles.jsonl").read_text().splitlines()) == 5
    sheet = (tmp_path / "all" / "articles.datasheet.md").read_text()
    assert ("**Included on request (`--include-reserved`): 4 records whose publishers reserve "
            "text and data mining**") in sheet


def test_the_dataset_card_header_parses_and_lists_every_file(tmp_path):
    import yaml

    from newscrawl.export import export
    from newscrawl.jsonl import encode_record

    partition = tmp_path / "data" / "articles" / "detikinet" / "2025-06.jsonl"
    partition.parent.mkdir(parents=True)
    record = {"id": "detikinet:1", "source": "detikinet", "url": "https://inet.detik.com/a/d-1/x",
              "title": "Judul", "body": "Isi.", "published_at": "2025-06-18T09:00:00+07:00",
              "content_hash": "abc", "version": 1, "story_id": "s1"}
    partition.write_bytes(encode_record(record))
    out = tmp_path / "out"
    manifest = export(tmp_path / "data", out, ["jsonl", "csv", "parquet"], license="cc-by-4.0")
    text = (out / "articles.datasheet.md").read_text()
    assert text.startswith("---\n")
    card = yaml.safe_load(text.split("---\n")[1])
    assert card["language"] == ["id"] and card["license"] == "cc-by-4.0"
    assert card["size_categories"] == ["n<1K"]
    assert [c["data_files"][0]["path"] for c in card["configs"]] == [
        "articles.parquet", "articles.jsonl", "articles.csv"]
    assert card["configs"][0]["default"] is True
    listed = {f["name"] for f in card["newscrawl"]["files"]}
    assert listed == {p.name for p in out.iterdir()}  # every file of the export
    assert all(f["sha256"] == manifest["files"][f["name"]]["sha256"]
               for f in card["newscrawl"]["files"] if "sha256" in f)
