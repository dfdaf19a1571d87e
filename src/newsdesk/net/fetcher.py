"""Stage 1: polite, bounded, SSRF-safe HTTP fetching of feeds and article pages.

One :class:`Fetcher` serves a whole update pass. It holds one aiohttp session,
so connections are pooled and kept alive, the global and per-host connection
limits hold across every concurrent fetch, and robots.txt is fetched once per
host (:mod:`newsdesk.net.robots`). Whatever goes wrong becomes a
:class:`~newsdesk.errors.FetchError` whose ``reason`` a user can read in the UI
(:mod:`newsdesk.net.failures`); no aiohttp, asyncio or OS exception leaks.

Safety, in the order a request meets it:

* only http and https URLs; an IP-literal host is checked by the SSRF guard
  (:mod:`newsdesk.net.guard`) before any connection (aiohttp never calls the
  resolver for literals);
* a host name is checked *inside the connector's resolver*
  (:class:`~newsdesk.net.guard.GuardedResolver`), so the address connected to
  is exactly the one checked and a second DNS answer (rebinding) cannot slip past;
* redirects are followed by hand, so every hop passes both checks, loops are
  caught and ``max_redirects`` applies;
* bodies are read in chunks, counted *after* decompression, and abandoned as
  soon as they pass the cap, so a gzip bomb costs about one chunk past the cap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.compression_utils import HAS_BROTLI
from aiohttp.resolver import DefaultResolver
from isal import isal_zlib
from yarl import URL

from newsdesk.config import Settings
from newsdesk.errors import BlockedAddressError, FetchError, RobotsDisallowedError, TooLargeError
from newsdesk.logs import event
from newsdesk.model import FetchedDocument
from newsdesk.net.failures import network_error, status_error
from newsdesk.net.guard import AddressRefused, GuardedResolver, checked_target, checked_url
from newsdesk.net.http_headers import freshness_s
from newsdesk.net.robots import ROBOTS_ACCEPT, ROBOTS_MAX_BYTES, RobotsCache

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
# The raster types the image proxy serves; never SVG (a document that can carry script).
IMAGE_ACCEPT = "image/avif, image/webp, image/png, image/jpeg, image/gif;q=0.9"
# aiohttp inflates transparently; advertise brotli only when its decoder is installed.
ACCEPT_ENCODING = "gzip, deflate, br" if HAS_BROTLI else "gzip, deflate"
# What a deferred fetch (fetch_feed(decode=False)) accepts: the codings
# ``pipeline.feed.inflate.decode_body`` inflates after the fetch.
DEFERRED_ACCEPT_ENCODING = "gzip, deflate"

_CHUNK_BYTES = 256 * 1024  # large enough that a typical feed arrives in one read
_MAX_LINE_BYTES = 16 * 1024  # real sites send long Set-Cookie and CSP headers
_MAX_FIELD_BYTES = 32 * 1024
_DNS_CACHE_S = 60  # cached answers were checked by the guard when they were resolved
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class _Kind:
    """What is being fetched: names it in reasons and picks the Accept header and size cap."""

    noun: str
    accept: str
    max_bytes: int


class Fetcher:
    """One HTTP client for a whole update pass (connection pool, robots.txt cache).

    Use as ``async with Fetcher(settings) as f: await f.fetch_feed(url, etag, lm)``.
    Raises :class:`~newsdesk.errors.FetchError` (or a subclass) with a human reason.
    Safe for many concurrent fetches from one event loop.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._feed = _Kind("feed", FEED_ACCEPT, settings.feed_max_bytes)
        self._page = _Kind("page", PAGE_ACCEPT, settings.page_max_bytes)
        self._robots_txt = _Kind("robots.txt", ROBOTS_ACCEPT, ROBOTS_MAX_BYTES)
        self._image = _Kind("image", IMAGE_ACCEPT, settings.media_max_bytes)
        self._robots = RobotsCache(self._fetch_robots_txt, settings.user_agent)
        # Per-host slots, taken before the total timeout starts: a feed queued behind other
        # feeds of the same (slow) publisher must not time out while it merely waits its turn.
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        self._session = _make_session(self.settings)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop robots.txt fetches still running and close every pooled connection."""
        await self._robots.aclose()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def fetch_feed(
        self, url: str, etag: str | None = None, last_modified: str | None = None, *, decode: bool = True
    ) -> FetchedDocument:
        """Conditional GET of a feed: a 304 comes back as a document without a body.

        ``decode=False`` leaves a gzip or deflate body compressed (``content_encoding`` says
        which) for :func:`decode_body` to inflate later, in the process that parses it: an
        update pass hands feeds to worker processes, and compressed bodies are about a fifth
        of the bytes to send them and inflate in parallel there instead of on the event loop.
        """
        headers = {"Accept": self._feed.accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if not decode:
            headers["Accept-Encoding"] = DEFERRED_ACCEPT_ENCODING
        return await self._fetch(url, self._feed, headers, decode=decode)

    async def fetch_page(self, url: str) -> FetchedDocument:
        """GET an article page, after asking the host's robots.txt when that is enabled."""
        if self.settings.respect_robots_txt:
            target = checked_url(url, self.settings.allow_private_networks)
            if not await self._robots.allows(target):
                log.debug(event("fetch.robots_disallowed", url=url))
                raise RobotsDisallowedError(url)
        return await self._fetch(url, self._page, {"Accept": self._page.accept})

    async def fetch_image(self, url: str) -> FetchedDocument:
        """GET a publisher's image for the image proxy, capped at ``media_max_bytes``.

        robots.txt is not asked: an image a feed or page embeds is fetched as a browser showing
        that page would fetch it (miniflux's media proxy does the same). The caller checks the type.
        """
        return await self._fetch(url, self._image, {"Accept": self._image.accept})

    async def _fetch_robots_txt(self, url: str) -> FetchedDocument:
        """GET a robots.txt for the cache, through the same pool, slots, timeouts and guard."""
        return await self._fetch(url, self._robots_txt, {"Accept": self._robots_txt.accept})

    async def _fetch(self, url: str, kind: _Kind, headers: dict[str, str], *, decode: bool = True) -> FetchedDocument:
        """Run one fetch under the total timeout and turn every failure into a FetchError."""
        started = time.perf_counter()
        try:
            async with self._host_slot(url), asyncio.timeout(self.settings.total_timeout_s):
                doc = await self._follow(url, kind, headers, decode)
        except FetchError as exc:
            _log_failure(url, exc)
            raise
        except (AddressRefused, aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = network_error(url, exc, self.settings)
            _log_failure(url, error)
            raise error from exc
        if log.isEnabledFor(logging.DEBUG):
            ms = round((time.perf_counter() - started) * 1000)
            log.debug(event("fetch.done", url=url, status=doc.status, bytes=len(doc.body), ms=ms))
        return doc

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        try:
            host = URL(url).host or ""
        except ValueError:
            host = ""
        slot = self._host_slots.get(host)
        if slot is None:
            slot = self._host_slots[host] = asyncio.Semaphore(self.settings.max_connections_per_host)
        return slot

    async def _follow(self, url: str, kind: _Kind, headers: dict[str, str], decode: bool) -> FetchedDocument:
        """Request ``url``, following redirects by hand so that every hop is checked."""
        session = self._require_session()
        allow_private = self.settings.allow_private_networks
        current = checked_url(url, allow_private)
        seen = {current}
        hops = 0
        only_permanent = True
        while True:
            async with session.get(current, headers=headers, allow_redirects=False, auto_decompress=decode) as resp:
                if resp.status not in _REDIRECTS:
                    final = url if hops == 0 else str(current)
                    moved = final if hops and only_permanent else None
                    return await _document(url, final, resp, kind, moved, decode)
                hops += 1
                only_permanent = only_permanent and resp.status in _PERMANENT_REDIRECTS
                current = _next_hop(url, current, resp, seen, hops, self.settings)
                seen.add(current)

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use Fetcher as `async with Fetcher(settings) as fetcher:`")
        return self._session


# --- session ------------------------------------------------------------------------------


def _make_session(settings: Settings) -> aiohttp.ClientSession:
    """One pooled, keep-alive session; the guard sits in its resolver unless private networks are allowed."""
    # Pages (decoded by aiohttp, on the event loop) inflate with ISA-L too; aiohttp keeps its size bounds.
    aiohttp.set_zlib_backend(isal_zlib)
    resolver: AbstractResolver = DefaultResolver()
    if not settings.allow_private_networks:
        resolver = GuardedResolver(resolver)
    connector = aiohttp.TCPConnector(
        limit=settings.max_connections,
        limit_per_host=settings.max_connections_per_host,
        resolver=resolver,
        ttl_dns_cache=_DNS_CACHE_S,
    )
    # No aiohttp total: ours (asyncio.timeout in Fetcher._fetch) spans redirects and the body.
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=settings.connect_timeout_s, sock_read=settings.read_timeout_s
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        max_line_size=_MAX_LINE_BYTES,
        max_field_size=_MAX_FIELD_BYTES,
        trust_env=False,  # a proxy would connect on our behalf, past the guard
    )


