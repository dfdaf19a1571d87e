"""A loopback site of good and hostile feed sources, for the end-to-end tests in ``test_hostile.py``.

One real aiohttp server on 127.0.0.1 serves a handful of good feeds (with their
article pages) beside every kind of hostile or broken source we know of:
redirect loops and chains, a gzip bomb, an HTML page posing as a feed, an
oversized feed, truncated XML, an empty body, 5xx/4xx/429 statuses, a server
that never answers, a trickling body, feeds in the wrong charset, and entries
and pages full of script.

Besides serving, the site says what each source must become: :data:`BAD_SOURCES`
(each with the pattern its user-facing reason must match), ``HostileSite.good``
(the entries each good feed must store), ``HostileSite.charset`` and
``HostileSite.truncated_complete``.

The server runs in a thread with its own event loop because
``Newsdesk.update`` calls :func:`asyncio.run` itself.
"""

from __future__ import annotations

import asyncio
import collections
import random
import socket
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The feed size cap the tests run with: small, so the bombs stay small. The timeouts the
# reasons below name ("1 s", "3 s") are those of the tests' settings (see test_hostile.py).
FEED_MAX_BYTES = 1_000_000
PUBLISHED = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
# Junk every article page carries around its text; none of it may reach the stored text.
PAGE_JUNK = ("WhatsApp", "cookie", "Subscribe to our newsletter", "Read more", "Share on Facebook", "ad blocker")
# Markers planted in hostile markup; none may survive sanitizing or extraction.
INJECTED = "INJECTED"
TRUNCATED = "/truncated.xml"
LATIN1 = "/charset/latin1.xml"
CP1252 = "/charset/cp1252.xml"
MOVED_FROM = "/moved/old.xml"
MOVED_TO = "/moved/new.xml"

# --- content ------------------------------------------------------------------------------

_SENTENCES = (
    "The regional council met on Tuesday evening to debate the proposal line by line.",
    "Residents who attended the hearing asked for clearer numbers on the expected costs.",
    "Officials said the first phase of the work could begin before the end of the spring.",
    "Several engineers warned that the old bridge would need repairs within five years.",
    "Local shop owners welcomed the plan but worried about months of closed streets.",
    "A spokesperson for the transport authority declined to comment on the schedule.",
    "The budget committee will publish its full report on the project next month.",
    "Critics argued that the consultation had been too short for a decision of this size.",
    "Supporters pointed to similar schemes in neighbouring towns that had paid off quickly.",
    "Teachers at the nearby school asked for safe crossings during the construction period.",
    "The mayor promised a second public meeting before any contract is finally signed.",
    "Independent auditors will review the tender process once the bids have been opened.",
    "Cyclists have campaigned for a protected lane along the river for almost a decade.",
    "Weather records show the valley has flooded three times in the past twenty years.",
)


