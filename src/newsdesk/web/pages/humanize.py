"""Human-friendly renderings for pages: relative times ("10 hours ago")."""

from __future__ import annotations

from datetime import datetime

_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)


def relative_time(when: datetime | None, now: datetime) -> str:
    """ "3 minutes ago", "10 hours ago", "in 2 days"; "just now" under a minute."""
    if when is None:
        return ""
    seconds = (now - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    for name, size in _UNITS:
        if seconds >= size:
            n = int(seconds // size)
            unit = name if n == 1 else name + "s"
            return f"in {n} {unit}" if future else f"{n} {unit} ago"
    return "just now"
