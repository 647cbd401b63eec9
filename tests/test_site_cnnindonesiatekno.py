"""CNN Indonesia Teknologi: the quirks a user of the records would notice.

Variants of the mirror pages (older or unknown layouts, missing dates) are built here from the
fixtures by removing markers, so each case starts from a page whose right answer is known.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR
from scrapy.http import HtmlResponse

from newscrawl.commands.extract import extract_file
from newscrawl.extraction import Page
from newscrawl.normalize.images import split_caption_credit
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.cnnindonesiatekno import CnnIndonesiaTeknoSpider

SITE = MIRROR / "cnnindonesiatekno"
BASE = "https://www.cnnindonesia.com/teknologi/"
SURVEY = BASE + (
    "20240326213010-185-1079512/survei-pengguna-internet-di-desa-naik-kecepatan-masih-jadi-keluhan"
)
SENSOR = (
    BASE
    + "20240405093015-199-1083307/bmkg-uji-sensor-murah-berbasis-iot-untuk-peringatan-dini-gempa"
)
DRONE = BASE + (
    "20231114154501-185-1024876/startup-agritech-lokal-kembangkan-drone-penyemprot-untuk-petani-kecil"
)
# A full-size page (162 KB) of the 2024 layout: a "Topik Pilihan" row and a "Terkini" strip
# (titles in "text-cnn_black", the title's class) before the story; "Artikel Terkait",
# "Rekomendasi Untukmu" (with bylines), "Lainnya di Detiknetwork", "Terpopuler" and "Video
# Pilihan" after it; inside the body an ad with its labels, a "Baca Juga" table, a photo with
# its para_caption, an ad slot, "Lihat Juga :" with a video, "Saksikan Video di Bawah Ini:".
WARNING = BASE + (
    "20240416154210-185-1087715/uji-coba-peringatan-dini-bencana-lewat-pesan-siaran-seluler-dimulai"
)
# The same CMS body in a template the site file does not declare ("article-page__…" classes,
# <time>, byline in a <p>, "crumbs" breadcrumb): JSON-LD without articleBody, so the generic
# path reads the body.
SATELLITE = BASE + (
    "20240424083012-199-1091234/peneliti-kembangkan-satelit-nano-untuk-pantau-titik-api-kebakaran-hutan"
)
PAGES = {
    SURVEY: "1079512.html",
    SENSOR: "1083307.html",
    DRONE: "1024876.html",
    WARNING: "1087715.html",
    SATELLITE: "1091234.html",
}
JSONLD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.S)


def record(url: str, html: str | None = None, tmp_path: Path | None = None) -> dict:
    path = SITE / "articles" / PAGES[url]
    if html is not None:
        assert tmp_path is not None
        path = tmp_path / "page.html"
        path.write_text(html, encoding="utf-8")
    return extract_file(CnnIndonesiaTeknoSpider, path, url)


def variant(url: str, *edits: tuple[str | re.Pattern[str], str]) -> str:
    """The page with each edit applied; every edit must change it (a typo cannot pass)."""
    html = (SITE / "articles" / PAGES[url]).read_text(encoding="utf-8")
    for old, new in edits:
        changed = old.sub(new, html) if isinstance(old, re.Pattern) else html.replace(old, new)
        assert changed != html, old
        html = changed
    return html


def test_byline_keeps_writer_names_and_drops_the_outlet():
    assert record(SURVEY)["authors"] == ["Aditya Pratama Nugraha"]
    assert record(DRONE)["authors"] == ["Nadia Putri Lestari", "Bimo Saputra"]
    # "CNN Indonesia" alone is the outlet, not a writer.
    assert record(SENSOR)["authors"] == []
    for url in PAGES:
        rec = record(url)
        assert rec["outlet"] == "CNN Indonesia"
        assert rec["editors"] == []  # CNN prints no editor name, only the closing code
    assert record(SURVEY)["editor_codes"] == ["adp", "dmi"]
    # The code printed on the same line as the last paragraph.
    assert record(SENSOR)["editor_codes"] == ["can", "arh"]


@pytest.mark.parametrize("url", list(PAGES))
def test_body_has_only_the_story(url):
    rec = record(url)
    body = rec["body"]
    assert rec["dateline"] in {"Jakarta", "Yogyakarta", "Bandung"}
    assert not body.startswith(rec["dateline"])
    for leftover in (
        "CNN Indonesia",
        "--",
        "ADVERTISEMENT",
        "SCROLL TO",
        "Gambas",
        "Bagikan",
        "tercopy",
        "preferred source",
        "Baca Juga",
        "Baca juga",
        "Foto:",
        "Grafik",
        "Tim Grafis",
        "(adp/dmi)",
        "(can/arh)",
        "(npl/bms)",
        "(glp/dmi)",
        "(ydp/arh)",
        "Lihat Juga",
        "Saksikan",
        "Contoh tampilan pesan",
    ):
        assert leftover not in body, leftover
    assert body.endswith(".")


def test_body_starts_and_ends_where_the_story_does():
    survey = record(SURVEY)["body"]
    assert survey.startswith("Jumlah pengguna internet di wilayah perdesaan")
    assert survey.endswith("tautan gelombang mikro yang kapasitasnya terbatas.")
    sensor = record(SENSOR)["body"]
    assert sensor.startswith("Badan Meteorologi, Klimatologi, dan Geofisika (BMKG) menguji")
    assert sensor.endswith("memproduksi sensor di dalam negeri pada tahun depan.")
    # "[Gambas:Video CNN]" inside a paragraph is cut out, the sentences around it stay.
    assert "aktivitas warga. Uji coba pertama" in sensor
    assert record(SENSOR)["dateline"] == "Yogyakarta"


def test_url_stamp_is_not_the_publish_time():
    rec = record(SURVEY)
    # URL says 2024-03-26 21:30:10; the page says Rabu, 27 Mar 2024 09:55 WIB.
    assert rec["published_at"] == "2024-03-27T09:55:00+07:00"
    assert rec["date_source"] == "jsonld"


def test_page_without_any_printed_date_is_dropped_not_dated_from_the_url(tmp_path):
    html = variant(
        SURVEY,
        (JSONLD, ""),
        (re.compile(r'<meta (?:name|property)="[^"]*(?:publishdate|published_time)"[^>]*>'), ""),
        ("Rabu, 27 Mar 2024 09:55 WIB", ""),
    )
    rec = record(SURVEY, html, tmp_path)
    assert rec["published_at"] is None and rec["date_source"] is None
    assert missing_reason(rec) == "missing_published_at"


def test_page_without_jsonld_reads_meta_publishdate():
    rec = record(SENSOR)
    assert rec["published_at"] == "2024-04-05T10:10:00+07:00"
    assert rec["date_source"] == "meta"
    assert rec["quality_flags"] == []


def test_utc_meta_time_is_stored_in_wib(tmp_path):
    html = variant(SENSOR, ('<meta name="publishdate" content="2024/04/05 10:10:00">', ""))
    rec = record(SENSOR, html, tmp_path)
    # article:published_time says 2024-04-05T03:10:00Z.
    assert rec["published_at"] == "2024-04-05T10:10:00+07:00"
    assert rec["date_source"] == "meta"


def test_visible_date_string_is_read_when_nothing_else_is_there(tmp_path):
    html = variant(
        SURVEY,
        (JSONLD, ""),
        (re.compile(r'<meta (?:name|property)="[^"]*(?:publishdate|published_time)"[^>]*>'), ""),
    )
    rec = record(SURVEY, html, tmp_path)
    assert rec["published_at"] == "2024-03-27T09:55:00+07:00"
    assert rec["date_source"] == "text"


def test_caption_credit_in_parentheses():
    assert record(SURVEY)["image"] == {
        "url": "https://akcdn.detik.net.id/visual/2024/03/27/warga-desa-mengakses-internet_169.jpeg"
        "?w=720&q=90",
        "caption": "Warga mengakses internet gratis di balai desa.",
        "credit": "CNN Indonesia/Bagus Wirawan",
    }
    assert record(DRONE)["image"]["credit"] == "ANTARA FOTO/Rahmat Hidayat"
    assert record(SENSOR)["image"]["credit"] == "iStockphoto/Nurhadi Santoso"
    assert split_caption_credit("Ilustrasi. (Foto: Reuters)") == ("Ilustrasi.", "Reuters")
    # A parenthesis that is not a credit stays in the caption.
    assert split_caption_credit("Menteri (kiri) meninjau menara.") == (
        "Menteri (kiri) meninjau menara.",
        None,
    )


def test_category_is_the_subchannel_and_tags_come_from_the_tag_box():
    rec = record(SURVEY)
    assert rec["category"] == "Teknologi Informasi"
    # The tag box, not the longer meta keywords list.
    assert rec["tags"] == ["internet desa", "survei internet", "kecepatan internet"]
    assert record(SENSOR)["category"] == "Sains"


def test_unknown_layout_falls_back_field_by_field(tmp_path):
    """A redesign that drops every class the 2024 layout is told apart by."""
    html = variant(
        SURVEY,
        ("detail-text", "story-body"),
        ("text-cnn_black", "headline"),
        ("text-cnn_grey text-sm", "meta-date"),
        ('class="breadcrumb', 'class="crumbs'),
    )
    rec = record(SURVEY, html, tmp_path)
    expected = record(SURVEY)
    assert rec["title"] == "Survei: Pengguna Internet di Desa Naik, Kecepatan Masih Jadi Keluhan"
    assert rec["authors"] == ["Aditya Pratama Nugraha"]
    assert rec["published_at"] == "2024-03-27T09:55:00+07:00"
    # No body selector applies and the JSON-LD has no articleBody: the generic path reads
    # the story, and the site's rules still lift the dateline, inserts and editor code.
    assert rec["parser"] == "cnnindonesiatekno@generic"
    assert "generic_body" in rec["quality_flags"]
    for name in ("body", "dateline", "editor_codes"):
        assert rec[name] == expected[name], name
    # The breadcrumb's class changed too: no category is guessed from other links.
    assert rec["category"] is None


def with_article_body(text: str) -> str:
    """The survey page in an unknown layout, with `text` as JSON-LD articleBody."""
    return variant(
        SURVEY,
        ("detail-text", "story-body"),
        ('"datePublished"', f'"articleBody": {json.dumps(text)},\n  "datePublished"'),
    )


def test_unknown_layout_with_article_body_in_jsonld(tmp_path):
    expected = record(SURVEY)
    story = "\n".join(expected["body"].split("\n\n"))
    text = f"Jakarta, CNN Indonesia -- {story} ({'/'.join(expected['editor_codes'])})"
    rec = record(SURVEY, with_article_body(text), tmp_path)
    assert rec["parser"] == "cnnindonesiatekno@jsonld-body"
    assert "generic_body" in rec["quality_flags"]
    for name in ("body", "dateline", "editor_codes"):
        assert rec[name] == expected[name], name


def test_a_teaser_article_body_loses_to_the_text_on_the_page(tmp_path):
    expected = record(SURVEY)
    teaser = "Jakarta, CNN Indonesia -- " + expected["body"].split("\n\n")[0]
    rec = record(SURVEY, with_article_body(teaser), tmp_path)
    assert rec["parser"] == "cnnindonesiatekno@generic"
    assert rec["body"] == expected["body"]


def test_older_template_is_read_by_its_own_layout():
    page = Path(__file__).parent / "fixtures" / "cnnindonesiatekno"
    url = BASE + "20200625184407-185-517420/pemerintah-siapkan-aturan-baru-registrasi-ponsel-impor"
    rec = extract_file(CnnIndonesiaTeknoSpider, page / "20200625184407-185-517420.html", url)
    assert rec["parser"] == "cnnindonesiatekno@2019"
    # "<br><br>" separated text becomes paragraphs; the "Baca juga" table and ad are gone.
    assert len(rec["body"].split("\n\n")) == 5
    assert rec["editor_codes"] == ["eks", "dal"]
    assert rec["published_at"] == "2020-06-25T19:10:00+07:00"


@pytest.mark.parametrize(
    ("url", "is_article"),
    [
        (SURVEY, True),
        (SURVEY + "?utm_source=indeks", True),
        (
            "https://www.cnnindonesia.com/tv/20240403150000-407-1082100/video-uji-coba-taksi-terbang",
            False,
        ),
        (
            "https://www.cnnindonesia.com/teknologi/foto/20240325190000-199-1078900/foto-gerhana",
            False,
        ),
        ("https://www.cnnindonesia.com/tag/internet", False),
        # Other channels are read by the parser but not followed from the all-channel index.
        (
            "https://www.cnnindonesia.com/ekonomi/20240327100500-92-1079550/ihsg-dibuka-menguat",
            False,
        ),
    ],
)
def test_which_links_are_followed(url, is_article):
    assert CnnIndonesiaTeknoSpider().is_article_url(url) is is_article


def _requested(log: str) -> list[str]:
    return re.findall(r"Crawled \(\d+\) <GET (\S+)>", log)


def test_crawl_requests_each_article_once_without_tracking_parameters(crawl):
    result = crawl("cnnindonesiatekno", "-s", "LOG_LEVEL=DEBUG")
    assert result.returncode == 0, result.log[-3000:]
    requested = _requested(result.log)
    # SURVEY is linked from the listing (with utm_*), the RSS feed and the news sitemap; so are
    # WARNING (listing and sitemap) and SATELLITE (listing and feed).
    for url in PAGES:
        assert requested.count(url) == 1, url
    assert not [u for u in requested if "utm_" in u]
    assert not [u for u in requested if "/tv/" in u or "/foto/" in u or "/tag/" in u]
    assert result.stat("newscrawl/links/non_article") >= 2
    assert result.stat("newscrawl/mirror/missing") == 0
    assert {r["url"] for r in result.records("cnnindonesiatekno")} == set(PAGES)


def test_backfill_walks_the_all_channel_day_index(crawl):
    result = crawl(
        "cnnindonesiatekno",
        "-a",
        "since=2024-03-26",
        "-a",
        "until=2024-03-27",
        "-s",
        "LOG_LEVEL=DEBUG",
    )
    assert result.returncode == 0, result.log[-3000:]
    requested = _requested(result.log)
    day = "https://www.cnnindonesia.com/indeks/2?date=2024%2F03%2F27&page="
    # Page 1 of the day holds no Teknologi story; the pager is still followed to page 2.
    assert day + "1" in requested and day + "2" in requested
    assert "https://www.cnnindonesia.com/indeks/2?date=2024%2F03%2F26&page=1" in requested
    assert not [u for u in requested if "/teknologi/indeks/" in u]  # no section listing
    assert not [u for u in requested if re.search(r"\.com/(?:nasional|ekonomi|olahraga|tv)/", u)]
    assert [r["url"] for r in result.records("cnnindonesiatekno")] == [SURVEY]
    assert result.stat("newscrawl/mirror/missing") == 0


def expected(url: str) -> dict:
    path = SITE / "articles" / PAGES[url].replace(".html", ".expected.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_noisy_page_is_full_size():
    html = (SITE / "articles" / PAGES[WARNING]).read_text(encoding="utf-8")
    assert 140_000 <= len(html.encode("utf-8")) <= 330_000
    assert html.count("<article") >= 20
    assert html.count('type="application/ld+json"') == 3


def test_noisy_page_fields_come_from_the_story_not_the_widgets():
    rec = record(WARNING)
    gold = expected(WARNING)
    assert rec["parser"] == "cnnindonesiatekno@2024"
    # Not a "Terkini" <h2> before it, though those carry the title's "text-cnn_black" class.
    assert rec["title"] == "Uji Coba Peringatan Dini Bencana Lewat Pesan Siaran Seluler Dimulai"
    # "Rekomendasi Untukmu" prints "Name | CNN Indonesia" bylines of other writers.
    assert (rec["authors"], rec["editors"]) == (["Galih Prasetyo"], [])
    assert (rec["editor_codes"], rec["dateline"]) == (["glp", "dmi"], "Jakarta")
    # JSON-LD; article:published_time says 09:30Z, the cards print other times.
    assert (rec["published_at"], rec["date_source"]) == ("2024-04-16T16:30:00+07:00", "jsonld")
    assert rec["quality_flags"] == []
    # The lead photo, not the photo in the body or a card thumbnail.
    assert rec["image"] == {
        "url": "https://akcdn.detik.net.id/visual/2024/04/16/"
        "ponsel-menerima-pesan-peringatan-dini_169.jpeg?w=720&q=90",
        "caption": "Ponsel menerima pesan uji coba peringatan dini bencana.",
        "credit": "CNN Indonesia/Adi Maulana",
    }
    # The tag box, not the longer keywords list nor the "Topik Pilihan" row.
    assert rec["tags"] == ["cell broadcast", "peringatan dini", "bencana"]
    assert rec["category"] == "Teknologi Informasi"
    body = rec["body"]
    assert body.startswith("Pemerintah bersama operator seluler mulai menguji sistem")
    assert body.endswith("daftar nomor yang harus diperbarui secara berkala.")
    assert len(body.split("\n\n")) == 11
    for leftover in (
        "ADVERTISEMENT",
        "SCROLL TO",
        "Baca Juga",
        "Cara Mengaktifkan Peringatan Darurat",
        "Lihat Juga",
        "Saksikan Video",
        "Gambas",
        "Contoh tampilan pesan",
        "Adi Maulana",
        "Bagikan",
        "tercopy",
        "preferred source",
        "(glp/dmi)",
        "Terpopuler",
        "Detiknetwork",
    ):
        assert leftover not in body, leftover
    assert rec == {**gold, "crawled_at": rec["crawled_at"], "archive": None}


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_up():
    html = (SITE / "articles" / PAGES[SATELLITE]).read_text(encoding="utf-8")
    assert CnnIndonesiaTeknoSpider().detect_layout(Page(html, SATELLITE)) is None
    rec = record(SATELLITE)
    gold = expected(SATELLITE)
    assert rec["parser"] == "cnnindonesiatekno@generic"
    assert "generic_body" in rec["quality_flags"]
    # "Bandung, CNN Indonesia --" and "(ydp/arh)" are still split off by the site's rules.
    assert (rec["dateline"], rec["editor_codes"]) == ("Bandung", ["ydp", "arh"])
    for name in ("body", "title", "authors", "published_at", "modified_at"):
        assert rec[name] == gold[name], name
    # The subchannel, last in JSON-LD's BreadcrumbList.
    assert rec["category"] == "Sains"
    # The printed tag list, not the longer meta keywords.
    assert rec["tags"] == ["satelit nano", "kebakaran hutan", "antariksa"]
    # The caption printed under the cover photo, split as on the declared layout.
    assert (rec["image"]["caption"], rec["image"]["credit"]) == (
        "Model satelit nano di laboratorium kampus di Bandung.",
        "CNN Indonesia/Rizki Ramadhan",
    )
    body = rec["body"]
    assert body.startswith("Tim peneliti dari sebuah perguruan tinggi di Bandung")
    assert body.endswith("kondisi peluncuran dan lingkungan antariksa.")
    for leftover in (
        "ADVERTISEMENT",
        "SCROLL TO",
        "Baca Juga",
        "Musim Kemarau Datang",
        "Gambas",
        "Uji kamera inframerah",
        "Rizki Ramadhan",
        "Bagikan",
        "tercopy",
        "(ydp/arh)",
        "Artikel Terkait",
        "Terpopuler",
    ):
        assert leftover not in body, leftover


def test_redesign_lead_image_is_the_cover_photo():
    assert record(SATELLITE)["image"]["url"] == expected(SATELLITE)["image"]["url"]


def test_listing_links_the_full_size_pages():
    spider = CnnIndonesiaTeknoSpider()
    page1 = HtmlResponse(
        url="https://www.cnnindonesia.com/teknologi/indeks/8?page=1",
        body=(SITE / "listing" / "indeks-8-page-1.html").read_bytes(),
        request=spider._listing_request(spider.listings[0], 1),
    )
    urls = [r.url for r in spider.parse_listing(page1)]
    assert [u for u in urls if u in PAGES] == [SATELLITE, WARNING, SENSOR, SURVEY]
