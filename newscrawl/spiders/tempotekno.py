"""Tempo, tech and science (www.tempo.co and the legacy tekno.tempo.co).

Two template generations are live at once. Legacy pages (`tekno.tempo.co/read/{id}/{slug}`)
are server-rendered with the whole story in `div#isi`. Current pages
(`www.tempo.co/{rubrik}/{slug}-{id}`) are a Nuxt app whose server HTML holds only the lead
paragraph in `div#content-wrapper` (the rest is hydrated or metered), so their body comes from
JSON-LD `articleBody`, which carries the full text; the DOM is only a fallback.

Other peculiarities: the lead "TEMPO.CO, Jakarta -" (the outlet before the place), an hour
printed with a dot ("18 Juni 2025 | 20.04 WIB"), `article:published_time` that may read
"null WIB" (ignored, it does not parse), "Pilihan Editor:" recommendation lines inside the
text, and a tail of "<Name> berkontribusi dalam penulisan artikel ini." (a contributing
writer: an author) followed by a bare line with the editor's name (an editor).
"""

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from newscrawl.extraction import Layout, Page
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

# "Rani Wijaya berkontribusi dalam penulisan artikel ini." (also "A dan B berkontribusi …").
CONTRIBUTOR = re.compile(r"^(.+?)\s+berkontribusi dalam penulisan artikel ini\.?$", re.M)
# The editor's name alone on the last line: two to four capitalised words, nothing else.
# (The closing "(abc/xyz)" codes of other outlets do not occur on Tempo.)
TAIL_EDITOR = re.compile(r"^([A-Z][A-Za-z'’.-]+(?:\s+[A-Z][A-Za-z'’.-]*){1,3})$")
# A Tempo caption ends with its credit after the last sentence, without parentheses:
# "… di Jakarta. TEMPO/Nita Dian", "… produk. ANTARA/Name", "… ponsel. Shutterstock".
CAPTION_CREDIT = re.compile(
    r"(?<=[.!?])\s+((?:TEMPO|ANTARA(?: FOTO)?|REUTERS|AP|AFP|EPA)(?:/[^./()]+)+"
    r"|Shutterstock|Freepik|Unsplash|Istimewa)\.?$"
)

RULES = BodyRules(
    # Current pages: recommendation and ad blocks inside the content wrapper. Legacy: the
    # "Baca:" link paragraphs and the related-article box.
    drop=("div.ads-box", "div.detail-ads", "[class*='pilihan-editor']", "div.artikel-terkait"),
    boilerplate=(
        r"Pilihan Editor\s*:.*",
        r"Baca\s*:\s.*",
        r".+ berkontribusi dalam penulisan artikel ini\.?",
        r"Simak (?:berita|artikel|pilihan) .*",
    ),
    # "TEMPO.CO, Jakarta -" (outlet first) and "TEMPO.CO -" (no place).
    lead_markers=("TEMPO.CO", "Tempo.co"),
    outlet_first=(r"(?i:tempo\.co)",),
    editor_code=TAIL_EDITOR,
)

# Current Nuxt template (2024 rebuild). The classes are generated (Tailwind), so selectors
# hold on to ids and tags: the visible date is the paragraph before the content wrapper that
# reads "… | 20.04 WIB", the lead image's caption the figure before it.
CURRENT = Layout(
    version="2024",
    detect="div#content-wrapper",
    title="xpath://div[@id='content-wrapper']/preceding::h1[1]",
    date="xpath://div[@id='content-wrapper']/preceding::p[contains(., ' WIB')]"
    "[contains(., '|')][1]",
    # The server HTML holds only the lead: the body is JSON-LD articleBody, the wrapper's
    # text only when a page has none (often the lead alone, which short_body then reports).
    jsonld_body=True,
    body="div#content-wrapper",
    image="xpath://div[@id='content-wrapper']/preceding::figure[1]//img",
    caption="xpath://div[@id='content-wrapper']/preceding::figure[1]/figcaption",
    rules=RULES,
)

# Legacy server-rendered template (tekno.tempo.co/read/…).
LEGACY = Layout(
    version="2019",
    detect="div#isi",
    title="div.detail-title h1",
    credits="div.block-avatar",
    date="div.detail-title p.date",
    body="div#isi",
    image="div.foto-detail img",
    caption="div.foto-detail figcaption",
    tags="div.tags-detail a",
    category="div.breadcrumbs a",
    rules=RULES,
)


class TempoTeknoSpider(NewsSpider):
    name = "tempotekno"
    caption_credit = CAPTION_CREDIT
    # The contributor line is part of the text (JSON-LD or DOM), not of the byline: those
    # writers are authors too, after the byline's.
    contributors = CONTRIBUTOR
    outlet = "Tempo"
    section = "tech"
    allowed_domains = ["tempo.co"]

    listings = ("https://www.tempo.co/indeks?page={page}&rubric_slug=sains",)
    feeds = ("https://rss.tempo.co/teknologi",)
    date_index = (
        "https://www.tempo.co/indeks?page={page}&rubric_slug=sains"
        "&start_date={date}&end_date={date}"
    )

    # One id space for both generations: the legacy /read/{id}/ and the current slug's
    # trailing number.
    article_url = re.compile(
        r"^https?://(?:tekno\.tempo\.co/read/|(?:www\.)?tempo\.co/[a-z-]+/(?:[a-z0-9-]+-)?)"
        r"(?P<id>\d{5,8})(?:[/?#]|$)"
    )
    # The tech section is "sains" on the current site (some feeds say "teknologi").
    discover = re.compile(
        r"^https?://(?:tekno\.tempo\.co/read/|(?:www\.)?tempo\.co/(?:sains|teknologi)/)"
    )
    deny = (
        r"tempo\.co/(?:video|foto|galeri|infografik|podcast|tag|topik|penulis)(?:/|\?|$)",
        r"^https?://(?:video|foto|majalah|koran|interaktif)\.tempo\.co/",
    )
    host_aliases = {"tempo.co": "www.tempo.co", "m.tempo.co": "www.tempo.co"}
    layouts = (CURRENT, LEGACY)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.tempo.co/sains/"
        "peneliti-kembangkan-jaringan-sensor-gempa-dari-ponsel-bekas-2020457"
    )

    def extract_category(self, page: Page, layouts: Sequence[Layout]) -> str | None:
        category = super().extract_category(page, layouts)
        if category:
            return category
        # No section printed: the rubrik is the URL's first path segment
        # (www.tempo.co/sains/…), the legacy host names the channel.
        parts = urlsplit(self.canonical_article_url(page))
        segment = "tekno" if parts.hostname == "tekno.tempo.co" else parts.path.split("/")[1]
        return segment.replace("-", " ").title() or None
