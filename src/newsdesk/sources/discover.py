"""Feed autodiscovery: from a site or page URL to the feed to subscribe to.

People paste whatever URL they have: a feed, a home page, an article. The
order of attempts is the one feed readers converge on (miniflux's
``subscription/finder.go``, reader's and feedparser's ``<link>`` handling):

1. the URL itself, if it already is a feed;
2. the feeds the page announces with ``<link rel="alternate" type="application/rss+xml" …>``
   (then ``<a href>`` links that look like feeds, as weaker candidates);
3. the addresses where blog engines put their feed (``/feed``, ``/rss.xml``,
   ``/atom.xml``, Blogger's ``/feeds/posts/default``, WordPress's ``/?feed=rss2``, …).

Everything but :func:`discover_feed` is a pure function of its inputs;
``discover_feed`` takes the fetching function as an argument, so it works with
the real fetcher (its SSRF guard, size caps and timeouts apply to every
candidate) and with a dictionary in tests.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from newsdesk.errors import DiscoveryError, NewsdeskError, ParseError
from newsdesk.model import FetchedDocument, ParsedFeed
from newsdesk.pipeline.feed.parse import FEED_ROOTS, parse_feed, sniff

__all__ = [
    "COMMON_FEED_PATHS",
    "MAX_CANDIDATES",
    "Fetch",
    "candidate_urls",
    "discover_feed",
    "feed_links_in_html",
    "looks_like_feed",
]

Fetch = Callable[[str], Awaitable[FetchedDocument]]

# Where blog engines and site generators publish their main feed, most common first.
COMMON_FEED_PATHS = (
    "/feed",  # WordPress, Ghost (/rss also), many
    "/rss",
    "/feed.xml",  # Jekyll
    "/rss.xml",
    "/atom.xml",  # Octopress, many static sites
    "/index.xml",  # Hugo
    "/feeds/posts/default",  # Blogger
    "/?feed=rss2",  # WordPress without pretty permalinks
    "/feed/atom",
    "/index.rss",
    "/feeds/all.atom.xml",  # Pelican
    "/rss/index.xml",
)
MAX_CANDIDATES = 16  # fetches after the first one: discovery must stay polite and quick

_FEED_TYPES = {
    "application/rss+xml": 0,
    "application/atom+xml": 0,
    "application/feed+json": 0,
    "application/rdf+xml": 1,
    "application/json": 2,  # JSON Feed is sometimes announced so
    "application/xml": 2,
    "text/xml": 2,
}
_FEEDISH_HREF_RE = re.compile(r"(?:\.(?:rss|atom|rdf)$|/(?:feeds?|rss|atom)(?:/|\.xml|\.json)?$|[?&]feed=)", re.I)
_FEEDISH_TEXT_RE = re.compile(r"^\W*(?:rss|atom|feed|subscribe)\b", re.I)
_SECONDARY_FEED_RE = re.compile(r"comment", re.I)  # comment feeds are real feeds, but not the one wanted


def feed_links_in_html(html: bytes | str, base_url: str) -> list[str]:
    """Feed URLs a page points to, best first, absolute and without duplicates.

    ``<link rel="alternate">`` with a feed type comes first (RSS/Atom/JSON Feed
    before generic XML/JSON types, comment feeds last), then ``<a href>`` links
    whose address or text looks like a feed. A ``<base href>`` is honoured.
    """
    root = _parse_html(html)
    if root is None:
        return []
    base = _document_base(root, base_url)
    announced: list[tuple[int, int, str]] = []
    for position, link in enumerate(root.iter("link")):
        rank = _announced_feed_rank(link)
        url = _http_url(link.get("href"), base)
        if rank is not None and url:
            announced.append((rank, position, url))
    guessed = [url for a in root.iter("a") if _looks_like_feed_anchor(a) and (url := _http_url(a.get("href"), base))]
    return _unique([url for _, _, url in sorted(announced)] + guessed)


def candidate_urls(page_url: str) -> list[str]:
    """The usual feed addresses of a site, absolute, most likely first.

    For a page below the site root (``https://example.com/blog/``) the paths are
    tried under that directory first, then under the root.
    """
    try:
        parts = urlsplit(page_url)
    except ValueError:  # e.g. a malformed IPv6 host
        return []
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    roots = []
    directory = parts.path.rsplit("/", 1)[0] if parts.path else ""
    if directory:
        roots.append(urlunsplit((parts.scheme, parts.netloc, directory, "", "")))
    roots.append(urlunsplit((parts.scheme, parts.netloc, "", "", "")))
    candidates = [root + path for root in roots for path in COMMON_FEED_PATHS]
    return [url for url in _unique(candidates) if url != page_url]


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """A cheap sniff: does this body start like RSS, Atom, RDF or a JSON Feed?

    The Content-Type header only helps recognise JSON; it is not trusted
    otherwise (feeds are served as text/html, pages as application/xml).
    """
    doc = sniff(body, content_type)
    if doc.kind == "xml":
        return doc.root in FEED_ROOTS
    if doc.kind == "json":
        head = body[:4096]
        return b"jsonfeed.org/version" in head or b'"items"' in head
    return False


async def discover_feed(url: str, fetch: Fetch, *, max_candidates: int = MAX_CANDIDATES) -> tuple[str, ParsedFeed]:
    """Find the feed behind ``url``: (feed URL after redirects, parsed feed).

    A failure to fetch ``url`` itself propagates as the fetcher's
    :class:`~newsdesk.errors.FetchError`; candidates that fail are skipped.
    Raises :class:`~newsdesk.errors.DiscoveryError` with the reason when no
    candidate is a feed.
    """
    doc = await fetch(url)
    feed = _parsed(doc)
    if feed is not None:
        return doc.url, feed
    if sniff(doc.body, doc.content_type).kind != "html":
        if looks_like_feed(doc.body, doc.content_type):
            raise DiscoveryError(url, f"{url} is a feed, but it cannot be read: {_parse_error(doc)}")
        raise DiscoveryError(url, f"{url} is neither a feed nor a web page that could link to one")
    announced = feed_links_in_html(doc.body, doc.url)
    tried = {url, doc.url}
    candidates = [c for c in _unique([*announced, *candidate_urls(doc.url)]) if c not in tried][:max_candidates]
    for candidate in candidates:
        try:
            found = await fetch(candidate)
        except NewsdeskError:  # a missing /feed (404) or a refused address is expected here
            continue
        feed = _parsed(found)
        if feed is not None:
            return found.url, feed
    if announced:
        raise DiscoveryError(url, f"the page links to {len(announced)} feed(s), but none could be read as a feed")
    raise DiscoveryError(
        url, "no feed found: the page links to none, and none of the usual feed addresses (/feed, /rss.xml, …) has one"
    )


def _parsed(doc: FetchedDocument) -> ParsedFeed | None:
    if doc.not_modified or not doc.body:
        return None
    try:
        return parse_feed(doc.body, doc.url, doc.content_type)
    except ParseError:
        return None


def _parse_error(doc: FetchedDocument) -> str:
    try:
        parse_feed(doc.body, doc.url, doc.content_type)
    except ParseError as exc:
        return exc.reason
    return "unknown error"


def _parse_html(html: bytes | str) -> lxml.html.HtmlElement | None:
    if not html or (isinstance(html, (bytes, str)) and not html.strip()):
        return None
    try:
        root: lxml.html.HtmlElement = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):  # empty after parsing, or a str with an encoding declaration
        if isinstance(html, str):
            return _parse_html(html.encode("utf-8"))
        return None
    return root


def _document_base(root: lxml.html.HtmlElement, base_url: str) -> str:
    for base in root.iter("base"):
        href = _http_url(base.get("href"), base_url)
        if href:
            return href
    return base_url


def _announced_feed_rank(link: lxml.html.HtmlElement) -> int | None:
    """Rank of a ``<link>`` that announces a feed (lower is better), None if it does not."""
    rel = (link.get("rel") or "").lower().split()
    mime = (link.get("type") or "").split(";")[0].strip().lower()
    if "alternate" in rel and mime in _FEED_TYPES:
        rank = _FEED_TYPES[mime]
    elif "feed" in rel:  # the HTML5 rel=feed keyword
        rank = 1
    else:
        return None
    secondary = _SECONDARY_FEED_RE.search((link.get("title") or "") + " " + (link.get("href") or ""))
    return rank + (10 if secondary else 0)


def _looks_like_feed_anchor(anchor: lxml.html.HtmlElement) -> bool:
    href = (anchor.get("href") or "").strip()
    if not href:
        return False
    path = href.split("#", 1)[0].rstrip("/")
    if _FEEDISH_HREF_RE.search(path):
        return True
    text = anchor.text_content() if len(href) < 2048 else ""
    return bool(_FEEDISH_TEXT_RE.match(text.strip())) and not href.startswith(("mailto:", "javascript:"))


def _http_url(href: str | None, base: str) -> str | None:
    if not href or not href.strip():
        return None
    href = href.strip()
    if href.startswith("feed:"):  # feed://example.com/rss and feed:https://…, a pre-2010 convention
        href = href[5:] if href[5:].startswith(("http://", "https://")) else "http:" + href[5:]
    try:
        absolute = urljoin(base, href)
    except ValueError:
        return None
    absolute = absolute.split("#", 1)[0]
    return absolute if absolute.startswith(("http://", "https://")) else None


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
