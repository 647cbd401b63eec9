"""The generic body path on page shapes no site file declares (newscrawl/extraction/generic.py),
and how a site's extraction falls back to it."""

from __future__ import annotations

import re

from scrapy.utils.test import get_crawler

from newscrawl.extraction import ExtractOptions, GenericSite, Layout, Page
from newscrawl.extraction.generic import extract_container, is_prose
from newscrawl.extraction.page import parse_html
from newscrawl.normalize.body import BodyRules, clean_body
from newscrawl.spiders.base import NewsSpider

URL = "https://berita.example.id/read/2025/06/03/ponsel-baru"

STORY = [
    "Produsen ponsel asal Tiongkok meluncurkan seri terbaru di Jakarta, Selasa (3/6/2025), "
    "dengan baterai 6.000 mAh dan pengisian daya 80 watt yang diklaim penuh dalam 35 menit.",
    "Seri ini dijual mulai Rp3,2 juta untuk varian 8/128 GB, sementara varian tertinggi "
    "dibanderol Rp4,1 juta dengan memori internal 256 GB dan kamera utama 108 megapiksel.",
    "Menurut perusahaan, penjualan daring dibuka pekan depan melalui sejumlah lokapasar, "
    "sedangkan toko fisik baru menerimanya pada akhir bulan karena distribusi bertahap.",
    "Analis menilai persaingan di kelas menengah makin ketat, sebab tiga merek lain juga "
    "menyiapkan ponsel dengan baterai besar dan harga yang nyaris sama pada kuartal ini.",
]


def page_html(body: str, head: str = "", before: str = "", after: str = "") -> str:
    related = "".join(
        f'<li class="item"><a href="/read/{n}">Judul berita terkait nomor {n} yang cukup '
        f"panjang untuk dibaca</a><span class=\"date\">Senin, 02 Jun 2025 0{n}:00 WIB</span></li>"
        for n in range(1, 8)
    )
    return (
        f"<html><head><title>Ponsel Baru - Example</title>{head}</head><body>"
        '<header class="site-header"><nav><a href="/">Beranda</a><a href="/tekno">Tekno</a>'
        '<a href="/bisnis">Bisnis</a></nav></header>'
        f'<div class="wrap">{before}<main class="main-column">{body}</main>'
        f'<aside class="sidebar"><h3>Terpopuler</h3><ul class="popular">{related}</ul></aside>'
        f"</div>{after}"
        '<footer class="site-footer"><p>Hak cipta dilindungi undang-undang. Dilarang mengutip '
        "sebagian atau seluruh isi tanpa izin tertulis dari redaksi, sesuai ketentuan.</p>"
        "</footer></body></html>"
    )


def generic_paragraphs(html: str) -> list[str]:
    container = extract_container(parse_html(html))
    assert container is not None
    return clean_body(container, BodyRules(), trim_lead=True).paragraphs


def test_paragraphs_in_p_elements_are_found_without_the_sidebar_and_footer():
    body = "<article><h1>Ponsel Baru</h1><div class='konten'>" + "".join(
        f"<p>{p}</p>" for p in STORY
    ) + "</div></article>"
    assert generic_paragraphs(page_html(body)) == STORY


def test_text_runs_between_br_tags_are_paragraphs():
    # Older Indonesian templates print the story as text in a div, paragraphs split by <br><br>.
    body = "<div class='detail_text'>" + "<br><br>".join(STORY) + "</div>"
    assert generic_paragraphs(page_html(body)) == STORY


def test_a_story_split_into_page_blocks_is_read_whole():
    pages = "".join(
        f"<div class='page-block' data-page='{n}'><h2>Bagian {n}</h2><p>{p}</p>"
        f"<p>{p.replace('Rp', 'sekitar Rp')}</p></div>"
        for n, p in enumerate(STORY, 1)
    )
    paragraphs = generic_paragraphs(page_html(f"<div class='story'>{pages}</div>"))
    for text in STORY:
        assert text in paragraphs
    assert "Bagian 4" in paragraphs


def test_inserts_and_link_lists_inside_the_story_are_pruned():
    inserts = (
        "<div class='share-bar'><a href='#'>Facebook</a><a href='#'>Twitter</a></div>"
        "<ul class='link-list'>" + "".join(
            f"<li><a href='/read/{n}'>Artikel lain nomor {n} tentang ponsel</a></li>"
            for n in range(5)
        ) + "</ul>"
    )
    body = "<div class='isi'>" + f"<p>{STORY[0]}</p><p>{STORY[1]}</p>{inserts}" + "".join(
        f"<p>{p}</p>" for p in STORY[2:]
    ) + "</div>"
    assert generic_paragraphs(page_html(body)) == STORY


