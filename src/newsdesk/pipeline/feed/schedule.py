"""Stage 5: when to check a feed next, and when to give up on it.

Pure decider. On success the interval comes from the feed's own hints
(Cache-Control/Expires, RSS ``ttl``, ``sy:updatePeriod``) and from its observed
posting rate, bounded by the configured minimum and maximum; RSS
``skipHours``/``skipDays`` push the next check out of the skipped window. On
failure the delay doubles per consecutive error, with jitter so that a
thousand feeds failing together do not retry together, and honours the
server's Retry-After; after ``max_consecutive_errors`` the source is paused.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsdesk.config import Settings
from newsdesk.model import ParsedFeed


@dataclass(frozen=True, slots=True)
class Schedule:
    next_check_at: datetime
    interval_s: float
    error_count: int
    pause: bool = False


def posting_interval_s(published: Sequence[datetime]) -> float | None:
    """Median gap between the newest posts (None with fewer than 3 dated posts)."""
    times = sorted({p for p in published if p is not None}, reverse=True)[:20]
    if len(times) < 3:
        return None
    gaps = sorted((a - b).total_seconds() for a, b in itertools.pairwise(times))
    gaps = [g for g in gaps if g > 0]
    if not gaps:
        return None
    return gaps[len(gaps) // 2]


def schedule_success(
    *,
    now: datetime,
    settings: Settings,
    feed: ParsedFeed | None,
    max_age_s: float | None,
    published: Sequence[datetime],
    previous_interval_s: float | None,
    rng: random.Random,
) -> Schedule:
    """Next check after a successful fetch (``feed`` is None for 304 Not Modified)."""
    if feed is None:
        # Not modified: keep the last rhythm, a little slower, within bounds.
        base = (previous_interval_s or settings.default_check_interval_s) * 1.1
    else:
        rate = posting_interval_s(published)
        # Check about twice per posting interval, so new items wait half a gap on average.
        base = rate / 2 if rate is not None else settings.default_check_interval_s
    hints = [h for h in (max_age_s, _feed_hint_s(feed)) if h]
    if hints:
        base = max(base, *hints)  # never poll faster than the publisher asks
    interval = _clamp(base, settings)
    interval *= rng.uniform(0.9, 1.1)  # spread feeds that share a rhythm
    interval = _clamp(interval, settings)
    next_at = _skip_window(now + timedelta(seconds=interval), feed)
    return Schedule(next_check_at=next_at, interval_s=interval, error_count=0)


def schedule_failure(
    *,
    now: datetime,
    settings: Settings,
    error_count: int,
    retry_after_s: float | None,
    permanent: bool,
    rng: random.Random,
) -> Schedule:
    """Next retry after a failure; ``error_count`` is the count before this failure."""
    count = error_count + 1
    delay = settings.error_backoff_base_s * (2 ** min(count - 1, 16))
    delay *= rng.uniform(0.75, 1.25)
    if permanent:
        delay = max(delay, settings.max_check_interval_s / 4)
    if retry_after_s:
        delay = max(delay, retry_after_s)
    delay = min(delay, settings.max_check_interval_s)
    pause = count >= settings.max_consecutive_errors
    return Schedule(next_check_at=now + timedelta(seconds=delay), interval_s=delay, error_count=count, pause=pause)


def _feed_hint_s(feed: ParsedFeed | None) -> float | None:
    if feed is None:
        return None
    hints = []
    if feed.ttl_minutes:
        hints.append(feed.ttl_minutes * 60.0)
    if feed.update_period_s:
        hints.append(feed.update_period_s)
    return max(hints) if hints else None


def _clamp(seconds: float, settings: Settings) -> float:
    return min(max(seconds, settings.min_check_interval_s), settings.max_check_interval_s)


def _skip_window(when: datetime, feed: ParsedFeed | None) -> datetime:
    """Move ``when`` past the hours/days the feed says not to check (at most a week)."""
    if feed is None or not (feed.skip_hours or feed.skip_days):
        return when
    for _ in range(24 * 7):
        if when.hour not in feed.skip_hours and when.weekday() not in feed.skip_days:
            return when
        when = (when + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return when