def paragraphs(slug: str, n: int) -> list[str]:
    """``n`` paragraphs of plausible news prose, unique to ``slug`` (so no two articles share a content hash)."""
    rng = random.Random(slug)
    return [" ".join(rng.sample(_SENTENCES, 4)) + f" This is part {i + 1} of the {slug} report." for i in range(n)]


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry as the test server publishes it."""

    slug: str
    title: str
    link: str | None
    summary: str  # HTML
    content: str | None = None  # HTML (content:encoded / atom:content)
    author: str = "Alex Reporter"
    age_h: int = 0


def rss(
    title: str, link: str, entries: Sequence[Entry], *, prolog: str = '<?xml version="1.0" encoding="utf-8"?>'
) -> str:
    out = [
        prolog,
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f"<channel><title>{escape(title)}</title><link>{escape(link)}</link>",
        "<description>News from the loopback desk</description><language>en</language>",
    ]
    for e in entries:
        out.append(f'<item><title>{escape(e.title)}</title><guid isPermaLink="false">{e.slug}</guid>')
        if e.link is not None:
            out.append(f"<link>{escape(e.link)}</link>")
        out.append(f"<dc:creator>{escape(e.author)}</dc:creator>")
        out.append(f"<pubDate>{format_datetime(PUBLISHED - timedelta(hours=e.age_h))}</pubDate>")
        out.append(f"<description>{escape(e.summary)}</description>")
        if e.content is not None:
            out.append(f"<content:encoded><![CDATA[{e.content}]]></content:encoded>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out)


def atom(title: str, link: str, entries: Sequence[Entry]) -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f'<title>{escape(title)}</title><link href="{escape(link)}"/><id>{escape(link)}</id>',
        f"<updated>{PUBLISHED.isoformat()}</updated>",
    ]
    for e in entries:
        when = (PUBLISHED - timedelta(hours=e.age_h)).isoformat()
        out.append(f"<entry><title>{escape(e.title)}</title><id>urn:loopback:{e.slug}</id>")
        if e.link is not None:
            out.append(f'<link rel="alternate" href="{escape(e.link)}"/>')
        out.append(f"<author><name>{escape(e.author)}</name></author><updated>{when}</updated>")
        out.append(f'<summary type="html">{escape(e.summary)}</summary></entry>')
    out.append("</feed>")
    return "\n".join(out)


def article_page(base: str, slug: str, title: str, *, hostile: bool = False) -> str:
    """A realistic news page: navigation, cookie banner, share bar, related links and footer around the text.

    ``hostile`` plants script, event handlers, ``javascript:`` links, an iframe
    and inline styles inside and around the article body itself.
    """
    body = [f"<p>{p}</p>" for p in paragraphs(slug, 7)]
    scripts = ""
    if hostile:
        body[1] = (
            f'<p style="position:fixed;top:0" onclick="alert(\'{INJECTED}-ONCLICK\')">{paragraphs(slug + "-x", 1)[0]}'
            f" <a href=\"javascript:alert('{INJECTED}-JS')\">More context</a>.</p>"
        )
        body.insert(2, f'<img src="/img/{slug}.jpg" onerror="alert(\'{INJECTED}-ONERROR\')" alt="Council chamber">')
        body.insert(3, f"<script>document.write('{INJECTED}-SCRIPT');</script>")
        body.insert(4, f'<iframe src="https://ads.example/frame">{INJECTED}-IFRAME</iframe>')
        body.insert(5, f"<style>p {{ color: red }} /* {INJECTED}-STYLE */</style>")
        scripts = (
            f"<script>window.tracker = '{INJECTED}-TRACKER';</script>"
            f'<script src="https://tracker.example/t.js"></script>'
            f'<div id="overlay" onmouseover="alert(\'{INJECTED}-OVERLAY\')" style="z-index:9999">'
            "<p>Please disable your ad blocker to continue reading.</p></div>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | Loopback Times</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="author" content="Alex Reporter">
<meta property="og:title" content="{escape(title)}">
<link rel="canonical" href="{base}/articles/{slug}.html">
{scripts}
</head><body>
<header class="site-header"><a href="/">Loopback Times</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/tech">Tech</a></li><li><a href="/science">Science</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li></ul></nav></header>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience and to show you
personalised ads. <button onclick="acceptCookies()">Accept all cookies</button>
<a href="/privacy">Manage settings</a></p></div>
<main><article>
<h1>{escape(title)}</h1>
<p class="byline">By <span class="author">Alex Reporter</span>,
<time datetime="2026-01-12T09:00:00Z">12 January 2026</time></p>
{"".join(body)}
</article>
<div class="share-bar"><a href="https://www.facebook.com/sharer">Share on Facebook</a>
<a href="https://wa.me/?text=x">WhatsApp</a> <a href="mailto:?subject=x">Email</a></div>
<aside class="related"><h2>Read more</h2><ul>
<li><a href="/articles/other-1.html">Bus routes to change in March</a></li>
<li><a href="/articles/other-2.html">Library reopens after renovation</a></li></ul></aside>
<section class="newsletter"><h2>Subscribe to our newsletter</h2>
<form><input type="email"><button>Sign up</button></form></section>
</main>
<footer><p>&copy; 2026 Loopback Times. All rights reserved.</p></footer>
</body></html>"""


