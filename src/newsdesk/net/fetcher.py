"""Stage 1: polite, bounded, SSRF-safe HTTP fetching of feeds and article pages.

One :class:`Fetcher` serves a whole update pass. It holds one aiohttp session,
so connections are pooled and kept alive, the global and per-host connection
limits hold across every concurrent fetch, and robots.txt is fetched once per
host. Whatever goes wrong becomes a :class:`~newsdesk.errors.FetchError` whose
``reason`` a user can read in the UI; no aiohttp, asyncio or OS exception leaks.

Safety, in the order a request meets it:

* only http and https URLs; an IP-literal host is checked by the SSRF guard
  before any connection (aiohttp never calls the resolver for literals);
* a host name is checked *inside the connector's resolver*
  (:class:`GuardedResolver`), so the address connected to is exactly the one
  checked and a second DNS answer (rebinding) cannot slip past;
* redirects are followed by hand, so every hop passes both checks, loops are
  caught and ``max_redirects`` applies;
* bodies are read in chunks, counted *after* decompression, and abandoned as
  soon as they pass the cap, so a gzip bomb costs about one chunk past the cap.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.compression_utils import HAS_BROTLI
from aiohttp.resolver import DefaultResolver
from isal import isal_zlib
from yarl import URL

from newsdesk.config import ENV_PREFIX, Settings
from newsdesk.errors import BlockedAddressError, FetchError, RobotsDisallowedError, TooLargeError
from newsdesk.logs import event
from newsdesk.model import FetchedDocument

if TYPE_CHECKING:  # imported on first use: urllib.robotparser loads urllib.request (≈15 ms), feeds never need it
    from urllib.robotparser import RobotFileParser

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ROBOTS_MAX_BYTES = 500_000
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ROBOTS_ACCEPT = "text/plain, */*;q=0.5"
# aiohttp inflates transparently; advertise brotli only when its decoder is installed.
ACCEPT_ENCODING = "gzip, deflate, br" if HAS_BROTLI else "gzip, deflate"

_CHUNK_BYTES = 256 * 1024  # large enough that a typical feed arrives in one read
_MAX_LINE_BYTES = 16 * 1024  # real sites send long Set-Cookie and CSP headers
_MAX_FIELD_BYTES = 32 * 1024
_DNS_CACHE_S = 60  # cached answers were checked by the guard when they were resolved
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_PERMANENT_FAILURES = frozenset({401, 403, 404, 410, 451})  # retrying within hours will not help
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_ALLOW_HINT = f"set {ENV_PREFIX}ALLOW_PRIVATE_NETWORKS=1 to allow it"


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
        self._robots: dict[URL, asyncio.Task[RobotFileParser]] = {}
        self._feed = _Kind("feed", FEED_ACCEPT, settings.feed_max_bytes)
        self._page = _Kind("page", PAGE_ACCEPT, settings.page_max_bytes)
        self._robots_txt = _Kind("robots.txt", ROBOTS_ACCEPT, ROBOTS_MAX_BYTES)
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
        tasks = list(self._robots.values())
        self._robots.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
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
            target = _checked_url(url, self.settings.allow_private_networks)
            if not await self._robots_allow(target):
                log.debug(event("fetch.robots_disallowed", url=url))
                raise RobotsDisallowedError(url)
        return await self._fetch(url, self._page, {"Accept": self._page.accept})

    async def _fetch(self, url: str, kind: _Kind, headers: dict[str, str], *, decode: bool = True) -> FetchedDocument:
        """Run one fetch under the total timeout and turn every failure into a FetchError."""
        started = time.perf_counter()
        try:
            async with self._host_slot(url), asyncio.timeout(self.settings.total_timeout_s):
                doc = await self._follow(url, kind, headers, decode)
        except FetchError as exc:
            _log_failure(url, exc)
            raise
        except (_AddressRefused, aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = _translate(url, exc, self.settings)
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
        current = _checked_url(url, allow_private)
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

    async def _robots_allow(self, target: URL) -> bool:
        """Ask the (cached) robots.txt of ``target``'s origin; one fetch per origin, shared."""
        origin = target.origin()
        task = self._robots.get(origin)
        if task is None:
            task = asyncio.create_task(self._load_robots(origin))
            self._robots[origin] = task
        # shield: one cancelled page fetch must not cancel the lookup others are waiting for
        rules = await asyncio.shield(task)
        return rules.can_fetch(self.settings.user_agent, str(target))

    async def _load_robots(self, origin: URL) -> RobotFileParser:
        """Fetch and parse one robots.txt; failures decide by status (RFC 9309), never raise."""
        url = str(origin.with_path("/robots.txt"))
        try:
            doc = await self._fetch(url, self._robots_txt, {"Accept": self._robots_txt.accept})
        except FetchError as exc:
            return _robots_after_failure(url, exc)
        log.debug(event("fetch.robots_loaded", url=url, bytes=len(doc.body)))
        return _robots_rules(doc.body.decode("utf-8", errors="replace").splitlines())

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use Fetcher as `async with Fetcher(settings) as fetcher:`")
        return self._session


