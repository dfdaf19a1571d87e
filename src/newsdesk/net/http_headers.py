"""Reading HTTP caching and retry headers: Cache-Control/Expires freshness, Retry-After, HTTP dates.

Pure functions of header values and a clock, so the scheduler's inputs can be
tested without a server. Unreadable values never raise: they mean "not said"
(``None``) or, for Expires, "already expired", as RFC 9111 asks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


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


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
