"""The front page: the live stories of the last hours, ranked (:mod:`newsdesk.queries.ranking`).

Reads the stories active in ``front_page_window_h`` with the times of their articles, and ranks
them by velocity, publisher diversity and recency, balanced across categories; a category's or
region's page is the same ranking among its stories only.
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
    activity = storage.story_activity(now - timedelta(hours=window_h))
    by_id = {a.story.id: a.story for a in activity}
    ranked = rank_stories(
        (RankInput(a.story.id, a.article_times, a.publishers, a.story.category, a.story.regions) for a in activity),
        now,
        limit=limit,
        category=category,
        region=region,
    )
    return [dataclasses.replace(by_id[r.story_id], score=round(r.score, 4)) for r in ranked]
