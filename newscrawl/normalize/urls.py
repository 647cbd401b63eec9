"""Canonical article URLs and site article ids. No Scrapy imports.

One article is linked in many forms (tracking parameters, `?page=all`, mobile and AMP
hosts, trailing slashes, http); the canonical form is the identity used for the record's
`url`, the crawl ledger and dedupe.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that never select different content on these sites.
TRACKING_PARAMS = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|msclkid|_ga|_gl|ref|source|src|from|medium|single|amp|"
    r"page|showpage|tag_from|tag_to|_branch_match_id|mc_cid|mc_eid|cx_\w+|spm)$",
    re.IGNORECASE,
)
_AMP_PATH = re.compile(r"(?:/amp(?=/|$)|\.amp(?=$))", re.IGNORECASE)


def canonical_url(
    url: str,
    *,
    host_aliases: Mapping[str, str] | None = None,
    keep_params: tuple[str, ...] = (),
) -> str:
    """The one form of an article URL: https, lower-case host, aliases resolved, no AMP
    marker, no tracking or paging parameter, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host_aliases and host in host_aliases:
        host = host_aliases[host]
    if host.startswith("amp."):
        host = host[4:]
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key in keep_params or not TRACKING_PARAMS.match(key)
    ]
    rebuilt = urlunsplit(("https", host, path, urlencode(query), ""))
    return canonicalize_url(rebuilt)


def article_id(url: str, pattern: re.Pattern[str] | None) -> str | None:
    """The site's own article id: the `id` group of the site's article URL pattern."""
    if pattern is None:
        return None
    match = pattern.search(url)
    return match.group("id") if match and match.groupdict().get("id") else None


def record_id(source: str, site_article_id: str | None, url: str) -> str:
    """Stable record id: source + site id, else a hash of the canonical URL."""
    if site_article_id:
        return f"{source}:{site_article_id}"
    return f"{source}:u{hashlib.sha1(url.encode('utf-8')).hexdigest()[:16]}"