# --- session and SSRF guard -------------------------------------------------------------


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


class _AddressRefused(Exception):
    """Raised inside the resolver, which does not know the URL; becomes BlockedAddressError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GuardedResolver(AbstractResolver):
    """Resolve with another resolver, then drop the addresses the SSRF guard refuses.

    It sits in the connector, so aiohttp connects only to addresses checked here:
    no gap between checking a name and connecting to it. When no address is left
    the lookup fails with the reason for the first refused one.
    """

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results:
            raise OSError(errno.EHOSTUNREACH, f"no addresses for {host}")
        allowed = [r for r in results if _refusal(r["host"]) is None]
        if allowed:
            return allowed
        address = results[0]["host"]
        raise _AddressRefused(f"{host} resolves to {address}, which is {_refusal(address)}; {_ALLOW_HINT}")

    async def close(self) -> None:
        await self._inner.close()


def refused_category(address: IPAddress) -> str | None:
    """Why the SSRF guard refuses ``address`` ("loopback", "private", …), or None if it is public.

    IPv6 forms that embed an IPv4 address (mapped, 6to4, NAT64) are judged by that
    address, since that is where the packets end up.
    """
    if isinstance(address, ipaddress.IPv6Address):
        address = _embedded_ipv4(address) or address
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not publicly routable"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _refusal(host: str) -> str | None:
    """The guard's verdict on a resolved address string (unparseable counts as refused)."""
    try:
        return refused_category(ipaddress.ip_address(host))
    except ValueError:
        return "not a valid address"


def _checked_url(url: str, allow_private: bool) -> URL:
    """Parse the URL a caller asked for and refuse it now if it must never be requested."""
    try:
        target = URL(url)
    except (TypeError, ValueError):
        raise FetchError(url, f"invalid URL {url!r}", permanent=True) from None
    return _checked_target(target, url, allow_private)


def _checked_target(target: URL, requested: str, allow_private: bool) -> URL:
    """Refuse other schemes than http(s) and private IP literals; drop the fragment.

    ``requested`` is the URL the caller asked for; errors carry it, not a redirect hop.
    """
    if not target.scheme:
        raise FetchError(requested, f"not an absolute URL: {target}", permanent=True)
    if target.scheme not in ("http", "https"):
        raise FetchError(requested, f"unsupported URL scheme {target.scheme!r} (only http and https)", permanent=True)
    host = target.host
    if not host:
        raise FetchError(requested, f"URL has no host: {target}", permanent=True)
    if not allow_private:
        _check_literal_host(requested, host)
    return target.with_fragment(None)


