"""The related-articles vector index: a real usearch index of a few thousand vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from newsdesk.ai.vectors import USearchIndex, VectorIndex
from newsdesk.errors import AIError

DIM = 512
N = 4000


def clustered(n: int, seed: int, stories: int = 200) -> NDArray[np.float32]:
    """Unit vectors around ``stories`` random centres (cosine ≈ 0.7 within a story)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((stories, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.standard_normal((n, DIM), dtype=np.float32) / np.float32(np.sqrt(DIM))
    v = centres[rng.integers(0, stories, n)] + np.float32(0.6) * noise
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data() -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    both = clustered(N + 100, seed=1)  # queries: new vectors of the same stories
    return both[:N], both[N:]


@pytest.fixture(scope="module")
def index(data: tuple[NDArray[np.float32], NDArray[np.float32]]) -> USearchIndex:
    vectors, _ = data
    ix = USearchIndex(DIM)
    ix.add(np.arange(N), vectors)
    return ix


def exact_top(vectors: NDArray[np.float32], queries: NDArray[np.float32], k: int) -> NDArray[np.int64]:
    return np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :k]


def recall(ix: USearchIndex, vectors: NDArray[np.float32], queries: NDArray[np.float32], k: int = 10) -> float:
    truth = exact_top(vectors, queries, k)
    hits = [len({n.key for n in ix.search(q, k)} & set(t.tolist())) for q, t in zip(queries, truth, strict=True)]
    return sum(hits) / (k * len(queries))


def test_is_a_vector_index(index: USearchIndex) -> None:
    assert isinstance(index, VectorIndex)
    assert index.dim == DIM
    assert len(index) == N
    assert 5 in index
    assert N + 5 not in index
    assert -1 not in index
    assert "5" not in index


def test_recall_against_exact_search(index: USearchIndex, data: tuple[NDArray[np.float32], ...]) -> None:
    vectors, queries = data
    assert recall(index, vectors, queries) >= 0.95


def test_results_are_sorted_cosines(index: USearchIndex, data: tuple[NDArray[np.float32], ...]) -> None:
    vectors, queries = data
    got = index.search(vectors[17], 5)
    assert got[0].key == 17
    assert got[0].similarity == pytest.approx(1.0, abs=2e-3)
    sims = [n.similarity for n in got]
    assert sims == sorted(sims, reverse=True)
    exact = vectors[[n.key for n in got]] @ vectors[17]
    assert np.allclose(sims, exact, atol=5e-3)  # f16 storage
    # search_many agrees with one-at-a-time search
    keys, many = index.search_many(queries[:5], 10)
    assert keys.shape == many.shape == (5, 10)
    assert [int(x) for x in keys[0]] == [n.key for n in index.search(queries[0], 10)]


def test_filter_and_similarity_floor(index: USearchIndex, data: tuple[NDArray[np.float32], ...]) -> None:
    vectors, _ = data
    q = vectors[0]
    odd = index.search(q, 10, accept=lambda key: key % 2 == 1)
    assert len(odd) == 10
    assert all(n.key % 2 == 1 for n in odd)
    # a filter that rejects almost everything: over-fetching finds the few it admits
    rare = index.search(q, 10, accept=lambda key: key % 500 == 0)
    assert 0 < len(rare) <= 10
    assert all(n.key % 500 == 0 for n in rare)
    # never padded with unrelated vectors: only the same story passes a floor of 0.5
    related = index.search(q, 1000, min_similarity=0.5)
    truth = np.flatnonzero(vectors @ q >= 0.5)
    assert {n.key for n in related} <= set(truth.tolist())
    assert len(related) >= 0.9 * len(truth)
    assert all(n.similarity >= 0.5 for n in related)
    assert index.search(-q, 10, min_similarity=0.5) == []


def test_save_load_round_trip(index: USearchIndex, data: tuple[NDArray[np.float32], ...], tmp_path: Path) -> None:
    _, queries = data
    path = tmp_path / "sub" / "vectors.usearch"
    index.save(path)
    index.save(path)  # overwriting is atomic too
    assert sorted(p.name for p in path.parent.iterdir()) == ["vectors.usearch"]  # no temporary left
    loaded = USearchIndex.load(path, dim=DIM)
    assert len(loaded) == N
    for q in queries[:20]:
        assert loaded.search(q, 10) == index.search(q, 10)
    with pytest.raises(AIError, match="512-d vectors, expected 384"):
        USearchIndex.load(path, dim=384)


def test_load_refuses_what_is_not_an_index(tmp_path: Path) -> None:
    with pytest.raises(AIError):
        USearchIndex.load(tmp_path / "missing.usearch")
    junk = tmp_path / "junk.usearch"
    junk.write_bytes(b"not an index at all" * 10)
    with pytest.raises(AIError):
        USearchIndex.load(junk)


def test_remove_and_replace(data: tuple[NDArray[np.float32], ...]) -> None:
    vectors, _ = data
    ix = USearchIndex.rebuild(((i, vectors[i]) for i in range(1000)), DIM, batch=300)
    assert len(ix) == 1000
    assert ix.remove([3, 4, 5, 99_999]) == 3
    assert len(ix) == 997
    assert 4 not in ix
    assert all(n.key not in {3, 4, 5} for n in ix.search(vectors[4], 20))
    assert ix.remove([]) == 0
    # add replaces: key 7 now holds another vector
    ix.add([7], vectors[900:901])
    assert len(ix) == 997
    assert ix.search(vectors[900], 2)[0].similarity == pytest.approx(1.0, abs=2e-3)
    assert {n.key for n in ix.search(vectors[900], 2)} == {7, 900}
    # re-adding a removed key works
    ix.add([4], vectors[4:5])
    assert ix.search(vectors[4], 1)[0].key == 4
    with pytest.raises(ValueError, match="dimensions"):
        ix.add([1], np.zeros((1, 384), dtype=np.float32))
    with pytest.raises(ValueError, match="twice"):
        ix.add([1, 1], vectors[:2])


def test_empty_index(tmp_path: Path) -> None:
    ix = USearchIndex(8, quantization="f32")
    assert ix.search(np.ones(8, dtype=np.float32), 5) == []
    ix.save(tmp_path / "empty.usearch")
    assert len(USearchIndex.load(tmp_path / "empty.usearch")) == 0


def test_search_width_is_tunable(index: USearchIndex) -> None:
    assert index.expansion_search == 512
    index.expansion_search = 64
    try:
        assert index.expansion_search == 64
    finally:
        index.expansion_search = 512


def test_preload_reads_every_index_file_once_and_searches_use_it(
    index: USearchIndex, data: tuple[NDArray[np.float32], ...], tmp_path: Path
) -> None:
    from newsdesk.ai.vector_search import VectorSearch

    class NoDatabaseIndex:  # the files are the route under test: the database has no index of its own
        def vector_search(self, model: str, vector: bytes, k: int) -> None:
            return None

        def vectors_since(self, since: object, model: str) -> list[object]:
            raise AssertionError("the index file answers, no exact scan")

    search = VectorSearch(str(tmp_path), NoDatabaseIndex())  # type: ignore[arg-type]
    index.save(search.index_path("model-a"))
    (tmp_path / "vectors-broken.usearch").write_bytes(b"not an index")
    assert search.preload() == 1  # the broken file is skipped, as a reader skips it
    loaded = search._loaded[search.index_path("model-a")][1]
    query = data[0][0]
    found = search.nearest("model-a", query.tobytes(), 3, min_similarity=-1.0, since=None)  # type: ignore[arg-type]
    assert search._loaded[search.index_path("model-a")][1] is loaded  # not read again
    assert [n.key for n in found] == [n.key for n in loaded.search(query, 3, min_similarity=-1.0)]
