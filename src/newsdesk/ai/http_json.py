"""One JSON POST to an OpenAI-compatible API, as the embedding endpoint and the chat model both need it.

Synchronous on purpose: model calls run off the event loop (in a worker thread or a background job), and
the standard library's urllib is enough for one JSON POST (httpx is not a dependency).

Safety of the API key: it is sent only in the ``Authorization`` header, never put in a URL, a log line, an
error message or a ``repr``; redirects are not followed (urllib would forward the header to whatever host a
redirect names), and an error body that echoes the key is masked.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from newsdesk.errors import ConfigError, EndpointError

_ERROR_SNIPPET = 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a 3xx becomes an HTTPError, and the key never leaves for another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def checked_base_url(base: str, setting: str) -> str:
    """An API's base URL without its trailing slash, refused unless http(s) with a host and no credentials."""
    base = base.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{setting} must be an http(s) URL, got {base!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{setting} must not carry credentials; set the API key setting")
    return base


def post_json(
    url: str, payload: dict[str, Any], *, api_key: str | None, timeout_s: float, max_bytes: int, what: str
) -> bytes:
    """POST ``payload`` as JSON and return the response body; :class:`EndpointError` (naming ``what``, e.g.
    "embedding endpoint") when the server cannot be reached, answers an error status, times out, or sends
    more than ``max_bytes``."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    # S310: callers pass a URL checked by checked_base_url, so no file: or custom scheme is opened.
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            body: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as err:
        with err:
            detail = _error_detail(err.read(64 * 1024), api_key)
        raise EndpointError(
            url, f"{what} answered HTTP {err.code}{detail}", status=err.code, retry_after=_retry_after(err.headers)
        ) from None
    except TimeoutError as err:
        raise EndpointError(url, f"{what} timed out after {timeout_s:g} s") from err
    except urllib.error.URLError as err:
        reason = "timed out" if isinstance(err.reason, TimeoutError) else str(err.reason)
        raise EndpointError(url, f"cannot reach {what} {url}: {reason}") from err
    except OSError as err:  # connection reset mid-response, and the like
        raise EndpointError(url, f"{what} connection failed: {err}") from err
    if len(body) > max_bytes:
        raise EndpointError(url, f"{what} response larger than {max_bytes} bytes")
    return body


def _error_detail(body: bytes, api_key: str | None) -> str:
    """The server's error message, short, with the API key masked if the server echoed it."""
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
        err = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
        message = err.get("message", text) if isinstance(err, dict) else str(err)
    except ValueError:
        message = text
    message = " ".join(str(message).split())[:_ERROR_SNIPPET]
    if api_key:
        message = message.replace(api_key, "***")
    return f": {message}" if message else ""


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare for APIs; the caller backs off on its own
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
