"""Storage of story intelligence, on SQLite and PostgreSQL: intents in, stories and topics out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsdesk.errors import NotFoundError
from newsdesk.model import ArticleEnrichment, ExtractionStatus, StoryMerge, StoryTag, Tag
from newsdesk.store import EnrichmentCounts, SqlStorage, StoredVector
from tests.test_store import draft, insert, ok_update

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def seed(storage: SqlStorage, n_sources: int = 3) -> list[int]:
    """Sources with two articles each, already past extraction (ready for enrichment)."""
    ids = []
    for i in range(n_sources):
        s = storage.add_source(f"https://s{i}.example/feed", title=f"Source {i}", category="World", now=NOW)
        ids.append(s.id)
        drafts = [
            draft(s.id, f"g{i}-{k}", published_at=NOW - timedelta(hours=10 - i - k), text=f"text {i} {k}")
            for k in range(2)
        ]
        storage.apply_feed_updates([ok_update(s.id, *drafts)], [insert(d, ExtractionStatus.FEED) for d in drafts], NOW)
    return ids


def test_pending_enrichment_is_oldest_first_and_skips_pending_pages(storage: SqlStorage) -> None:
    seed(storage)
    s = storage.add_source("https://late.example/feed", now=NOW)
    waiting_page = draft(s.id, "page", published_at=NOW - timedelta(hours=20))
    storage.apply_feed_updates([ok_update(s.id, waiting_page)], [insert(waiting_page)], NOW)
    batch = storage.pending_enrichment(100)
    assert len(batch) == 6 and waiting_page.id not in {b.id for b in batch}
    assert [b.published_at for b in batch] == sorted(b.published_at for b in batch)
    assert batch[0].source_category == "World" and batch[0].feed_categories == ("World",)
    assert storage.enrichment_counts() == EnrichmentCounts(enriched=0, waiting=6)


def test_apply_enrichment_builds_stories_tags_and_vectors(storage: SqlStorage) -> None:
    seed(storage)
    batch = storage.pending_enrichment(100)
    vec = np.ones(4, dtype=np.float32) / 2
    tag = Tag("emmanuelmacron", "#EmmanuelMacron", "person", 1.0)
    results = [
        ArticleEnrichment(
            article_id=a.id,
            story_id="story-a" if i < 4 else "story-b",
            near_duplicate_of=batch[0].id if i == 1 else None,
            category="Politics" if i < 4 else "Sports",
            regions=("Europe",),
            tags=(tag, tag) if i in (0, 2) else (),
            vector_model="m1",
            vector=vec.tobytes(),
            signature=b"sig",
        )
        for i, a in enumerate(batch)
    ]
    storage.apply_enrichment(results, [], NOW)
    assert storage.enrichment_counts() == EnrichmentCounts(enriched=6, waiting=0)
    detail = storage.get_story("story-a")
    story = detail.story
    assert story.article_count == 4 and story.source_count == 2
    assert story.headline == detail.articles[0].title and story.representative_id == batch[0].id
    assert story.first_seen_at == batch[0].published_at and story.last_seen_at == batch[3].published_at
    assert (
        story.category == "Politics"
        and story.regions == ("Europe",)
        and story.tags == (StoryTag("emmanuelmacron", "#EmmanuelMacron"),)
    )
    assert [a.copy_of for a in detail.articles][:2] == [None, batch[0].id]
    assert {s.id for s in storage.list_stories()} == {"story-a", "story-b"}
    assert [s.id for s in storage.list_stories(category="Sports")] == ["story-b"]
    assert [s.id for s in storage.list_stories(region="Europe", tag="emmanuelmacron")] == ["story-a"]
    assert storage.list_stories(region="Asia") == []
    assert storage.tagged_article_ids("emmanuelmacron", 10) == [batch[2].id, batch[0].id]
    assert storage.tag_label("emmanuelmacron") == "#EmmanuelMacron"
    assert storage.vector_of(batch[0].id) == StoredVector("m1", vec.tobytes())
    assert len(storage.vectors_since(NOW - timedelta(days=1), "m1")) == 5  # the near-duplicate is left out
    assert storage.vectors_since(NOW - timedelta(days=1), "other-model") == []
    window = storage.enrichment_window(NOW - timedelta(days=1))
    assert len(window) == 6 and window[0].signature == b"sig" and window[0].story_id == "story-a"
    activity = {
        a.story_id: (len(a.article_times), a.publishers) for a in storage.active_stories(NOW - timedelta(days=1))
    }
    assert activity == {"story-a": (4, 2), "story-b": (2, 1)}
    # applying the same intents again changes nothing (idempotent)
    storage.apply_enrichment(results, [], NOW)
    assert storage.get_story("story-a").story.article_count == 4


def test_merges_moves_and_copies(storage: SqlStorage) -> None:
    seed(storage)
    batch = storage.pending_enrichment(100)
    first = [ArticleEnrichment(a.id, "s1" if i < 3 else "s2") for i, a in enumerate(batch)]
    storage.apply_enrichment(first, [], NOW)
    # refinement moves one article of s1 to s2, then s2 merges into s1; a late copy is noted
    storage.apply_enrichment([], [], NOW, moves=[(batch[2].id, "s2")], copies=[(batch[5].id, batch[4].id)])
    assert storage.get_story("s1").story.article_count == 2
    assert storage.get_story("s2").story.article_count == 4
    storage.apply_enrichment([], [StoryMerge(merged="s2", into="s1")], NOW)
    merged = storage.get_story("s2")  # the old id leads to the story it joined
    assert merged.story.id == "s1" and merged.story.article_count == 6
    assert [s.id for s in storage.list_stories()] == ["s1"]
    assert storage.get_article(batch[5].id).near_duplicate_of == batch[4].id
    with pytest.raises(NotFoundError):
        storage.get_story("nope")
