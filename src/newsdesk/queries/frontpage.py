"""The front page: the live stories of the last hours, ranked (:mod:`newsdesk.queries.ranking`).

Reads the stories active in ``front_page_window_h`` with the times of their articles (only the
columns ranking needs: ``Storage.active_stories``), and ranks them by velocity, publisher diversity
and recency, balanced across categories; a category's or region's page is the same ranking among
its stories only. The stories shown are then read in full.

**The window's activity is read again only when the stories changed.** Scores decay with the clock, so a
ranking is renewed at least once a minute (``queries/cache.py``) even when nothing was written; reading the
window (≈20k stories and 27k article times at 100k articles) was two thirds of that second. While the
``stories`` data version is the one it was read under, and for at most ``ACTIVITY_REUSE``, the activity
read for an earlier window start is reused, trimmed to the later start (stories last seen before it left
out, article times before it dropped): the same rows the database would give.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from datetime import datetime, timedelta

from newsdesk.model import Story
from newsdesk.queries.ranking import RankInput, rank_stories
from newsdesk.store import Storage
from newsdesk.store.port import ActiveStory

ACTIVITY_REUSE = timedelta(minutes=10)  # how far a window's start may move before it is read afresh


@dataclasses.dataclass(frozen=True, slots=True)
class _Activity:
    version: int
    since: datetime
    stories: list[ActiveStory]


_kept: weakref.WeakKeyDictionary[Storage, _Activity] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def window_activity(storage: Storage, since: datetime) -> list[ActiveStory]:
    """``storage.active_stories(since)``, reusing the last read while the stories are unchanged (see above)."""
    version = storage.data_version()
    with _kept_lock:
        kept = _kept.get(storage)
    if kept is not None and kept.version == version and kept.since <= since < kept.since + ACTIVITY_REUSE:
        return _trimmed(kept.stories, since) if since > kept.since else kept.stories
    stories = storage.active_stories(since)
    with _kept_lock:
        _kept[storage] = _Activity(version, since, stories)
    return stories


def _trimmed(stories: list[ActiveStory], since: datetime) -> list[ActiveStory]:
    out = []
    for a in stories:
        if a.last_seen_at is not None and a.last_seen_at < since:
            continue
        times = tuple(t for t in a.article_times if t >= since)
        out.append(a if len(times) == len(a.article_times) else dataclasses.replace(a, article_times=times))
    return out


def front_page(
    storage: Storage,
    now: datetime,
    *,
    window_h: float,
    limit: int,
    category: str | None = None,
    region: str | None = None,
) -> list[Story]:
    """The ``limit`` top stories now, each with its front-page ``score``."""
    activity = window_activity(storage, now - timedelta(hours=window_h))
    ranked = rank_stories(
        (RankInput(a.story_id, a.article_times, a.publishers, a.category, a.regions) for a in activity),
        now,
        limit=limit,
        category=category,
        region=region,
    )
    # only the stories shown are read in full (ranking read a few columns of every story of the window)
    shown = {s.id: s for s in storage.list_stories(ids=[r.story_id for r in ranked], limit=max(1, len(ranked)))}
    return [dataclasses.replace(shown[r.story_id], score=round(r.score, 4)) for r in ranked if r.story_id in shown]
