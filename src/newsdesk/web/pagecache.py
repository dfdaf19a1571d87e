"""The rendered-page cache of anonymous readers: an ASGI middleware in front of the page routes.

A page of the reader's site (the front page, a story, an article, a topic, search…) is rendered
once and its bytes replayed to every anonymous reader who asks for the same address in the same
UI language, while it is fresh by the rule of :class:`~newsdesk.core.PageStore`
(``queries/cache.py``): no write to anything a page shows has committed since it was rendered
(the database's data versions, read *before* rendering, are the same), and it is younger than a
minute (relative times such as "5 minutes ago" age with the clock alone).

- Key: path, query string, the UI language the request resolves to (``?lang=``, the ``lang``
  cookie, ``Accept-Language``) and whether htmx asked (``HX-Request``: some addresses answer it with a
  fragment of the page they answer a browser with); the theme is the reader's CSS, no part of the HTML.
- Only ``GET`` requests for the page routes, answered 200 as HTML without ``Set-Cookie`` or
  ``Cache-Control: no-store`` (a model's output still being written): errors,
  redirects, the language switcher's cookie, the API, images and static files pass straight through.
- Signed-in readers are never served from it nor stored in it: their pages show who they are. Any
  request with a session cookie steps around it (a stale cookie too, which its first page clears), but
  its page takes a render slot like any other (below).
- One rendering per key at a time: when a popular page expires under load, the first request renders
  it and the others wait for it, instead of all rendering the same page.
- At most :data:`RENDER_SLOTS` renderings at a time (from the request to the response's start; the
  sending holds none, so a slow reader cannot take a slot), the others queued: rendering is Python work under
  one GIL, so forty of them on forty threads (a cold start: fifty readers asking for fifty different
  pages) finish no sooner than four would, and starve the event loop that replays the cached pages
  meanwhile — every thread waits its turn for the GIL, and the loop waits behind all of them. Measured
  on the search page at 50 connections, cold: p95 263 ms with forty renderings at once (see
  docs/benchmarks.md for the figure with the slots).

It sits inside the Host check and the security headers, so a replayed page carries them as a fresh one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.core import Newsdesk
from newsdesk.web.pages.i18n import pick_locale
from newsdesk.web.sessions import has_session_cookie
from newsdesk.web.versions import VersionReader

RENDER_SLOTS = 4  # renderings at once: two cores, and each rendering also waits on the database

# Addresses of the reader's pages (and their htmx fragments): everything else passes through.
PAGE_PATHS = ("/categories/", "/regions/", "/stories/", "/articles/", "/topics/", "/fragments/", "/sources")
EXACT_PATHS = frozenset({"/", "/search", "/about"})


def cacheable_path(path: str) -> bool:
    return path in EXACT_PATHS or path.startswith(PAGE_PATHS)


class CachedPages:
    """Replay a fresh rendered page to an anonymous reader, or render it and keep it (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, desk: Newsdesk) -> None:
        self.app = app
        self.desk = desk
        self.store = desk.pages
        self.versions = VersionReader(desk.data_versions)
        self._rendering: dict[Hashable, asyncio.Future[None]] = {}
        self._slots = asyncio.Semaphore(RENDER_SLOTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.store.max_bytes  # page_cache_max_bytes = 0: every request renders
            or not cacheable_path(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        versions = await self.versions.current()  # read after this request arrived, before rendering
        site = self.desk.site(dict(versions).get("site", 0))  # read again only after an administrator's change
        scope.setdefault("state", {})["site"] = site  # the renderer's, so it need not read the version again
        if has_session_cookie(request):  # a signed-in reader's page is theirs alone: never cached
            # the facade's caches (ranking, card facts, site settings) check the versions read above
            with self.desk.versions_read(versions):
                await self._in_a_slot(scope, receive, send)  # it takes its turn to render like any other
            return
        locale = pick_locale(
            request.query_params.get("lang"),
            request.cookies.get("lang"),
            request.headers.get("accept-language"),
            site.default_language,
        )
        fragment = request.headers.get("hx-request") == "true"  # the same address answers htmx with a fragment
        key = (scope["path"], scope["query_string"], locale, fragment)
        page = self.store.get(key, versions)
        if page is None and (rendering := self._rendering.get(key)) is not None:
            await asyncio.shield(rendering)  # the same page is being rendered: take its result
            page = self.store.get(key, versions)
        if page is not None:
            await send({"type": "http.response.start", "status": page.status, "headers": list(page.headers)})
            await send({"type": "http.response.body", "body": page.body})
            return
        await self._render(key, versions, scope, receive, send)

    async def _in_a_slot(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app in one of the render slots, held until the response starts (rendered: sending to a slow
        reader holds none)."""
        slot = _Slot(self._slots)

        async def forward(message: Message) -> None:
            if message["type"] == "http.response.start":
                slot.release()
            await send(message)

        await slot.acquire()
        try:
            await self.app(scope, receive, forward)
        finally:
            slot.release()

    async def _render(
        self, key: Hashable, versions: tuple[tuple[str, int], ...], scope: Scope, receive: Receive, send: Send
    ) -> None:
        done = self._rendering.get(key)
        mine = done is None
        if mine:
            done = self._rendering[key] = asyncio.get_running_loop().create_future()
        started = self.desk.clock()
        start: Message | None = None
        body: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = {**message, "headers": list(message.get("headers", []))}  # before outer layers add theirs
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        try:
            await self._in_a_slot(scope, receive, keep)
            if start is not None and _keepable(start):
                self.store.put(key, start["status"], start["headers"], b"".join(body), versions, started)
        finally:
            if mine:
                assert done is not None
                self._rendering.pop(key, None)
                done.set_result(None)


class _Slot:
    """One rendering's hold on the shared semaphore, released once: when the response starts, or on failure."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = False

    async def acquire(self) -> None:
        await self._slots.acquire()
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()


def _keepable(start: Message) -> bool:
    """A complete 200 HTML page that sets no cookie and does not ask not to be stored (``no-store``: a
    model's "still writing" fragment, which changes without any data version changing)."""
    if start["status"] != 200:
        return False
    headers = {name.lower(): value for name, value in start.get("headers", [])}
    if b"no-store" in headers.get(b"cache-control", b""):
        return False
    return b"set-cookie" not in headers and headers.get(b"content-type", b"").startswith(b"text/html")