def _check_literal_host(requested: str, host: str) -> None:
    """Refuse a private IP-literal host now: aiohttp connects to literals without resolving."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Something aiohttp would still treat as an address (it skips the resolver for
        # these) but Python cannot read: refuse rather than connect unchecked.
        if ":" in host or host.replace(".", "").isdigit():
            raise FetchError(requested, f"invalid IP address {host}", permanent=True) from None
        return
    category = refused_category(address)
    if category is not None:
        raise BlockedAddressError(requested, f"address {host} is {category}; {_ALLOW_HINT}")


# --- redirects, statuses, bodies ----------------------------------------------------------


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
        raise FetchError(requested, f"invalid redirect Location {location!r}", status=resp.status) from None
    target = _checked_target(target, requested, settings.allow_private_networks)
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
        raise _status_error(requested, resp)
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


def _status_error(requested: str, resp: aiohttp.ClientResponse) -> FetchError:
    """A FetchError for an HTTP error status, with Retry-After and permanence decided."""
    status = resp.status
    retry_after = None
    if status in _RETRY_AFTER_STATUSES:
        retry_after = retry_after_s(resp.headers.get("Retry-After"), resp.headers.get("Date"), datetime.now(UTC))
    return FetchError(
        requested,
        _status_reason(status, resp.reason),
        status=status,
        retry_after=retry_after,
        permanent=status in _PERMANENT_FAILURES,
    )


def _status_reason(status: int, server_phrase: str | None) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = server_phrase or ""
    return f"HTTP {status} {phrase}".rstrip()


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


# --- content codings inflated after the fetch (fetch_feed(decode=False)) -----------------

# What a deferred fetch accepts: the codings ``pipeline.feed.inflate.decode_body`` inflates.
DEFERRED_ACCEPT_ENCODING = "gzip, deflate"


def _too_large(requested: str, kind: _Kind, status: int) -> TooLargeError:
    return TooLargeError.over_cap(requested, kind.noun, kind.max_bytes, status=status)


# --- robots.txt -------------------------------------------------------------------------


def _robots_rules(lines: list[str]) -> RobotFileParser:
    from urllib.robotparser import RobotFileParser

    rules = RobotFileParser()
    rules.parse(lines)
    return rules


def _robots_after_failure(url: str, exc: FetchError) -> RobotFileParser:
    """RFC 9309: 4xx means no rules, 401/403 forbid everything; unreachable is lenient here."""
    status = exc.status
    if isinstance(exc, BlockedAddressError):
        return _robots_rules([])  # the page fetch meets the same guard and reports it
    if status in (401, 403):
        log.info(event("fetch.robots_forbidden", url=url, status=status))
        return _robots_rules(["User-agent: *", "Disallow: /"])
    if status is not None and 400 <= status < 500 and status != 429:
        return _robots_rules([])
    # 5xx, 429, timeouts, network errors: be lenient, but say so.
    log.warning(event("fetch.robots_unavailable", url=url, reason=exc.reason))
    return _robots_rules([])


# --- cache and retry headers --------------------------------------------------------------


def freshness_s(
    *, cache_control: str | None, expires: str | None, date: str | None, age: str | None, now: datetime
) -> float | None:
    """Seconds the response stays fresh, from Cache-Control or Expires; None when not said.

    ``no-cache``/``no-store`` give 0 (ask every time). ``max-age`` wins over
    ``s-maxage`` (we are a private cache); an unreadable Expires means "already
    expired" (RFC 9111 §5.3). The response's ``Age`` is subtracted.
    """
    directives = _cache_directives(cache_control or "")
    if "no-store" in directives or directives.get("no-cache", "x") is None:
        return 0.0
    lifetime = _seconds(directives.get("max-age"))
    if lifetime is None:
        lifetime = _seconds(directives.get("s-maxage"))
    if lifetime is None and expires is not None:
        expires_at = _http_date(expires)
        if expires_at is None:
            return 0.0
        lifetime = (expires_at - (_http_date(date) or now)).total_seconds()
    if lifetime is None:
        return None
    return max(0.0, lifetime - (_seconds(age) or 0.0))


def _cache_directives(value: str) -> dict[str, str | None]:
    """``max-age=60, no-cache`` → {"max-age": "60", "no-cache": None}."""
    out: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        if name:
            out[name.strip().lower()] = arg.strip().strip('"') if sep else None
    return out


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    return float(value) if value.isdigit() else None


def retry_after_s(value: str | None, date: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from now: delta-seconds, or an HTTP-date read against the server's Date."""
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (_http_date(date) or now)).total_seconds())


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# --- errors -------------------------------------------------------------------------------


def _translate(url: str, exc: BaseException, settings: Settings) -> FetchError:
    """The FetchError a user sees for a network-level failure."""
    if isinstance(exc, _AddressRefused):
        return BlockedAddressError(url, exc.reason)
    return FetchError(url, _network_reason(exc, settings))


def _network_reason(exc: BaseException, settings: Settings) -> str:
    """A short human reason for an aiohttp/OS/timeout exception (most specific class first)."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"timed out after {settings.connect_timeout_s:g} s connecting"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return f"timed out after {settings.read_timeout_s:g} s waiting for data"
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return "timed out waiting for the server"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"DNS lookup failed for {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate of {exc.host} is not valid"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS handshake with {exc.host} failed"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _connect_reason(exc)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection unexpectedly"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "response body incomplete or corrupt"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"invalid URL: {exc.description}" if exc.description else "invalid URL"
    if isinstance(exc, aiohttp.ClientResponseError):
        return "invalid HTTP response"
    if isinstance(exc, TimeoutError):
        return f"timed out after {settings.total_timeout_s:g} s"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    return f"HTTP client error: {exc.__class__.__name__}"


def _connect_reason(exc: aiohttp.ClientConnectorError) -> str:
    cause = exc.os_error
    if isinstance(cause, ConnectionRefusedError) or cause.errno == errno.ECONNREFUSED:
        return "connection refused"
    return f"cannot connect to {exc.host}: {cause.strerror or cause}"


def _log_failure(url: str, exc: FetchError) -> None:
    if isinstance(exc, BlockedAddressError):
        log.info(event("fetch.blocked", url=url, reason=exc.reason))
    elif log.isEnabledFor(logging.DEBUG):
        log.debug(event("fetch.failed", url=url, status=exc.status, reason=exc.reason))
