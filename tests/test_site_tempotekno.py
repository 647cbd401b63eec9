"""Tempo Tekno: the quirks a user of the records would notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.tempotekno import TempoTeknoSpider

SITE = MIRROR / "tempotekno"
ARTICLES = SITE / "articles"
URLS = {
    "2019870": "https://www.tempo.co/sains/startup-lokal-rilis-model-bahasa-untuk-bahasa-daerah-2019870",
    "2020114": "https://www.tempo.co/sains/cara-mengaktifkan-penyaring-pesan-spam-di-aplikasi-obrolan-2020114",
    "2019544": "https://tekno.tempo.co/read/2019544/harga-memori-ponsel-diprediksi-naik-hingga-akhir-tahun",
    # Full-size pages: the current template with its widgets, ads and scripts, and a redesign
    # no layout declares.
    "2020457": "https://www.tempo.co/sains/peneliti-kembangkan-jaringan-sensor-gempa-dari-ponsel-bekas-2020457",
    "2020731": "https://www.tempo.co/sains/operator-seluler-mulai-matikan-jaringan-3g-di-sejumlah-kota-2020731",
}
ARTICLE_BODY = re.compile(r',"articleBody":"(?:[^"\\]|\\.)*"')


def record(article_id: str, html: Path | None = None) -> dict:
    return extract_file(TempoTeknoSpider, html or ARTICLES / f"{article_id}.html", URLS[article_id])


def variant(tmp_path: Path, article_id: str, replacements: dict[str, str]) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    return record(article_id, edited_copy(ARTICLES / f"{article_id}.html", replacements, tmp_path))


def expected(article_id: str) -> dict:
    return json.loads((ARTICLES / f"{article_id}.expected.json").read_text(encoding="utf-8"))


def without_article_body(article_id: str) -> dict[str, str]:
    html = (ARTICLES / f"{article_id}.html").read_text(encoding="utf-8")
    [body] = ARTICLE_BODY.findall(html)
    return {body: ""}


@pytest.mark.parametrize("article_id", list(URLS))
def test_tempo_lead_is_the_dateline_and_leaves_the_body(article_id):
    rec = record(article_id)
    assert rec["dateline"] == {"2019544": "Bandung", "2020457": "Bandung"}.get(article_id, "Jakarta")
    assert not rec["body"].startswith("TEMPO")
    assert "TEMPO.CO" not in rec["body"]


def test_current_pages_take_the_full_text_from_jsonld_not_the_truncated_wrapper():
    rec = record("2019870")
    assert rec["parser"] == "tempotekno@2024"
    # The server HTML holds the lead only; the later paragraphs exist only in articleBody.
    assert rec["body"].startswith("Sebuah startup kecerdasan buatan asal Yogyakarta")
    assert rec["body"].endswith("di layanan pengaduan warga.")
    assert len(rec["body"].split("\n\n")) == 6
    for leftover in ("Scroll ke bawah", "Advertisement", "Berlangganan", "Pilihan Editor", "Lima Aplikasi"):
        assert leftover not in rec["body"]
    assert "short_body" not in rec["quality_flags"]


def test_contributor_is_an_author_and_the_bare_tail_name_is_the_editor():
    rec = record("2019870")
    assert rec["authors"] == ["Rahmat Hidayat", "Sekar Ayu"]
    assert rec["editors"] == ["Dimas Prasetyo"]
    assert rec["editor_codes"] == []
    for name in ("Sekar Ayu", "berkontribusi", "Dimas Prasetyo"):
        assert name not in rec["body"]
    # Without a contributor line only the tail name is taken, as an editor.
    rec = record("2020114")
    assert rec["authors"] == ["Fajar Nugroho", "Intan Permatasari"]
    assert rec["editors"] == ["Nurhadi Santoso"]
    assert rec["body"].endswith("agar nomor pelaku diblokir.")


def test_a_closing_sentence_is_not_mistaken_for_an_editor_name(tmp_path):
    rec = variant(tmp_path, "2020114", {"\\nNurhadi Santoso": ""})
    assert rec["editors"] == []
    assert rec["body"].endswith("agar nomor pelaku diblokir.")


def test_utc_jsonld_time_is_stored_as_wib_and_null_meta_is_ignored():
    rec = record("2019870")
    # datePublished "2025-06-18T13:04:00.000Z"; article:published_time reads "null WIB".
    assert rec["published_at"] == "2025-06-18T20:04:00+07:00"
    assert rec["modified_at"] == "2025-06-18T21:10:00+07:00"
    assert rec["date_source"] == "jsonld"
    assert rec["quality_flags"] == []


def test_visible_date_with_a_dot_in_the_hour_is_read_to_the_minute(tmp_path):
    rec = variant(
        tmp_path,
        "2019870",
        {
            '"datePublished":"2025-06-18T13:04:00.000Z",': "",
            '"dateModified":"2025-06-18T14:10:00.000Z",': "",
        },
    )
    # "18 Juni 2025 | 20.04 WIB" is all that is left.
    assert rec["date_source"] == "text"
    assert rec["published_at"] == "2025-06-18T20:04:00+07:00"
    legacy = variant(
        tmp_path,
        "2019544",
        {
            '"datePublished":"2025-06-17T14:30:00+07:00",': "",
            'content="2025-06-17T14:30:00+07:00"': 'content=""',
        },
    )
    assert (legacy["date_source"], legacy["published_at"]) == ("text", "2025-06-17T14:30:00+07:00")


def test_legacy_template_is_still_read():
    rec = record("2019544")
    assert rec["parser"] == "tempotekno@2019"
    assert rec["url"] == URLS["2019544"]
    assert rec["id"] == "tempotekno:2019544"
    assert (rec["authors"], rec["editors"]) == (["Bagus Wicaksono"], ["Laras Setyowati"])
    assert rec["category"] == "Gadget"
    for leftover in ("Baca:", "Produsen Ponsel Pangkas", "ADVERTISEMENT", "Artikel Terkait"):
        assert leftover not in rec["body"]
    assert rec["image"]["credit"] == "TEMPO/Yosef Hartanto"
    assert rec["image"]["caption"].endswith("di Batam.")


def test_caption_credit_without_parentheses_is_split():
    assert record("2019870")["image"] == {
        "url": "https://statik.tempo.co/data/2025/06/18/id_1412233/1412233_720.jpg",
        "caption": "Ilustrasi model bahasa kecerdasan buatan di layar ponsel.",
        "credit": "TEMPO/Ratih Kusuma",
    }
    assert record("2020114")["image"]["credit"] == "Shutterstock"


def test_current_page_without_article_body_falls_back_to_the_wrapper_and_is_flagged(tmp_path):
    rec = variant(tmp_path, "2019870", without_article_body("2019870"))
    assert rec["parser"] == "tempotekno@2024"
    # Only the lead is in the server HTML: it is kept, without the dateline, and flagged.
    assert rec["body"].startswith("Sebuah startup kecerdasan buatan")
    assert rec["body"].endswith("enam bulan pertama.")
    assert rec["dateline"] == "Jakarta"
    assert "short_body" in rec["quality_flags"]
    assert "Advertisement" not in rec["body"] and "Scroll" not in rec["body"]


def test_unknown_template_without_article_body_is_read_by_the_generic_path(tmp_path):
    expected = variant(tmp_path, "2019870", without_article_body("2019870"))
    markers = {'id="content-wrapper"': 'id="story"', **without_article_body("2019870")}
    rec = variant(tmp_path, "2019870", markers)
    assert rec["parser"] == "tempotekno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    # The lead is all the server HTML holds, as with the template.
    for name in ("body", "dateline"):
        assert rec[name] == expected[name], name
    # What is filled still comes from JSON-LD and meta, not from page chrome.
    assert rec["title"] == "Startup Lokal Rilis Model Bahasa untuk Bahasa Daerah"
    assert rec["authors"] == ["Rahmat Hidayat"]
    # The cover's figure is still there: its caption and credit are read with it.
    assert rec["image"] == expected["image"]


def test_full_size_current_page_has_the_noise_of_a_real_one():
    html = (ARTICLES / "2020457.html").read_text(encoding="utf-8")
    assert 140_000 <= len(html.encode()) <= 330_000
    assert html.count('type="application/ld+json"') == 4
    # Widgets before and after the story, one with the headline's own classes.
    assert html.count("<figure") >= 12 and html.count("<article") >= 10
    assert html.count("text-[26px] font-bold leading-[122%] text-neutral-1200") == 2
    assert html.count(" WIB</p>") >= 20


def test_full_size_current_page_takes_its_fields_from_the_story_not_the_widgets():
    rec = record("2020457")
    want = expected("2020457")
    assert rec["parser"] == "tempotekno@2024"
    for name in ("title", "authors", "editors", "dateline", "published_at", "modified_at",
                 "date_source", "tags", "category", "image", "body"):
        assert rec[name] == want[name], name
    assert rec["title"] == "Peneliti Kembangkan Jaringan Sensor Gempa dari Ponsel Bekas"
    assert rec["authors"] == ["Wahyu Kurniawan", "Anisa Larasati"]  # byline, then contributor
    assert rec["editors"] == ["Bambang Hermawan"]
    assert rec["published_at"] == "2025-06-20T15:42:00+07:00"
    assert rec["image"]["caption"].endswith("di sebuah sekolah di Cianjur.")  # not the in-body photo
    assert rec["body"].startswith("Tim peneliti dari sebuah perguruan tinggi teknik di Bandung")
    assert rec["body"].endswith("beberapa detik sebelum guncangan kuat tiba.")
    assert len(rec["body"].split("\n\n")) == 9
    for leftover in (
        "TEMPO.CO", "Pilihan Editor", "Cara Kerja Peringatan Dini", "Scroll ke bawah", "Baca juga",
        "Sensor Murah Bantu Pantau Longsor", "Advertisement", "Tonton", "peta getaran",
        "berkontribusi", "Bambang Hermawan", "Berlangganan", "Komentar", "Terpopuler",
    ):
        assert leftover not in rec["body"], leftover
    assert rec["quality_flags"] == []


def test_redesign_is_read_from_jsonld_article_body_and_flagged():
    rec = record("2020731")
    want = expected("2020731")
    assert rec["parser"] == "tempotekno@jsonld-body"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("title", "authors", "editors", "editor_codes", "dateline", "published_at",
                 "date_source", "tags", "category", "body"):
        assert rec[name] == want[name], name
    # The "Sorotan" teaser below the story reuses the headline's <h1 class="article-title">.
    assert rec["title"] == "Operator Seluler Mulai Matikan Jaringan 3G di Sejumlah Kota"
    assert (rec["authors"], rec["editors"], rec["dateline"]) == (
        ["Fikri Ramadhan"], ["Dewi Kartika Sari"], "Jakarta"
    )
    assert rec["body"].endswith("kanal pengaduan resmi operator atau pemerintah.")
    for leftover in ("Pilihan Editor", "Scroll ke bawah", "Baca juga", "Dewi Kartika Sari", "TEMPO.CO"):
        assert leftover not in rec["body"], leftover


def test_redesign_without_article_body_gives_the_same_record_by_the_generic_path(tmp_path):
    rec = variant(tmp_path, "2020731", without_article_body("2020731"))
    want = expected("2020731")
    assert rec["parser"] == "tempotekno@generic"
    assert "generic_body" in rec["quality_flags"]
    for name in ("body", "dateline", "editors", "editor_codes", "authors"):
        assert rec[name] == want[name], name


def test_redesign_lead_photo_caption_and_credit():
    assert record("2020731")["image"] == expected("2020731")["image"]


def test_article_urls_of_both_generations_and_non_articles():
    spider = TempoTeknoSpider()
    assert spider.site_article_id(URLS["2019870"]) == "2019870"
    assert spider.site_article_id(URLS["2019544"]) == "2019544"
    # Numbers inside the slug are not the id.
    assert spider.site_article_id("https://www.tempo.co/sains/iphone-17-dan-5g-2021456") == "2021456"
    assert spider.is_article_url("https://tempo.co/sains/cara-mengaktifkan-2020114?utm_source=x")
    for url in (
        "https://www.tempo.co/video/menjajal-asisten-ai-berbahasa-jawa-2019901",
        "https://www.tempo.co/foto/pameran-robot-edukasi-di-jakarta-2019802",
        "https://www.tempo.co/tag/kecerdasan-buatan",
        "https://www.tempo.co/politik/dpr-bahas-revisi-aturan-pemilu-2019755",
        "https://majalah.tempo.co/read/teknologi/171234/laporan-utama",
    ):
        assert not spider.is_article_url(url), url
    assert spider.canonicalize("http://tempo.co/sains/x-2020114/?utm_source=rss") == (
        "https://www.tempo.co/sains/x-2020114"
    )


def test_crawl_skips_videos_photos_tags_and_other_rubrics(crawl):
    result = crawl("tempotekno", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    records = result.records("tempotekno")
    assert {r["url"] for r in records} == set(URLS.values())
    for url in URLS.values():
        # Linked from listing (with utm_*), feed (http, utm) and date index: fetched once.
        assert len(re.findall(rf"Crawled \(200\) <GET {re.escape(url)}>", result.log)) == 1
    for skipped in ("/video/", "/foto/", "/tag/", "/politik/"):
        assert not re.search(rf"<GET [^>]*{re.escape(skipped)}", result.log), skipped
    assert result.stat("newscrawl/links/non_article") >= 4
    assert result.stat("newscrawl/mirror/missing") == 0


def test_backfill_walks_the_date_index(crawl):
    result = crawl("tempotekno", "-a", "since=2025-06-18", "-a", "until=2025-06-18",
                   env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    assert {r["id"] for r in result.records("tempotekno")} == {"tempotekno:2019870"}
    assert "start_date=2025-06-18&end_date=2025-06-18>" in result.log
    assert "rubric_slug=sains>" not in result.log  # the plain listing is not walked
    assert result.stat("newscrawl/mirror/missing") == 0
    partition = result.data_dir / "articles" / "tempotekno" / "2025-06.jsonl"
    [stored] = [json.loads(line) for line in partition.read_text(encoding="utf-8").splitlines()]
    assert stored["published_at"] == "2025-06-18T20:04:00+07:00"
