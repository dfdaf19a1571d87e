"""The fetcher against a real aiohttp server on 127.0.0.1 (no fake HTTP).

Each test starts its own server on a random port inside the test's event loop,
records every request the server sees, and drives a real :class:`Fetcher`.
Failures must always arrive as :class:`FetchError` values with a human reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import ipaddress
import re
import socket
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from newsdesk.config import Settings
from newsdesk.errors import BlockedAddressError, FetchError, RobotsDisallowedError, TooLargeError
from newsdesk.model import FetchedDocument
from newsdesk.net import (
    FEED_ACCEPT,
    PAGE_ACCEPT,
    Fetcher,
    GuardedResolver,
    freshness_s,
    refused_category,
    retry_after_s,
)
from newsdesk.pipeline.feed.inflate import decode_body
from tests.hostile_site import gzip_bomb

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: Mapping[str, str]
    peer: Any


@dataclass
class Server:
    base: str
    requests: list[Seen] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


@contextlib.asynccontextmanager
async def serve(routes: Mapping[str, Handler]) -> AsyncIterator[Server]:
    """A loopback aiohttp server for ``routes`` that records each request it receives."""
    server = Server(base="")

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        server.requests.append(Seen(request.path_qs, dict(request.headers), peer))
        return await handler(request)

    app = web.Application(middlewares=[record])
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


async def attempt(call: Awaitable[FetchedDocument]) -> FetchedDocument | FetchError:
    """The document, or the FetchError; any other exception fails the test."""
    try:
        return await call
    except FetchError as exc:
        return exc


def run_fetch(
    settings: Settings,
    routes: Mapping[str, Handler],
    path: str,
    *,
    page: bool = False,
    etag: str | None = None,
    last_modified: str | None = None,
    decode: bool = True,
) -> tuple[FetchedDocument | FetchError, Server]:
    """Serve ``routes``, fetch ``path`` once as a feed (or page), return the outcome and the server."""

    async def scenario() -> tuple[FetchedDocument | FetchError, Server]:
        async with serve(routes) as srv, Fetcher(settings) as fetcher:
            url = srv.url(path)
            call = fetcher.fetch_page(url) if page else fetcher.fetch_feed(url, etag, last_modified, decode=decode)
            return await attempt(call), srv

    return asyncio.run(scenario())


def expect_error(outcome: FetchedDocument | FetchError, cls: type[FetchError] = FetchError) -> FetchError:
    assert isinstance(outcome, cls), outcome
    return outcome


def expect_doc(outcome: FetchedDocument | FetchError) -> FetchedDocument:
    assert isinstance(outcome, FetchedDocument), f"{type(outcome).__name__}: {outcome}"
    return outcome


def respond(
    body: bytes = FEED, status: int = 200, headers: Mapping[str, str] | None = None, *, reason: str | None = None
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler that answers ``body`` with ``status``, ``headers`` and the status line's ``reason`` phrase."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, headers=headers, reason=reason)

    return handler


def redirect(status: int, location: str) -> Handler:
    return respond(b"", status, {"Location": location})


@pytest.fixture
def private_off(settings: Settings) -> Settings:
    """Production-like settings: the SSRF guard is on."""
    return settings.replace(allow_private_networks=False)


# --- success, conditional GET, caching headers -------------------------------------------


def test_200_returns_body_headers_and_sends_user_agent(settings: Settings) -> None:
    headers = {
        "Content-Type": "application/rss+xml; charset=ISO-8859-1",
        "ETag": '"v1"',
        "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT",
        "Cache-Control": "public, max-age=600",
    }
    outcome, srv = run_fetch(settings.replace(user_agent="TestAgent/1.0"), {"/feed": respond(headers=headers)}, "/feed")
    doc = expect_doc(outcome)
    assert doc.status == 200
    assert doc.body == FEED
    assert doc.url == srv.url("/feed")
    assert doc.content_type == "application/rss+xml"
    assert doc.charset == "ISO-8859-1"
    assert doc.etag == '"v1"'
    assert doc.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert doc.max_age_s == 600
    assert doc.permanent_redirect is None
    [seen] = srv.requests
    assert seen.headers["User-Agent"] == "TestAgent/1.0"
    assert seen.headers["Accept"] == FEED_ACCEPT
    assert "gzip" in seen.headers["Accept-Encoding"]
    assert "If-None-Match" not in seen.headers


def test_missing_content_type_gives_none(settings: Settings) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(FEED), FEED)
    doc = expect_doc(asyncio.run(fetch_from_raw_server(settings, raw)))
    assert doc.body == FEED
    assert (doc.content_type, doc.charset, doc.max_age_s) == (None, None, None)


def test_gzip_body_is_decompressed(settings: Settings) -> None:
    async def gzipped(request: web.Request) -> web.StreamResponse:
        resp = web.Response(body=FEED * 100, content_type="application/xml")
        resp.enable_compression(web.ContentCoding.gzip)
        return resp

    doc = expect_doc(run_fetch(settings, {"/feed": gzipped}, "/feed")[0])
    assert doc.body == FEED * 100


def test_304_echoes_conditional_headers(settings: Settings) -> None:
    async def conditional(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"', "Cache-Control": "max-age=60"})
        return web.Response(body=FEED)

    lm = "Wed, 01 Jan 2025 00:00:00 GMT"
    outcome, srv = run_fetch(settings, {"/feed": conditional}, "/feed", etag='"v1"', last_modified=lm)
    doc = expect_doc(outcome)
    assert doc.not_modified
    assert doc.body == b""
    assert doc.etag == '"v1"'
    assert doc.last_modified is None
    assert doc.max_age_s == 60
    [seen] = srv.requests
    assert seen.headers["If-None-Match"] == '"v1"'
    assert seen.headers["If-Modified-Since"] == lm


# --- redirects --------------------------------------------------------------------------


def test_301_308_chain_sets_permanent_redirect(settings: Settings) -> None:
    routes = {
        "/old": redirect(301, "/dir/mid"),  # absolute path
        "/dir/mid": redirect(308, "../feed"),  # relative reference
        "/feed": respond(),
    }
    outcome, srv = run_fetch(settings, routes, "/old")
    doc = expect_doc(outcome)
    assert doc.url == srv.url("/feed")
    assert doc.permanent_redirect == srv.url("/feed")
    assert doc.body == FEED
    assert srv.paths() == ["/old", "/dir/mid", "/feed"]


@pytest.mark.parametrize("statuses", [(302,), (301, 307), (307, 301), (303,)])
def test_temporary_hop_means_no_permanent_redirect(settings: Settings, statuses: tuple[int, ...]) -> None:
    routes: dict[str, Handler] = {f"/r{i}": redirect(s, f"/r{i + 1}") for i, s in enumerate(statuses)}
    routes[f"/r{len(statuses)}"] = respond()
    outcome, srv = run_fetch(settings, routes, "/r0")
    doc = expect_doc(outcome)
    assert doc.url == srv.url(f"/r{len(statuses)}")
    assert doc.permanent_redirect is None


def test_redirect_loop(settings: Settings) -> None:
    routes = {"/a": redirect(302, "/b"), "/b": redirect(302, "/a")}
    error = expect_error(run_fetch(settings, routes, "/a")[0])
    assert error.reason == "redirect loop"


def test_too_many_redirects(settings: Settings) -> None:
    async def onward(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        return web.Response(status=301, headers={"Location": f"/r/{n + 1}"})

    outcome, srv = run_fetch(settings.replace(max_redirects=3), {"/r/{n}": onward}, "/r/0")
    assert expect_error(outcome).reason == "too many redirects (4)"
    assert len(srv.requests) == 4


def test_redirect_hop_is_checked(settings: Settings) -> None:
    routes = {"/a": redirect(302, "file:///etc/passwd")}
    error = expect_error(run_fetch(settings, routes, "/a")[0])
    assert "unsupported URL scheme 'file'" in error.reason
    assert error.url.endswith("/a")  # the error names the URL asked for


def test_redirect_without_location(settings: Settings) -> None:
    error = expect_error(run_fetch(settings, {"/a": respond(b"", 302)}, "/a")[0])
    assert error.reason == "HTTP 302 redirect without a Location header"


# --- HTTP errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "permanent"),
    [
        (404, "HTTP 404 Not Found", True),
        (410, "HTTP 410 Gone", True),
        (401, "HTTP 401 Unauthorized", True),
        (403, "HTTP 403 Forbidden", True),
        (451, "HTTP 451 Unavailable For Legal Reasons", True),
        (400, "HTTP 400 Bad Request", False),
        (500, "HTTP 500 Internal Server Error", False),
        (502, "HTTP 502 Bad Gateway", False),
    ],
)
def test_error_status(settings: Settings, status: int, reason: str, permanent: bool) -> None:
    error = expect_error(run_fetch(settings, {"/feed": respond(b"nope", status)}, "/feed")[0])
    assert (error.status, error.reason, error.permanent, error.retry_after) == (status, reason, permanent, None)


HOSTILE_PHRASE = "Feed moved: log in at https://evil.example/login to keep reading"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (503, "HTTP 503 Service Unavailable"),
        (520, "HTTP 520 (server error)"),  # Cloudflare's, not registered
        (599, "HTTP 599 (server error)"),
        (499, "HTTP 499 (client error)"),
        (399, "HTTP 399 (redirection)"),
    ],
)
def test_the_servers_reason_phrase_is_never_shown(settings: Settings, status: int, reason: str) -> None:
    handler = respond(b"nope", status, reason=HOSTILE_PHRASE)
    error = expect_error(run_fetch(settings, {"/feed": handler}, "/feed")[0])
    assert (error.status, error.reason) == (status, reason)


def test_an_invalid_redirect_location_is_not_repeated(settings: Settings) -> None:
    error = expect_error(run_fetch(settings, {"/feed": redirect(302, "http://[" + HOSTILE_PHRASE)}, "/feed")[0])
    assert error.reason == "HTTP 302 redirect to an address that is not a valid URL"


def test_503_with_retry_after_seconds(settings: Settings) -> None:
    handler = respond(b"busy", 503, {"Retry-After": "120"})
    error = expect_error(run_fetch(settings, {"/feed": handler}, "/feed")[0])
    assert error.reason == "HTTP 503 Service Unavailable"
    assert error.retry_after == 120
    assert not error.permanent


def test_429_with_retry_after_http_date(settings: Settings) -> None:
    async def limited(request: web.Request) -> web.StreamResponse:
        when = datetime.now(UTC) + timedelta(seconds=90)
        return web.Response(status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})

    error = expect_error(run_fetch(settings, {"/feed": limited}, "/feed")[0])
    assert error.status == 429
    assert error.retry_after is not None
    assert 80 <= error.retry_after <= 91


# --- size caps --------------------------------------------------------------------------


def test_oversized_content_length_rejected_before_reading(settings: Settings) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/xml"})
        resp.content_length = 50_000_000
        await resp.prepare(request)
        await resp.write(b"x" * 1000)
        await asyncio.sleep(10)  # only a client that reads on would wait for this
        return resp

    started = time.perf_counter()
    outcome, _ = run_fetch(settings.replace(feed_max_bytes=1_000_000), {"/feed": huge}, "/feed")
    error = expect_error(outcome, TooLargeError)
    assert error.reason == "feed larger than 1 MB"
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("page", [False, True])
def test_oversized_chunked_body_stopped_while_streaming(settings: Settings, page: bool) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(10_000):  # 640 MB if nobody stops reading
            await resp.write(b"y" * 65536)
        return resp

    capped = settings.replace(feed_max_bytes=200_000, page_max_bytes=300_000, respect_robots_txt=False)
    error = expect_error(run_fetch(capped, {"/doc": endless}, "/doc", page=page)[0], TooLargeError)
    assert error.reason == ("page larger than 300 KB" if page else "feed larger than 200 KB")


@functools.cache
def test_gzip_bomb_stopped_at_cap_with_bounded_memory(settings: Settings) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 1_100_000

    async def explode(request: web.Request) -> web.StreamResponse:
        return web.Response(body=bomb, headers={"Content-Type": "application/xml", "Content-Encoding": "gzip"})

    capped = settings.replace(feed_max_bytes=2_000_000)  # above the compressed size: only inflation trips it
    tracemalloc.start()
    try:
        started = time.perf_counter()
        outcome, _ = run_fetch(capped, {"/feed": explode}, "/feed")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error = expect_error(outcome, TooLargeError)
    assert error.reason == "feed larger than 2 MB"
    assert elapsed < 3
    assert peak < 40_000_000, f"peak traced memory {peak} bytes"


# --- bodies left compressed for the parsing process (fetch_feed(decode=False)) -----------


def _gzip_response(body: bytes) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=gzip.compress(body), headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        )

    return handler


def test_deferred_decoding_keeps_the_gzip_body_and_decode_body_inflates_it(settings: Settings) -> None:
    outcome, srv = run_fetch(settings, {"/feed": _gzip_response(FEED)}, "/feed", decode=False)
    doc = expect_doc(outcome)
    assert doc.content_encoding == "gzip"
    assert doc.body != FEED and gzip.decompress(doc.body) == FEED
    assert srv.requests[0].headers["Accept-Encoding"] == "gzip, deflate"  # only what decode_body inflates
    decoded = decode_body(doc, settings.feed_max_bytes)
    assert decoded.body == FEED and decoded.content_encoding is None
    assert decoded.etag == doc.etag and decoded.url == doc.url


def test_deferred_decoding_of_an_uncompressed_body_changes_nothing(settings: Settings) -> None:
    doc = expect_doc(run_fetch(settings, {"/feed": respond(FEED)}, "/feed", decode=False)[0])
    assert doc.content_encoding is None and doc.body == FEED
    assert decode_body(doc, settings.feed_max_bytes) is doc


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("gzip", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),  # two members
        ("deflate", zlib.compress),  # a zlib stream, as RFC 9110 means
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_decode_body_inflates_each_coding(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    doc = FetchedDocument(url="http://x/feed", status=200, body=encode(FEED), content_encoding=encoding)
    assert decode_body(doc, 1_000_000).body == FEED


def test_decode_body_stops_a_gzip_bomb_at_the_cap_with_bounded_memory() -> None:
    doc = FetchedDocument(url="http://x/feed", status=200, body=gzip_bomb(), content_encoding="gzip")
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError) as caught:
            decode_body(doc, 2_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.reason == "feed larger than 2 MB"
    assert peak < 10_000_000, f"peak traced memory {peak} bytes"


@pytest.mark.parametrize(
    ("body", "encoding", "reason"),
    [
        (gzip.compress(FEED, mtime=0)[:-40], "gzip", r"^invalid gzip body: .*truncated"),
        (b"not compressed at all", "gzip", r"^invalid gzip body: "),
        (b"\x1b\x00\x00", "br", r"^invalid br body: unsupported Content-Encoding 'br'$"),
    ],
    ids=["truncated-gzip", "not-gzip", "brotli"],  # stable ids: the test workers of make check must agree
)
def test_decode_body_reports_a_broken_stream(body: bytes, encoding: str, reason: str) -> None:
    doc = FetchedDocument(url="http://x/feed", status=200, body=body, content_encoding=encoding)
    with pytest.raises(FetchError) as caught:
        decode_body(doc, 1_000_000)
    assert re.search(reason, caught.value.reason), caught.value.reason


# --- timeouts and network failures ------------------------------------------------------


def test_slow_body_times_out_on_read(settings: Settings) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = 100
        await resp.prepare(request)
        await resp.write(b"z" * 10)
        await asyncio.sleep(5)
        return resp

    started = time.perf_counter()
    outcome, _ = run_fetch(settings.replace(read_timeout_s=0.3), {"/feed": stall}, "/feed")
    assert expect_error(outcome).reason == "timed out after 0.3 s waiting for data"
    assert time.perf_counter() - started < 2


def test_trickling_body_hits_total_timeout(settings: Settings) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = 1000
        await resp.prepare(request)
        for _ in range(1000):
            await resp.write(b".")
            await asyncio.sleep(0.05)
        return resp

    outcome, _ = run_fetch(settings.replace(read_timeout_s=1.0, total_timeout_s=0.4), {"/feed": trickle}, "/feed")
    assert expect_error(outcome).reason == "timed out after 0.4 s"


def test_waiting_for_a_host_slot_does_not_count_towards_the_total_timeout(settings: Settings) -> None:
    """Feeds queued behind others of the same publisher wait their turn; only their own request is timed."""

    async def slowish(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.3)
        return web.Response(body=b"<rss/>", content_type="application/rss+xml")

    polite = settings.replace(max_connections_per_host=1, total_timeout_s=0.6)

    async def scenario() -> list[FetchedDocument | FetchError]:
        async with serve({"/feed": slowish}) as srv, Fetcher(polite) as fetcher:
            return list(await asyncio.gather(*(attempt(fetcher.fetch_feed(srv.url("/feed"))) for _ in range(4))))

    outcomes = asyncio.run(scenario())  # one at a time: the last waits ≈0.9 s, longer than the timeout
    assert all(isinstance(o, FetchedDocument) and o.status == 200 for o in outcomes), outcomes


async def fetch_from_raw_server(settings: Settings, raw: bytes) -> FetchedDocument | FetchError:
    """Fetch from a bare TCP server that answers any request with ``raw`` and hangs up."""

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(raw)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(reply, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Fetcher(settings) as fetcher:
            return await attempt(fetcher.fetch_feed(f"http://127.0.0.1:{port}/"))
    finally:
        server.close()
        await server.wait_closed()


def test_dns_failure(settings: Settings) -> None:
    async def scenario() -> FetchedDocument | FetchError:
        async with Fetcher(settings) as fetcher:
            return await attempt(fetcher.fetch_feed("http://no-such-host.invalid/feed"))

    error = expect_error(asyncio.run(scenario()))
    assert error.reason == "DNS lookup failed for no-such-host.invalid"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused(settings: Settings) -> None:
    async def scenario() -> FetchedDocument | FetchError:
        async with Fetcher(settings) as fetcher:
            return await attempt(fetcher.fetch_feed(f"http://127.0.0.1:{free_port()}/feed"))

    error = expect_error(asyncio.run(scenario()))
    assert error.reason == "connection refused"
    assert not error.permanent


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "response body incomplete or corrupt"),
        (b"SPEAK FRIEND\r\n\r\n", "invalid HTTP response"),
        (b"", "server closed the connection unexpectedly"),
    ],
)
def test_broken_server_gives_fetch_error(settings: Settings, raw: bytes, reason: str) -> None:
    assert expect_error(asyncio.run(fetch_from_raw_server(settings, raw))).reason == reason


# --- SSRF guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "address 127.0.0.1 is loopback"),
        ("localhost", "localhost resolves to "),
        ("[::ffff:127.0.0.1]", "address ::ffff:7f00:1 is loopback"),  # as yarl normalizes it
    ],
)
def test_private_addresses_refused_before_any_request(private_off: Settings, host: str, reason: str) -> None:
    async def scenario() -> tuple[FetchedDocument | FetchError, Server]:
        async with serve({"/feed": respond()}) as srv, Fetcher(private_off) as fetcher:
            port = srv.base.rsplit(":", 1)[1]
            return await attempt(fetcher.fetch_feed(f"http://{host}:{port}/feed")), srv

    outcome, srv = asyncio.run(scenario())
    error = expect_error(outcome, BlockedAddressError)
    assert error.reason.startswith(reason)
    assert error.reason.endswith("set NEWSDESK_ALLOW_PRIVATE_NETWORKS=1 to allow it")
    assert error.permanent
    assert srv.requests == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "unsupported URL scheme 'file' (only http and https)"),
        ("ftp://example.com/feed.xml", "unsupported URL scheme 'ftp' (only http and https)"),
        ("gopher://x/", "unsupported URL scheme 'gopher' (only http and https)"),
        ("/feed.xml", "not an absolute URL: /feed.xml"),
        ("http:///feed.xml", "URL has no host: http:///feed.xml"),
    ],
)
def test_unfetchable_urls_refused(private_off: Settings, url: str, reason: str) -> None:
    async def scenario() -> FetchedDocument | FetchError:
        async with Fetcher(private_off) as fetcher:
            return await attempt(fetcher.fetch_page(url))

    error = expect_error(asyncio.run(scenario()))
    assert (error.reason, error.permanent, error.url) == (reason, True, url)


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.2", "loopback"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "not publicly routable"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_refused_category(address: str, category: str | None) -> None:
    assert refused_category(ipaddress.ip_address(address)) == category


class FixedResolver(AbstractResolver):
    """A DNS edge fake: always answers with the given addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0) for a in self.addresses
        ]

    async def close(self) -> None:
        return None


