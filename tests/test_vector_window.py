"""The related-articles index file keeps the window, not the history (issue 16 §6).

A week of articles goes day by day through the real enrichment pass (``Newsdesk.enrich`` on
SQLite, with a clock that moves a day at a time); the index file must then hold exactly the
window's primaries, and its size must stop growing once the window is full. Embeddings are random
unit vectors seeded by the text (the index's upkeep does not depend on what the model says), so the
run takes seconds. ``bench/vector_window.py`` is the same run at the bench corpus's scale.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.ai.embedder import Embedder
from newsdesk.ai.vector_search import COMPACT_SHARE, VectorSearch
from newsdesk.ai.vectors import USearchIndex
from newsdesk.config import Settings
from newsdesk.core import Adapters, Newsdesk, fetcher_factory
from newsdesk.model import (
    ArticleDraft,
    ArticleEnrichment,
    ArticleUpdate,
    DraftAction,
    ExtractionStatus,
    FeedUpdate,
    vector_key,
)
from newsdesk.store import open_storage
from tests.conftest import fresh_database, load_bench, test_settings

START = datetime(2026, 5, 4, tzinfo=UTC)
DIM = 64
PER_DAY = 12
WINDOW_H = 48.0


EMBEDDER = load_bench("vector_window").RandomEmbedder(DIM)  # unit vectors, a pure function of the text


class RandomSlot(EmbedderSlot):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.embedder = EMBEDDER

    def get(self) -> Embedder:
        return self.embedder


class Run:
    """A facade whose clock the test moves, over a fresh SQLite database."""

    def __init__(self, directory: Path, database: str = "sqlite") -> None:
        self.now = START
        url = fresh_database(database, directory)
        self.settings = test_settings(directory, related_window_h=WINDOW_H, db=url)
        self.storage = open_storage(self.settings.database_url)
        self.vectors = VectorSearch(self.settings.resolved_data_dir, self.storage)
        self.desk = self.facade()
        self.source = self.storage.add_source("https://daily.example/feed", now=START)
        self.published: dict[str, datetime] = {}
        self.words = random.Random(16)

    def facade(self) -> Newsdesk:
        """A new facade on the same database and data directory (a process started again)."""
        adapters = Adapters(
            storage=self.storage,
            new_fetcher=fetcher_factory(self.settings),
            embedder=RandomSlot(self.settings),
            vectors=self.vectors,
        )
        return Newsdesk(self.settings, adapters, lambda: self.now)

    @property
    def path(self) -> Path:
        return self.vectors.index_path(EMBEDDER.model_id)

    def day(self, n: int) -> None:
        """Store day ``n``'s articles (spread over the day), then enrich at its end."""
        day_start = START + timedelta(days=n)
        self.now = day_start + timedelta(days=1)
        updates = []
        for i in range(PER_DAY):
            aid = f"d{n}-{i}"
            # words of letters drawn at random: no two articles are near-duplicates of each other
            text = " ".join(
                "".join(self.words.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(self.words.randint(3, 9)))
                for _ in range(25)
            )
            when = day_start + timedelta(hours=i * 24 / PER_DAY)
            self.published[aid] = when
            draft = ArticleDraft(
                id=aid,
                source_id=self.source.id,
                guid=aid,
                url=f"https://daily.example/{aid}",
                canonical_url=None,
                title=f"Report {aid}",
                authors=(),
                published_at=when,
                updated_at=None,
                summary=None,
                content_html=None,
                text=text,
                image_url=None,
                categories=(),
                word_count=25,
                content_hash=None,
                entry_hash=aid,
                language="en",
            )
            updates.append(ArticleUpdate(draft, DraftAction.INSERT, extraction_status=ExtractionStatus.FEED))
        feed = FeedUpdate(
            source_id=self.source.id, checked_at=self.now, next_check_at=self.now, check_interval_s=3600.0, ok=True
        )
        self.storage.apply_feed_updates([feed], updates, self.now)
        assert self.desk.enrich().articles == PER_DAY

    def window_keys(self) -> set[int]:
        since = self.now - timedelta(hours=WINDOW_H)
        return {vector_key(aid) for aid, when in self.published.items() if when >= since}

    def index(self) -> USearchIndex:
        return USearchIndex.load(self.path)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    r = Run(tmp_path)
    yield r
    r.desk.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_articles_leave_the_index_with_the_window_and_the_file_stops_growing(database: str, tmp_path: Path) -> None:
    run = Run(tmp_path, database)
    try:
        _a_week(run)
    finally:
        run.desk.close()


def _a_week(run: Run) -> None:
    sizes = []
    for n in range(5):
        run.day(n)
        index = run.index()
        assert set(index.keys().tolist()) == run.window_keys()  # nothing older, nothing of the window missing
        assert index.slots <= (1 + COMPACT_SHARE) * len(index)
        sizes.append(run.path.stat().st_size)
    full = sizes[1]  # a window of two days: full at the end of the second
    assert sizes[1] > 1.9 * sizes[0]  # it grew while the window filled
    assert max(sizes[1:]) <= 1.05 * full  # then it stopped (all history, as before, would be 2.5x by now)
    assert len(run.index()) == 2 * PER_DAY


def test_upkeep_is_idempotent_and_a_lost_file_is_rebuilt_from_stored_vectors(run: Run) -> None:
    for n in range(4):
        run.day(n)
    before = run.path.read_bytes()
    # a writer that removes and is never saved (a crash) leaves the file as it was
    writer = run.vectors.writer(EMBEDDER.model_id, DIM)
    assert writer.remove(writer.keys()) == 2 * PER_DAY
    assert run.path.read_bytes() == before
    # removing what is already gone changes nothing, and the next day's upkeep does its work again
    assert writer.remove(writer.keys()) == 0
    run.path.unlink()
    run.desk.close()
    run.desk = run.facade()  # the process starts again, without its index file
    run.day(4)
    assert set(run.index().keys().tolist()) == run.window_keys()


def test_saving_after_many_removals_gives_the_slots_back(tmp_path: Path) -> None:
    class NoDatabase:
        def vector_search(self, model: str, vector: bytes, k: int) -> None:
            return None

    search = VectorSearch(str(tmp_path), NoDatabase())  # type: ignore[arg-type]
    vectors = EMBEDDER.embed([f"article {i}" for i in range(400)])
    writer = search.writer("m", DIM)
    writer.add([ArticleEnrichment(f"a{i}", None, vector=v.tobytes()) for i, v in enumerate(vectors)])
    writer.save()
    full = writer.path.stat().st_size
    writer = search.writer("m", DIM)
    keys = writer.keys()
    writer.remove(keys[:60])  # 60 freed slots of 340 live: under the share, kept for the next additions
    writer.save()
    assert not writer.compacted and USearchIndex.load(writer.path).slots == 400
    assert writer.path.stat().st_size == full
    writer = search.writer("m", DIM)
    writer.remove(keys[60:300])  # 300 freed of 100 live: compacted
    writer.save()
    assert writer.compacted
    saved = USearchIndex.load(writer.path)
    assert len(saved) == saved.slots == 100 and set(saved.keys().tolist()) == set(keys[300:])
    assert writer.path.stat().st_size < 0.4 * full
    by_key = {vector_key(f"a{i}"): v for i, v in enumerate(vectors)}
    assert saved.search(by_key[keys[350]], 1)[0].key == keys[350]  # the rebuilt graph finds what it holds
