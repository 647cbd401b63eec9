"""Credit shapes as site declarations: each declaration on a small page shaped like the
outlet's real markup, and the names a user of the records sees in `authors` / `editors`.

The declarations live on `SiteParser` (newscrawl/extraction/parser.py) and are read once, in
`extract_people`; no site file overrides it.
"""

from __future__ import annotations

import json
import re

import pytest

from newscrawl.extraction import Layout, RunOnByline, SiteParser, extract_record
from newscrawl.normalize.bylines import (
    ALL_AUTHORS,
    LAST_IS_EDITOR,
    contributor_names,
    footer_credits,
    paragraph_credits,
    run_on_byline_names,
    split_unlabelled_credit,
)
from newscrawl.spiders.antaratekno import AntaraTeknoSpider
from newscrawl.spiders.base import NewsSpider
from newscrawl.spiders.kompastekno import KompasTeknoSpider
from newscrawl.spiders.liputan6tekno import Liputan6TeknoSpider
from newscrawl.spiders.sindonewstekno import SindonewsTeknoSpider
from newscrawl.spiders.tempotekno import TempoTeknoSpider

STORY = (
    "Sebuah perusahaan rintisan di Jakarta merilis aplikasi yang membantu petani memantau "
    "kelembapan tanah lewat ponsel, dengan sensor murah yang dipasang di tepi sawah."
)


def page(body: str, head: str = "", ld: dict | None = None) -> str:
    script = (
        f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld is not None else ""
    )
    return f"<html><head>{head}{script}</head><body>{body}</body></html>"


def people(site: type[SiteParser], html: str, url: str) -> tuple[list[str], list[str]]:
    record = extract_record(html, url, site)
    return record["authors"], record["editors"]


# ---------------------------------------------------------------- ANTARA: credit_footer

ANTARA_URL = "https://www.antaranews.com/berita/5404480/aplikasi-petani"


def antara_ld(article_body: str) -> dict:
    return {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": "Aplikasi petani",
        "datePublished": "2026-01-20T10:00:00+07:00", "articleBody": article_body,
    }


def test_credit_footer_in_articlebody_names_writer_and_editor_without_the_template():
    # A redesign the layout does not know: the credit line is only in articleBody's footer.
    html = page(
        f"<article><h1>Aplikasi petani</h1><p>{STORY}</p></article>",
        ld=antara_ld(
            f"Jakarta (ANTARA) - {STORY}\nPewarta: Fadhil Ramadhani Putra"
            "Editor: Indah Kusumawardani\nCOPYRIGHT © ANTARA 2026"
        ),
    )
    assert people(AntaraTeknoSpider, html, ANTARA_URL) == (
        ["Fadhil Ramadhani Putra"], ["Indah Kusumawardani"]
    )


def test_template_credit_line_wins_over_the_footer():
    html = page(
        '<div class="wrap__article-detail-content post-content">'
        f"<p>{STORY}</p>"
        '<p class="text-muted mt-2 small">Pewarta: Rizky Aditya<br>Editor: Sari Dewi<br>'
        "COPYRIGHT © ANTARA 2026</p></div>",
        ld=antara_ld(f"{STORY}\nPewarta: Orang Lain\nEditor: Editor Lain"),
    )
    assert people(AntaraTeknoSpider, html, ANTARA_URL) == (["Rizky Aditya"], ["Sari Dewi"])


def test_footer_credits_reads_labels_and_stops_at_the_copyright():
    footer = AntaraTeknoSpider.credit_footer
    assert footer is not None
    assert footer_credits("Teks.\nPenulis : A Budi\nEditor: C Dewi\nCopyright © ANTARA", footer) == {
        "authors": ["A Budi"], "editors": ["C Dewi"],
    }
    assert footer_credits("Teks tanpa kredit.", footer) == {}
    assert footer_credits(None, footer) == {}


# ---------------------------------------------------------------- Kompas: unlabelled credit

KOMPAS_URL = "https://tekno.kompas.com/read/2025/06/19/05101141/internet-satelit"


def kompas_page(credit_names: list[str], head: str = "", ld_author: str | None = None) -> str:
    credit = "".join(
        f'<div class="credit-title-nameEditor">{name},</div>' for name in credit_names
    )
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Internet satelit"}
    if ld_author:
        ld["author"] = {"@type": "Person", "name": ld_author}
    return page(
        '<h1 class="read__title">Internet satelit</h1>'
        '<div class="read__time">Kompas.com - 19/06/2025, 05:10 WIB</div>'
        f'<div class="credit-title"><div class="credit-title-name">{credit}</div>'
        "<p>Tim Redaksi</p></div>"
        f'<div class="read__content"><p>{STORY}</p></div>',
        head=head,
        ld=ld,
    )


