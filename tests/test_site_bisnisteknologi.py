"""Bisnis.com Teknologi: the quirks a user of the records would notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.bisnisteknologi import BisnisTeknologiSpider

SITE = MIRROR / "bisnisteknologi"
ARTICLES = SITE / "articles"
BASE = "https://teknologi.bisnis.com/read"
URLS = {
    "1886420": f"{BASE}/20250616/101/1886420/operator-seluler-uji-coba-jaringan-5g-standalone-di-ikn",
    "1886755": f"{BASE}/20250617/84/1886755/startup-agritech-asal-bandung-raih-pendanaan-seri-a-us12-juta",
    "1885900": f"{BASE}/20250613/266/1885900/emiten-pusat-data-tambah-kapasitas-untuk-layanan-ai",
    "1887102": f"{BASE}/20250618/280/1887102/harga-tablet-pendidikan-turun-jelang-tahun-ajaran-baru",
    "1887310": f"{BASE}/20250619/101/1887310/pelanggan-internet-satelit-orbit-rendah-tembus-300000-sambungan",
    "1887544": f"{BASE}/20250620/280/1887544/produsen-lokal-siapkan-laptop-rakitan-dalam-negeri-untuk-sekolah",
}
# A full-size page in the 2023 template (ticker, widgets, ads, inserts around the story) and a
# page of a template the site file does not declare (read-* classes, no articleBody).
NOISY = "1887310"
REDESIGN = "1887544"
# The markers of the current template; replacing them makes the page an "unknown layout".
LAYOUT_MARKERS = {
    'class="detailsContent force-17 mt40"': 'class="article-content"',
    'class="detailsTitleCaption"': 'class="headline"',
    'class="authorName"': 'class="byline"',
    'class="detailsAttributeDates"': 'class="stamp"',
    'class="detailsImgCaption"': 'class="caption"',
    'class="breadcrumbItem"': 'class="crumb"',
}


def record(article_id: str, html: Path | None = None) -> dict:
    return extract_file(
        BisnisTeknologiSpider, html or ARTICLES / f"{article_id}.html", URLS[article_id]
    )


def variant(tmp_path: Path, article_id: str, replacements: dict[str, str]) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    return record(article_id, edited_copy(ARTICLES / f"{article_id}.html", replacements, tmp_path))


def expected_record(article_id: str) -> dict:
    return json.loads((ARTICLES / f"{article_id}.expected.json").read_text(encoding="utf-8"))


def test_outlet_first_dateline_is_a_field_and_leaves_the_body():
    # "Bisnis.com, JAKARTA —", "Bisnis.com, BANDUNG —", "Bisnis.com, JAKARTA -", "Bisnis.com —".
    expected = {"1886420": "Jakarta", "1886755": "Bandung", "1885900": "Jakarta", "1887102": None}
    for article_id, place in expected.items():
        rec = record(article_id)
        assert rec["dateline"] == place, article_id
        assert not rec["body"].startswith(("Bisnis.com", "JAKARTA", "BANDUNG", "—", "-"))
        assert "Bisnis.com," not in rec["body"]
    assert record("1886420")["body"].startswith("Sejumlah operator seluler mulai menguji")
    assert record("1887102")["body"].startswith("Sejumlah merek perangkat elektronik")


def test_inserts_disclaimer_ads_and_promos_stay_out_of_the_body():
    bodies = {article_id: record(article_id)["body"] for article_id in URLS}
    for body in bodies.values():
        for leftover in (
            "Baca Juga",
            "ADVERTISEMENT",
            "Disclaimer",
            "Google News",
            "WA Channel",
            "Penulis",
            "Editor :",
            "googletag",
        ):
            assert leftover not in body
    # The titles linked from the boxes and the plain "Baca Juga :" paragraph are gone too.
    assert "Lelang Frekuensi" not in bodies["1886420"]
    assert "Modal Ventura ke Startup Lokal" not in bodies["1886755"]
    assert "Naik Tiga Kali Lipat" not in bodies["1885900"]
    assert "tidak bertujuan mengajak membeli" not in bodies["1885900"]
    assert bodies["1885900"].endswith("yang dapat menggerus margin.")
    # Text around a dropped box is kept whole (nothing glued, nothing lost).
    assert "kamera pengawas kota.\n\nDirektur Jaringan" in bodies["1886420"]


def test_writer_and_editor_come_from_the_credit_box_not_the_outlet():
    rec = record("1886420")
    assert (rec["authors"], rec["editors"]) == (["Rina Wulandari"], ["Nancy Kartika"])
    # Without the credit box the header's "Hendri Saputra - Bisnis.com" is the writer.
    rec = record("1887102")
    assert (rec["authors"], rec["editors"]) == (["Hendri Saputra"], [])
    for article_id in URLS:
        rec = record(article_id)
        assert not any("Bisnis" in name for name in rec["authors"] + rec["editors"])
        assert rec["editor_codes"] == []


def test_jumat_with_apostrophe_and_no_zone_parses_to_the_wib_minute():
    # 1885900 prints only "Jum'at, 13 Juni 2025 | 09:41" (no JSON-LD date, no publishdate).
    rec = record("1885900")
    assert rec["date_source"] == "text"
    assert rec["published_at"] == "2025-06-13T09:41:00+07:00"


def test_publishdate_meta_is_read_as_wib(tmp_path):
    # 1886755 has no JSON-LD: its "publishdate" meta is "2025/06/17 10:30:00", local time.
    rec = record("1886755")
    assert (rec["date_source"], rec["published_at"]) == ("meta", "2025-06-17T10:30:00+07:00")
    # Without the meta, the printed date gives the same minute.
    rec = variant(
        tmp_path, "1886755", {'<meta name="publishdate" content="2025/06/17 10:30:00">': ""}
    )
    assert (rec["date_source"], rec["published_at"]) == ("text", "2025-06-17T10:30:00+07:00")
    assert rec["quality_flags"] == []


def test_a_printed_date_far_from_the_jsonld_one_is_flagged(tmp_path):
    rec = variant(
        tmp_path, "1886420", {"Senin, 16 Juni 2025 | 14:05": "Senin, 16 Juni 2025 | 18:05"}
    )
    assert rec["published_at"] == "2025-06-16T14:05:00+07:00"
    assert "date_disagreement" in rec["quality_flags"]
    assert "date_disagreement" not in record("1886420")["quality_flags"]


@pytest.mark.parametrize(
    ("article_id", "caption_end", "credit"),
    [
        ("1886420", "Kalimantan Timur.", "Bisnis-Rizal Fahmi"),  # "… Timur. /Bisnis-Rizal Fahmi"
        ("1886755", "Kabupaten Bandung Barat.", "Bisnis/Wisnu Wardhana"),
        ("1885900", "di sebuah pusat data.", "Reuters"),  # "… pusat data. /Reuters"
        ("1887102", "toko elektronik di Jakarta.", None),
        ("1887310", "Papua Selatan.", "Bisnis-Dedi Gunawan"),
    ],
)
def test_unlabelled_photo_credit_is_split_from_the_caption(article_id, caption_end, credit):
    image = record(article_id)["image"]
    assert image["caption"].endswith(caption_end)
    assert image["credit"] == credit
    assert image["url"].startswith("https://images.bisnis.com/posts/2025/06/")


def test_a_slash_inside_a_caption_sentence_is_not_a_credit(tmp_path):
    caption = "Tablet untuk pelajar dipajang di sebuah toko elektronik di Jakarta."
    rec = variant(
        tmp_path, "1887102", {caption: "Tablet pelajar. Model baru mendukung jaringan 4G/LTE"}
    )
    assert rec["image"]["caption"] == "Tablet pelajar. Model baru mendukung jaringan 4G/LTE"
    assert rec["image"]["credit"] is None


def test_unknown_layout_with_article_body_in_jsonld_gives_the_same_story(tmp_path):
    expected = record("1887102")
    rec = variant(tmp_path, "1887102", LAYOUT_MARKERS)
    assert rec["parser"] == "bisnisteknologi@jsonld-body"
    assert "generic_body" in rec["quality_flags"]
    for name in ("title", "authors", "dateline", "published_at", "body", "url"):
        assert rec[name] == expected[name], name
    assert rec["category"] == "Gadget"
    # The tag list kept its classes: the layout's tag selector still reads it.
    assert rec["tags"] == expected["tags"]
    # The caption's class was renamed, but it is still a caption under the cover picture.
    assert rec["image"] == expected["image"]


def test_unknown_layout_without_article_body_is_read_by_the_generic_path(tmp_path):
    expected = record("1886420")
    rec = variant(tmp_path, "1886420", LAYOUT_MARKERS)
    assert rec["parser"] == "bisnisteknologi@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("body", "dateline", "editor_codes"):
        assert rec[name] == expected[name], name
    assert rec["title"] == "Operator Seluler Uji Coba Jaringan 5G Standalone di IKN"
    assert rec["published_at"] == "2025-06-16T14:05:00+07:00"


def test_all_channel_index_pages_past_a_page_without_tech_stories(crawl):
    result = crawl("bisnisteknologi", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    # Page 2 of the index lists only market/finansial/ekonomi stories: page 3 is still read,
    # and two of the six articles are listed only there.
    assert "<GET https://www.bisnis.com/index?categoryId=0&type=indeks&page=3>" in result.log
    records = result.records("bisnisteknologi")
    assert {r["id"].split(":")[1] for r in records} == set(URLS)
    assert {r["url"] for r in records} == set(URLS.values())
    assert result.stat("newscrawl/mirror/missing") == 0


def test_premium_photo_video_and_other_channels_are_not_requested(crawl):
    result = crawl("bisnisteknologi", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    # The index links a premium story, a photo gallery, a video and market/finansial stories.
    assert result.stat("newscrawl/links/non_article") >= 8
    for host in ("premium.", "foto.", "video.", "market.", "finansial.", "ekonomi."):
        assert not re.search(rf"<GET https://{re.escape(host)}bisnis\.com/", result.log), host
    # The tracking parameters of a listed link never reach the site; each article is asked once.
    assert "utm_source" not in "".join(re.findall(r"<GET [^>]*>", result.log))
    for url in URLS.values():
        assert len(re.findall(rf"Crawled \(200\) <GET {re.escape(url)}>", result.log)) == 1
    assert result.stat("newscrawl/mirror/missing") == 0


def test_backfill_walks_the_all_channel_date_index(crawl):
    result = crawl(
        "bisnisteknologi",
        "-a",
        "since=2025-06-18",
        "-a",
        "until=2025-06-18",
        env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.log[-3000:]
    # Page 1 of the day has no Teknologi story; page 2 has the one of the day.
    assert "<GET https://www.bisnis.com/index?categoryId=0&type=indeks&date=2025-06-18&page=2>" in (
        result.log
    )
    assert "type=indeks&page=" not in result.log
    assert {r["id"] for r in result.records("bisnisteknologi")} == {"bisnisteknologi:1887102"}
    assert result.stat("newscrawl/mirror/missing") == 0
    partition = result.data_dir / "articles" / "bisnisteknologi" / "2025-06.jsonl"
    stored = [json.loads(line) for line in partition.read_text(encoding="utf-8").splitlines()]
    assert all(r["published_at"].startswith("2025-06-18T") for r in stored)


def test_noisy_page_fields_come_from_the_story_not_the_widgets():
    # 180 KB: a "Terkini" ticker and "Pilihan Editor" cards above the story, "Berita
    # Lainnya", "Rekomendasi", "Terpopuler", Premium and video cards below it, each with a
    # headline, a relative time and often a byline; the logo sits in an <h1>.
    rec = record(NOISY)
    assert rec["parser"] == "bisnisteknologi@2023"
    assert rec["title"] == "Pelanggan Internet Satelit Orbit Rendah Tembus 300.000 Sambungan"
    assert (rec["date_source"], rec["published_at"]) == ("jsonld", "2025-06-19T10:52:00+07:00")
    # The printed "Kamis, 19 Juni 2025 | 10:52" agrees; the cards' times are not read.
    assert rec["quality_flags"] == []
    assert (rec["authors"], rec["editors"]) == (["Rahmad Fauzan Hakim"], ["Lukas Hendrawan"])
    assert rec["image"] == {
        "url": "https://images.bisnis.com/posts/2025/06/19/1887310/antena-internet-satelit-sekolah.jpg",
        "caption": "Teknisi memasang antena penerima internet satelit di atap sebuah sekolah dasar "
        "di Kabupaten Mappi, Papua Selatan.",
        "credit": "Bisnis-Dedi Gunawan",
    }
    assert rec["category"] == "Telekomunikasi"
    assert rec["tags"] == ["Internet Satelit", "Satelit LEO", "Komdigi", "Telekomunikasi"]
    assert rec["dateline"] == "Jakarta"
    assert rec["body"].startswith("Jumlah pelanggan layanan internet satelit orbit rendah")
    assert rec["body"].endswith("di kota besar yang padat penduduk.")


def test_noisy_page_body_keeps_no_insert_ad_video_prompt_or_promo():
    body = record(NOISY)["body"]
    for leftover in (
        "Baca Juga",
        "Operator Seluler Percepat Migrasi",  # the titles linked from the three insert forms
        "Peta Jalan Kecerdasan Artifisial",
        "Kabel Laut Baru",
        "ADVERTISEMENT",
        "googletag",
        "Simak Video",
        "Stasiun Bumi",  # the embedded video's title
        "Dapatkan akses eksklusif",
        "Google News",
        "Kepulauan Aru",  # the in-body photo's caption
        "Himawan",
        "Penulis",
        "Editor",
        "Topik",
        "Komentar",
        "Terpopuler",
    ):
        assert leftover not in body, leftover
    assert body == expected_record(NOISY)["body"]
    # Text on both sides of each dropped block is whole.
    assert "kantor desa.\n\n“Permintaan paling tinggi" in body


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_body():
    expected = expected_record(REDESIGN)
    rec = record(REDESIGN)
    assert rec["parser"] == "bisnisteknologi@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("body", "dateline", "editor_codes", "title", "authors", "published_at"):
        assert rec[name] == expected[name], name
    assert rec["dateline"] == "Semarang"  # "Bisnis.com, SEMARANG —"
    assert rec["category"] == "Gadget"  # the BreadcrumbList's last crumb
    for leftover in (
        "Baca Juga",
        "Tablet Murah untuk Pelajar",
        "ADVERTISEMENT",
        "Simak Video",
        "Google News",
        "ruang kendali mutu",  # in-body caption
        "Penulis",
        "Topik",
        "Terpopuler",
        "Bisnis.com",
    ):
        assert leftover not in rec["body"], leftover


def test_redesign_editor_is_read_from_the_credit_row():
    assert record(REDESIGN)["editors"] == ["Rini Maharani Saptari"]


def test_redesign_tags_are_the_printed_topics():
    assert record(REDESIGN)["tags"] == ["Laptop", "TKDN", "Digitalisasi Sekolah"]


def test_redesign_cover_caption_and_credit_are_read():
    assert record(REDESIGN)["image"] == expected_record(REDESIGN)["image"]
