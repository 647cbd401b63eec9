"""ANTARA tech (antaratekno): the outlet's own forms, as a user of the records would notice them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MIRROR

from newscrawl.commands.extract import extract_file
from newscrawl.pipelines.validate import missing_reason
from newscrawl.spiders.antaratekno import AntaraTeknoSpider

ARTICLES = MIRROR / "antaratekno" / "articles"
NOTICE = (
    "Dilarang keras mengambil konten, melakukan crawling atau pengindeksan otomatis untuk AI di "
    "situs web ini tanpa izin tertulis dari Kantor Berita ANTARA."
)
PONSEL = "5402117"  # www, <p> body, "Pewarta: X Editor: Y Copyright", JSON-LD with articleBody
PADI = "5398840"  # www, <br> body, "Pewarta : X", in-body photo, no articleBody
DRONE = "jogja-745512"  # regional host, glued "SavitriEditor:", zone-less meta date, no notice
# A full-size page (156 KB) of the 2023 layout: "Top News" cards before the story, "Berita
# Terkait" (cards with "Pewarta: …"), "Rekomendasi lain", video/photo rows and the "Terpopuler"
# and regional sidebars after it, each with its own title and time.
ISYARAT = "5404480"
# A redesign the site file does not declare (div.detail-article__body, credit block of <p>s):
# JSON-LD without articleBody, so the body comes from the generic path.
UDARA = "5405213"


def gold(name: str) -> dict:
    return json.loads((ARTICLES / f"{name}.expected.json").read_text(encoding="utf-8"))


def extract(name: str, html: str | None = None, tmp_path: Path | None = None) -> dict:
    path = ARTICLES / f"{name}.html"
    if html is not None:
        assert tmp_path is not None
        path = tmp_path / f"{name}-variant.html"
        path.write_text(html, encoding="utf-8")
    return extract_file(AntaraTeknoSpider, path, gold(name)["url"])


def page(name: str) -> str:
    return (ARTICLES / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "authors", "editors"),
    [
        (PONSEL, ["Dimas Prasetyo Wibowo"], ["Lintang Sari Hapsari"]),
        (PADI, ["Rangga Aditya Pamungkas"], ["Theresia Wulan Anggraini"]),
        # "Pewarta: Ayu Kusuma SavitriEditor: Hendra …": the name glued to the next label.
        (DRONE, ["Ayu Kusuma Savitri"], ["Hendra Gunawan Saputra"]),
    ],
)
def test_footer_credit_gives_writer_and_editor_and_leaves_the_body(name, authors, editors):
    record = extract(name)
    assert record["authors"] == authors
    assert record["editors"] == editors
    for leftover in ("Pewarta", "Editor", "COPYRIGHT", "Copyright", "©", "ANTARA 2026"):
        assert leftover not in record["body"]


def test_anti_ai_notice_goes_to_rights_not_body():
    for name in (PONSEL, PADI):
        record = extract(name)
        assert record["rights"] == {"reserved": True, "notice": NOTICE, "signals": [
            {"source": "notice", "reserved": True, "detail": NOTICE}]}
        assert "Dilarang keras" not in record["body"]
    # The regional page prints no notice: nothing is invented.
    assert extract(DRONE)["rights"] is None


@pytest.mark.parametrize(
    ("name", "place", "first_words"),
    [
        (PONSEL, "Jakarta", "Ponsel dengan layar"),
        (PADI, "Bandung", "Perusahaan rintisan asal Bandung"),
        (DRONE, "Yogyakarta", "Sekelompok mahasiswa teknik"),
    ],
)
def test_wire_dateline_is_a_field_not_body(name, place, first_words):
    record = extract(name)
    assert record["dateline"] == place
    assert record["body"].startswith(first_words)
    assert "(ANTARA)" not in record["body"]
    assert record["editor_codes"] == []


def test_inserts_captions_ads_and_tags_stay_out_of_the_body():
    padi = extract(PADI)
    body = padi["body"]
    for leftover in (
        "Baca juga",
        "Petani muda manfaatkan",
        "adsbygoogle",
        "ANTARA FOTO",
        "Petani mencoba aplikasi",
        "HO-Tanisense",
    ):
        assert leftover not in body
    # <br><br> separated text still makes paragraphs.
    assert len(body.split("\n\n")) == 7
    assert body.endswith("mengurangi risiko gagal panen.")
    assert padi["tags"] == ["aplikasi", "kecerdasan buatan", "pertanian"]


def test_photo_credit_is_split_from_the_caption():
    ponsel = extract(PONSEL)["image"]
    assert ponsel["credit"] == "ANTARA FOTO/Bagas Wicaksono/rwa"
    assert ponsel["caption"].endswith("di Jakarta, Selasa (10/2/2026).")
    assert extract(PADI)["image"]["credit"] == "ANTARA/HO-Tanisense"
    assert extract(DRONE)["image"]["credit"] == "ANTARA/Ayu Kusuma Savitri"


def test_regional_host_ids_do_not_collide_with_www_ids():
    drone = extract(DRONE)
    assert drone["id"] == "antaratekno:jogja-745512"
    assert drone["url"].startswith("https://jogja.antaranews.com/berita/745512/")
    assert extract(PONSEL)["id"] == "antaratekno:5402117"


def test_zone_less_meta_time_is_wib_and_utc_meta_is_stored_in_wib(tmp_path):
    drone = extract(DRONE)
    assert (drone["published_at"], drone["date_source"]) == ("2026-02-06T09:15:00+07:00", "meta")
    # Same page without JSON-LD and with the meta time printed in UTC: same instant, +07:00.
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", page(PONSEL), flags=re.S)
    html = html.replace('content="2026-02-10T14:05:00+07:00"', 'content="2026-02-10T07:05:00Z"')
    record = extract(PONSEL, html, tmp_path)
    assert (record["published_at"], record["date_source"]) == ("2026-02-10T14:05:00+07:00", "meta")


def test_feed_and_amp_links_are_requested_in_canonical_form():
    spider = AntaraTeknoSpider()
    canonical = gold(PONSEL)["url"]
    for link in (
        canonical + "?utm_source=antaranews&utm_medium=rss&utm_campaign=rss_tekno",
        canonical.replace("://www.", "://m.").replace("/berita/", "/amp/berita/"),
        canonical.replace("://www.", "://"),
    ):
        assert spider.is_article_url(link)
        assert spider.article_request(link).url == canonical
    for other in (
        "https://www.antaranews.com/foto/5401990/pameran-gawai-di-jakarta",
        "https://www.antaranews.com/video/5401875/mencoba-ponsel-lipat-tiga",
        "https://www.antaranews.com/tag/ponsel-lipat",
        "https://www.antaranews.com/tekno",
    ):
        assert not spider.is_article_url(other)


def test_page_without_the_template_is_read_from_jsonld(tmp_path):
    # An older or changed template: none of the wrap__article-detail markers.
    html = page(PONSEL).replace("wrap__article-detail", "article-old")
    record = extract(PONSEL, html, tmp_path)
    expected = gold(PONSEL)
    assert record["parser"] == "antaratekno@jsonld-body"
    assert "generic_body" in record["quality_flags"]
    for name in (
        "id",
        "url",
        "title",
        "authors",
        "published_at",
        "dateline",
        "body",
        "rights",
        "tags",
        "category",
    ):
        assert record[name] == expected[name], name
    # The credit footer at the end of articleBody ("…WibowoEditor: …COPYRIGHT …") still names
    # the editor.
    assert record["editors"] == ["Lintang Sari Hapsari"]
    # The figure under the headline still prints its caption: read with its picture.
    assert record["image"] == expected["image"]


def test_page_without_template_or_jsonld_is_read_by_the_generic_path(tmp_path):
    html = page(PONSEL).replace("wrap__article-detail", "article-old")
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    record = extract(PONSEL, html, tmp_path)
    expected = gold(PONSEL)
    # The story is still on the page: the generic path finds it, and the site's rules still
    # take the dateline, the credit footer and the rights notice out of it.
    assert record["parser"] == "antaratekno@generic"
    assert "generic_body" in record["quality_flags"]
    assert missing_reason(record) is None
    assert record["body"] == expected["body"]
    assert record["dateline"] == expected["dateline"]
    assert record["rights"] == expected["rights"]
    # What the meta tags do say is still right.
    assert record["title"] == expected["title"]
    assert record["published_at"] == "2026-02-10T14:05:00+07:00"


def test_crawl_requests_each_article_once_and_stays_in_the_tech_section(crawl):
    result = crawl("antaratekno", "-s", "LOG_LEVEL=DEBUG")
    assert result.returncode == 0, result.log[-3000:]
    assert {r["id"] for r in result.records("antaratekno")} == {
        "antaratekno:5402117",
        "antaratekno:5398840",
        "antaratekno:jogja-745512",
        "antaratekno:5404480",
        "antaratekno:5405213",
    }
    crawled = re.findall(r"Crawled \(\d+\) <GET (\S+)>", result.log)
    # Linked from the listing, the RSS feed (with utm_* parameters) and the news sitemap.
    assert sum("/berita/5402117/" in url for url in crawled) == 1
    assert sum("/berita/5404480/" in url for url in crawled) == 1
    assert sum("/berita/5405213/" in url for url in crawled) == 1
    # Listing pagination: page 2 is linked from page 1, and page 2 links no page 3.
    assert "https://www.antaranews.com/tekno/terkini/2" in crawled
    assert not any("/tekno/terkini/3" in url for url in crawled)
    # Only the tekno news sitemap of the index is read; the "Terpopuler" sidebar (other
    # sections) and photo/video/tag links are not followed.
    assert "https://www.antaranews.com/sitemap/news-tekno.xml" in crawled
    assert not any("news-ekonomi" in url or "/berita/5402001/" in url for url in crawled)
    assert not any(re.search(r"antaranews\.com/(?:foto|video|tag)/", url) for url in crawled)
    assert result.stat("newscrawl/links/non_article") >= 3
    assert result.stat("newscrawl/mirror/missing") == 0


def test_noisy_page_fields_come_from_the_story_not_the_widgets():
    record = extract(ISYARAT)
    assert record["parser"] == "antaratekno@2023"
    assert record["title"] == (
        "Mahasiswa Surabaya ciptakan aplikasi penerjemah bahasa isyarat berbasis AI"
    )
    # The credit footer, not the "Pewarta: …" lines of the cards around the story.
    assert record["authors"] == ["Fadhil Ramadhani Putra"]
    assert record["editors"] == ["Indah Kusumawardani"]
    assert (record["published_at"], record["date_source"]) == ("2026-02-11T16:27:00+07:00", "jsonld")
    assert record["quality_flags"] == []
    # The lead photo, not the in-body figure or a card thumbnail.
    assert record["image"] == {
        "url": "https://cdn.antaranews.com/cache/800x533/2026/02/11/aplikasi-bahasa-isyarat-01.jpg",
        "caption": "Mahasiswa menunjukkan aplikasi penerjemah bahasa isyarat di kampusnya di "
        "Surabaya, Jawa Timur, Rabu (11/2/2026).",
        "credit": "ANTARA FOTO/Didik Suhartono/nym",
    }
    assert record["tags"] == ["bahasa isyarat", "kecerdasan buatan", "aplikasi", "disabilitas"]
    assert record["category"] == "Aplikasi"
    assert record["dateline"] == "Surabaya"
    assert record["rights"]["reserved"] and record["rights"]["notice"] == NOTICE
    body = record["body"]
    assert body.startswith("Tiga mahasiswa sebuah perguruan tinggi negeri di Surabaya")
    assert body.endswith("sedikitnya lima provinsi pada akhir tahun.")
    assert len(body.split("\n\n")) == 10
    for leftover in (
        "Baca juga",
        "(ANTARA)",
        "Pewarta",
        "Editor",
        "COPYRIGHT",
        "Dilarang keras",
        "adsbygoogle",
        "ANTARA FOTO",
        "Anggota komunitas tuli mencoba",
        # Titles of the inserts and of the widgets around the story.
        "Komunitas tuli dorong",
        "kacamata pintar",
        "pedoman etika",
        "Top News",
        "Terpopuler",
    ):
        assert leftover not in body, leftover


def test_redesign_is_stored_through_the_generic_path_with_the_same_clean_up():
    record = extract(UDARA)
    expected = gold(UDARA)
    assert record["parser"] == "antaratekno@generic"
    assert "generic_body" in record["quality_flags"]
    assert missing_reason(record) is None
    # The site's rules still run: wire dateline, credit block and notice are out of the body.
    for name in (
        "body", "dateline", "rights", "editors", "editor_codes", "title", "published_at",
        "category", "url",
    ):
        assert record[name] == expected[name], name
    for leftover in ("Baca juga", "Advertisement", "Pewarta", "Editor", "COPYRIGHT", "Dilarang"):
        assert leftover not in record["body"], leftover
    # No template caption selector: the picture the article prints, with its caption.
    assert record["image"] == expected["image"]


def test_redesign_authors_are_the_story_writer_only():
    assert extract(UDARA)["authors"] == ["Andi Nurul Fajriani"]


def test_redesign_tags_are_the_printed_tags():
    assert extract(UDARA)["tags"] == ["kualitas udara", "sensor", "makassar"]


def test_since_until_backfill_filters_by_publish_time(crawl):
    result = crawl("antaratekno", "-a", "since=2026-02-09", "-a", "until=2026-02-10")
    assert result.returncode == 0, result.log[-3000:]
    records = result.records("antaratekno")
    assert {r["id"] for r in records} == {"antaratekno:5402117", "antaratekno:5398840"}
    assert all(r["published_at"].startswith(("2026-02-09", "2026-02-10")) for r in records)
    assert result.stat("newscrawl/skipped/outside_window") >= 1
    assert result.stat("newscrawl/mirror/missing") == 0
