"""What an XML feed's channel header says about scheduling, language and format.

Neither parser knows RSS scheduling hints the same way (fastfeedparser reports no
``<ttl>``, ``<skipHours>``, ``sy:updatePeriod``, RSS ``<language>`` or format
version), so those come from a few regular expressions over the channel header,
before the first item, for both XML paths; the format name comes from the root
start tag that :func:`~newsdesk.pipeline.feed.sniff.sniff` kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsdesk.pipeline.feed.sniff import SNIFF_BYTES, Sniffed

__all__ = ["ChannelHints", "channel_hints", "xml_format"]

_FIRST_ITEM_RE = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_RSS_VERSION_RE = re.compile(rb"""\bversion\s*=\s*["']\s*([\d.]+)""")
_TTL_RE = re.compile(rb"<ttl\s*>\s*(\d{1,7})\s*</ttl\s*>", re.IGNORECASE)
_SKIP_HOURS_RE = re.compile(rb"<skipHours\s*>(.{0,2048}?)</skipHours\s*>", re.IGNORECASE | re.DOTALL)
_HOUR_RE = re.compile(rb"<hour\s*>\s*(\d{1,2})\s*</hour\s*>", re.IGNORECASE)
_SKIP_DAYS_RE = re.compile(rb"<skipDays\s*>(.{0,2048}?)</skipDays\s*>", re.IGNORECASE | re.DOTALL)
_DAY_RE = re.compile(rb"<day\s*>\s*([A-Za-z]{3,9})\s*</day\s*>", re.IGNORECASE)
_SY_PERIOD_RE = re.compile(rb"<(?:[\w.-]+:)?updatePeriod\s*>\s*([A-Za-z]{4,7})\s*<", re.IGNORECASE)
_SY_FREQUENCY_RE = re.compile(rb"<(?:[\w.-]+:)?updateFrequency\s*>\s*(\d{1,6})\s*<", re.IGNORECASE)
_LANGUAGE_RE = re.compile(rb"<(?:dc:)?language\s*>\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*)\s*</", re.IGNORECASE)
_DAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
_PERIOD_S = {"hourly": 3600.0, "daily": 86400.0, "weekly": 604800.0, "monthly": 2629800.0, "yearly": 31557600.0}
_RSS_VERSIONS = {
    b"0.90": "rss090",
    b"0.91": "rss091",
    b"0.92": "rss092",
    b"0.93": "rss093",
    b"0.94": "rss094",
    b"1.0": "rss10",
    b"2": "rss20",
    b"2.0": "rss20",
    b"2.0.1": "rss20",
}


@dataclass(frozen=True, slots=True)
class ChannelHints:
    """What the channel header says about scheduling and language (JSON Feed: nothing)."""

    language: str | None = None
    ttl_minutes: int | None = None
    skip_hours: frozenset[int] = frozenset()
    skip_days: frozenset[int] = frozenset()
    update_period_s: float | None = None


def channel_hints(body: bytes) -> ChannelHints:
    """Scheduling hints from the bytes before the first item (cheap: no tree).

    Works on any ASCII-compatible encoding; a UTF-16 feed simply has no hints.
    """
    first_item = _FIRST_ITEM_RE.search(body, 0, SNIFF_BYTES)
    head = body[: first_item.start() if first_item else SNIFF_BYTES]
    language = _LANGUAGE_RE.search(head)
    ttl = _TTL_RE.search(head)
    ttl_minutes = int(ttl.group(1)) if ttl else None
    return ChannelHints(
        language=language.group(1).decode("ascii") if language else None,
        ttl_minutes=ttl_minutes if ttl_minutes else None,
        skip_hours=_skip_hours(head),
        skip_days=_skip_days(head),
        update_period_s=_update_period_s(head),
    )


def _skip_hours(head: bytes) -> frozenset[int]:
    block = _SKIP_HOURS_RE.search(head)
    if block is None:
        return frozenset()
    hours = (int(h) for h in _HOUR_RE.findall(block.group(1)))
    return frozenset(0 if h == 24 else h for h in hours if 0 <= h <= 24)  # some feeds write midnight as 24


def _skip_days(head: bytes) -> frozenset[int]:
    block = _SKIP_DAYS_RE.search(head)
    if block is None:
        return frozenset()
    days = (_DAYS.get(d.decode("ascii").lower()) for d in _DAY_RE.findall(block.group(1)))
    return frozenset(d for d in days if d is not None)


def _update_period_s(head: bytes) -> float | None:
    """sy:updatePeriod / sy:updateFrequency (defaults: daily, once)."""
    period = _SY_PERIOD_RE.search(head)
    frequency = _SY_FREQUENCY_RE.search(head)
    if period is None and frequency is None:
        return None
    seconds = _PERIOD_S.get(period.group(1).decode("ascii").lower()) if period else _PERIOD_S["daily"]
    times = int(frequency.group(1)) if frequency else 1
    if seconds is None or times < 1:
        return None
    return seconds / times


def xml_format(doc: Sniffed) -> str:
    """Format name in feedparser's spelling (rss20, rss10, atom10, …) from the root start tag."""
    tag = doc.root_tag
    if doc.root == "rss":
        version = _RSS_VERSION_RE.search(tag)
        return _RSS_VERSIONS.get(version.group(1), "rss") if version else "rss"
    if doc.root == "rdf":
        return "rss090" if b"my.netscape.com/rdf/simple/0.9" in tag else "rss10"
    if doc.root == "feed":
        if b"http://www.w3.org/2005/Atom" in tag:
            return "atom10"
        return "atom03" if b"purl.org/atom/ns#" in tag else "atom"
    if doc.root == "channel":
        return "cdf"
    return "unknown"
