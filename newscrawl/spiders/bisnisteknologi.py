"""Bisnis.com Teknologi (teknologi.bisnis.com).

Bisnis runs one CMS for every channel host (market., finansial., teknologi., …): article URLs are
/read/YYYYMMDD/{subcategory}/{id}/{slug}, and the paywalled (premium.), e-paper, photo, video and
infographic hosts reuse the same scheme, so they are denied by host. The site's only article
list is the all-channel index (www.bisnis.com/index?categoryId=…&type=indeks&date=…&page=N); the
Teknologi categoryId is unverified, so the spider reads "all channels" and keeps the teknologi
host, and an index page without a Teknologi story does not end the paging. There is no feed
(robots.txt disallows /rss) and sitemap.xml answers 403 to scripts.
Pages print the time without a zone ("Jum'at, 13 Juni 2025 | 09:41", WIB); the lead is
"Bisnis.com, JAKARTA — …" (outlet before place); photo credits follow the caption's last
sentence as "/Bisnis-Name" or "Bisnis/Name".
"""

import re

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

RULES = BodyRules(
    # "Baca Juga" boxes (div.baca-juga-box*) go with the shared `baca-juga` rule; the stock
    # disclaimer under market stories and in-body ad slots are Bisnis's own.
    drop=("p.disclaimer", "div.disclaimer", "[class*='ads-']", "div.detailsAuthor"),
    boilerplate=(
        r"Simak berita dan artikel lainnya di Google News dan WA Channel\.?",
        r"Dapatkan akses eksklusif\b.*",
        r"(?i:disclaimer\s*:).*",
    ),
    # "Bisnis.com, JAKARTA — …": the outlet comes before the place.
    outlet_first=(r"Bisnis\.com",),
    lead_markers=("Bisnis.com",),
)

LAYOUT = Layout(
    version="2023",
    detect="article.detailsContent",
    title="h1.detailsTitleCaption",
    # "Penulis : X" / "Editor : Y" under the story; the header's "X - Bisnis.com" otherwise.
    credits="div.detailsAuthor div.detailsAuthorItem",
    authors="div.detailsAttribute div.authorName",
    date="div.detailsAttributeDates",
    body="article.detailsContent",
    image="figure.detailsCoverImg img",
    caption="figcaption.detailsImgCaption",
    tags="ul.detailsTagList a.detailsTagLink",
    category="xpath://*[contains(concat(' ', normalize-space(@class), ' '), ' breadcrumbItem ')]"
    "//a[contains(concat(' ', normalize-space(@class), ' '), ' breadcrumbLink ')]",
    rules=RULES,
)

# A credit after the caption's last sentence: "… di Bogor. /Bisnis-Himawan L Nugraha",
# "… ponsel lipat. Bisnis/Arief Hermawan P", "… pusat data. /Reuters".
# The slash form needs one to three words, the first capitalised, before the slash, so a
# sentence such as "Model baru mendukung jaringan 4G/LTE" is not taken as a credit.
CAPTION_CREDIT = re.compile(
    r"(?<=[.!?])\s*(?:/\s*(?P<lead>[^/.!?\s][^.!?]{0,60})"
    r"|(?P<slash>[A-Z][\w&'-]*(?:\s[\w&'-]+){0,2}/[^.!?/]{1,40}))$"
)


class BisnisTeknologiSpider(NewsSpider):
    name = "bisnisteknologi"
    # Bisnis prints the credit after the caption with no "Foto:" label, which the shared
    # splitter (rightly) does not take as a credit on other sites.
    caption_credit = CAPTION_CREDIT
    outlet = "Bisnis.com"
    section = "tech"
    allowed_domains = ["bisnis.com"]

    # All channels (categoryId=0): the Teknologi id is not known; `discover` keeps the
    # teknologi host.
    listings = ("https://www.bisnis.com/index?categoryId=0&type=indeks&page={page}",)
    # Story links on the index (a.artLink, thumbnail and headline); not the pager or the menus.
    listing_links = "a.artLink"
    listing_all_channels = True
    date_index = "https://www.bisnis.com/index?categoryId=0&type=indeks&date={date}&page={page}"

    article_url = re.compile(
        r"^https?://(?:[a-z0-9-]+\.)?bisnis\.com/read/\d{8}/\d+/(?P<id>\d+)(?:/|$)"
    )
    discover = re.compile(r"^https?://teknologi\.bisnis\.com/read/")
    deny = (
        r"^https?://(?:premium|epaper|foto|video|infografis)\.bisnis\.com/",
        r"bisnis\.com/(?:tag|topic|foto|video|infografis)/",
    )
    date_meta = ("publishdate",)
    layouts = (LAYOUT,)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://teknologi.bisnis.com/read/20250619/101/1887310/"
        "pelanggan-internet-satelit-orbit-rendah-tembus-300000-sambungan"
    )
