"""The front page's cache: the data version every story write bumps (SQLite and PostgreSQL), and the
freshness rule of ``queries/cache.py`` (a ranking is served again only while no write changed the
stories and for at most ``MAX_AGE`` by the facade's clock)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from newsdesk.core import make_newsdesk
from newsdesk.model import ArticleEnrichment, ExtractionStatus
from newsdesk.queries.cache import MAX_AGE, FreshCache, KeptByVersion
from newsdesk.store import SqlStorage, open_storage
from newsdesk.store.port import ActiveStory
from newsdesk.store.schema import stories
from tests.conftest import test_settings
from tests.test_store import draft, insert, ok_update
from tests.test_stories import NOW, seed


def _enrich(storage: SqlStorage, story_of: dict[int, str]) -> list[str]:
    """Enrich the waiting articles, the i-th into story ``story_of[i]``; their ids."""
    batch = storage.pending_enrichment(100)
    results = [ArticleEnrichment(a.id, story_of[i], category="World") for i, a in enumerate(batch)]
    storage.apply_enrichment(results, [], NOW)
    return [a.id for a in batch]


def test_data_version_counts_the_writes_to_stories(storage: SqlStorage) -> None:
    start = storage.data_version()
    ids = seed(storage)
    assert storage.data_version() == start  # new articles without a story change no story
    _enrich(storage, dict.fromkeys(range(6), "story-a"))
    assert storage.data_version() == start + 1
    storage.apply_enrichment([], [], NOW)  # nothing to write: nothing counted
    assert storage.data_version() == start + 1
    storage.remove_source(ids[0])  # its articles leave their story
    assert storage.data_version() == start + 2
    assert storage.data_version("another kind") == 0


def test_active_stories_are_the_live_stories_in_fewer_columns(storage: SqlStorage) -> None:
    seed(storage)
    batch = storage.pending_enrichment(100)
    storage.apply_enrichment(
        [
            ArticleEnrichment(
                a.id, "story-a" if i < 4 else "story-b", category="Politics", regions=("Europe",) * (i < 4)
            )
            for i, a in enumerate(batch)
        ],
        [],
        NOW,
    )
    since = NOW - timedelta(hours=8)  # the oldest articles are out of the window
    full = {s.id: (s.source_count, s.category, s.regions) for s in storage.list_stories(since=since)}
    light = {a.story_id: (a.article_times, a.publishers, a.category, a.regions) for a in storage.active_stories(since)}
    assert {k: v[1:] for k, v in light.items()} == full
    assert light["story-a"][3] == ("Europe",) and light["story-b"][3] == ()
    assert 0 < len(light["story-a"][0]) < 4  # times in the window only
    assert storage.active_stories(NOW + timedelta(days=1)) == []


def test_front_page_is_kept_while_no_story_changes_and_for_at_most_max_age(storage: SqlStorage, tmp_path: Path) -> None:
    clock = [NOW]
    desk = make_newsdesk(test_settings(tmp_path, db=storage.url), lambda: clock[0], storage=storage)
    seed(storage)
    _enrich(storage, {0: "story-a", 1: "story-a", 2: "story-a", 3: "story-b", 4: "story-b", 5: "story-b"})
    first = desk.front_page()
    assert {s.id for s in first} == {"story-a", "story-b"}
    # A change that bumps no version (made behind the store's back) is not seen: the page is cached ...
    with storage.engine.begin() as conn:
        conn.execute(update(stories).where(stories.c.id == "story-a").values(headline="Renamed"))
    assert desk.front_page() == first
    # ... while other arguments are another page, computed on their own.
    assert [s.headline for s in desk.front_page(limit=1) if s.id == "story-a"] in ([], ["Renamed"])
    # A minute later by the facade's clock, the page is ranked again and shows the change.
    clock[0] = NOW + MAX_AGE
    assert "Renamed" in {s.headline for s in desk.front_page()}
    # A story write is seen at once: the new story is on the next page served.
    s = storage.add_source("https://late.example/feed", now=NOW)
    late = draft(s.id, "late", published_at=NOW, text="late text")
    storage.apply_feed_updates([ok_update(s.id, late)], [insert(late, ExtractionStatus.FEED)], NOW)
    assert "story-c" not in {x.id for x in desk.front_page()}  # no story yet: the same page
    _enrich(storage, {0: "story-c"})
    assert "story-c" in {x.id for x in desk.front_page()}
    # The caller gets its own list: changing it changes no other reader's page.
    page = desk.front_page()
    page.clear()
    assert desk.front_page() != []


def test_a_clock_set_back_expires_the_cache() -> None:
    clock = [NOW]
    calls: list[int] = []
    cache: FreshCache[int] = FreshCache(lambda: 0, lambda: clock[0])
    assert cache.get("k", lambda: len(calls.append(1) or calls)) == 1
    assert cache.get("k", lambda: len(calls.append(1) or calls)) == 1
    clock[0] = NOW - timedelta(seconds=1)
    assert cache.get("k", lambda: len(calls.append(1) or calls)) == 2


def test_one_computation_per_key_when_many_readers_miss_together() -> None:
    computed: list[str] = []
    cache: FreshCache[str] = FreshCache(lambda: 7, lambda: datetime.now(NOW.tzinfo))

    def slow() -> str:
        computed.append("x")
        time.sleep(0.2)
        return "page"

    results: list[str] = []
    readers = [threading.Thread(target=lambda: results.append(cache.get("front", slow))) for _ in range(8)]
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    assert results == ["page"] * 8 and computed == ["x"]


def test_the_number_of_keys_is_bounded() -> None:
    cache: FreshCache[int] = FreshCache(lambda: 0, lambda: NOW, max_keys=3)
    for k in range(5):
        cache.get(k, lambda k=k: k)  # type: ignore[misc]
    calls: list[int] = []
    assert cache.get(4, lambda: calls.append(1) or -1) == 4  # kept: among the 3 most recent
    assert cache.get(0, lambda: calls.append(1) or -1) == -1  # dropped: computed again
    assert calls == [1]


def test_while_a_value_is_renewed_the_other_readers_take_the_one_it_replaces() -> None:
    clock = [NOW]
    cache: FreshCache[str] = FreshCache(lambda: 1, lambda: clock[0])
    assert cache.get("front", lambda: "old") == "old"
    clock[0] = NOW + MAX_AGE  # expired: the next reader renews it, slowly
    started = threading.Event()

    def slow() -> str:
        started.set()
        time.sleep(0.3)
        return "new"

    renewing = threading.Thread(target=lambda: cache.get("front", slow))
    renewing.start()
    started.wait(5)
    before = time.monotonic()
    assert cache.get("front", lambda: "never") == "old"  # at once, without computing it again
    assert time.monotonic() - before < 0.2
    renewing.join()
    assert cache.get("front", lambda: "never") == "new"


def test_a_value_kept_by_version_is_used_only_under_that_version_and_keys_are_bounded() -> None:
    kept: KeptByVersion[str] = KeptByVersion(max_keys=2)
    calls: list[str] = []

    def compute(value: str) -> str:
        calls.append(value)
        return value

    assert kept.get("ann", 1, lambda: compute("a1")) == "a1"
    assert kept.get("ann", 1, lambda: compute("unused")) == "a1"  # same version: kept
    assert kept.get("ann", 2, lambda: compute("a2")) == "a2"  # a newer count: computed again
    kept.get("bob", 1, lambda: compute("b1"))
    kept.get("cy", 1, lambda: compute("c1"))  # a third key: the least recently used (ann) goes
    assert kept.get("ann", 2, lambda: compute("a2 again")) == "a2 again"
    assert calls == ["a1", "a2", "b1", "c1", "a2 again"]


def test_within_versions_read_the_caches_check_the_versions_given_not_the_database(
    storage: SqlStorage, tmp_path: Path
) -> None:
    """A signed-in page reads the data versions once (shared with the requests arriving with it); the facade's
    caches use them. Outside the block, every check reads the database again."""
    desk = make_newsdesk(test_settings(tmp_path), storage=storage)
    seed(storage)
    _enrich(storage, dict.fromkeys(range(6), "story-a"))
    versions = desk.data_versions()
    first = desk.front_page(limit=10)
    reads: list[str] = []
    real = storage.data_version

    def counted(name: str = "stories") -> int:
        reads.append(name)
        return real(name)

    storage.data_version = counted  # type: ignore[method-assign]
    with desk.versions_read(versions):
        assert desk.front_page(limit=10) == first
        desk.site()
    assert reads == []
    desk.front_page(limit=10)
    assert reads == ["stories"]


def test_the_front_page_ranked_in_a_worker_process_equals_the_one_ranked_here(
    storage: SqlStorage, tmp_path: Path
) -> None:
    """The server ranks in a process of its own (tasks/read_worker.py): the same stories, in the same order,
    with the same scores; a worker that is gone is replaced, and meanwhile the ranking is made here."""
    seed(storage)
    _enrich(storage, dict.fromkeys(range(3), "story-a") | dict.fromkeys(range(3, 6), "story-b"))
    here = make_newsdesk(test_settings(tmp_path, db=storage.url), lambda: NOW, storage=storage)
    expected = here.front_page(limit=10)
    assert [s.id for s in expected] == ["story-a", "story-b"] or [s.id for s in expected] == ["story-b", "story-a"]
    served = make_newsdesk(test_settings(tmp_path, db=storage.url), lambda: NOW, storage=open_storage(storage.url))
    try:
        served.rank_in_a_process()
        worker = served._read_worker
        assert worker is not None
        assert served.front_page(limit=10) == expected
        executor = worker._current()
        for process in list(executor._processes.values()):  # the worker dies (killed by the operator, OOM)
            process.kill()
            process.join()
        served._front_pages.clear()
        assert served.front_page(limit=10) == expected  # made here this time, the worker replaced
        served._front_pages.clear()
        assert served.front_page(limit=10) == expected  # and ranked by the new worker again
        assert worker._executor is not executor
    finally:
        served.close()


def test_the_window_activity_reused_for_a_later_start_equals_a_fresh_read(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renewing a ranking with no write in between reuses the window's rows, trimmed to the later start: the
    same rows the database gives for that start. A write to the stories reads them again."""
    from newsdesk.queries import frontpage

    seed(storage)
    _enrich(storage, dict.fromkeys(range(3), "story-a") | dict.fromkeys(range(3, 6), "story-b"))
    monkeypatch.setattr(frontpage, "ACTIVITY_REUSE", timedelta(hours=12))
    first = NOW - timedelta(hours=11)
    assert frontpage.window_activity(storage, first) == storage.active_stories(first)
    reads: list[datetime] = []
    real = storage.active_stories

    def counted(since: datetime) -> list[ActiveStory]:
        reads.append(since)
        return real(since)

    monkeypatch.setattr(storage, "active_stories", counted)
    for hours in (9.5, 8.5, 7.5, 6.5):  # the start moves past article times, then past whole stories
        later = NOW - timedelta(hours=hours)
        reused = frontpage.window_activity(storage, later)
        assert sorted(reused, key=lambda a: a.story_id) == sorted(real(later), key=lambda a: a.story_id)
    assert reads == []
    storage.remove_source(storage.list_sources()[0].id)  # a write to the stories: its articles leave them
    frontpage.window_activity(storage, NOW - timedelta(hours=6.5))
    assert len(reads) == 1
