"""Okezone Techno (techno.okezone.com). MNC Media's CMS: one subdomain per channel, the day
in every article URL (/read/YYYY/MM/DD/{subkanal}/{id}/{slug}), `?page=all` for articles
split over pages, a date index that pages by item offset, and a closing editor tag that is
either initials, "(kha)", "(SIS)", or the editor's full name, "(Arief Setyadi )"."""

import re
from collections.abc import Sequence
from datetime import date

from newscrawl.extraction import Layout, Page
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

# The closing tag: initials, or a name of two to four capitalised words (one word such as
# "(Reuters)" is a source, not an editor), which clean_body returns as an editor name. The
# name form may keep a space before ")".
CLOSING_TAG = re.compile(
    r"\(\s*([A-Za-z]{2,5}|[A-Z][A-Za-z'’.-]+(?:\s+[A-Z][A-Za-z'’.-]*){1,3})\s*\)\s*$"
)
URL_DAY = re.compile(r"/read/(\d{4})/(\d{2})/(\d{2})/")

RULES = BodyRules(
    # `inject-*` (Baca juga, video) is dropped by the shared list; banners and in-body photo
    # captions are Okezone's own.
    drop=("[class^='banner']", "[class*=' banner']", "[class*='caption']", "div.detail-tag"),
    boilerplate=(r"Follow .*WhatsApp Channel.*",),
    stop=(r"Telusuri berita .* lainnya\.?",),
    editor_code=CLOSING_TAG,
)

LAYOUT = Layout(
    version="2025",
    detect="div.c-detail.read",
    title="div.title-article h1",
    # The writer's name is the links' title attribute (the first link holds only the photo).
    authors="xpath://div[contains(concat(' ', normalize-space(@class), ' '), ' journalist ')]"
    "/a/@title",
    date="div.journalist span",
    body="div.c-detail.read",
    image="div.detail-img img",
    caption="div.detail-img .caption-img",
    tags="div.detail-tag a",
    category="div.breadcrumb a",
    rules=RULES,
)


class OkezoneTechnoSpider(NewsSpider):
    name = "okezonetechno"
    outlet = "Okezone"
    section = "tech"
    allowed_domains = ["okezone.com"]

    listings = ("https://techno.okezone.com/indeks?page={page}",)
    # Channel 16 is Techno in Okezone's syndication feeds.
    feeds = ("https://sindikasi.okezone.com/index.php/rss/16/RSS2.0",)
    # The news sitemap covers every channel; `discover` keeps techno.
    sitemaps = ("https://www.okezone.com/news/sitemap.xml",)
    # The day as path segments; pages go by item offset, ten stories a page, and the first
    # page has none: /indeks/2025/06/16, /indeks/2025/06/16/10, …
    date_index = "https://techno.okezone.com/indeks/{day:%Y/%m/%d}/{offset}"
    date_index_first_page = "https://techno.okezone.com/indeks/{day:%Y/%m/%d}"
    page_size = 10

    # Photo galleries and videos reuse the /read/ scheme under a prefix (/galeri/read/…);
    # `deny` takes them out, `discover` keeps the techno channel.
    article_url = re.compile(
        r"^https?://[a-z0-9-]+\.okezone\.com/(?:[a-z]+/)?read/\d{4}/\d{2}/\d{2}/\d+/(?P<id>\d+)(?:/|$)"
    )
    discover = re.compile(r"^https?://techno\.okezone\.com/")
    deny = (
        r"/(?:galeri|video|foto|photo|infografis)/",
        r"^https?://(?:video|foto|photo|infografis)\.okezone\.com/",
    )
    # One request per article, every page of it.
    article_query = "page=all"
    layouts = (LAYOUT,)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://techno.okezone.com/read/2025/06/18/57/3148455/"
        "laptop-pelajar-dengan-fitur-ai-mulai-dijual-harga-mulai-rp5-jutaan"
    )

    def url_day(self, url: str) -> date | None:
        """The day in the URL. Never a publish time (it has no time of day: midnight would be
        a wrong minute); it checks the printed day instead."""
        match = URL_DAY.search(url)
        if not match:
            return None
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None

    def extract_published(
        self, page: Page, layouts: Sequence[Layout], flags: list[str]
    ) -> tuple[str | None, str | None]:
        published, source = super().extract_published(page, layouts, flags)
        day = self.url_day(page.url)
        if published and day and published[:10] != day.isoformat():
            flags.append("date_disagreement")
        return published, source
