"""Tribunnews Techno (www.tribunnews.com/techno).

Its parser reads any Tribunnews article (`/{section}/YYYY/MM/DD/{slug}`); discovery follows
/techno/ only. Articles split over pages are requested once as `?page=all`; the record's URL
drops the query, and mobile `m.tribunnews.com` links are the same article as www.
"""

import re
from typing import Any

from lxml import etree

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyParts, BodyRules
from newscrawl.normalize.text import clean_text
from newscrawl.spiders.base import NewsSpider

RULES = BodyRules(
    drop=("[class*='iklan']", "div[class*='video']", "p.baca"),
    boilerplate=(
        r"Lihat Foto",
        r"Simak breaking news\b.*",
        r"[Dd]apatkan [Uu]pdate\b.*",
        r"Ikuti kami di\b.*",
        # The reporter's byline printed as the body's first line; the writer is in #penulis.
        r"Laporan (?:Wartawan|Reporter) Tribun\w*(?:\.com)?\b.*",
    ),
    # "TRIBUNNEWS.COM - …" (no place), and the outlet before the place:
    # "TRIBUNNEWS.COM, JAKARTA - …", "TRIBUNJATENG.COM, SEMARANG – …".
    lead_markers=("TRIBUNNEWS.COM", "Tribunnews.com"),
    outlet_first=(r"(?i:tribun[a-z]*\.com)",),
)
# Until 2019 inserts read "Baca: <title>" (no "juga").
RULES_2019 = BodyRules(
    drop=RULES.drop,
    boilerplate=(*RULES.boilerplate, r"Baca\s*:\s.*"),
    lead_markers=RULES.lead_markers,
    outlet_first=RULES.outlet_first,
)

# The closing credit "(Tribunnews.com/Name)": a byline, not story.
TRIBUN_CREDIT = re.compile(r"\s*\((?i:tribun[a-z]*\.com)(?:\s*/[^()]*)?\)\s*$")

# A photo credit with no slash after the caption's last sentence: "… Android. (Freepik)".
SOURCE_CREDIT = re.compile(r"(?<=[.!?])\s*\(([^()]{2,60})\)$")

CREDITS = "div#penulis, div#editor"


class TribunnewsTechnoSpider(NewsSpider):
    name = "tribunnewstechno"
    caption_credit = SOURCE_CREDIT
    outlet = "Tribunnews.com"
    section = "tech"
    allowed_domains = ["tribunnews.com"]

    listings = ("https://www.tribunnews.com/index-news/techno?page={page}",)
    listing_links = "ul.lsi, ul#latestul"
    feeds = ("https://www.tribunnews.com/rss",)
    sitemaps = ("https://www.tribunnews.com/techno/sitemap-news.xml",)
    # Month and day without leading zeros ("2024-3-7"), as the site's own date picker writes.
    date_index = (
        "https://www.tribunnews.com/index-news/techno"
        "?date={day.year}-{day.month}-{day.day}&page={page}"
    )

    # The URL has no article id: records are keyed by a hash of the canonical URL.
    article_url = re.compile(
        r"^https?://(?:www\.|m\.)?tribunnews\.com/(?:[\w-]+/)+\d{4}/\d{2}/\d{2}/[\w-]+/?(?:[?#]|$)"
    )
    discover = re.compile(r"^https?://(?:www\.|m\.)?tribunnews\.com/techno/")
    deny = (r"/video/", r"/foto/", r"/galeri/", r"/tag/", r"/topic/")
    host_aliases = {
        "m.tribunnews.com": "www.tribunnews.com",
        "tribunnews.com": "www.tribunnews.com",
    }
    article_query = "page=all"

    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.tribunnews.com/techno/2024/03/28/"
        "marak-pembajakan-akun-whatsapp-jelang-lebaran-ini-6-cara-mengamankannya?page=all"
    )
    layouts = (
        Layout(
            version="2024",
            detect="div.side-article.txt-article.multi-fontsize",
            title="h1#arttitle",
            credits=CREDITS,
            # The `time` element's datetime attribute, else its printed text ("Rabu, 27 Maret
            # 2024 09:55 WIB").
            date="xpath://div[@id='article']//time/@datetime"
            " | //div[@id='article']//time[not(@datetime)]",
            body="div.side-article.txt-article.multi-fontsize",
            image="div#artimg img",
            caption="div#artimg div.f12",
            tags="div[itemprop='keywords'] h5 a",
            category="div.breadcrumb a",
            rules=RULES,
        ),
        Layout(
            version="2019",
            detect="div.grey.w100.mt10",
            title="h1.f50",
            credits=CREDITS,
            date="div.grey.w100.mt10",
            body="div.side-article.txt-article",
            image="div#artimg img",
            caption="div#artimg div.f12",
            tags="div[itemprop='keywords'] h5 a",
            category="div.breadcrumb a",
            rules=RULES_2019,
        ),
    )

    def clean(self, html: str | etree._Element, rules: BodyRules, **options: Any) -> BodyParts:
        parts = super().clean(html, rules, **options)
        paragraphs = parts.paragraphs
        if paragraphs:
            rest = clean_text(TRIBUN_CREDIT.sub("", paragraphs[-1]))
            paragraphs[-1:] = [rest] if rest else []
        return parts
