"""Related reading on ECB+: the production rule over the production embedding, against TF-IDF.

Runs ``bench/related_quality.py`` (one definition of the figures) on the shared dev split and
pins floors a little under the measured ones (docs/benchmarks.md: nDCG@5 0.840, P@1 0.698).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_bench

REPO = Path(__file__).resolve().parents[1]
ECB = REPO.parent / "shared" / "data" / "ecbplus-event-clustering" / "articles.dev.jsonl"

NDCG_FLOOR = 0.80
P_AT_1_FLOOR = 0.66


def _bench() -> ModuleType:
    return load_bench("related_quality")


@pytest.mark.slow
@pytest.mark.skipif(not ECB.exists(), reason=f"shared ECB+ data not found at {ECB}")
def test_related_reading_finds_the_look_alike_event_first() -> None:
    results = _bench().evaluate()
    ours, base = results["newsdesk (embedding)"], results["TF-IDF baseline"]
    assert ours["nDCG@5"] >= NDCG_FLOOR, ours
    assert ours["P@1"] >= P_AT_1_FLOOR, ours
    assert ours["nDCG@5"] >= base["nDCG@5"] - 0.02, (ours, base)  # never clearly worse than plain TF-IDF


def test_pick_related_never_shows_the_own_story_a_copy_or_two_of_one_story() -> None:
    from datetime import UTC, datetime, timedelta

    from newsdesk.queries.related import pick_related
    from newsdesk.store import IndexedArticle

    now = datetime(2026, 3, 1, tzinfo=UTC)
    hits = [
        (IndexedArticle("self", "s0", False, now), 1.0),
        (IndexedArticle("same-story", "s0", False, now), 0.95),
        (IndexedArticle("copy", "s1", True, now), 0.9),
        (IndexedArticle("first-of-s2", "s2", False, now), 0.8),
        (IndexedArticle("second-of-s2", "s2", False, now), 0.79),
        (IndexedArticle("too-old", "s3", False, now - timedelta(days=30)), 0.7),
        (IndexedArticle("unclustered", None, False, now), 0.6),
        (IndexedArticle("of-s4", "s4", False, now), 0.5),
    ]
    picked = pick_related(hits, "self", "s0", now - timedelta(days=14), 5)
    assert [a for a, _ in picked] == ["first-of-s2", "unclustered", "of-s4"]
    assert pick_related(hits, "self", "s0", now - timedelta(days=14), 1) == [("first-of-s2", 0.8)]