def test_guarded_resolver_keeps_only_public_addresses() -> None:
    resolver = GuardedResolver(FixedResolver("10.0.0.1", "93.184.215.14", "::1"))
    results = asyncio.run(resolver.resolve("mixed.example", 80))
    assert [r["host"] for r in results] == ["93.184.215.14"]


def test_guarded_resolver_refuses_when_nothing_public() -> None:
    resolver = GuardedResolver(FixedResolver("192.168.0.10"))
    with pytest.raises(Exception, match=r"rebind\.example resolves to 192\.168\.0\.10, which is private"):
        asyncio.run(resolver.resolve("rebind.example", 80))


# --- robots.txt -------------------------------------------------------------------------


def test_robots_disallow_and_allow(settings: Settings) -> None:
    robots = b"User-agent: *\nDisallow: /private/\n"
    routes = {"/robots.txt": respond(robots), "/private/a": respond(b"<html>"), "/public/a": respond(b"<html>")}

    async def scenario() -> tuple[list[FetchedDocument | FetchError], Server]:
        async with serve(routes) as srv, Fetcher(settings) as fetcher:
            blocked = await attempt(fetcher.fetch_page(srv.url("/private/a")))
            allowed = await attempt(fetcher.fetch_page(srv.url("/public/a")))
            return [blocked, allowed], srv

    (blocked, allowed), srv = asyncio.run(scenario())
    error = expect_error(blocked, RobotsDisallowedError)
    assert error.reason == "disallowed by robots.txt"
    assert error.permanent
    assert expect_doc(allowed).body == b"<html>"
    assert srv.paths() == ["/robots.txt", "/public/a"]
    assert srv.requests[1].headers["Accept"] == PAGE_ACCEPT


def test_robots_rules_for_our_user_agent(settings: Settings) -> None:
    robots = b"User-agent: otherbot\nDisallow:\n\nUser-agent: newsdesk\nDisallow: /\n"
    routes = {"/robots.txt": respond(robots), "/a": respond(b"<html>")}
    outcome, srv = run_fetch(settings, routes, "/a", page=True)
    expect_error(outcome, RobotsDisallowedError)
    assert srv.requests[0].headers["User-Agent"] == settings.user_agent


def test_robots_fetched_once_for_many_concurrent_pages(settings: Settings) -> None:
    async def slow_robots(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.1)  # every page fetch is waiting while this is in flight
        return web.Response(text="User-agent: *\nDisallow: /no\n")

    async def page(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"<html>" + request.match_info["n"].encode())

    routes = {"/robots.txt": slow_robots, "/p/{n}": page}

    async def scenario() -> tuple[list[FetchedDocument | FetchError], Server]:
        async with serve(routes) as srv, Fetcher(settings) as fetcher:
            calls = [attempt(fetcher.fetch_page(srv.url(f"/p/{n}"))) for n in range(30)]
            return list(await asyncio.gather(*calls)), srv

    outcomes, srv = asyncio.run(scenario())
    assert [expect_doc(o).body for o in outcomes] == [b"<html>%d" % n for n in range(30)]
    assert srv.paths().count("/robots.txt") == 1


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (410, True), (401, False), (403, False), (500, True)])
def test_robots_status_decides(settings: Settings, status: int, allowed: bool) -> None:
    routes = {"/robots.txt": respond(b"User-agent: *\nDisallow: /\n", status), "/a": respond(b"<html>")}
    outcome, _ = run_fetch(settings, routes, "/a", page=True)
    if allowed:
        expect_doc(outcome)
    else:
        expect_error(outcome, RobotsDisallowedError)


def test_robots_ignored_when_disabled(settings: Settings) -> None:
    routes = {"/robots.txt": respond(b"User-agent: *\nDisallow: /\n"), "/a": respond(b"<html>")}
    outcome, srv = run_fetch(settings.replace(respect_robots_txt=False), routes, "/a", page=True)
    expect_doc(outcome)
    assert srv.paths() == ["/a"]


# --- pooling ----------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "per_host"), [(64, 2), (3, 64)])
def test_connection_limits(settings: Settings, total: int, per_host: int) -> None:
    inflight = 0
    peak = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal inflight, peak
        inflight += 1
        peak = max(peak, inflight)
        await asyncio.sleep(0.03)
        inflight -= 1
        return web.Response(body=FEED)

    async def scenario() -> None:
        async with serve({"/f/{n}": slow}) as srv, Fetcher(limited) as fetcher:
            await asyncio.gather(*(fetcher.fetch_feed(srv.url(f"/f/{n}")) for n in range(12)))

    limited = settings.replace(max_connections=total, max_connections_per_host=per_host)
    asyncio.run(scenario())
    assert peak == min(total, per_host)


def test_connections_are_kept_alive(settings: Settings) -> None:
    async def scenario() -> Server:
        async with serve({"/feed": respond()}) as srv, Fetcher(settings) as fetcher:
            for _ in range(5):
                await fetcher.fetch_feed(srv.url("/feed"))
            return srv

    srv = asyncio.run(scenario())
    assert len({r.peer for r in srv.requests}) == 1


def test_fetcher_outside_context_manager_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(Fetcher(settings).fetch_feed("http://127.0.0.1:1/"))


# --- header parsing (pure) ----------------------------------------------------------------

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
HTTP_NOW = format_datetime(NOW, usegmt=True)
IN_AN_HOUR = format_datetime(NOW + timedelta(hours=1), usegmt=True)


@pytest.mark.parametrize(
    ("cache_control", "expires", "date", "age", "expected"),
    [
        (None, None, None, None, None),
        ("max-age=300", None, None, None, 300.0),
        ("public, MAX-AGE=300, must-revalidate", None, None, None, 300.0),
        ('max-age="300"', None, None, None, 300.0),
        ("max-age=300", None, None, "100", 200.0),
        ("max-age=0", IN_AN_HOUR, None, None, 0.0),  # max-age wins over Expires
        ("s-maxage=900", None, None, None, 900.0),
        ("max-age=60, s-maxage=900", None, None, None, 60.0),
        ("no-cache", None, None, None, 0.0),
        ("no-store, max-age=600", None, None, None, 0.0),
        ('no-cache="Set-Cookie", max-age=600', None, None, None, 600.0),  # only a header is uncacheable
        ("max-age=bogus", None, None, None, None),
        (None, IN_AN_HOUR, HTTP_NOW, None, 3600.0),
        (None, IN_AN_HOUR, None, None, 3600.0),
        (None, "0", None, None, 0.0),  # invalid Expires means already expired
        (None, HTTP_NOW, IN_AN_HOUR, None, 0.0),
    ],
)
def test_freshness(
    cache_control: str | None, expires: str | None, date: str | None, age: str | None, expected: float | None
) -> None:
    assert freshness_s(cache_control=cache_control, expires=expires, date=date, age=age, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        (None, None, None),
        ("120", None, 120.0),
        (" 5 ", None, 5.0),
        (IN_AN_HOUR, None, 3600.0),
        (IN_AN_HOUR, IN_AN_HOUR, 0.0),  # read against the server's clock
        (HTTP_NOW, IN_AN_HOUR, 0.0),
        ("soon", None, None),
        ("-5", None, None),
    ],
)
def test_retry_after(value: str | None, date: str | None, expected: float | None) -> None:
    assert retry_after_s(value, date, NOW) == expected
