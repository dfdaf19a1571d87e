"""Front-page ranking: scenarios with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsdesk.queries.ranking import RankInput, RankParams, rank_stories, story_score

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def story(sid: str, *hours_ago: float, publishers: int = 1, category: str | None = None, **kw: object) -> RankInput:
    times = tuple(NOW - timedelta(hours=h) for h in hours_ago)
    return RankInput(sid, times, publishers, category, **kw)  # type: ignore[arg-type]


def ids(ranked: list) -> list[str]:  # type: ignore[type-arg]
    return [r.story_id for r in ranked]


def test_many_publishers_now_beat_one_prolific_feed() -> None:
    broad = story("broad", *[0.5] * 10, publishers=10)
    one_feed = story("one-feed", *[0.2] * 10, publishers=1)
    assert ids(rank_stories([one_feed, broad], NOW)) == ["broad", "one-feed"]


def test_a_burst_now_beats_the_same_coverage_spread_over_two_days() -> None:
    burst = story("burst", 0.5, 1, 1.5, 2, 2.5, 3, publishers=6)
    spread = story("spread", 0.5, 8, 16, 24, 32, 40, publishers=6)
    assert ids(rank_stories([spread, burst], NOW)) == ["burst", "spread"]


def test_yesterdays_big_story_yields_to_todays_moderate_one() -> None:
    old_big = story("old-big", *[30 + i for i in range(20)], publishers=15)
    fresh = story("fresh", 0.5, 1, 2, publishers=3)
    assert ids(rank_stories([old_big, fresh], NOW))[0] == "fresh"


def test_stories_past_the_front_page_age_are_left_out() -> None:
    ancient = story("ancient", 200, publishers=30)
    assert rank_stories([ancient], NOW) == []
    assert story_score(ancient, NOW) is None
    assert story_score(RankInput("empty", (), 0), NOW) is None


def test_category_balance_lets_other_sections_in() -> None:
    politics = [story(f"pol-{i}", 0.5, 1, publishers=8 - i, category="Politics") for i in range(5)]
    sport = story("sport", 1, 2, publishers=4, category="Sports")
    top3 = ids(rank_stories([*politics, sport], NOW, limit=3))
    assert "sport" in top3 and top3[0] == "pol-0"
    unbalanced = ids(rank_stories([*politics, sport], NOW, limit=3, params=RankParams(category_penalty=1.0)))
    assert "sport" not in unbalanced


def test_category_and_region_pages() -> None:
    stories = [
        story("a", 1, publishers=3, category="Politics", regions=("Europe",)),
        story("b", 1, publishers=5, category="Sports", regions=("Asia",)),
        story("c", 2, publishers=2, category="Politics", regions=("Asia",)),
    ]
    assert ids(rank_stories(stories, NOW, category="Politics")) == ["a", "c"]
    assert ids(rank_stories(stories, NOW, region="Asia")) == ["b", "c"]


def test_deterministic_with_ties_broken_by_id() -> None:
    same = [story(sid, 1, publishers=2, category="World") for sid in ("b", "a", "c")]
    first = ids(rank_stories(same, NOW, params=RankParams(category_penalty=1.0)))
    assert first == ["a", "b", "c"]
    assert first == ids(rank_stories(list(reversed(same)), NOW, params=RankParams(category_penalty=1.0)))
    ranked = rank_stories(same, NOW)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
