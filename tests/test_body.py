"""Body clean-up on markup shaped like the real sites' bodies."""

from newscrawl.normalize.body import BodyRules, clean_body

CNBC = BodyRules(dateline_outlets=("CNBC Indonesia",))
KOMPAS = BodyRules(dateline_outlets=("KOMPAS.com",), lead_markers=("KOMPAS.com",))


def test_detik_body_strips_inserts_video_prompt_and_code():
    html = """
    <strong>Jakarta</strong> -
    <p>Paragraf pertama tentang ponsel baru.</p>
    <table class="linksisip"><tr><td><div class="lihatjg"><strong>Baca juga:</strong>
      <a href="#">Judul lain</a></div></td></tr></table>
    <p>Paragraf kedua.</p>
    <br /><br /><strong>Simak Video "<span id="aevp_title">Judul Video</span>"</strong><br />
    <a id="aevp" class="embed video20detik" href="#">[Gambas:Video 20detik]</a><br />
    <strong>(fyk/fay)</strong>
    <div class="detail__body-tag"><div class="nav"><a class="nav__item">tag</a></div></div>
    """
    parts = clean_body(html)
    assert parts.paragraphs == ["Paragraf pertama tentang ponsel baru.", "Paragraf kedua."]
    assert parts.dateline == "Jakarta"
    assert parts.editor_codes == ["fyk", "fay"]


def test_cnbc_dateline_with_outlet_and_code_before_next_article():
    html = """<p><strong>Jakarta, CNBC Indonesia -</strong> CEO Meta mengirim email.</p>
    <p>Kalimat penutup.</p>
    <p>(fab/fab) Next Article Terungkap, Isi Email CEO</p>
    <p>Tags</p><p>Related Articles</p>"""
    parts = clean_body(html, CNBC)
    assert parts.paragraphs == ["CEO Meta mengirim email.", "Kalimat penutup."]
    assert parts.dateline == "Jakarta"
    assert parts.editor_codes == ["fab", "fab"]


def test_code_in_bold_and_inline_at_end_of_last_paragraph():
    assert clean_body("<p>Satu.</p><p><b>(wsw/wsw)</b></p>").editor_codes == ["wsw", "wsw"]
    parts = clean_body("<p>Satu.</p><p>Kalimat terakhir. (rns/fay)</p>")
    assert parts.paragraphs == ["Satu.", "Kalimat terakhir."]
    assert parts.editor_codes == ["rns", "fay"]


def test_parenthesis_inside_a_sentence_is_not_a_code():
    parts = clean_body("<p>Layanan ini dikelola Badan Siber (BSSN)</p>")
    assert parts.editor_codes == []
    assert parts.paragraphs == ["Layanan ini dikelola Badan Siber (BSSN)"]


def test_uppercase_dateline_is_title_cased_and_bare_lead_removed():
    parts = clean_body("<p><strong>JAKARTA, KOMPAS.com</strong> - Isi berita.</p>", KOMPAS)
    assert (parts.dateline, parts.paragraphs) == ("Jakarta", ["Isi berita."])
    parts = clean_body("<p>KOMPAS.com - Isi berita tanpa kota.</p>", KOMPAS)
    assert (parts.dateline, parts.paragraphs) == (None, ["Isi berita tanpa kota."])


def test_wire_dateline():
    parts = clean_body("<p>Jakarta (ANTARA) - Isi berita dari kantor berita.</p>")
    assert parts.dateline == "Jakarta"
    assert parts.paragraphs == ["Isi berita dari kantor berita."]


def test_interstitials_and_placeholders_dropped():
    html = """<p>Awal.</p><p>ADVERTISEMENT</p><p>SCROLL TO CONTINUE WITH CONTENT</p>
    <p>Tengah [Gambas:Twitter] lanjut.</p><p>Scroll ke bawah untuk melanjutkan membaca</p>
    <div class="ads-slot-mb-container">iklan</div><p>Akhir.</p>"""
    assert clean_body(html).paragraphs == ["Awal.", "Tengah lanjut.", "Akhir."]