def hostile_entry(base: str, i: int) -> Entry:
    """A feed entry whose title, link, summary and content all try to run script or restyle the page.

    Its content is long enough (> min_feed_words) that the feed's own, sanitized, HTML is what gets stored.
    """
    body = "".join(f"<p>{p}</p>" for p in paragraphs(f"hostile-{i}", 5))
    return Entry(
        f"hostile-{i}",
        f"<script>alert('{INJECTED}-TITLE')</script>Hostile entry {i}",
        f"{base}/articles/hostile-entry-{i}.html" if i != 3 else f"javascript:alert('{INJECTED}-LINK')",
        f"<p onmouseover=\"alert('{INJECTED}-SUMMARY')\">Summary {i}</p>"
        f"<script>alert('{INJECTED}-SUMMARY-SCRIPT')</script>"
        f"<a href=\"javascript:alert('{INJECTED}-SUMMARY-JS')\">click</a>",
        f'<div style="background:url(javascript:alert(1))">{body}'
        f'<img src="{base}/img/{i}.png" onerror="alert(\'{INJECTED}-IMG\')">'
        f'<iframe src="{base}/frame">{INJECTED}-IFRAME</iframe>'
        f"<script>alert('{INJECTED}-CONTENT-SCRIPT')</script>"
        f'<a href="javascript:void(0)" onclick="steal()">Read this</a>'
        f'<form action="{base}/phish"><input name="password"></form>'
        f"<svg><script>alert('{INJECTED}-SVG')</script></svg>"
        f"<style>body {{ display:none }} /* {INJECTED}-CSS */</style></div>",
    )