def test_credit_block_without_roles_last_name_is_the_editor():
    html = kompas_page(["Galih Pratama Putra", "Reska Anindita"])
    assert people(KompasTeknoSpider, html, KOMPAS_URL) == (
        ["Galih Pratama Putra"], ["Reska Anindita"]
    )


def test_credit_block_with_one_name_is_the_writer_and_jsonld_author_the_editor():
    html = kompas_page(["Galih Pratama Putra"], ld_author="Reska Anindita")
    assert people(KompasTeknoSpider, html, KOMPAS_URL) == (
        ["Galih Pratama Putra"], ["Reska Anindita"]
    )


def test_cms_meta_wins_over_the_credit_block():
    head = (
        '<meta name="content_author" content="Rizky Aditama">'
        '<meta name="content_editor" content="Laras Widyaningrum">'
    )
    html = kompas_page(["Galih Pratama Putra", "Reska Anindita"], head=head)
    assert people(KompasTeknoSpider, html, KOMPAS_URL) == (
        ["Rizky Aditama"], ["Laras Widyaningrum"]
    )


def test_jsonld_author_is_never_a_kompas_writer():
    html = kompas_page([], ld_author="Reska Anindita")
    assert people(KompasTeknoSpider, html, KOMPAS_URL) == ([], ["Reska Anindita"])


def test_split_unlabelled_credit():
    names = ["A", "B", "C"]
    assert split_unlabelled_credit(names, LAST_IS_EDITOR) == (["A", "B"], ["C"])
    assert split_unlabelled_credit(["A"], LAST_IS_EDITOR) == (["A"], [])
    assert split_unlabelled_credit([], LAST_IS_EDITOR) == ([], [])
    assert split_unlabelled_credit(names, ALL_AUTHORS) == (names, [])


# ---------------------------------------------------------------- Liputan6: credit paragraphs

LIPUTAN6_URL = "https://www.liputan6.com/tekno/read/6053104/sensor-udara-sekolah"


def liputan6_page(closing: str) -> str:
    return page(
        '<h1 class="read-page--header--title">Sensor udara sekolah</h1>'
        '<div class="read-page-box__author"><a class="read-page-box__author__name">'
        "Liputan6.com</a>"
        '<span class="read-page-box__author__updated">Diterbitkan 16 Jun 2025, 15:40 WIB'
        "</span></div>"
        '<div class="article-content-body"><div class="article-content-body__item-content">'
        f"<p>{STORY}</p>{closing}</div></div>"
    )


def test_closing_writer_paragraph_adds_the_writer_and_editor():
    # The byline names only the outlet; the closing paragraph names the people.
    html = liputan6_page("<p><em>Penulis: Nadia Putri Kirana</em></p>")
    assert people(Liputan6TeknoSpider, html, LIPUTAN6_URL) == (["Nadia Putri Kirana"], [])
    html = liputan6_page("<p>Reporter: Nadia Putri Kirana Editor: Dewi Lestari</p>")
    assert people(Liputan6TeknoSpider, html, LIPUTAN6_URL) == (
        ["Nadia Putri Kirana"], ["Dewi Lestari"]
    )


def test_credit_label_inside_a_sentence_is_not_a_credit_paragraph():
    html = liputan6_page("<p>Menurut penulis: buku ini penting, kata Andi.</p>")
    assert people(Liputan6TeknoSpider, html, LIPUTAN6_URL) == ([], [])


def test_paragraph_credits_keeps_printed_order_once():
    line = Liputan6TeknoSpider.credit_paragraphs
    assert line is not None
    paragraphs = ["Teks cerita.", "Penulis: A Budi", "*Reporter: C Dewi Editor: E Fajar",
                  "Penulis: A Budi"]
    assert paragraph_credits(paragraphs, line) == {
        "authors": ["A Budi", "C Dewi"], "editors": ["E Fajar"],
    }


# ---------------------------------------------------------------- SINDOnews: run-on byline

SINDONEWS_URL = "https://tekno.sindonews.com/read/1402518/207/jaringan-5g-privat-1763710200"


def sindonews_page(byline: str) -> str:
    return page(
        '<article><h1 class="detail-title">Jaringan 5G privat</h1>'
        f'<div class="warp-nama-redaksi">{byline}</div>'
        f'<div id="detail-desc" class="detail-desc">{STORY}</div></article>',
        ld={"@context": "https://schema.org", "@type": "NewsArticle",
            "author": {"@type": "Person", "name": "Nama Dari JSON-LD"}},
    )


def test_byline_run_into_the_date_gives_the_writer():
    html = sindonews_page("Dian PermatasariSabtu, 22 November 2025 - 09:15 WIB")
    assert people(SindonewsTeknoSpider, html, SINDONEWS_URL) == (["Dian Permatasari"], [])


