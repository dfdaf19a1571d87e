"""Feed autodiscovery: link extraction, usual addresses, the whole walk.

``discover_feed`` takes its fetch function as an argument; here a dictionary
of documents stands behind it (the function is pure given its fetches).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from newsdesk.errors import DiscoveryError, FetchError
from newsdesk.model import FetchedDocument
from newsdesk.sources.discover import (
    COMMON_FEED_PATHS,
    candidate_urls,
    discover_feed,
    feed_links_in_html,
    looks_like_feed,
)

SITE = "https://blog.example/"
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>The Blog</title>
<link>https://blog.example/</link><item><title>Post</title><link>https://blog.example/p/1</link></item></channel></rss>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Comments</title></feed>"""

PAGE = b"""<!DOCTYPE html><html><head><title>Blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed/">
<link rel="alternate" type="application/json" href="/feed.json">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body>
<a href="/about">About</a> <a href="/index.xml">subscribe</a> <a href="https://other.example/rss">RSS</a>
<a href="/atom.xml#top">feed</a>
</body></html>"""


def test_announced_feeds_come_first_best_first_then_feed_looking_links() -> None:
    assert feed_links_in_html(PAGE, SITE) == [
        "https://blog.example/feed/",
        "https://blog.example/feed.json",
        "https://blog.example/comments/feed/",  # a comment feed is a real feed, just not the one wanted
        "https://blog.example/index.xml",
        "https://other.example/rss",
        "https://blog.example/atom.xml",
    ]


def test_base_href_and_rel_feed_and_str_input() -> None:
    html = """<html><head><base href="https://cdn.example/site/">
    <link rel="feed" href="news.rss"><link rel="ALTERNATE" type="Application/RSS+XML; charset=utf-8" href="a.xml">
    </head></html>"""
    assert feed_links_in_html(html, SITE) == ["https://cdn.example/site/a.xml", "https://cdn.example/site/news.rss"]


@pytest.mark.parametrize(
    "junk", [b"", b"   ", "<?xml version='1.0' encoding='utf-8'?><html></html>", b"\x00\xff", b"<"]
)
def test_junk_html_has_no_feed_links(junk: bytes | str) -> None:
    assert feed_links_in_html(junk, SITE) == []


def test_candidate_urls_try_the_page_directory_then_the_root() -> None:
    urls = candidate_urls("https://blog.example/journal/index.html")
    assert urls[0] == "https://blog.example/journal/feed"
    assert "https://blog.example/feed" in urls
    assert "https://blog.example/?feed=rss2" in urls
    assert len(urls) == 2 * len(COMMON_FEED_PATHS)
    assert candidate_urls("https://blog.example") == [f"https://blog.example{p}" for p in COMMON_FEED_PATHS]
    assert candidate_urls("ftp://blog.example/") == []
    assert candidate_urls("https://[::1/") == []


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (RSS, None, True),
        (ATOM, "text/html", True),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', None, True),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "application/json", True),
        (b'{"name": "package.json"}', "application/json", False),
        (PAGE, "application/rss+xml", False),
        (b"", None, False),
        (b"<sitemap/>", "application/xml", False),
    ],
)
def test_looks_like_feed(body: bytes, content_type: str | None, expected: bool) -> None:
    assert looks_like_feed(body, content_type) is expected


class FakeWeb:
    """Documents by URL; anything else is a 404. Records what was fetched."""

    def __init__(self, documents: Mapping[str, FetchedDocument]) -> None:
        self.documents = documents
        self.fetched: list[str] = []

    async def __call__(self, url: str) -> FetchedDocument:
        self.fetched.append(url)
        if url not in self.documents:
            raise FetchError(url, "HTTP 404", status=404, permanent=True)
        return self.documents[url]


def _doc(url: str, body: bytes, content_type: str = "text/html") -> FetchedDocument:
    return FetchedDocument(url=url, status=200, body=body, content_type=content_type)


def test_a_feed_url_is_its_own_feed() -> None:
    web = FakeWeb({"https://blog.example/feed/": _doc("https://blog.example/feed/", RSS, "application/rss+xml")})
    url, feed = asyncio.run(discover_feed("https://blog.example/feed/", web))
    assert (url, feed.title) == ("https://blog.example/feed/", "The Blog")
    assert web.fetched == ["https://blog.example/feed/"]


def test_a_page_leads_to_its_announced_feed_after_redirects() -> None:
    web = FakeWeb(
        {
            SITE: _doc(SITE, PAGE),
            "https://blog.example/feed/": _doc("https://feeds.example/blog.xml", RSS, "text/xml"),
        }
    )
    url, feed = asyncio.run(discover_feed(SITE, web))
    assert url == "https://feeds.example/blog.xml"  # where the feed really is
    assert feed.title == "The Blog"
    assert web.fetched == [SITE, "https://blog.example/feed/"]


def test_broken_announced_feeds_are_skipped_and_usual_paths_tried() -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/broken.xml"></head></html>'
    web = FakeWeb(
        {
            SITE: _doc(SITE, page),
            "https://blog.example/broken.xml": _doc("https://blog.example/broken.xml", b"<html>oops</html>"),
            "https://blog.example/atom.xml": _doc("https://blog.example/atom.xml", ATOM, "application/atom+xml"),
        }
    )
    url, feed = asyncio.run(discover_feed(SITE, web))
    assert url == "https://blog.example/atom.xml"
    assert feed.title == "Comments"
    assert web.fetched[:3] == [SITE, "https://blog.example/broken.xml", "https://blog.example/feed"]


def test_no_feed_anywhere_is_a_discovery_error_and_the_walk_is_bounded() -> None:
    web = FakeWeb({SITE: _doc(SITE, b"<html><body>No feeds here</body></html>")})
    with pytest.raises(DiscoveryError) as raised:
        asyncio.run(discover_feed(SITE, web, max_candidates=5))
    assert "no feed found" in raised.value.reason
    assert len(web.fetched) == 6


def test_announced_but_unreadable_feeds_are_reported_as_such() -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/gone.xml"></head></html>'
    web = FakeWeb({SITE: _doc(SITE, page)})
    with pytest.raises(DiscoveryError) as raised:
        asyncio.run(discover_feed(SITE, web))
    assert "links to 1 feed(s)" in raised.value.reason


def test_neither_feed_nor_page() -> None:
    web = FakeWeb({SITE: _doc(SITE, b"\x89PNG\r\n\x1a\n....", "image/png")})
    with pytest.raises(DiscoveryError) as raised:
        asyncio.run(discover_feed(SITE, web))
    assert "neither a feed nor a web page" in raised.value.reason


@pytest.mark.parametrize(
    "body",
    [b'<rss version="2.0"><channel><title>Half', b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Cut'],
)
def test_a_truncated_feed_says_so(body: bytes) -> None:
    web = FakeWeb({SITE: _doc(SITE, body, "application/rss+xml")})
    with pytest.raises(DiscoveryError) as raised:
        asyncio.run(discover_feed(SITE, web))
    assert "is a feed, but it cannot be read: malformed XML" in raised.value.reason
    assert web.fetched == [SITE]


def test_the_first_fetch_failing_is_the_fetchers_error() -> None:
    with pytest.raises(FetchError):
        asyncio.run(discover_feed("https://down.example/", FakeWeb({})))