def test_a_long_comment_thread_does_not_win_over_the_story():
    comments = "<section class='comments'>" + "".join(
        f"<div class='comment'><p>Komentar pembaca {n}: saya setuju, harga ponsel ini masuk "
        "akal, tetapi saya masih menunggu ulasan kamera dan daya tahan baterainya, apalagi "
        "untuk dipakai seharian penuh di luar rumah.</p></div>"
        for n in range(12)
    ) + "</section>"
    body = "<div class='isi'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div>"
    assert generic_paragraphs(page_html(body, after=comments)) == STORY


def test_headline_channel_label_and_date_above_the_dateline_are_not_body():
    body = (
        "<div class='post'><div class='label'>Gadget</div><h2>Ponsel Baru Meluncur</h2>"
        "<div class='meta'>Selasa, 03 Jun 2025 14:35 WIB</div>"
        f"<p>Jakarta - {STORY[0]}</p>" + "".join(f"<p>{p}</p>" for p in STORY[1:]) + "</div>"
    )
    parts = clean_body(extract_container(parse_html(page_html(body))), BodyRules(),
                       trim_lead=True)
    assert parts.dateline == "Jakarta"
    assert parts.paragraphs == STORY


def test_a_standfirst_above_the_dateline_is_not_body():
    body = (
        "<div class='post'><p>Ponsel kelas menengah dengan baterai 6.000 mAh resmi dijual "
        "di Indonesia mulai pekan depan.</p>"
        f"<p>Jakarta - {STORY[0]}</p>" + "".join(f"<p>{p}</p>" for p in STORY[1:]) + "</div>"
    )
    parts = clean_body(extract_container(parse_html(page_html(body))), BodyRules(),
                       trim_lead=True)
    assert parts.paragraphs == STORY


def test_a_page_without_story_text_has_no_generic_body():
    body = "<div class='byline'>Nama Penulis, Example</div><div class='date'>Selasa 14:35</div>"
    html = page_html(body)
    container = extract_container(parse_html(html))
    paragraphs = clean_body(container, BodyRules()).paragraphs if container is not None else []
    assert not is_prose(paragraphs)
    record = GenericSite().extract_article(Page(html, URL))
    assert record.get("body") is None
    assert record["parser"] == "generic@none"


def test_is_prose_needs_one_sentence_of_story_length():
    assert not is_prose(["Nama Penulis, Example", "Selasa, 03 Jun 2025 14:35 WIB"])
    assert not is_prose(["Ponsel baru meluncur."])
    assert is_prose([STORY[0]])


class ExampleSpider(NewsSpider):
    name = "example"
    outlet = "Example"
    article_url = re.compile(r"/read/(?P<id>\d{4}/\d{2}/\d{2})/")
    layouts = (
        Layout(
            version="2024",
            detect="div.artikel-isi",
            body="div.artikel-isi",
            rules=BodyRules(drop=("div.sisipan",), boilerplate=(r"Tonton juga:.*",)),
        ),
    )


REDESIGNED = page_html(
    "<div class='story-body'>"
    f"<p>Jakarta - {STORY[0]}</p><div class='sisipan'>Baca juga: Ponsel lipat murah</div>"
    + "".join(f"<p>{p}</p>" for p in STORY[1:3])
    + "<p>Tonton juga: Video ulasan ponsel</p>"
    + f"<p>{STORY[3]} (abc/xyz)</p></div>",
    head='<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
    '"Ponsel Baru Meluncur", "datePublished": "2025-06-03T14:35:00+07:00", '
    '"author": {"@type": "Person", "name": "Rina Wulandari"}}</script>',
)


def test_the_site_rules_clean_a_generic_body():
    record = ExampleSpider().extract_article(Page(REDESIGNED, URL))
    assert record["parser"] == "example@generic"
    assert record["quality_flags"] == ["generic_body"]
    assert record["body"] == "\n\n".join(STORY)
    assert record["dateline"] == "Jakarta"
    assert record["editor_codes"] == ["abc", "xyz"]
    assert record["authors"] == ["Rina Wulandari"]
    assert record["published_at"] == "2025-06-03T14:35:00+07:00"


def test_the_generic_path_can_be_switched_off():
    record = ExampleSpider().extract_article(Page(REDESIGNED, URL), ExtractOptions(
        generic_body=False))
    assert record.get("body") is None
    assert record["parser"] == "example@none"


def test_the_setting_switches_the_generic_path_off_for_a_crawl():
    spider = ExampleSpider.from_crawler(get_crawler(ExampleSpider, {"NEWSCRAWL_GENERIC_BODY": "0"}))
    assert spider.extract_options.generic_body is False
    spider = ExampleSpider.from_crawler(get_crawler(ExampleSpider, {}))
    assert spider.extract_options.generic_body is True


# ------------------------------------------------------------------ shapes real pages showed
def generic_record(html: str) -> dict:
    return dict(GenericSite().extract_article(Page(html, URL)))