def test_author_link_wins_over_the_run_on_byline():
    html = sindonews_page(
        '<div class="detail-nama-redaksi"><a rel="author" href="/blog/1/wahyu">Wahyu Nugroho</a>'
        '</div><div class="detail-date-artikel">Jum\'at, 21 November 2025 - 14:30 WIB</div>'
    )
    assert people(SindonewsTeknoSpider, html, SINDONEWS_URL) == (["Wahyu Nugroho"], [])


def test_run_on_byline_names_cut_at_the_day_or_the_date():
    byline = SindonewsTeknoSpider.run_on_byline
    assert byline is not None
    assert run_on_byline_names("Dian PermatasariSabtu, 22 November 2025", byline.trailing) == [
        "Dian Permatasari"
    ]
    assert run_on_byline_names("Ananda Nararya 22 November 2025 - 09:15", byline.trailing) == [
        "Ananda Nararya"
    ]


# ---------------------------------------------------------------- Tempo: contributors

TEMPO_URL = "https://www.tempo.co/sains/startup-lokal-rilis-model-bahasa-2019870"


def test_contributors_in_articlebody_are_authors_after_the_byline():
    html = page(
        '<h1>Model bahasa daerah</h1><div id="content-wrapper"><p>Lead saja.</p></div>',
        head='<meta name="author" content="Rahmat Hidayat">',
        ld={"@context": "https://schema.org", "@type": "NewsArticle",
            "author": {"@type": "Person", "name": "Rahmat Hidayat"},
            "articleBody": f"{STORY}\nRani Wijaya dan Bayu Saputra berkontribusi dalam "
                           "penulisan artikel ini.\nSita Planasari"},
    )
    assert people(TempoTeknoSpider, html, TEMPO_URL)[0] == [
        "Rahmat Hidayat", "Rani Wijaya", "Bayu Saputra"
    ]


def test_contributors_in_the_legacy_body_when_there_is_no_articlebody():
    html = page(
        '<div class="detail-title"><h1>Model bahasa daerah</h1></div>'
        '<div class="block-avatar">Penulis: Rahmat Hidayat Editor: Sita Planasari</div>'
        f'<div id="isi"><p>{STORY}</p>'
        "<p>Rani Wijaya berkontribusi dalam penulisan artikel ini.</p></div>"
    )
    assert people(TempoTeknoSpider, html, "https://tekno.tempo.co/read/1234567/model-bahasa") == (
        ["Rahmat Hidayat", "Rani Wijaya"], ["Sita Planasari"]
    )


def test_contributor_names_from_every_line():
    contributor = TempoTeknoSpider.contributors
    assert contributor is not None
    text = "Cerita.\nA Budi dan C Dewi berkontribusi dalam penulisan artikel ini.\nE Fajar " \
           "berkontribusi dalam penulisan artikel ini"
    assert contributor_names(text, contributor) == ["A Budi", "C Dewi", "E Fajar"]
    assert contributor_names(None, contributor) == []


# ---------------------------------------------------------------- the next outlet

class NextOutlet(NewsSpider):
    """A made-up outlet that combines shapes: it needs declarations only."""

    name = "nextoutlet"
    article_url = re.compile(r"^https://berita\.example/(?P<id>\d+)")
    layouts = (Layout(version="2026", detect="main.story", authors="div.credits span",
                      body="main.story div.text"),)
    unlabelled_credit = LAST_IS_EDITOR
    credit_paragraphs = re.compile(r"^Kontributor\s*:.*$")


def test_a_new_site_declares_its_credit_shapes_without_overriding_extract_people():
    assert "extract_people" not in vars(NextOutlet)
    html = page(
        '<main class="story"><div class="credits"><span>Ayu Lestari</span>'
        '<span>Bima Sakti</span></div>'
        f'<div class="text"><p>{STORY}</p><p>Kontributor: Citra Kirana</p></div></main>'
    )
    assert people(NextOutlet, html, "https://berita.example/42") == (
        ["Ayu Lestari", "Citra Kirana"], ["Bima Sakti"]
    )


@pytest.mark.parametrize(
    "spider",
    [AntaraTeknoSpider, KompasTeknoSpider, Liputan6TeknoSpider, SindonewsTeknoSpider,
     TempoTeknoSpider],
)
def test_site_files_declare_credits_instead_of_overriding(spider: type[NewsSpider]):
    assert "extract_people" not in vars(spider)


def test_run_on_byline_is_a_frozen_declaration():
    byline = RunOnByline("div.byline", trailing=re.compile(r"\s*\d.*$"))
    with pytest.raises(AttributeError):
        byline.selector = "div.other"  # type: ignore[misc]
