"""What a user reads when a fetch fails: HTTP statuses and network errors as FetchErrors.

Every failure leaves the net package as a :class:`~newsdesk.errors.FetchError`
whose ``reason`` is one short line shown in the UI beside the source ("HTTP 404
Not Found", "timed out after 10 s connecting"), never an aiohttp, asyncio or OS
exception, and always in our words: the reason phrase a server sends after its
status code is never shown (a hostile server can put any text there), only the
registered phrase of the code, or what its class means. The error also carries
what the scheduler needs: the status, whether retrying soon can help
(``permanent``), and how long the server asked us to wait.
"""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from http import HTTPStatus

import aiohttp

from newsdesk.config import Settings
from newsdesk.errors import BlockedAddressError, FetchError
from newsdesk.net.guard import AddressRefused
from newsdesk.net.http_headers import retry_after_s

_PERMANENT_FAILURES = frozenset({401, 403, 404, 410, 451})  # retrying within hours will not help
_RETRY_AFTER_STATUSES = frozenset({429, 503})


def status_error(requested: str, resp: aiohttp.ClientResponse) -> FetchError:
    """A FetchError for an HTTP error status, with Retry-After and permanence decided."""
    status = resp.status
    retry_after = None
    if status in _RETRY_AFTER_STATUSES:
        retry_after = retry_after_s(resp.headers.get("Retry-After"), resp.headers.get("Date"), datetime.now(UTC))
    return FetchError(
        requested,
        _status_reason(status),
        status=status,
        retry_after=retry_after,
        permanent=status in _PERMANENT_FAILURES,
    )


def network_error(url: str, exc: BaseException, settings: Settings) -> FetchError:
    """The FetchError a user sees for a network-level failure."""
    if isinstance(exc, AddressRefused):
        return BlockedAddressError(url, exc.reason)
    return FetchError(url, _network_reason(exc, settings))


_STATUS_CLASSES = {1: "informational", 2: "success", 3: "redirection", 4: "client error", 5: "server error"}


def _status_reason(status: int) -> str:
    """``HTTP 503 Service Unavailable``; for a code not registered, its class: ``HTTP 599 (server error)``."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        meaning = _STATUS_CLASSES.get(status // 100)
        return f"HTTP {status} ({meaning})" if meaning else f"HTTP {status} (not a valid HTTP status)"


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
