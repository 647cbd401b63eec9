"""ANTARA, tech section (www.antaranews.com/tekno).

The regional bureaus (jogja.antaranews.com, …) run the same CMS and are read by the same
layout; their article ids are a separate number space, so their record ids carry the region
(the `region` group of `article_url`).
Article URLs carry no section, so discovery stays on tech-only sources: the /tekno listing
(main column only, not the site-wide "Terpopuler" box), the tekno RSS feed and the tekno news
sitemap. No date index is known (/indeks/YYYY-MM-DD answers 404): since/until filters the feed
and sitemap dates, and every article by its own publish time.
"""

import re

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

# The footer "Pewarta: X Editor: Y Copyright © ANTARA 2026" (also "Pewarta : X", and glued
# "SavitriEditor:" where the CMS strips the <br>), printed in the body's own text.
CREDIT_FOOTER = re.compile(r"(?:Pewarta|Penulis)\s*:.*$", re.S)

RULES = BodyRules(
    drop=(
        # The credit line and other small print are <p>/<span class="text-muted">; tags sit
        # inside the content block.
        "p.text-muted",
        "span.text-muted",
        "div.text-muted",
        "[class*='blog-tags']",
        "[class*='adsbygoogle']",
    ),
    boilerplate=(
        r"(?:Pewarta|Penulis)\s*:.*",
        r"Editor\s*:.*",
        r"(?:COPYRIGHT|Copyright)\s*©\s*ANTARA.*",
    ),
    rights_notices=(
        r"Dilarang keras mengambil konten.*tanpa izin tertulis dari Kantor Berita ANTARA",
    ),
)

LAYOUT = Layout(
    version="2023",
    detect="div.wrap__article-detail-content",
    title=".wrap__article-detail-title",
    credits="xpath://div[contains(@class, 'wrap__article-detail-content')]"
    "//*[contains(@class, 'text-muted')][contains(., 'Pewarta') or contains(., 'Editor')]",
    # The info line also holds the reading time; the date is its last item.
    date="xpath:(//div[contains(@class, 'wrap__article-detail-info')]"
    "//li[contains(@class, 'list-inline-item')])[last()]",
    body="div.wrap__article-detail-content",
    image="div.wrap__article-detail-image img",
    caption="div.wrap__article-detail-image figcaption",
    tags="div.wrap__article-detail-content [class*='blog-tags'] a",
    # Beranda > Tekno > Gadget: the last crumb is the sub-section.
    category="xpath:(//li[contains(@class, 'breadcrumbs__item')])[last()]",
    rules=RULES,
)


class AntaraTeknoSpider(NewsSpider):
    name = "antaratekno"
    outlet = "ANTARA"
    section = "tech"
    allowed_domains = ["antaranews.com"]

    listings = ("https://www.antaranews.com/tekno/terkini/{page}",)
    listing_links = "div.wrapper__list__article"
    feeds = ("https://www.antaranews.com/rss/tekno.xml",)
    sitemaps = ("https://www.antaranews.com/sitemap.xml",)
    sitemap_follow = r"tekno"

    article_url = re.compile(
        r"^https?://(?:(?:www|m)\.|(?P<region>[a-z-]+)\.)?antaranews\.com/(?:amp/)?"
        r"berita/(?P<id>\d+)(?:/|$)"
    )
    deny = (r"antaranews\.com/(?:foto|video|infografik|tag|search)(?:/|\?|$)",)
    host_aliases = {
        "antaranews.com": "www.antaranews.com",
        "m.antaranews.com": "www.antaranews.com",
    }
    layouts = (LAYOUT,)
    # Without the template's credit line, the footer is still at the end of articleBody.
    credit_footer = CREDIT_FOOTER
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.antaranews.com/berita/5404480/"
        "mahasiswa-surabaya-ciptakan-aplikasi-penerjemah-bahasa-isyarat-berbasis-ai"
    )
