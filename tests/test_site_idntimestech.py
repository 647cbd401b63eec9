"""IDN Times Tech: the quirks a user of the records would notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR, edited_copy

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.idntimestech import IdnTimesTechSpider

SITE = MIRROR / "idntimestech"
ARTICLES = SITE / "articles"
TECH = "https://www.idntimes.com/tech"
URLS = {
    "fitur-ai-ponsel-kelas-menengah": f"{TECH}/gadget/fitur-ai-ponsel-kelas-menengah-c1c2-01-k3m9p-7x2q4d",
    "startup-agritech-bandung-pendanaan": f"{TECH}/trend/startup-agritech-bandung-raih-pendanaan-seri-a-c1c2-01-r8t2w-p4n6ka",
    "operator-seluler-perluas-5g": f"{TECH}/trend/operator-seluler-perluas-jaringan-5g-ke-12-kota-c1c2-01-d5f7g-2m9k4t",
    "cara-memperpanjang-umur-baterai-laptop": f"{TECH}/gadget/rizky-pratama/cara-memperpanjang-umur-baterai-laptop-c1c2",
    "registrasi-kartu-sim-pengenalan-wajah": f"{TECH}/trend/registrasi-kartu-sim-pakai-pengenalan-wajah-mulai-diuji-coba-c1c2-01-q7v3m-h5t9xe",
    "ponsel-lipat-murah-masuk-indonesia": f"{TECH}/gadget/ponsel-lipat-murah-mulai-masuk-pasar-indonesia-c1c2-01-f2x9p-k6m3wa",
}
LISTICLE = "fitur-ai-ponsel-kelas-menengah"
LEGACY = "cara-memperpanjang-umur-baterai-laptop"
# A full-size page of the 2025 template (Next.js: trending and latest cards as <article>s,
# __NEXT_DATA__, ads, inserts) and a page of a template the site file does not declare
# (Tailwind classes, data-testid hooks; JSON-LD still carries the run-together articleBody).
NOISY = "registrasi-kartu-sim-pengenalan-wajah"
REDESIGN = "ponsel-lipat-murah-masuk-indonesia"
# The markers of the current template; replacing them makes the page an "unknown layout".
LAYOUT_MARKERS = {
    'id="article-description"': 'id="story"',
    'data-cy="ds-article-editorial"': 'data-cy="credits"',
}


def record(name: str, html: Path | None = None) -> dict:
    return extract_file(IdnTimesTechSpider, html or ARTICLES / f"{name}.html", URLS[name])


def variant(tmp_path: Path, name: str, replacements: dict[str, str], regex: bool = False) -> dict:
    """The record of a copy of a mirror page with some strings replaced (each must occur)."""
    page = ARTICLES / f"{name}.html"
    return record(name, edited_copy(page, replacements, tmp_path, regex=regex))


def expected_record(name: str) -> dict:
    return json.loads((ARTICLES / f"{name}.expected.json").read_text(encoding="utf-8"))


# Every machine-readable publish time of a page (JSON-LD and meta).
DATE_STAMPS = {
    r'"date(?:Published|Modified)":"[^"]+",?': "",
    r'<meta property="article:(?:published|modified)_time"[^>]*>': "",
}


def test_current_urls_are_keyed_by_writer_and_article_code_legacy_urls_by_hash():
    # The 6-character article code alone repeats across copies of one story; the pair does not.
    assert record(LISTICLE)["id"] == "idntimestech:k3m9p-7x2q4d"
    assert record("operator-seluler-perluas-5g")["id"] == "idntimestech:d5f7g-2m9k4t"
    legacy = record(LEGACY)
    assert re.fullmatch(r"idntimestech:u[0-9a-f]{16}", legacy["id"])
    # The same legacy article linked with tracking parameters or without www is one record.
    spider = IdnTimesTechSpider()
    linked = "http://idntimes.com/tech/gadget/rizky-pratama/cara-memperpanjang-umur-baterai-laptop-c1c2/?utm_source=x"
    assert spider.canonicalize(linked) == URLS[LEGACY]


@pytest.mark.parametrize(
    ("url", "followed"),
    [
        (URLS[LISTICLE], True),
        (URLS[LEGACY], True),
        (f"{TECH}/video/menjajal-fitur-ai-ponsel-rp4-jutaan-c1c2-01-v7d2k-9hq3mz", False),
        ("https://www.idntimes.com/tag/kecerdasan-buatan", False),
        ("https://www.idntimes.com/author/nadia-putri-lestari", False),
        (
            "https://www.idntimes.com/news/indonesia/bmkg-prediksi-hujan-lebat-akhir-pekan-00-p3q8r-t5v2w9",
            False,
        ),
        (
            "https://bali.idntimes.com/bali/news/festival-teknologi-denpasar-resmi-dibuka-00-b4l1x-r9k2m3",
            False,
        ),
        (f"{TECH}/gadget", False),
        (f"{URLS[LISTICLE]}/amp", False),
    ],
)
def test_which_links_are_followed(url, followed):
    assert IdnTimesTechSpider().is_article_url(url) is followed


def test_listicle_subheadings_stay_in_order_and_recommendations_go():
    rec = record(LISTICLE)
    paragraphs = rec["body"].split("\n\n")
    headings = [p for p in paragraphs if re.match(r"^\d\. ", p)]
    assert [h[:2] for h in headings] == ["1.", "2.", "3.", "4.", "5."]
    assert headings[0] == "1. Terjemahan panggilan secara langsung"
    # Each heading is followed by its own text, not glued to it.
    assert paragraphs[paragraphs.index(headings[0]) + 1].startswith("Fitur ini menerjemahkan")
    for leftover in (
        "Baca Juga",
        "7 HP Rp3 Jutaan",  # recommendation block titles
        "Cara Kerja NPU",
        "Perekam Suara Terbaik",
        "Ahmad Fauzi",  # in-body photo credit
        "Ilustrasi panggilan",  # in-body caption
        "Editorial Team",
        "Penulis",
        "Startup Agritech",  # the "Latest in Tech" rail
    ):
        assert leftover not in rec["body"], leftover


def test_legacy_template_is_still_read_with_its_h3_subheadings():
    rec = record(LEGACY)
    assert rec["parser"] == "idntimestech@2019"
    assert rec["title"] == "Cara Memperpanjang Umur Baterai Laptop, Biasakan 4 Hal Ini"
    assert rec["published_at"] == "2019-03-12T14:05:00+07:00"
    assert "\n\n4. Cabut pengisi daya saat sudah penuh\n\n" in rec["body"]
    assert rec["body"].endswith("sebelum perlu diganti.")
    for leftover in (
        "IDN Times Community",  # the community-writer disclaimer
        "Tips Memilih Laptop",  # recommendation box
        "Topic",
        "Mahasiswa teknik",  # writer card
        "Share",
        "Comment",
        "Aplikasi Edit Video",  # latest-post rail
        "Irma Wulandari",
    ):
        assert leftover not in rec["body"], leftover
    assert rec["tags"] == ["baterai laptop", "tips laptop"]
    assert rec["category"] == "Gadget"


@pytest.mark.parametrize(
    ("name", "writer", "editor"),
    [
        (LISTICLE, "Nadia Putri Lestari", "Fajar Ramadhan"),
        ("startup-agritech-bandung-pendanaan", "Bagus Hidayat", "Sekar Ayu Maharani"),
        (LEGACY, "Rizky Pratama", "Irma Wulandari"),
    ],
)
def test_writer_and_editor_are_told_apart(name, writer, editor):
    rec = record(name)
    assert rec["authors"] == [writer]
    assert rec["editors"] == [editor]
    assert rec["editor_codes"] == []


def test_editor_box_missing_leaves_editors_empty_and_writer_from_jsonld(tmp_path):
    rec = variant(tmp_path, LISTICLE, {"<p>Editor: Fajar Ramadhan</p>": ""})
    assert rec["editors"] == []
    assert rec["authors"] == ["Nadia Putri Lestari"]


def test_idn_times_dateline_is_a_field_not_body():
    bandung = record("startup-agritech-bandung-pendanaan")
    assert bandung["dateline"] == "Bandung"  # "<strong>Bandung, IDN Times</strong> - "
    assert bandung["body"].startswith("Perusahaan rintisan teknologi pertanian")
    jakarta = record("operator-seluler-perluas-5g")
    assert jakarta["dateline"] == "Jakarta"
    assert jakarta["body"].startswith("Salah satu operator seluler")
    assert record(LISTICLE)["dateline"] is None
    for name in URLS:
        assert "IDN Times" not in record(name)["body"].split("\n\n")[0], name


def test_inline_recommendation_paragraph_and_ads_are_dropped():
    body = record("startup-agritech-bandung-pendanaan")["body"]
    assert "Petani Muda di Karawang" not in body  # "Baca Juga:" as a plain paragraph
    assert "Daftar Startup Indonesia" not in body  # the recommendation block
    assert "Advertisement" not in body
    assert body.endswith("pada akhir 2026.")


def test_visible_wib_date_parses_to_the_minute(tmp_path):
    rec = variant(tmp_path, LISTICLE, DATE_STAMPS, regex=True)
    assert rec["date_source"] == "text"
    assert rec["published_at"] == "2026-01-15T16:24:00+07:00"
    # The "Latest in Tech" card under the article prints another time; it is not read.
    assert "date_disagreement" not in rec["quality_flags"]
    # The old template has no article:published_time meta, only JSON-LD.
    jsonld_only = {r'"date(?:Published|Modified)":"[^"]+",?': ""}
    legacy = variant(tmp_path, LEGACY, jsonld_only, regex=True)
    assert (legacy["date_source"], legacy["published_at"]) == ("text", "2019-03-12T14:05:00+07:00")


def test_printed_time_that_disagrees_with_jsonld_is_flagged(tmp_path):
    rec = variant(
        tmp_path,
        LISTICLE,
        {"<time>15 Jan 2026, 16:24 WIB</time>": "<time>15 Jan 2026, 19:24 WIB</time>"},
    )
    assert rec["published_at"] == "2026-01-15T16:24:00+07:00"
    assert "date_disagreement" in rec["quality_flags"]


def test_placeholder_keyword_is_not_a_tag_and_category_comes_from_the_nested_breadcrumb(tmp_path):
    rec = record(LISTICLE)
    assert rec["tags"] == ["kecerdasan buatan", "ponsel kelas menengah", "fitur AI"]
    assert "Update me" in (ARTICLES / f"{LISTICLE}.html").read_text(encoding="utf-8")
    assert rec["category"] == "Gadget"
    assert record("startup-agritech-bandung-pendanaan")["category"] == "Trend"
    # Without the breadcrumb no category is guessed from the URL.
    html = (ARTICLES / f"{LISTICLE}.html").read_text(encoding="utf-8")
    crumb = re.search(r',"breadcrumb":\{.*?\]\}', html).group(0)
    assert variant(tmp_path, LISTICLE, {crumb: ""})["category"] is None


def test_caption_credits_are_split():
    assert record(LISTICLE)["image"] == {
        "url": "https://image.idntimes.com/post/20260115/ilustrasi-ponsel-ai-3f9c1a7b2e.jpg",
        "caption": "Ilustrasi ponsel kelas menengah dengan fitur AI",
        "credit": "IDN Times/Nadia Putri Lestari",
    }
    assert record("startup-agritech-bandung-pendanaan")["image"]["credit"] == "dok. Tanijaya"
    assert record(LEGACY)["image"]["credit"] == "unsplash.com/Dewi Anggraini"


def test_unknown_layout_falls_back_to_the_run_together_jsonld_body(tmp_path):
    expected = record("operator-seluler-perluas-5g")
    rec = variant(tmp_path, "operator-seluler-perluas-5g", LAYOUT_MARKERS)
    assert rec["parser"] == "idntimestech@jsonld-body"
    assert "generic_body" in rec["quality_flags"]
    for name in ("title", "authors", "dateline", "published_at", "url", "category", "tags"):
        assert rec[name] == expected[name], name
    # JSON-LD's articleBody runs the paragraphs together ("…Pekanbaru.Perusahaan"): each
    # sentence end glued to a capital is a paragraph break again.
    assert rec["body"] == expected["body"]


def test_unknown_layout_without_article_body_is_read_by_the_generic_path(tmp_path):
    expected = record(LISTICLE)
    rec = variant(
        tmp_path,
        LISTICLE,
        {**LAYOUT_MARKERS, r',"articleBody":"(?:[^"\\]|\\.)*"': ""},
        regex=True,
    )
    assert rec["parser"] == "idntimestech@generic"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    assert rec["body"] == expected["body"]
    assert rec["title"] == "5 Fitur AI yang Kini Hadir di Ponsel Kelas Menengah"
    assert rec["authors"] == ["Nadia Putri Lestari"]


def test_crawl_skips_videos_tags_other_channels_and_regional_sites(crawl):
    result = crawl("idntimestech", env={"NEWSCRAWL_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("newscrawl/mirror/missing") == 0
    assert result.stat("newscrawl/links/non_article") >= 4
    for skipped in (
        "/tech/video/",
        "/tag/",
        "/news/indonesia/",
        "bali.idntimes.com",
        "news/sitemap",
    ):
        assert not re.search(rf"<GET [^>]*{re.escape(skipped)}", result.log), skipped
    records = result.records("idntimestech")
    assert {r["url"] for r in records} == set(URLS.values())
    # The listing links the listicle with utm_* (robots.txt disallows those): it is requested
    # once, without them.
    for url in URLS.values():
        assert len(re.findall(rf"Crawled \(200\) <GET {re.escape(url)}>", result.log)) == 1, url
    assert "utm_" not in "".join(re.findall(r"<GET [^>]*>", result.log))
    assert result.stat("newscrawl/dropped/missing_body") == 0
    # Page 2 ends the listing: it links no page 3.
    assert "<GET https://www.idntimes.com/tech?page=2>" in result.log
    assert "tech?page=3" not in result.log


def test_noisy_page_fields_come_from_the_story_not_the_cards():
    # 187 KB: five "Trending" <article> cards above the story and "Latest in Tech",
    # "Artikel Lainnya", "Rekomendasi" and regional cards below it, each with a headline,
    # a <time> and a writer; the logo sits in an <h1>; __NEXT_DATA__ repeats the story.
    rec = record(NOISY)
    assert rec["parser"] == "idntimestech@2025"
    assert rec["id"] == "idntimestech:q7v3m-h5t9xe"
    assert rec["title"] == "Registrasi Kartu SIM Pakai Pengenalan Wajah Mulai Diuji Coba"
    assert (rec["date_source"], rec["published_at"]) == ("jsonld", "2026-02-10T14:37:00+07:00")
    # The header's "10 Feb 2026, 14:37 WIB" agrees; the cards' times are not read.
    assert rec["quality_flags"] == []
    assert (rec["authors"], rec["editors"]) == (["Yogi Prasetyo Utomo"], ["Rahma Dwi Safitri"])
    assert rec["image"] == {
        "url": "https://image.idntimes.com/post/20260210/ilustrasi-registrasi-sim-wajah-7c2e9a4f1d.jpg",
        "caption": "Ilustrasi pelanggan melakukan verifikasi wajah saat membeli kartu perdana",
        "credit": "IDN Times/Yogi Prasetyo Utomo",
    }
    assert rec["category"] == "Trend"
    assert rec["tags"] == ["registrasi kartu SIM", "biometrik", "operator seluler", "Komdigi"]
    assert rec["dateline"] == "Jakarta"
    assert rec["body"].startswith("Kementerian Komunikasi dan Digital (Komdigi) mulai menguji")
    assert rec["body"].endswith("mulai semester kedua tahun ini.")


def test_noisy_page_body_keeps_no_recommendation_ad_video_prompt_or_caption():
    body = record(NOISY)["body"]
    for leftover in (
        "Baca Juga",
        "Cara Cek NIK",  # recommendation block titles
        "eSIM",
        "Pinjol Ilegal",  # "Baca Juga:" as a plain paragraph
        "Advertisement",
        "Tonton juga",
        "Cara Kerja Verifikasi Wajah di Aplikasi",  # the embedded video's title
        "Ilustrasi gerai operator",  # in-body caption
        "Editorial Team",
        "Penulis",
        "Komentar",
        "Latest in Tech",
        "IDN Times",
    ):
        assert leftover not in body, leftover
    assert body == expected_record(NOISY)["body"]
    assert "dengan data kependudukan.\n\nPejabat Komdigi" in body


def test_redesign_is_stored_through_the_jsonld_body_with_dateline_and_credits():
    expected = expected_record(REDESIGN)
    rec = record(REDESIGN)
    assert rec["parser"] == "idntimestech@jsonld-body"
    assert "generic_body" in rec["quality_flags"]
    assert missing_reason(rec) is None
    for name in ("dateline", "editor_codes", "title", "authors", "editors", "published_at",
                 "category", "tags", "word_count"):
        assert rec[name] == expected[name], name
    assert rec["dateline"] == "Surabaya"  # "Surabaya, IDN Times - "
    paragraphs = rec["body"].split("\n\n")
    assert len(paragraphs) == 9
    assert paragraphs[0].startswith("Ponsel lipat tidak lagi identik")
    for leftover in ("Baca Juga", "7 HP 5G Termurah", "Advertisement", "IDN Times", "Engsel ponsel"):
        assert leftover not in rec["body"], leftover


def test_redesign_body_keeps_each_quote_with_its_paragraph():
    body = record(REDESIGN)["body"]
    assert body == expected_record(REDESIGN)["body"]
    assert "merekam video.\n\n\"Dulu orang ragu" in body


def test_redesign_cover_caption_and_credit_are_read():
    assert record(REDESIGN)["image"] == expected_record(REDESIGN)["image"]
