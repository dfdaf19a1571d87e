"""Front page: which stories lead, in what order (issue 3 §7).

A story's score multiplies three signals, each answering a reader's question:

* **velocity** — is it happening now? Articles per hour, each article's weight
  decaying exponentially with its age (time constant ``velocity_tau``), so a
  burst of coverage in the last hours counts more than the same number spread
  over two days;
* **diversity** — does more than one newsroom think it matters? ``log2(1 +
  publishers)``: the tenth publisher adds less than the second, and one prolific
  feed cannot carry a story alone;
* **recency** — is it still news? Halves every ``half_life`` since the story's
  latest article.

Then **category balance**: stories are picked greedily by score, and every
story already picked from the same category multiplies the next one's score by
``category_penalty``, so a day of politics still leaves room for the science
and sports stories readers expect to see. The result depends only on its inputs
and ``now`` (ties broken by story id), which keeps it testable with scenarios.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RankInput:
    """What ranking needs to know about one story."""

    story_id: str
    article_times: tuple[datetime, ...]  # when each article was published (or first seen)
    publishers: int
    category: str | None = None
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RankParams:
    velocity_tau_h: float = 6.0
    half_life_h: float = 12.0
    category_penalty: float = 0.6
    max_age_h: float = 96.0  # older stories are not front-page material at all


@dataclass(frozen=True, slots=True)
class RankedStory:
    story_id: str
    score: float  # after category balance
    base_score: float  # before it
    velocity: float  # decayed articles per hour
    publishers: int
    age_h: float  # hours since the latest article
    category: str | None


def story_score(story: RankInput, now: datetime, params: RankParams = RankParams()) -> RankedStory | None:
    """The story's score before balancing, or None when it is too old or has no articles."""
    if not story.article_times:
        return None
    latest = max(story.article_times)
    age_h = max(0.0, (now - latest).total_seconds() / 3600)
    if age_h > params.max_age_h:
        return None
    velocity = 0.0
    for t in story.article_times:
        article_age_h = max(0.0, (now - t).total_seconds() / 3600)
        velocity += math.exp(-article_age_h / params.velocity_tau_h)
    velocity /= params.velocity_tau_h  # ≈ articles per hour over the recent past
    diversity = math.log2(1 + max(1, story.publishers))
    recency = 0.5 ** (age_h / params.half_life_h)
    base = diversity * (1.0 + velocity) * recency
    return RankedStory(story.story_id, base, base, velocity, story.publishers, age_h, story.category)


def rank_stories(
    stories: Iterable[RankInput],
    now: datetime,
    *,
    limit: int = 30,
    category: str | None = None,
    region: str | None = None,
    params: RankParams = RankParams(),
) -> list[RankedStory]:
    """The front page: the ``limit`` best stories, balanced across categories.

    With ``category`` (or ``region``) only that category's (region's) stories
    compete, and no balancing applies within a single category.
    """
    candidates: list[RankedStory] = []
    for story in stories:
        if category is not None and story.category != category:
            continue
        if region is not None and region not in story.regions:
            continue
        scored = story_score(story, now, params)
        if scored is not None:
            candidates.append(scored)
    return _balanced(candidates, limit, params.category_penalty if category is None else 1.0)


def _balanced(candidates: Sequence[RankedStory], limit: int, penalty: float) -> list[RankedStory]:
    """Greedy pick by score, each pick damping its category's remaining stories (lazy re-scoring)."""
    picked: list[RankedStory] = []
    per_category: Counter[str | None] = Counter()
    # heap of (-current score, story id, seen-count when scored, story)
    heap = [(-c.base_score, c.story_id, 0, c) for c in candidates]
    heapq.heapify(heap)
    while heap and len(picked) < limit:
        neg, story_id, scored_with, story = heapq.heappop(heap)
        seen = per_category[story.category]
        if scored_with != seen:  # its category gained a pick since: re-score and put back
            current = story.base_score * penalty**seen
            heapq.heappush(heap, (-current, story_id, seen, story))
            continue
        picked.append(
            RankedStory(
                story.story_id,
                -neg,
                story.base_score,
                story.velocity,
                story.publishers,
                story.age_h,
                story.category,
            )
        )
        per_category[story.category] += 1
    return picked
