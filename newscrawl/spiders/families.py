"""Rules shared by outlets on one CMS family, declared once.

detik, CNN Indonesia and CNBC Indonesia (Trans Media / CT Corp) share a CMS: "[Gambas:…]"
embed placeholders, "ADVERTISEMENT / SCROLL TO CONTINUE WITH CONTENT" interstitials,
`sisip_*` / `linksisip` inserts, `dtk:` meta tags and "(abc/xyz)" closing codes.
"""

from __future__ import annotations

DETIK_FAMILY_DROP = (
    "table.linksisip",
    "div.lihatjg",
    "[class^='sisip_']",
    "[class*=' sisip_']",
    "[class^='link_sisip']",
    "div.aevp",
    "div.paradetail",
    "div.parallaxindetail",
    "[class*='staticdetail_ads']",
    "div.embed",
    "a.embed",
)
DETIK_FAMILY_BOILERPLATE = (
    r"Lihat juga (?:Video|video)\b.*",
    r"\(\s*\)",
)
# Meta tags the CMS prints in WIB, in order of trust. `pubdate` is left out on purpose: it
# prints WIB digits with a "Z" ("2022-12-10T07-16-35Z"), a false UTC label.
DETIK_FAMILY_DATE_META = ("dtk:publishdate", "publishdate", "dtk:publishdateunix")
