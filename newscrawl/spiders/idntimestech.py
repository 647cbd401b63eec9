"""IDN Times Tech (www.idntimes.com/tech).

Two URL generations: current `/tech/{sub}/{slug}-c1c2-01-{5 chars}-{6 chars}`, whose last two
tokens (writer code, article code) are the id (the 6-character code alone repeats across
copies of one story), and older `/tech/{sub}/{author-slug}/{slug}-c1c2`, which has no id
(the record id is a hash of the canonical URL). Each generation has its own template: the
current one puts the story in `div#article-description` (`p.article-text`, numbered `<h2>`
sub-headings on listicles, "Baca Juga" recommendation blocks between paragraphs), the older
one in `section.content-post` (numbered `<h3>` sub-headings, topic and editorial boxes, a
community-writer disclaimer). The writer is JSON-LD's `author` (also `meta[name=author]`);
the editor is printed only in the editorial credit box. The category is the last crumb of
the breadcrumb nested in the `WebPage` JSON-LD, and JSON-LD `keywords` can hold the CMS
placeholder "Update me" (both handled by the shared JSON-LD helpers).
"""

import re

from newscrawl.extraction import Layout
from newscrawl.normalize.body import BodyRules
from newscrawl.spiders.base import NewsSpider

RULES = BodyRules(
    # "Baca Juga: <title>" paragraphs go by the shared boilerplate list.
    drop=(
        # Inline recommendation blocks and the regional-site widget (`data-cy` attributes
        # of the site's design system), and ad slots.
        "[data-cy*='recommend']",
        "[data-cy^='ds-widget']",
        "[id^='article-ads']",
        "[id^='headline-ads']",
    ),
    # "Jakarta, IDN Times - …"
    dateline_outlets=("IDN Times",),
)

RULES_LEGACY = BodyRules(
    drop=(
        # Boxes that sit inside the old content section (writer card, share bar, topics,
        # editorial credits, comments, the latest-posts rail) and the disclaimer under
        # community writers' posts.
        "div.author.divide-table",
        "div.share.divide-table",
        "div.content-post-topic",
        "div.content-post-editorial",
        "div.content-post-comment",
        "section.latest-post",
        "div.community-author-bottom",
        "p.article-disclaimer",
        "[class*='recommend']",
        "[id^='article-ads']",
    ),
    dateline_outlets=("IDN Times",),
)

LAYOUT = Layout(
    version="2025",
    detect="div#article-description",
    title="article h1",
    credits="[data-cy='ds-article-editorial']",
    # The first `time` of the article header: the recommendation cards carry times of their own.
    date="xpath:(//article//header//time)[1]",
    body="div#article-description",
    image="article header figure img",
    caption="article header figure figcaption",
    rules=RULES,
)

LAYOUT_LEGACY = Layout(
    version="2019",
    detect="section.content-post",
    title="h1",
    credits="div.content-post-editorial",
    date="div.content-post-date time",
    body="section.content-post",
    image="div.content-post-cover img",
    caption="div.content-post-cover .content-post-cover-caption",
    tags="div.content-post-topic a",
    category="div.breadcrumb a",
    rules=RULES_LEGACY,
)


class IdnTimesTechSpider(NewsSpider):
    name = "idntimestech"
    outlet = "IDN Times"
    section = "tech"
    allowed_domains = ["idntimes.com"]

    listings = ("https://www.idntimes.com/tech?page={page}",)
    feeds = ("https://www.idntimes.com/tech/rss",)
    # The index lists a web and a news sitemap per channel; the tech news sitemap is followed.
    sitemaps = ("https://www.idntimes.com/sitemap.xml",)
    sitemap_follow = r"/tech/sitemap-news\.xml"

    # Either generation, any channel (the parser reads them all); `discover` keeps /tech/.
    article_url = re.compile(
        r"^https?://(?:www\.)?idntimes\.com/[a-z]+/[a-z0-9-]+/"
        r"(?:[a-z0-9-]+?-(?P<id>[a-z0-9]{5}-[a-z0-9]{6})|[a-z0-9-]+/[a-z0-9-]+-c1c2)/?(?:[?#]|$)"
    )
    discover = re.compile(r"^https?://(?:www\.)?idntimes\.com/tech/")
    deny = (
        r"idntimes\.com/(?:tag|author|search|quiz|video|ajax)(?:/|\?|$)",
        r"idntimes\.com/[a-z]+/(?:video|quiz|kuis|photo|foto)/",
        r"/amp(?:/|$)",
    )
    host_aliases = {"idntimes.com": "www.idntimes.com"}
    layouts = (LAYOUT, LAYOUT_LEGACY)
    # `scrapy check`: an article page of the offline mirror (tests/mirror) in the current layout.
    contract_article = (
        "https://www.idntimes.com/tech/trend/"
        "registrasi-kartu-sim-pakai-pengenalan-wajah-mulai-diuji-coba-c1c2-01-q7v3m-h5t9xe"
    )