def test_figures_and_captions_never_reach_body():
    html = """<p>Awal.</p><figure><img src="x.jpg"><figcaption>Foto: Nama/detikInet</figcaption>
    </figure><table class="pic_artikel_sisip_table"><tr><td>Keterangan foto</td></tr></table>
    <p>Akhir.</p>"""
    assert clean_body(html).paragraphs == ["Awal.", "Akhir."]


def test_br_separated_text_becomes_paragraphs():
    html = "Baris satu.<br><br>Baris dua.<br/>Baris tiga."
    assert clean_body(html).paragraphs == ["Baris satu.", "Baris dua.", "Baris tiga."]


def test_rights_notice_lifted_out():
    rules = BodyRules(rights_notices=(r"Dilarang keras mengambil konten",))
    html = "<p>Isi.</p><p>Dilarang keras mengambil konten, melakukan crawling.</p>"
    parts = clean_body(html, rules)
    assert parts.paragraphs == ["Isi."]
    assert parts.rights_notice.startswith("Dilarang keras")


def test_empty_input():
    assert clean_body(None).paragraphs == []
    assert clean_body("   ").text == ""


def test_site_pattern_admitting_a_name_returns_it_as_editor():
    import re

    rules = BodyRules(
        editor_code=re.compile(r"\(\s*([A-Za-z]{2,5}|[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,3})\s*\)\s*$")
    )
    named = clean_body("<p>Isi berita.</p><p>(Arief Setyadi )</p>", rules)
    assert (named.editors, named.editor_codes) == (["Arief Setyadi"], [])
    coded = clean_body("<p>Isi berita. (kha)</p>", rules)
    assert (coded.editors, coded.editor_codes, coded.paragraphs) == ([], ["kha"], ["Isi berita."])


def test_outlet_before_place_dateline():
    rules = BodyRules(outlet_first=(r"(?i:tribun[a-z]*\.com)",))
    parts = clean_body("<p>TRIBUNJATENG.COM, SEMARANG – Isi berita daerah.</p>", rules)
    assert (parts.dateline, parts.paragraphs) == ("Semarang", ["Isi berita daerah."])


def test_drop_matcher_selects_what_css_selects():
    """The one-walk matcher behind every site's drop list agrees with lxml's CSS engine,
    for the simple selectors it handles itself and the complex ones it hands to XPath."""
    import lxml.html
    from lxml.cssselect import CSSSelector

    from newscrawl.normalize.body import COMMON_DROP, DropMatcher

    html = """<div>
      <p class="ads-top x">ad</p><p class="top-ads">not an ad prefix</p><p class=" ads">ad</p>
      <div class="sisip_artikel">insert</div><div class="x sisip_y">insert</div>
      <div class="xsisip_y">kept</div><table class="linksisip"><tr><td>t</td></tr></table>
      <div class="linksisip">a div, kept</div><div id="div-gpt-ad-1">slot</div>
      <div id="x-div-gpt-ad">kept</div><span class="related-news">r</span>
      <div class="paradetail extra">p</div><div class="paradetail2">kept</div>
      <p class="baca">tribun insert</p><div class="caption-x">c</div>
      <section><p class="lead">first</p><p class="lead">second</p></section>
      <!-- a comment --><script>var x;</script><figure><img src="a.jpg"></figure>
    </div>"""
    selectors = (*COMMON_DROP, "p.baca", "[class*='caption']", "section p.lead:first-child",
                 "div[class='paradetail extra']", "[data-missing]")
    root = lxml.html.fragment_fromstring(html)
    expected = {el for css in selectors for el in CSSSelector(css)(root)}
    expected |= set(root.xpath("descendant::comment()"))
    found = DropMatcher(selectors)(root)
    assert set(found) == expected
    kept_texts = {el.text for el in root.iter("div", "p") if el not in expected}
    assert {"not an ad prefix", "kept", "a div, kept", "second"} <= kept_texts