# --- redirects and bodies -----------------------------------------------------------------


def _next_hop(
    requested: str, current: URL, resp: aiohttp.ClientResponse, seen: set[URL], hops: int, settings: Settings
) -> URL:
    """Where a redirect points, after the loop, limit and guard checks."""
    location = resp.headers.get("Location")
    if not location:
        raise FetchError(requested, f"HTTP {resp.status} redirect without a Location header", status=resp.status)
    try:
        target = current.join(URL(location))
    except (TypeError, ValueError):
        # the server's text is not repeated: a source's error shows our own words
        raise FetchError(
            requested, f"HTTP {resp.status} redirect to an address that is not a valid URL", status=resp.status
        ) from None
    target = checked_target(target, requested, settings.allow_private_networks)
    if target in seen:
        raise FetchError(requested, "redirect loop", status=resp.status)
    if hops > settings.max_redirects:
        raise FetchError(requested, f"too many redirects ({hops})", status=resp.status)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(event("fetch.redirect", url=str(current), to=str(target), status=resp.status))
    return target


async def _document(
    requested: str, final: str, resp: aiohttp.ClientResponse, kind: _Kind, moved: str | None, decode: bool
) -> FetchedDocument:
    """Turn a final (non-redirect) response into a document, or raise for its status."""
    status = resp.status
    if status != 304 and not 200 <= status < 300:
        raise status_error(requested, resp)
    body = b"" if status == 304 else await _read_body(requested, resp, kind)
    headers = resp.headers
    encoding = None
    if not decode and body:
        encoding = headers.get("Content-Encoding", "").strip().lower() or None
        if encoding == "identity":
            encoding = None
    has_type = "Content-Type" in headers
    return FetchedDocument(
        content_encoding=encoding,
        url=final,
        status=status,
        body=body,
        content_type=resp.content_type if has_type else None,
        charset=resp.charset if has_type else None,
        etag=headers.get("ETag"),
        last_modified=headers.get("Last-Modified"),
        max_age_s=freshness_s(
            cache_control=", ".join(headers.getall("Cache-Control", ())) or None,
            expires=headers.get("Expires"),
            date=headers.get("Date"),
            age=headers.get("Age"),
            now=datetime.now(UTC),
        ),
        permanent_redirect=moved,
    )


async def _read_body(requested: str, resp: aiohttp.ClientResponse, kind: _Kind) -> bytes:
    """Read the decompressed body in chunks, giving up as soon as it passes the cap.

    Counting after decompression is what stops a gzip bomb: aiohttp inflates only
    about a buffer ahead of what is read, so memory stays near the cap.
    """
    declared = resp.content_length
    if declared is not None and declared > kind.max_bytes:
        raise _too_large(requested, kind, resp.status)
    chunks: list[bytes] = []
    total = 0
    while chunk := await resp.content.read(_CHUNK_BYTES):
        total += len(chunk)
        if total > kind.max_bytes:
            raise _too_large(requested, kind, resp.status)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(requested: str, kind: _Kind, status: int) -> TooLargeError:
    return TooLargeError.over_cap(requested, kind.noun, kind.max_bytes, status=status)


def _log_failure(url: str, exc: FetchError) -> None:
    if isinstance(exc, BlockedAddressError):
        log.info(event("fetch.blocked", url=url, reason=exc.reason))
    elif log.isEnabledFor(logging.DEBUG):
        log.debug(event("fetch.failed", url=url, status=exc.status, reason=exc.reason))
