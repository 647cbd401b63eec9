"""Kompas Tekno quirks a user would notice: who wrote vs who edited, UTC times shown as WIB,
`?page=all` fetches with query-free canonical URLs, the indeks date backfill, and pages whose
layout markers are gone."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import MIRROR

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.kompastekno import KompasTeknoSpider

ARTICLES = MIRROR / "kompastekno" / "articles"
SATELIT = ARTICLES / "2025-06-19-05101141.html"  # JAKARTA dateline, published 05:10 WIB
NPU = ARTICLES / "2025-06-18-21350717.html"  # two pages, fetched with ?page=all
HAMA = ARTICLES / "2025-06-17-14053361.html"  # Instagram embed, leaked photo credit
SATELIT_URL = (
    "https://tekno.kompas.com/read/2025/06/19/05101141/"
    "pemerintah-uji-coba-internet-satelit-untuk-sekolah-di-daerah-3t"
)
NPU_URL = (
    "https://tekno.kompas.com/read/2025/06/18/21350717/"
    "mengenal-npu-chip-kecerdasan-buatan-di-ponsel-dan-laptop-baru"
)
HAMA_URL = (
    "https://tekno.kompas.com/read/2025/06/17/14053361/"
    "startup-bandung-kembangkan-aplikasi-pendeteksi-hama-padi-berbasis-ai"
)
# Full-size pages (~150-200 KB) with the site's real furniture around the story.
JARINGAN = ARTICLES / "2025-06-20-14300881.html"  # read__ layout; ticker, widgets, ads, inserts
PUSAT_DATA = ARTICLES / "2025-06-21-09152011.html"  # a redesign no layout declares
JARINGAN_URL = (
    "https://tekno.kompas.com/read/2025/06/20/14300881/"
    "jaringan-3g-dimatikan-bertahap-di-jawa-dan-bali-begini-cara-cek-ponsel-masih-bisa-4g"
)
PUSAT_DATA_URL = (
    "https://tekno.kompas.com/read/2025/06/21/09152011/"
    "pusat-data-berbasis-energi-surya-mulai-beroperasi-di-batam-incar-layanan-ai"
)
DEBUG = {"NEWSCRAWL_LOG_LEVEL": "DEBUG"}


def expected(page: Path) -> dict:
    return json.loads(page.with_name(page.stem + ".expected.json").read_text(encoding="utf-8"))


def extract(path: Path, url: str) -> dict:
    return extract_file(KompasTeknoSpider, path, url + "?page=all")


def variant(tmp_path: Path, source: Path, *removals: str, append: tuple[str, str] = ("", "")):
    """The fixture with markup removed (each pattern must match) or text inserted."""
    html = source.read_text(encoding="utf-8")
    for pattern in removals:
        html, count = re.subn(pattern, "", html, flags=re.S)
        assert count, pattern
    if append[0]:
        assert append[0] in html
        html = html.replace(append[0], append[1], 1)
    path = tmp_path / source.name
    path.write_text(html, encoding="utf-8")
    return path


CREDIT_BLOCK = r'<div class="credit-title">.*?<p>Tim Redaksi</p>\s*</div>'
PEOPLE_META = r'<meta name="content_(?:author|editor)" content="[^"]*" />'
DATE_META = (
    r'<meta name="content_PublishedDate" content="[^"]*" />',
    r'<meta property="article:published_time" content="[^"]*" />',
)
ARTICLE_LD = r'<script type="application/ld\+json">\s*\{"@context":"http:\\/\\/schema.org","@type":"NewsArticle".*?</script>'


# ---------------------------------------------------------------- writer and editor
def test_writer_is_author_and_editor_is_editor_although_jsonld_names_the_editor():
    html = SATELIT.read_text(encoding="utf-8")
    # The trap is in the page: JSON-LD "author" is the editor.
    assert '"author":{"@type":"Person","name":"Reska Anindita"' in html
    record = extract(SATELIT, SATELIT_URL)
    assert record["authors"] == ["Galih Pratama Putra"]
    assert record["editors"] == ["Reska Anindita"]


def test_credit_block_order_gives_the_roles_when_the_meta_is_missing(tmp_path):
    # Without content_author/content_editor the credit block is read: writer first, then editor.
    page = variant(tmp_path, HAMA, PEOPLE_META)
    record = extract(page, HAMA_URL)
    assert record["authors"] == ["Rizky Aditama"]
    assert record["editors"] == ["Laras Widyaningrum"]


def test_without_meta_or_credit_block_the_editor_is_never_made_an_author(tmp_path):
    page = variant(tmp_path, SATELIT, PEOPLE_META, CREDIT_BLOCK)
    record = extract(page, SATELIT_URL)
    assert record["authors"] == []
    assert record["editors"] == ["Reska Anindita"]


# ---------------------------------------------------------------- dates
def test_utc_jsonld_time_is_stored_as_the_same_instant_in_wib():
    html = SATELIT.read_text(encoding="utf-8")
    assert '"datePublished":"2025-06-18T22:10:11+00:00"' in html  # the previous day in UTC
    record = extract(SATELIT, SATELIT_URL)
    assert record["published_at"] == "2025-06-19T05:10:11+07:00"
    assert record["date_source"] == "jsonld"
    assert "date_disagreement" not in record["quality_flags"]
    updated = extract(NPU, NPU_URL)
    assert updated["modified_at"] == "2025-06-18T23:02:40+07:00"  # printed "Diperbarui … 23:02"


def test_wib_meta_then_printed_time_then_url_id_when_jsonld_is_gone(tmp_path):
    # content_PublishedDate is WIB wall-clock time; article:published_time is UTC.
    for name, meta in (("wib", DATE_META[1]), ("utc", DATE_META[0])):
        (tmp_path / name).mkdir()
        one_meta = variant(tmp_path / name, SATELIT, ARTICLE_LD, meta)
        record = extract(one_meta, SATELIT_URL)
        assert (record["published_at"], record["date_source"]) == (
            "2025-06-19T05:10:11+07:00", "meta"), name

    (tmp_path / "text").mkdir()
    no_meta = variant(tmp_path / "text", SATELIT, ARTICLE_LD, *DATE_META)
    record = extract(no_meta, SATELIT_URL)
    assert (record["published_at"], record["date_source"]) == ("2025-06-19T05:10:00+07:00", "text")

    # The id's first six digits are the WIB publish time: last resort, to the second.
    (tmp_path / "url").mkdir()
    no_text = variant(
        tmp_path / "url", SATELIT, ARTICLE_LD, *DATE_META, r'<div class="read__time">.*?</div>'
    )
    record = extract(no_text, SATELIT_URL)
    assert (record["published_at"], record["date_source"]) == ("2025-06-19T05:10:11+07:00", "url")


# ---------------------------------------------------------------- body
def test_multi_page_article_is_whole_and_free_of_inserts():
    record = extract(NPU, NPU_URL)
    body = record["body"]
    assert record["url"] == NPU_URL  # canonical: no ?page=all
    assert record["dateline"] is None  # bare "KOMPAS.com -" lead
    assert body.startswith("Istilah NPU kian sering muncul")
    assert body.endswith("pembaruan sistem yang dijanjikan produsen.")  # end of page 2
    for leftover in ("KOMPAS.com", "Baca juga", "WhatsApp", "SHUTTERSTOCK", "Ilustrasi chip",
                     "Rekomendasi untuk Anda", "Kompas.id"):
        assert leftover not in body


def test_dateline_embed_and_leaked_photo_credit_are_removed():
    record = extract(HAMA, HAMA_URL)
    body = record["body"]
    assert record["dateline"] == "Bandung"
    assert body.startswith("Sebuah perusahaan rintisan asal Bandung")
    for leftover in ("KOMPAS.com", "RIZKY ADITAMA", "Instagram", "A post shared by", "Baca juga",
                     "Petani Muda Mulai Pakai"):
        assert leftover not in body
    assert record["image"] == {
        "url": "https://asset.kompas.com/crops/c2F3YWhsYWIy=/0x0:0x0/1200x800/data/photo/2025"
        "/06/17/6851b2c3d4e5f.jpg",
        "caption": "Petani memotret daun padi dengan aplikasi SawahLab di sebuah sawah di "
        "Kabupaten Bandung.",
        "credit": "Dok. SawahLab",
    }


def test_a_closing_parenthetical_is_text_not_an_editor_code(tmp_path):
    # Kompas prints no "(abc/xyz)" codes; a wire credit at the end stays in the story.
    page = variant(
        tmp_path, SATELIT, append=("selama ini sulit diakses.</p>", "selama ini sulit diakses. (AFP)</p>")
    )
    record = extract(page, SATELIT_URL)
    assert record["editor_codes"] == []
    assert record["body"].endswith("selama ini sulit diakses. (AFP)")


# ---------------------------------------------------------------- other layouts
def test_page_without_the_read_template_is_read_by_the_fallback_paths(tmp_path):
    # An unknown template: no read__ classes, no credit block. JSON-LD and meta still answer
    # what they can; the generic path reads the story, cleaned by the site's rules.
    page = variant(tmp_path, SATELIT, CREDIT_BLOCK)
    html, count = re.subn(r'class="read__[a-z_]+', 'class="story', page.read_text(encoding="utf-8"))
    assert count
    page.write_text(html, encoding="utf-8")
    record = extract(page, SATELIT_URL)
    expected = extract(SATELIT, SATELIT_URL)
    assert record["parser"] == "kompastekno@generic"
    assert "generic_body" in record["quality_flags"]
    assert missing_reason(record) is None
    for name in ("body", "dateline", "editor_codes"):
        assert record[name] == expected[name], name
    assert record["title"] == "Pemerintah Uji Coba Internet Satelit untuk Sekolah di Daerah 3T"
    assert record["authors"] == ["Galih Pratama Putra"]
    assert record["editors"] == ["Reska Anindita"]
    assert record["published_at"] == "2025-06-19T05:10:11+07:00"


# ---------------------------------------------------------------- full-size pages
def test_noisy_page_fields_come_from_the_story_not_from_the_widgets_around_it():
    html = JARINGAN.read_text(encoding="utf-8")
    assert 140_000 < len(html.encode("utf-8")) < 330_000
    # Other stories' titles, times and bylines sit before and after this one.
    for other in ("ticker__item", "Kenapa Sinyal 4G Hilang di Dalam Gedung", "Andreas Setiawan Putra",
                  "Now Trending", "Terkini Lainnya", "Pilihan Untukmu", "Video Pilihan"):
        assert other in html, other
    record = extract(JARINGAN, JARINGAN_URL)
    assert record["parser"] == "kompastekno@2025"
    assert record["quality_flags"] == []
    assert record["title"] == (
        "Jaringan 3G Dimatikan Bertahap di Jawa dan Bali, Begini Cara Cek Ponsel Masih Bisa 4G"
    )
    assert (record["authors"], record["editors"]) == (["Wahyu Adi Nugraha"], ["Dinda Maharani Putri"])
    assert (record["published_at"], record["date_source"]) == ("2025-06-20T14:30:08+07:00", "jsonld")
    assert record["modified_at"] == "2025-06-20T16:12:45+07:00"
    assert (record["category"], record["dateline"]) == ("Internet", "Jakarta")
    assert record["tags"] == ["jaringan 3G", "4G", "VoLTE", "operator seluler", "Komdigi"]
    image = record["image"]
    assert "/1200x800/data/photo/2025/06/20/" in image["url"]
    assert image["caption"].startswith("Petugas operator seluler memeriksa perangkat pemancar")
    assert image["credit"] == "KOMPAS.com/WAHYU ADI NUGRAHA"


def test_noisy_page_body_is_both_pages_of_the_story_without_ads_inserts_or_widgets():
    record = extract(JARINGAN, JARINGAN_URL)
    body = record["body"]
    assert body.startswith("Operator seluler mulai mematikan jaringan 3G secara bertahap")
    assert "\n\nCara cek dukungan 4G dan VoLTE\n\n" in body  # page 2 opens with a subheading
    assert body.endswith("selama ponsel tersambung ke jaringan Wi-Fi.")
    assert record["body"] == expected(JARINGAN)["body"]
    for leftover in ("KOMPAS.com -", "Baca juga", "Operator Seluler Siapkan Program Tukar Tambah",
                     "Ilustrasi ponsel fitur", "SHUTTERSTOCK", "Lihat Foto", "Rekomendasi untuk Anda",
                     "Senja Jaringan 3G", "Kompas.id", "WhatsApp Channel", "breaking news",
                     "googletag", "Tampilkan Semua", "Terpopuler", "Pilihan Untukmu"):
        assert leftover not in body, leftover


def test_redesign_page_is_stored_through_the_generic_path_with_the_site_rules_applied():
    html = PUSAT_DATA.read_text(encoding="utf-8")
    assert 140_000 < len(html.encode("utf-8")) < 330_000
    assert "read__" not in html and "credit-title" not in html  # no declared layout matches
    record = extract(PUSAT_DATA, PUSAT_DATA_URL)
    want = expected(PUSAT_DATA)
    assert record["parser"] == "kompastekno@generic"
    assert "generic_body" in record["quality_flags"]
    assert missing_reason(record) is None
    # The CMS meta and JSON-LD outlive the redesign: people, times and section still right.
    for name in ("title", "description", "authors", "editors", "published_at", "modified_at",
                 "date_source", "category", "dateline", "editor_codes"):
        assert record[name] == want[name], name
    # The printed tag list, not the SEO keywords meta; the printed lead image and its caption.
    assert record["tags"] == ["pusat data", "data center", "energi surya", "Batam",
                              "kecerdasan buatan"]
    assert record["image"] == want["image"]
    assert record["image"]["credit"] == "KOMPAS.com/FIKRI RAMADHAN SIREGAR"
    body = record["body"]
    assert body.startswith("Sebuah pusat data yang sebagian besar kebutuhan listriknya")
    assert body.endswith("naik menjadi separuh dari kebutuhan fasilitas.")
    for leftover in ("KOMPAS.com", "Baca juga", "Investasi Pusat Data di Indonesia Diprediksi",
                     "ADVERTISEMENT", "SCROLL TO CONTINUE", "Teknisi memeriksa rak server",
                     "Rekomendasi untuk Anda", "Pusat Data yang Haus Listrik", "WhatsApp",
                     "Berita Utama", "Artikel Terkait", "Penulis", "Diperbarui"):
        assert leftover not in body, leftover


def test_redesign_body_equals_the_story():
    assert extract(PUSAT_DATA, PUSAT_DATA_URL)["body"] == expected(PUSAT_DATA)["body"]


# ---------------------------------------------------------------- crawling the mirror
def _fetched(log: str) -> list[str]:
    return re.findall(r"Crawled \(200\) <GET (\S+)>", log)


def test_articles_are_fetched_once_with_page_all_and_stored_without_query(crawl):
    result = crawl("kompastekno", env=DEBUG)
    assert result.returncode == 0, result.log[-3000:]
    fetched = _fetched(result.log)
    articles = [u for u in fetched if "/read/" in u]
    assert len(articles) == 6
    # Each article is linked from two or three sources (listing, feed, sitemap): one fetch.
    assert len(set(articles)) == len(articles)
    assert all(u.endswith("?page=all") for u in articles)
    assert not any("utm_" in u for u in fetched)  # the feed's tracking parameters are dropped
    records = result.records("kompastekno")
    assert sorted(r["url"] for r in records) == sorted(u.removesuffix("?page=all") for u in articles)
    assert not any("?" in r["url"] for r in records)
    parsers = {r["url"]: r["parser"] for r in records}
    assert parsers[JARINGAN_URL] == "kompastekno@2025"
    assert parsers[PUSAT_DATA_URL] == "kompastekno@generic"  # stored, flagged, not dropped
    # Video, photo gallery and the other channels' stories are not requested.
    assert result.stat("newscrawl/links/non_article") >= 2
    assert not any(h in u for u in fetched for h in ("video.kompas", "/image/", "nasional."))
    assert result.stat("newscrawl/mirror/missing") == 0


def test_backfill_walks_the_indeks_date_pages(crawl):
    result = crawl("kompastekno", "-a", "since=2025-06-18", "-a", "until=2025-06-19", env=DEBUG)
    assert result.returncode == 0, result.log[-3000:]
    fetched = _fetched(result.log)
    assert "https://indeks.kompas.com/?site=tekno&date=2025-06-19&page=2" in fetched
    assert not any(u.startswith("https://indeks.kompas.com/?site=tekno&page=") for u in fetched)
    ids = {r["id"] for r in result.records("kompastekno")}
    # 05101141 is listed only on page 2 of 19 June; 14053361 (17 June) is outside the window.
    assert ids == {
        "kompastekno:2025/06/18/21350717",
        "kompastekno:2025/06/19/05101141",
        "kompastekno:2025/06/19/10204571",
    }
    assert result.stat("newscrawl/skipped/outside_window") >= 1
    assert result.stat("newscrawl/mirror/missing") == 0
