"""Sindonews Tekno: the quirks a user of the records would notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.sindonewstekno import SindonewsTeknoSpider

SITE = MIRROR / "sindonewstekno"
ARTICLES = SITE / "articles"
BASE = "https://tekno.sindonews.com/read"
URLS = {
    "1402518": f"{BASE}/1402518/207/operator-seluler-uji-coba-jaringan-5g-privat-di-kawasan-industri-cikarang-1763710200",
    "1402730": f"{BASE}/1402730/122/startup-agritech-bandung-raih-pendanaan-seri-a-untuk-sensor-irigasi-pintar-1763777700",
    "1401987": f"{BASE}/1401987/207/bank-digital-pakai-kecerdasan-buatan-untuk-tangkal-penipuan-transfer-1763640300",
    "1403120": f"{BASE}/1403120/207/pusat-data-hijau-mulai-dibangun-di-batam-andalkan-tenaga-surya-dan-air-laut-1763948220",
    "1403377": f"{BASE}/1403377/207/aplikasi-ojek-online-uji-fitur-deteksi-kantuk-untuk-pengemudi-1764051600",
}
# A full-size page (156 KB) of the 2024 layout: a headline slider before the story and
# "Berita Terkait", "Rekomendasi" (with rel=author bylines), "Berita Terkini" and "Terpopuler"
# after it; inline and boxed inserts, ads, a video and an in-body photo inside the body.
NOISY = "1403120"
# A redesign the site file does not declare (<p> body in div.article-content, BEM-like class
# names): JSON-LD without articleBody, so the body comes from the generic path.
REDESIGN = "1403377"
# The pages read by the declared layout: <br>-separated bodies.
LAYOUT_PAGES = ("1402518", "1402730", "1401987", NOISY)


def expected(article_id: str) -> dict:
    return json.loads((ARTICLES / f"{article_id}.expected.json").read_text(encoding="utf-8"))


def record(article_id: str, html: Path | None = None) -> dict:
    return extract_file(
        SindonewsTeknoSpider,
        html or ARTICLES / f"{article_id}.html",
        URLS[article_id] + "?showpage=all",
    )


def variant(tmp_path: Path, article_id: str, replacements: dict[str, str]) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    return record(article_id, edited_copy(ARTICLES / f"{article_id}.html", replacements, tmp_path))


@pytest.mark.parametrize(
    ("article_id", "code", "place", "first_words", "last_words"),
    [
        ("1402518", "ysw", "Jakarta", "Sebuah operator seluler", "pertengahan 2026."),
        ("1402730", "dan", "Bandung", "Startup teknologi pertanian", "yang tipis."),
        ("1401987", "ita", "Jakarta", "Penipuan lewat transfer", "tombol kirim."),
        (NOISY, "wbs", "Batam", "Pembangunan pusat data", "dua derajat Celsius."),
        (REDESIGN, "ysw", "Jakarta", "Sebuah aplikasi transportasi", "urusan keselamatan."),
    ],
)
def test_closing_editor_div_and_dateline_are_fields_not_body(
    article_id, code, place, first_words, last_words
):
    rec = record(article_id)
    assert rec["editor_codes"] == [code]
    assert rec["editors"] == []
    assert rec["dateline"] == place
    assert rec["body"].startswith(first_words)
    assert rec["body"].endswith(last_words)
    assert f"({code})" not in rec["body"]


def test_br_separated_body_keeps_paragraphs_and_loses_inserts():
    bodies = {article_id: record(article_id)["body"] for article_id in LAYOUT_PAGES}
    for body in bodies.values():
        for leftover in (
            "Baca Juga",
            "Lihat Juga",
            "Advertisement",
            "Video:",
            "Foto:",
            "Berita Terkait",
        ):
            assert leftover not in body
    # The linked titles of the inline prompts and boxes are gone with them.
    assert "Tarif Data Seluler" not in bodies["1402518"]
    assert "Robot Pabrik Terhubung" not in bodies["1402518"]
    assert "Drone Penyemprot" not in bodies["1402730"]
    assert "Modal Ventura Makin Selektif" not in bodies["1402730"]
    assert "Undangan Pernikahan Palsu" not in bodies["1401987"]
    # <br><br> runs are paragraphs: six story paragraphs in the first article.
    assert len(bodies["1402518"].split("\n\n")) == 6


def test_jumat_with_apostrophe_is_read_to_the_minute_without_jsonld():
    # `?showpage=all` pages carry no NewsArticle JSON-LD: the printed date is the source.
    rec = record("1402518")
    assert rec["date_source"] == "text"
    assert rec["published_at"] == "2025-11-21T14:30:00+07:00"
    assert rec["authors"] == ["Wahyu Nugroho"]


def test_byline_that_runs_into_the_date_gives_the_name_and_the_date():
    # "Dian Permatasari<span>Sabtu, 22 November 2025 - 09:15 WIB</span>", no author link.
    rec = record("1402730")
    assert rec["authors"] == ["Dian Permatasari"]
    assert rec["published_at"] == "2025-11-22T09:15:00+07:00"
    assert rec["date_source"] == "text"


def test_glued_byline_is_cut_at_the_day_name(tmp_path):
    rec = variant(
        tmp_path,
        "1402730",
        {'Dian Permatasari<span class="date">Sabtu,': "Dian PermatasariSabtu,<span>"},
    )
    assert rec["authors"] == ["Dian Permatasari"]
    assert rec["published_at"] == "2025-11-22T09:15:00+07:00"


def test_jsonld_date_first_and_a_different_printed_day_is_flagged(tmp_path):
    rec = record("1401987")
    assert (rec["date_source"], rec["published_at"]) == ("jsonld", "2025-11-20T19:05:00+07:00")
    assert rec["modified_at"] == "2025-11-20T19:40:00+07:00"
    assert rec["quality_flags"] == []
    moved = variant(
        tmp_path, "1401987", {"Kamis, 20 November 2025 - 19:05": "Jum'at, 21 November 2025 - 08:00"}
    )
    assert moved["published_at"] == "2025-11-20T19:05:00+07:00"
    assert "date_disagreement" in moved["quality_flags"]


def test_slug_epoch_is_never_a_publish_time(tmp_path):
    # Without the printed date only the epoch at the end of the slug is left: no date, dropped.
    rec = variant(
        tmp_path,
        "1402518",
        {'<div class="detail-date-artikel">Jum\'at, 21 November 2025 - 14:30 WIB</div>': ""},
    )
    assert rec["published_at"] is None
    assert missing_reason(rec) == "missing_published_at"


def test_page_without_the_template_is_read_by_the_generic_path(tmp_path):
    expected = record("1402518")
    rec = variant(
        tmp_path,
        "1402518",
        {
            'id="detail-desc" class="detail-desc"': 'class="content"',
            'class="detail-title"': 'class="t"',
        },
    )
    assert rec["parser"] == "sindonewstekno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("body", "dateline", "editor_codes", "image"):
        assert rec[name] == expected[name], name


def test_noisy_page_fields_come_from_the_story_not_the_widgets():
    rec = record(NOISY)
    assert rec["parser"] == "sindonewstekno@2024"
    assert rec["title"] == (
        "Pusat Data Hijau Mulai Dibangun di Batam, Andalkan Tenaga Surya dan Air Laut"
    )
    # The "Rekomendasi" cards carry rel=author links of their own writers: not this story's.
    assert rec["authors"] == ["Ilham Saputra"]
    # JSON-LD and the printed date agree; the slider, Terkini and Terpopuler dates are not read.
    assert (rec["published_at"], rec["date_source"]) == ("2025-11-24T08:40:00+07:00", "jsonld")
    assert rec["quality_flags"] == []
    # The lead photo, not the div.detail-img inside the body.
    assert rec["image"] == {
        "url": "https://pict.sindonews.net/dyn/850/pena/news/2025/11/24/207/1403120/"
        "pusat-data-hijau-mulai-dibangun-di-batam-kvn.jpg",
        "caption": "Desain pusat data berpendingin air laut yang dibangun di kawasan Nongsa, Batam.",
        "credit": "Dok. Pengembang",
    }
    assert rec["category"] == "Telco"
    assert rec["tags"] == ["pusat data", "energi terbarukan", "batam", "kecerdasan buatan"]
    body = rec["body"]
    assert len(body.split("\n\n")) == 8
    for leftover in (
        "Baca Juga",
        "Lihat Juga",
        "Advertisement",
        "Video:",
        "Foto:",
        "Panel surya terapung yang akan memasok",
        "Follow Berita",
        "Google News",
        "BATAM",
        "(wbs)",
        # Titles of the inserts and of the widgets around the story.
        "Permintaan Komputasi AI",
        "Kabel Laut Baru Hubungkan Batam",
        "PLTS Terapung",
        "Melihat Lokasi Pusat Data",
        "Berita Terkini",
    ):
        assert leftover not in body, leftover


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_up():
    rec = record(REDESIGN)
    gold = expected(REDESIGN)
    assert rec["parser"] == "sindonewstekno@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in (
        "title", "authors", "editor_codes", "dateline", "published_at", "category", "tags", "url",
    ):
        assert rec[name] == gold[name], name
    for leftover in ("Baca Juga", "Advertisement", "Video:", "(ysw)", "Topik", "Berita Lainnya"):
        assert leftover not in rec["body"], leftover
    # No template caption selector: the article's captioned picture, read generically.
    assert rec["image"] == gold["image"]


def test_redesign_body_has_no_photo_caption():
    rec = record(REDESIGN)
    assert "Foto: Dok. Perusahaan" not in rec["body"]
    assert rec["body"] == expected(REDESIGN)["body"]


def test_showpage_all_is_not_part_of_the_url():
    spider = SindonewsTeknoSpider()
    url = URLS["1402518"]
    assert spider.canonicalize(f"{url}?showpage=all&utm_source=rss") == url
    assert spider.is_article_url(url)
    assert not spider.is_article_url(f"{url}/5")  # page 2 of the split article


def test_crawl_requests_showpage_all_once_and_skips_videos_photos_and_page_links(crawl):
    result = crawl("sindonewstekno", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    records = result.records("sindonewstekno")
    assert {r["url"] for r in records} == set(URLS.values())
    for article_id, url in URLS.items():
        requested = re.findall(rf"Crawled \(200\) <GET {re.escape(url)}\?showpage=all>", result.log)
        assert len(requested) == 1, article_id
    # The index pages by item offset: page 2 is /indeks/612/20.
    assert "<GET https://www.sindonews.com/indeks/612/20>" in result.log
    for skipped in ("video.sindonews.com", "/photo/", "nasional.sindonews.com", "/topic/"):
        assert not re.search(rf"<GET [^>]*{re.escape(skipped)}", result.log), skipped
    assert not re.search(r"<GET [^>]*-1763710200/5", result.log)
    assert result.stat("newscrawl/links/non_article") >= 6
    assert result.stat("newscrawl/mirror/missing") == 0


def test_backfill_reads_the_day_index(crawl):
    result = crawl(
        "sindonewstekno",
        "-a",
        "since=2025-11-21",
        "-a",
        "until=2025-11-21",
        env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.log[-3000:]
    assert {r["id"] for r in result.records("sindonewstekno")} == {"sindonewstekno:1402518"}
    assert "<GET https://www.sindonews.com/indeks/612/0?t=2025-11-21>" in result.log
    assert "<GET https://www.sindonews.com/indeks/612/0>" not in result.log
    assert result.stat("newscrawl/mirror/missing") == 0
