"""URL identity, shared by the feed and page stages: when two links name the same article.

Canonical URLs drop what only tracks the click (``utm_*``, ``fbclid``, …) and fragments, and
normalize scheme, host and port; a page's ``rel=canonical`` is a dedup key only when it names
an article, not a site's front page, and speaks for the page only on the page's own site.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the click; dropping them never changes the page.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_cid",
        "cmpid",
        "ocid",
        "ncid",
        "sr_share",
        "__twitter_impression",
        "at_medium",
        "at_campaign",
        "ito",
        "smid",
        "ref_src",
        "ref_url",
        "spm",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "ga_", "_ga", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000  # longer URLs are kept but not used as a dedup key


# Most article links are already canonical (lower-case host, no port, query or fragment): this
# check lets them skip the parse below, which is the costliest step of normalizing an entry.
_ALREADY_CANONICAL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?(?::(?!80/|443/)[1-9]\d{0,4})?/[^?#\s@\\%]*"
)


def canonicalize_url(url: str | None) -> str | None:
    """Normalize a URL for comparison: lower-case scheme/host, no default port,
    no fragment, no tracking parameters, remaining parameters kept in order."""
    if not url:
        return None
    url = url.strip()
    if _ALREADY_CANONICAL.fullmatch(url) and len(url) <= MAX_URL_LENGTH:
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password:
        return None  # credentials in a feed link are never a canonical article address
    host = parts.hostname.rstrip(".")  # .hostname is already lower-case
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = parts.query
    if query:
        query = urlencode(
            [
                (k, v)
                for k, v in parse_qsl(query, keep_blank_values=True)
                if k.lower() not in _TRACKING_EXACT and not k.lower().startswith(_TRACKING_PREFIXES)
            ],
            doseq=True,
        )
    canonical = urlunsplit((scheme, netloc, parts.path or "/", query, ""))
    return canonical if len(canonical) <= MAX_URL_LENGTH else None


def page_canonical_url(url: str | None) -> str | None:
    """A page's ``rel=canonical`` as a dedup key: canonicalized, and None when it is a site's
    front page (some sites name their home page as the canonical of every article, which
    would fold all of them into one)."""
    canonical = canonicalize_url(url)
    if canonical is None:
        return None
    parts = urlsplit(canonical)
    if parts.path in ("", "/") and not parts.query:
        return None
    return canonical


def trusted(url: str, hosts: str) -> bool:
    """Is ``url`` on one of ``hosts`` (comma- or space-separated names, the setting
    ``trusted_canonical_hosts``)? Pages there may name a canonical address on another site."""
    if not hosts.strip():
        return False
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return False
    return bool(host) and host in {h.strip().lower().rstrip(".") for h in re.split(r"[,\s]+", hosts) if h.strip()}


# Leading host labels that name the same site in another dress (www.example.com, m.example.com).
_SITE_ALIASES = ("www.", "m.", "mobile.", "amp.")


def same_site(url: str, other: str) -> bool:
    """Do two http(s) URLs belong to one site: the same host, up to a ``www.``/``m.``-style
    first label, or one host a subdomain of the other (news.example.com and example.com)?

    A page may name any URL as its canonical; only one on its own site is trusted to
    speak for it (a stranger's page must not take over another site's address).
    """
    a, b = _site_host(url), _site_host(other)
    if not a or not b:
        return False
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _site_host(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    for alias in _SITE_ALIASES:
        if host.startswith(alias) and host.count(".") >= 2:
            return host[len(alias) :]
    return host
