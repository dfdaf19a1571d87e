"""Entry dates: each parser's date value → aware UTC datetime, and the guard on fastfeedparser's.

fastfeedparser resolves dates that name no calendar day against the clock:
"Monday", "10:00", "June 5", "2024", "3 hours ago" and a numeric guid tried as
a date all become *today*-relative values. Such dates change on every poll, so
entries would look edited each time. Its date hook is wrapped (the module
looks it up on every call) to parse only strings that name a full date
(:func:`parse_full_date`, installed when this module is imported; JSON Feed
dates go through it too); tests/test_parse.py fails loudly should the hook move.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import UTC, datetime
from typing import Any

import fastfeedparser.main as _ffp_main

__all__ = ["from_iso", "from_struct", "parse_full_date"]


def from_iso(value: object) -> datetime | None:
    """fastfeedparser's ISO 8601 date string → aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is UTC:  # what fastfeedparser returns
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_struct(value: Any) -> datetime | None:
    """feedparser's UTC struct_time → aware datetime (None when out of range)."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        return None


# --- the guard on fastfeedparser's date hook ------------------------------------------------

_FULL_DATE_RE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"  # 2024-06-05 (ISO 8601, RFC 3339)
    r"|\d{4}/\d{1,2}/\d{1,2}"  # 2024/06/05
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"  # 05.06.2024, 6/5/24
    r"|\d{1,2}(?:st|nd|rd|th)?[-\s,]+[A-Za-z]{3,}\.?[-\s,]+\d{2,4}"  # 5 June 2024, 10 Jun 03 (RFC 822)
    r"|[A-Za-z]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"  # June 5, 2024
    r"|[A-Za-z]{3}\s+\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s+[A-Za-z]{1,5})?\s+\d{4}"  # Nov 29 05:23:41 UTC 2026
    r"|^\s*\d{8}T\d{4,6}"  # 20240605T101010Z
)
_YEAR_MONTH_RE = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?\s*$")  # W3C-DTF reduced precision: 2024, 2024-06
# The two layouts nearly every feed uses, matched at the start: RFC 822 with its weekday
# ("Fri, 27 Nov 2026 23:30:20 GMT") and ISO 8601. Searching _FULL_DATE_RE's seven branches
# from every position costs five times as much, once per entry.
_COMMON_FULL_DATE_RE = re.compile(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} |\d{4}-\d{2}-\d{2}")


@functools.lru_cache(maxsize=8192)
def parse_full_date(value: str) -> str | None:
    """fastfeedparser's date parser, limited to strings that name a whole date."""
    if not value or len(value) > 256:
        return None
    reduced = _YEAR_MONTH_RE.match(value)
    if reduced is not None:
        year, month = int(reduced.group(1)), int(reduced.group(2) or 1)
        return f"{year:04d}-{month:02d}-01T00:00:00+00:00" if 1 <= month <= 12 and year >= 1 else None
    if _COMMON_FULL_DATE_RE.match(value) is None and _FULL_DATE_RE.search(value) is None:
        return None
    result: str | None = _FFP_PARSE_DATE(value)
    return result


def _install_date_guard() -> Any:
    """Put :func:`parse_full_date` in fastfeedparser's place; return its own parser (once, even on reload)."""
    original = getattr(_ffp_main, "_newsdesk_unguarded_parse_date", None) or _ffp_main._parse_date
    _ffp_main._newsdesk_unguarded_parse_date = original
    _ffp_main._parse_date = parse_full_date
    return original


_FFP_PARSE_DATE = _install_date_guard()