def gzip_bomb(gigabytes: int = 1) -> bytes:
    """A valid gzip stream of ``gigabytes`` GB of zeros, about 1 MB long, built in a fraction of a second.

    zlib streams one 1 MiB block of zeros with a full flush, which ends the
    block with no back-references, so the same compressed bytes can be
    repeated 1024 times instead of compressing a real gigabyte.
    """
    block = bytes(1 << 20)
    n = 1024 * gigabytes
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    middle = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + middle * n + end + struct.pack("<II", crc, (n << 20) & 0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class Charset:
    """A feed in a misdeclared charset: its entries, and what every stored title and text must contain."""

    entries: list[Entry]
    title: str
    sentence: str


def charset_case(base: str, slug: str, *, title: str, entry_title: str, sentence: str) -> Charset:
    """Three long entries (no page fetch, so the stored text is the feed's own) of accented prose."""
    entries = [
        Entry(
            f"{slug}-{i}",
            entry_title.format(i=i),
            f"{base}/articles/{slug}-{i}.html",
            "<p>" + " ".join([sentence] * 30) + f" {i}</p>",
        )
        for i in range(1, 4)
    ]
    return Charset(entries, title=title, sentence=sentence)


# --- the site -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bad:
    """A source that must fail, with the pattern its user-facing reason must match."""

    path: str
    name: str  # what it is, as the tests' ids show it
    reason: str  # regex, searched in Source.last_error


# Every source that must fail. A table rather than a list built with the routes, so that
# the tests can take one parameter per source at collection time, before the site runs.
BAD_SOURCES = (
    Bad("/loop/a", "redirect-loop", r"^redirect loop$"),
    Bad("/chain/0", "endless-redirect-chain", r"^too many redirects \(\d+\)$"),
    Bad("/bomb.xml", "gzip-bomb", r"^feed larger than 1 MB$"),
    Bad("/homepage.xml", "html-page-posing-as-feed", r"^not a feed\b"),
    Bad("/oversized.xml", "oversized-feed", r"^feed larger than 1 MB$"),
    Bad("/malformed.xml", "xml-cut-before-any-entry", r"^malformed XML: .+"),
    Bad("/empty.xml", "empty-body", r"^not a feed: empty document$"),
    Bad("/error500.xml", "http-500", r"^HTTP 500 Internal Server Error$"),
    Bad("/gone.xml", "http-404", r"^HTTP 404 Not Found$"),
    Bad("/throttled.xml", "http-429-retry-after", r"^HTTP 429 Too Many Requests$"),
    Bad("/hang.xml", "server-never-answers", r"^timed out after 1 s waiting for data$"),
    Bad("/trickle.xml", "trickling-body", r"^timed out after 3 s$"),
)


class HostileSite:
    """Good feeds, their pages, and every bad source, on one loopback aiohttp server in its own thread."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.hits: collections.Counter[str] = collections.Counter()
        self.routes: dict[str, Handler] = {}
        self.good: dict[str, list[Entry]] = {}  # feed path (as finally stored) → its entries
        self.bad = BAD_SOURCES
        self.truncated_complete: list[Entry] = []
        self.charset: dict[str, Charset] = {}  # feed path → what its entries must read as
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hostile-site", daemon=True)
        self.stopping = asyncio.Event()
        self.runner: web.AppRunner | None = None
        try:
            self._build()
        except BaseException:
            self.sock.close()
            self.loop.close()
            raise

    def url(self, path: str) -> str:
        return self.base + path

    # -- routes ----------------------------------------------------------------------------

    def _build(self) -> None:
        base = self.base
        page_titles: dict[str, str] = {}

        def entries(prefix: str, n: int, *, long: bool = False) -> list[Entry]:
            out = []
            for i in range(1, n + 1):
                slug = f"{prefix}-{i}"
                title = f"{prefix.title()} story {i}: council weighs the river bridge plan"
                page_titles[slug] = title
                summary = f"<p>{paragraphs(slug, 1)[0].split('. ')[0]}. Filed by the {slug} desk.</p>"
                content = "".join(f"<p>{p}</p>" for p in paragraphs(slug, 5)) if long else None
                out.append(Entry(slug, title, f"{base}/articles/{slug}.html", summary, content, age_h=i * 3))
            return out

        # Good feeds: short summaries, so their pages are fetched and extracted.
        world = entries("world", 3)
        page_titles["hostile-page"] = "Hostile page: council weighs the river bridge plan"
        world.append(
            Entry("hostile-page", page_titles["hostile-page"], f"{base}/articles/hostile-page.html", "<p>Short.</p>")
        )
        world.append(
            Entry("missing-page", "Missing page: the bridge plan", f"{base}/articles/missing.html", "<p>Gone soon.</p>")
        )
        self._feed("/good/world.xml", rss("World", base, world), "application/rss+xml", world, etag='"w1"')
        tech = entries("tech", 4)
        self._feed("/good/tech.atom", atom("Tech", base, tech), "application/atom+xml", tech)
        science = entries("science", 4)
        self._feed("/good/science.xml", rss("Science", base, science), "text/xml; charset=utf-8", science)
        moved = entries("moved", 3)
        self._feed(MOVED_TO, rss("Moved", base, moved), "application/rss+xml", moved)
        self.routes[MOVED_FROM] = redirect(301, MOVED_TO)

        # Wrong charsets: long entries (no page fetch), so the stored text is the feed's own.
        # ISO-8859-1 bytes, declared so in the prolog, but the header claims UTF-8.
        latin = charset_case(
            base,
            "latin",
            title="Un café à Zürich, naïve façade",
            entry_title="Un café à Zürich, naïve façade n°{i}",
            sentence="Le café crème coûte trois francs à Zürich, dit l'élève.",
        )
        latin_xml = rss("Café Zürich", base, latin.entries, prolog='<?xml version="1.0" encoding="ISO-8859-1"?>')
        self.routes[LATIN1] = static(latin_xml.encode("iso-8859-1"), "application/rss+xml; charset=utf-8")
        self.charset[LATIN1] = latin
        # windows-1252 bytes (curly quotes, en dash, euro sign) with no declaration anywhere.
        cp1252 = charset_case(
            base,
            "cp1252",
            title="“Smart” quotes – and a café for €",
            entry_title="“Smart” quotes – and a café for €{i}",
            sentence="The café’s “special” costs €5 – or so they say.",
        )
        cp_xml = rss("Windows ‘1252’", base, cp1252.entries, prolog='<?xml version="1.0"?>')
        self.routes[CP1252] = static(cp_xml.encode("windows-1252"), "application/rss+xml")
        self.charset[CP1252] = cp1252

        # Hostile entries: long enough that their own (sanitized) content is what is stored.
        hostile_entries = [hostile_entry(base, i) for i in range(1, 4)]
        self._feed("/hostile/feed.xml", rss("Hostile", base, hostile_entries), "application/rss+xml", hostile_entries)

        # Article pages.
        for slug, title in page_titles.items():
            html = article_page(base, slug, title, hostile=slug == "hostile-page")
            self.routes[f"/articles/{slug}.html"] = static(html.encode(), "text/html; charset=utf-8")
        self.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", "text/plain")

        # Bad sources.
        self._bad("/loop/a", redirect(302, "/loop/b"))
        self.routes["/loop/b"] = redirect(302, "/loop/a")
        self._bad("/chain/0", self._chain)
        bomb = gzip_bomb()
        assert len(bomb) < 1_100_000
        self._bad("/bomb.xml", self._streamed(bomb, {"Content-Encoding": "gzip"}))
        html_page = article_page(base, "not-a-feed", "Welcome to our homepage")  # links to no feed
        self._bad("/homepage.xml", static(html_page.encode(), "text/html; charset=utf-8"))
        filler = "".join(f"<p>{p}</p>" for p in paragraphs("big", 5))
        big = [
            Entry(f"big-{i}", f"Big story {i}", f"{base}/articles/big-{i}.html", "<p>Big.</p>", filler)
            for i in range(700)
        ]
        big_xml = rss("Big", base, big)
        assert len(big_xml) > 1.5 * FEED_MAX_BYTES
        self._bad("/oversized.xml", static(big_xml.encode(), "application/rss+xml"))
        unfinished = rss("Unfinished", base, entries("unfinished", 1))
        unfinished = unfinished[: unfinished.index("<item>")]  # cut before any entry: nothing to recover
        self._bad("/malformed.xml", static(unfinished.encode(), "application/rss+xml"))
        # Cut inside the third entry's <link>: two complete entries, then a fragment with a wrong URL.
        truncated = entries("trunc", 3)
        truncated_xml = rss("Truncated", base, truncated)
        truncated_xml = truncated_xml[: truncated_xml.index("/articles/trunc-3.html") + len("/arti")]
        self.routes[TRUNCATED] = static(truncated_xml.encode(), "application/rss+xml")
        self.truncated_complete = truncated[:2]
        self._bad("/empty.xml", static(b"", "application/rss+xml"))
        self._bad("/error500.xml", static(b"oops", "text/plain", status=500))
        self._bad("/gone.xml", static(b"nope", "text/plain", status=404))
        throttled = static(b"slow down", "text/plain", status=429, headers={"Retry-After": "3600"})
        self._bad("/throttled.xml", throttled)
        self._bad("/hang.xml", self._hang)
        self._bad("/trickle.xml", self._trickle)
        unserved = [b.path for b in BAD_SOURCES if b.path not in self.routes]
        assert not unserved, f"BAD_SOURCES not served: {unserved}"

    def _feed(
        self, path: str, body: str | bytes, content_type: str, entries: list[Entry], etag: str | None = None
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = static(data, content_type, etag=etag)
        self.good[path] = entries

    def _bad(self, path: str, handler: Handler) -> None:
        """Serve a source that must fail; its entry in :data:`BAD_SOURCES` says how."""
        assert any(b.path == path for b in BAD_SOURCES), f"{path} is not in BAD_SOURCES"
        self.routes[path] = handler

    async def _chain(self, request: web.Request) -> web.StreamResponse:
        """/chain/0 → /chain/1 → … without end: longer than any max_redirects."""
        n = int(request.path.rsplit("/", 1)[1])
        return web.Response(status=302, headers={"Location": f"/chain/{n + 1}"})

    def _streamed(self, body: bytes, headers: dict[str, str]) -> Handler:
        """Send ``body`` chunked (no Content-Length), so only counting what is read can stop it."""

        async def handler(request: web.Request) -> web.StreamResponse:
            resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml", **headers})
            await resp.prepare(request)
            for i in range(0, len(body), 64 * 1024):
                await resp.write(body[i : i + 64 * 1024])
            await resp.write_eof()
            return resp

        return handler

    async def _hang(self, request: web.Request) -> web.StreamResponse:
        """Accept the request and never answer."""
        await self.stopping.wait()
        return web.Response(status=204)

    async def _trickle(self, request: web.Request) -> web.StreamResponse:
        """Headers at once, then a byte every 0.4 s: never idle long enough for the read timeout."""
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        await resp.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Trickle</title>')
        while not self.stopping.is_set():
            await resp.write(b" ")
            await asyncio.sleep(0.4)
        return resp

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        path = request.path
        handler = self.routes.get(path)
        if handler is None and path.startswith("/chain/"):
            handler = self._chain
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> HostileSite:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._dispatch)
        # handler_cancellation: a client that gives up (timeouts, size caps) ends its handler at once.
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=15)
        self.loop.close()

    async def _stop(self) -> None:
        self.stopping.set()
        if self.runner is not None:
            await self.runner.cleanup()


def static(
    body: bytes,
    content_type: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    etag: str | None = None,
) -> Handler:
    """A fixed response; with ``etag``, a matching If-None-Match gets 304 (so the second pass sees both paths)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        h = {"Content-Type": content_type, **(headers or {})}
        if etag:
            h["ETag"] = etag
        return web.Response(body=body, status=status, headers=h)

    return handler


def redirect(status: int, location: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler
