"""What every response carries and every request must show: security headers and an allowed ``Host``.

Two small ASGI middlewares, installed by :func:`newsdesk.web.app.create_app`:

- :class:`HostCheck` refuses a request whose ``Host`` header names a host the site does not
  answer to (400), before any route runs. A page on ``attacker.example`` whose name is made to
  resolve to 127.0.0.1 (DNS rebinding) is same-origin with itself, not with newsdesk, and its
  requests still say ``Host: attacker.example``: refusing them keeps the API out of its reach.
  It also stops Starlette's absolute redirects (``/sources/`` → ``/sources``) from sending the
  reader to whatever ``Host`` said: a ``Location`` that points back at the request's own
  origin becomes a relative one.
- :class:`SecurityHeaders` adds the headers below to every response that does not set its own
  (the image proxy sets a stricter CSP): a Content-Security-Policy with no inline script or
  style, no framing, no MIME sniffing, no referrer path leaking to publishers, and HSTS when
  the site is served over https.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.config import Settings

# The one inline style any page has: the rule htmx adds to <head> for its request indicators
# (``includeIndicatorStyles``), allowed by its hash: a fixed text, nothing a feed can write.
# tests/test_web_security.py checks it against the vendored htmx, so an upgrade that changes it fails.
HTMX_INDICATOR_STYLE = (
    ".htmx-indicator{opacity:0;visibility: hidden} "
    ".htmx-request .htmx-indicator, .htmx-request.htmx-indicator{opacity:1;visibility: visible;"
    "transition: opacity 200ms ease-in}"
)


def _style_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # htmx and our scripts are files under /static; no inline script, no eval
        f"style-src 'self' {_style_hash(HTMX_INDICATOR_STYLE)}",
        "img-src 'self' data:",  # publishers' images come through /media, never from their hosts
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)

# Only features every current browser recognizes: an unknown one is a console error (and a
# Lighthouse best-practices failure).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

HSTS = "max-age=31536000"  # not includeSubDomains: the site's owner may serve other names over http

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

REFUSED_HOST_MESSAGE = "this site does not answer to the host name this request was sent to"


def security_headers(settings: Settings) -> list[tuple[str, str]]:
    """The headers every response carries unless it sets its own value."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),  # frame-ancestors' counterpart for browsers without CSP 2
        ("Referrer-Policy", "no-referrer"),  # a link to a publisher must not tell it which page of ours it was on
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
    if settings.public_url.startswith("https://"):
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """The host names requests may name (lower case, no port), or ``None`` when any is accepted.

    Loopback names are always accepted, with any port: they reach the server only from its own
    machine or through a tunnel its owner opened (``ssh -L 9000:127.0.0.1:8000`` makes the browser
    say ``localhost:9000``), so they carry no rebinding, and container health probes use them.
    """
    extra = [name.strip() for name in settings.allowed_hosts.split(",") if name.strip()]
    if "*" in extra:
        return None
    site = urlsplit(settings.public_url).hostname or ""
    return frozenset(_normal(name) for name in [site, *extra]) | LOOPBACK_NAMES


def host_name(host_header: str) -> str | None:
    """The name in a ``Host`` header without its port (``[::1]:8000`` → ``::1``); None if malformed."""
    value = host_header.strip()
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or (value[end + 1 :] and not _is_port(value[end + 1 :])):
            return None
        return _normal(value[1:end])
    name, colon, port = value.partition(":")
    if not name or (colon and not port.isdigit()):
        return None
    return _normal(name)


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isdigit()


def _normal(name: str) -> str:
    return name.strip().lower().rstrip(".")


class HostCheck:
    """Refuse requests for other hosts with ``refuse`` (the site's 400); make self-redirects relative."""

    def __init__(self, app: ASGIApp, *, allowed: frozenset[str] | None, refuse: ASGIApp) -> None:
        self.app = app
        self.allowed = allowed
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        name = host_name(host) if host is not None else None
        if self.allowed is not None and (name is None or name not in self.allowed):
            await self.refuse(scope, receive, send)
            return
        if host is None:
            await self.app(scope, receive, send)
            return
        origin = f"{scope.get('scheme', 'http')}://{host}"

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                location = headers.get("location")
                if location is not None and _same_origin(location, origin):
                    headers["location"] = location[len(origin) :] or "/"
            await send(message)

        await self.app(scope, receive, send_relative)


def _same_origin(location: str, origin: str) -> bool:
    """``location`` is ``origin`` or a path under it (compared case-insensitively, as hosts are)."""
    head = location[: len(origin)]
    return head.lower() == origin.lower() and location[len(origin) : len(origin) + 1] in ("", "/", "?")


class SecurityHeaders:
    """Add ``headers`` to every HTTP response that does not already carry them."""

    def __init__(self, app: ASGIApp, *, headers: Iterable[tuple[str, str]]) -> None:
        self.app = app
        self.headers = list(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
