"""The offline demo news site: real Wikinews articles served from a loopback HTTP server.

``newsdesk demo`` has to show real news without touching the network, and it
should exercise the whole pipeline rather than a shortcut: discover feeds,
fetch RSS and Atom, notice the entries are only teasers, fetch each page,
extract the article from its boilerplate, honour robots.txt and conditional
requests. :class:`DemoSite` is that publisher: an in-process ``aiohttp.web``
server on 127.0.0.1 (port 0 picks a free port) serving the pre-rendered
:mod:`newsdesk.demo.render` documents, with ETag / Last-Modified validation.

:func:`running_demo_site` runs it in a background thread with its own event
loop, for the synchronous CLI and for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import hdrs, web

from newsdesk.demo.articles import DemoArticle, load_demo_articles
from newsdesk.demo.edition import Edition, make_edition
from newsdesk.demo.render import Resource, render_site
from newsdesk.logs import event

log = logging.getLogger(__name__)

_COMPRESS_MIN_BYTES = 1024
_THREAD_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class DemoFeed:
    """One feed of the running demo site, as a subscriber sees it.

    ``format`` is ``rss`` or ``atom``; ``html_url`` is the section page that
    links the feed (useful to test feed autodiscovery).
    """

    title: str
    url: str
    section: str
    language: str
    format: str
    html_url: str


class DemoSite:
    """A publisher on loopback serving the bundled Wikinews articles as a news site.

    The edition — which article is in which feed, with which shifted date — is
    fixed when the site is created from ``now`` (default: the current time), so
    bodies and ETags stay stable for the life of the site and repeated runs with
    the same ``now`` serve identical bytes.
    """

    def __init__(self, now: datetime | None = None, articles: Sequence[DemoArticle] | None = None) -> None:
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.articles = list(articles) if articles is not None else load_demo_articles()
        self.edition: Edition = make_edition(self.articles, self.now)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._resources: dict[str, Resource] = {}

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, once started."""
        if self._base_url is None:
            raise RuntimeError("the demo site is not started")
        return self._base_url

    @property
    def opml_url(self) -> str:
        return self.base_url + "/opml.xml"

    @property
    def feeds(self) -> list[DemoFeed]:
        """Every feed of the site, in menu order."""
        base = self.base_url
        return [
            DemoFeed(s.title, base + s.feed_path, s.category, s.language, s.format, base + s.page_path)
            for s in self.edition.sources
        ]

    def url_of(self, article: DemoArticle | str) -> str:
        """The page URL of an article (given as object or id) on this site."""
        article_id = article if isinstance(article, str) else article.id
        for story in self.edition.stories:
            if story.article.id == article_id:
                return self.base_url + story.path
        raise KeyError(article_id)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind (port 0: any free port), render every document for that address, start serving."""
        if self._runner is not None:
            raise RuntimeError("the demo site is already started")
        sock = _bind(host, port)
        bound_port = sock.getsockname()[1]
        self._base_url = f"http://{f'[{host}]' if ':' in host else host}:{bound_port}"
        self._resources = render_site(self.edition, self._base_url)
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            sock.close()
            raise
        self._runner = runner
        log.info(
            event(
                "demo.started", url=self._base_url, feeds=len(self.edition.sources), articles=len(self.edition.stories)
            )
        )

    async def stop(self) -> None:
        """Close the listener and open connections; safe to call twice or before start."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info(event("demo.stopped", url=self._base_url))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        res = self._resources.get(request.path)
        if res is None:
            return web.Response(status=404, text="Not found\n")
        headers = _validators(res)
        if _not_modified(request, res):
            return web.Response(status=304, headers=headers)
        headers[hdrs.CONTENT_TYPE] = res.content_type
        response = web.Response(body=res.body, headers=headers)
        if len(res.body) >= _COMPRESS_MIN_BYTES:
            response.enable_compression()  # only if the client accepts it; exercises decompression
        return response


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket, bound before rendering so the pages can carry absolute URLs."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _validators(res: Resource) -> dict[str, str]:
    headers: dict[str, str] = {hdrs.ETAG: res.etag}
    if res.last_modified is not None:
        headers[hdrs.LAST_MODIFIED] = format_datetime(res.last_modified.astimezone(UTC), usegmt=True)
    if res.cache_seconds is not None:
        headers[hdrs.CACHE_CONTROL] = f"public, max-age={res.cache_seconds}"
    return headers


def _not_modified(request: web.Request, res: Resource) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; otherwise If-Modified-Since against Last-Modified."""
    if_none_match = request.headers.get(hdrs.IF_NONE_MATCH)
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or res.etag in tags
    since = request.if_modified_since
    return since is not None and res.last_modified is not None and res.last_modified <= since


@contextlib.contextmanager
def running_demo_site(now: datetime | None = None, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[DemoSite]:
    """Run a :class:`DemoSite` in a background thread with its own event loop, for synchronous callers.

    The site is started before the block runs and stopped, the loop closed and
    the thread joined when it ends, even on error.
    """
    site = DemoSite(now=now)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="newsdesk-demo-site", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(site.start(host, port), loop).result(_THREAD_TIMEOUT_S)
        yield site
    finally:
        try:
            asyncio.run_coroutine_threadsafe(site.stop(), loop).result(_THREAD_TIMEOUT_S)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_THREAD_TIMEOUT_S)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