def test_a_wrapper_named_like_a_menu_does_not_hide_the_story():
    # The whole main column of an old template sits in <div class="abmenu">: the first pass
    # leaves "menu" subtrees out, finds too little, and a second pass scores everything.
    body = "<div class='abmenu'><div class='dtlnews'>" + "<br><br>".join(STORY) + "</div></div>"
    assert generic_paragraphs(page_html(body)) == STORY


def test_a_list_of_links_inside_the_story_is_not_story():
    links = "".join(
        f"<a href='/read/{n}'> Judul berita lain nomor {n} tentang selebriti</a><br>"
        for n in range(5)
    )
    body = ("<div class='isi'>" + "<p><p>".join(STORY) + f"<p><p><h2>Jangan Lewatkan!</h2>{links}"
            "<p><p><b>(abc/xyz)</b></div>")
    parts = clean_body(extract_container(parse_html(page_html(body))), BodyRules(),
                       trim_lead=True)
    assert parts.paragraphs == STORY
    assert parts.editor_codes == ["abc", "xyz"]


def test_captions_and_embedded_posts_between_paragraphs_are_not_story():
    body = (
        "<span itemprop='articleBody'>" + "".join(f"<div>{p}</div><div><br></div>" for p in STORY[:2])
        + "<div style='text-align:center'><img src='/a.jpg'></div>"
        "<div style='text-align:center'><em>Penyanyi tampil di panggung. Foto: Grammy</em></div>"
        + "".join(f"<div>{p}</div>" for p in STORY[2:])
        + "<blockquote class='twitter-tweet'><p>A standing ovation tonight! #music</p>"
        "&mdash; Akun (@akun) <a href='https://twitter.com/x'>February 16, 2016</a></blockquote>"
        "</span>"
    )
    assert generic_paragraphs(page_html(body)) == STORY


def test_credits_printed_in_table_rows_and_as_oleh():
    table = ("<table class='credit'><tr><td>Penulis</td><td>: Kontributor Lhokseumawe, Masriadi"
             "</td></tr><tr><td>Editor</td><td>: Caroline Damanik</td></tr></table>")
    html = page_html(
        "<article><h1>Ponsel Baru Meluncur Pekan Ini</h1><div class='konten'>"
        + "".join(f"<p>{p}</p>" for p in STORY) + f"</div>{table}</article>",
        head="<meta name='author' content='PT. Media Contoh - contoh.id'>",
    )
    record = generic_record(html)
    assert (record["authors"], record["editors"]) == (["Masriadi"], ["Caroline Damanik"])
    html = page_html(
        "<article><h1>Ponsel Baru Meluncur Pekan Ini</h1><div itemprop='author' class='author'>"
        "Oleh : <b>Maya Sofia</b></div><div class='konten'>"
        + "".join(f"<p>{p}</p>" for p in STORY) + "</div></article>",
        head="<meta name='author' content='PT. Media Contoh - contoh.id'>",
    )
    assert generic_record(html)["authors"] == ["Maya Sofia"]


def test_a_decorated_meta_title_gives_way_to_the_printed_headline():
    html = page_html(
        "<article><h1>Bikin Gaduh Kota, Rumah Penyanyi Digerebek Polisi</h1><div class='isi'>"
        + "".join(f"<p>{p}</p>" for p in STORY) + "</div></article>",
        head="<meta property='og:title' content='Contoh.com: Musik - Bikin Gaduh Kota, Rumah "
        "Penyanyi Digerebek Polisi'>",
    )
    assert generic_record(html)["title"] == "Bikin Gaduh Kota, Rumah Penyanyi Digerebek Polisi"


def test_a_date_printed_under_the_headline_in_an_unnamed_element():
    html = page_html(
        "<article><h1>Ponsel Baru Meluncur Pekan Ini</h1>"
        "<span class='v7-newsdetail-schedule'>Selasa, 23 Februari 2016 11:22</span>"
        "<div class='isi'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div></article>"
    )
    record = generic_record(html)
    assert (record["published_at"], record["date_source"]) == ("2016-02-23T11:22:00+07:00", "text")


def test_run_together_article_body_keeps_each_quote_with_its_paragraph():
    from newscrawl.extraction.parser import split_glued_paragraphs

    glued = ('Uji coba dimulai Selasa (10/2/2026).Selama masa itu pengguna diminta mendaftar. '
             'Kamera dipakai untuk merekam video."Dulu orang ragu," kata Rina.'
             'Semua data dienkripsi, kata dia."Kami tidak menyimpan foto."Undang-undang mengatur.')
    assert split_glued_paragraphs(glued).split("\n") == [
        "Uji coba dimulai Selasa (10/2/2026).",
        "Selama masa itu pengguna diminta mendaftar. Kamera dipakai untuk merekam video.",
        '"Dulu orang ragu," kata Rina.',
        'Semua data dienkripsi, kata dia.',
        '"Kami tidak menyimpan foto."',
        "Undang-undang mengatur.",
    ]
