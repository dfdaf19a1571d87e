"""The schedule decider: intervals, hints, back-off, pausing."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from newsdesk.config import Settings
from newsdesk.model import ParsedFeed
from newsdesk.pipeline.feed.schedule import posting_interval_s, schedule_failure, schedule_success

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
S = Settings(min_check_interval_s=600, default_check_interval_s=3600, max_check_interval_s=86400)


def feed(**kw: object) -> ParsedFeed:
    return ParsedFeed(title="t", site_url=None, entries=(), **kw)  # type: ignore[arg-type]


def ok(**kw: object) -> float:
    args: dict[str, object] = {
        "now": NOW,
        "settings": S,
        "feed": feed(),
        "max_age_s": None,
        "published": (),
        "previous_interval_s": None,
        "rng": random.Random(1),
    }
    args.update(kw)
    return schedule_success(**args).interval_s  # type: ignore[arg-type]


def test_posting_rate_drives_interval() -> None:
    hourly = [NOW - timedelta(hours=i) for i in range(10)]
    daily = [NOW - timedelta(days=i) for i in range(10)]
    assert 0.9 * 1800 <= ok(published=hourly) <= 1.1 * 1800
    assert ok(published=daily) >= 0.9 * 43200
    assert posting_interval_s(hourly[:2]) is None


def test_bounds_and_publisher_hints() -> None:
    burst = [NOW - timedelta(seconds=10 * i) for i in range(10)]
    assert ok(published=burst) == S.min_check_interval_s  # never faster than the minimum
    assert ok(feed=feed(ttl_minutes=180)) >= 0.9 * 10800
    assert ok(max_age_s=7200.0) >= 0.9 * 7200
    assert 0.9 * S.max_check_interval_s <= ok(feed=feed(update_period_s=10 * 86400.0)) <= S.max_check_interval_s


def test_skip_hours_and_days() -> None:
    f = feed(skip_hours=frozenset(range(13, 20)))
    nxt = schedule_success(
        now=NOW, settings=S, feed=f, max_age_s=None, published=(), previous_interval_s=None, rng=random.Random(1)
    ).next_check_at
    assert nxt.hour not in f.skip_hours


def test_not_modified_keeps_rhythm() -> None:
    assert 0.9 * 1.1 * 5000 <= ok(feed=None, previous_interval_s=5000.0) <= 1.1 * 1.1 * 5000


def test_backoff_doubles_honours_retry_after_and_pauses() -> None:
    rng = random.Random(3)
    delays = [
        schedule_failure(now=NOW, settings=S, error_count=n, retry_after_s=None, permanent=False, rng=rng).interval_s
        for n in range(5)
    ]
    assert all(b > a for a, b in itertools.pairwise(delays))
    assert delays[0] <= 1.25 * S.error_backoff_base_s
    ra = schedule_failure(now=NOW, settings=S, error_count=0, retry_after_s=20000, permanent=False, rng=rng)
    assert ra.interval_s >= 20000 and ra.error_count == 1 and not ra.pause
    last = schedule_failure(
        now=NOW, settings=S, error_count=S.max_consecutive_errors - 1, retry_after_s=None, permanent=False, rng=rng
    )
    assert last.pause and last.interval_s <= S.max_check_interval_s
