"""The front page: the live stories of the last hours, ranked (:mod:`newsdesk.queries.ranking`).

Reads the stories active in ``front_page_window_h`` with the times of their articles (only the
columns ranking needs: ``Storage.active_stories``), and ranks them by velocity, publisher diversity
and recency, balanced across categories; a category's or region's page is the same ranking among
its stories only. The stories shown are then read in full.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from newsdesk.model import Story
from newsdesk.queries.ranking import RankInput, rank_stories
from newsdesk.store import Storage


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
    activity = storage.active_stories(now - timedelta(hours=window_h))
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
