"""Human-friendly renderings for pages: relative times ("10 hours ago", "il y a 10 heures") in the page's language."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_timedelta

JUST_NOW_S = 60
_JUST_NOW = {"en": "just now", "fr": "à l’instant"}  # Babel has no word for "under a minute" in either


def relative_time(when: datetime | None, now: datetime, locale: str = "en") -> str:
    """ "3 minutes ago", "10 hours ago", "in 2 days" (Babel's units and rounding); "just now" under a minute."""
    if when is None:
        return ""
    delta = when - now
    if abs(delta.total_seconds()) < JUST_NOW_S:
        return _JUST_NOW.get(locale, _JUST_NOW["en"])
    return format_timedelta(delta, add_direction=True, format="long", threshold=1.0, locale=locale)
