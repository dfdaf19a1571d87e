"""Vector index for "related articles": approximate nearest neighbours by cosine (issue 3 §4).

The stdlib ``sqlite3`` here cannot load extensions (no sqlite-vec) and a PostgreSQL server may
have no pgvector, so the default is an in-process HNSW graph (usearch, a single C++ wheel with no
dependencies) persisted in one file beside the database. :class:`VectorIndex` is the port of this
data structure; which route a search takes (the database's pgvector, this index, or an exact scan)
is decided in one place, :mod:`newsdesk.ai.vector_search`.

Keys are plain integers (usearch stores uint64 keys): the caller maps article ids to them (the
article's integer row id, say), which keeps the index free of strings and of newsdesk's model.

Why these defaults (measured by ``bench/vector_search.py`` on 1M clustered 512-d vectors, two
busy cores): vectors are stored as **f16**, half of f32's memory (1.3 GB for the graph and the
vectors at a million articles) at the same recall; i8 would halve that again, but its rounding
reorders near neighbours and caps recall@10 near 0.89 however wide the search. Connectivity 16
and ``expansion_add`` 128 build the graph (~1 ms per vector and core); ``expansion_search``
512 gives recall@10 0.96 against exact search at a p95 of 5 ms per query (128: 0.88 at 2 ms;
below 100k vectors, 64 already reaches 0.99).

Removal marks the vector deleted (it disappears from results at once) but keeps its slot: the
file and the memory stay the size of every slot ever used (measured with usearch 2.26: removing
half of 20,000 vectors leaves a file of the same 23 MB). Later additions take the freed slots
first, so an index whose owner removes about as much as it adds (articles leaving a window while
new ones arrive) stays the size of the window; when removals outrun additions, the freed slots
(:attr:`USearchIndex.removed`) are given back by :meth:`USearchIndex.compacted`, a fresh graph of
the live vectors. Saving writes a temporary file in the same directory and renames it over the
old one, so a crash leaves either the old or the new index, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from newsdesk.errors import AIError
from newsdesk.model import Neighbor

DEFAULT_DIM = 512  # the default embedder (Universal Sentence Encoder Multilingual v3)
Quantization = Literal["f32", "f16", "i8"]
_QUANTIZATIONS: dict[str, Quantization] = {"f32": "f32", "f16": "f16", "i8": "i8"}
Accept = Callable[[int], bool]

MAX_OVERFETCH = 64  # a filtered search looks at up to k * this many neighbours before giving up


@runtime_checkable
class VectorIndex(Protocol):
    """Nearest neighbours of unit vectors by cosine, keyed by integers.

    ``add`` replaces the vector of a key already present. ``search`` returns at most ``k``
    neighbours, most similar first, keeping only keys that ``accept`` admits and whose
    similarity is at least ``min_similarity``: it never pads the list with weak matches.
    """

    @property
    def dim(self) -> int: ...

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...

    def add(self, keys: Sequence[int] | NDArray[np.integer], vectors: NDArray[np.floating]) -> None: ...

    def remove(self, keys: Sequence[int] | NDArray[np.integer]) -> int: ...

    def search(
        self,
        vector: NDArray[np.floating],
        k: int = 10,
        *,
        accept: Accept | None = None,
        min_similarity: float = -1.0,
    ) -> list[Neighbor]: ...

    def save(self, path: str | os.PathLike[str]) -> None: ...


class USearchIndex:
    """:class:`VectorIndex` on a usearch HNSW graph in memory, saved to and loaded from one file.

    Searches may run from any number of threads; additions, removals and saves are serialised
    by a lock (one writer, as with the database).
    """

    def __init__(
        self,
        dim: int = DEFAULT_DIM,
        *,
        quantization: Quantization = "f16",
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = 512,
        threads: int = 0,
    ) -> None:
        from usearch.index import Index  # a compiled module: imported when an index is made

        self._index = Index(
            ndim=dim,
            metric="cos",
            dtype=quantization,
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )
        self._threads = threads  # 0: all cores, for batch additions
        self._lock = threading.Lock()

    # -- building ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, expansion_search: int = 512, dim: int | None = None) -> USearchIndex:
        """The index saved at ``path``; ``dim``, when given, must match the saved one.

        Raises :class:`~newsdesk.errors.AIError` when the file is missing or not an index.
        """
        from usearch.index import Index

        p = Path(path)
        try:
            meta = Index.metadata(str(p))
        except (OSError, RuntimeError, ValueError) as e:
            raise AIError(f"cannot read vector index {p}: {e}") from e
        if meta is None:
            raise AIError(f"{p} is not a vector index")
        saved_dim = int(meta["dimensions"])
        if dim is not None and saved_dim != dim:
            raise AIError(f"vector index {p} holds {saved_dim}-d vectors, expected {dim}")
        scalar = str(meta["kind_scalar"]).rsplit(".", 1)[-1].lower()
        quantization = _QUANTIZATIONS.get(scalar)
        if quantization is None:
            raise AIError(f"vector index {p} stores {scalar} vectors, not f32, f16 or i8")
        self = cls(saved_dim, quantization=quantization, expansion_search=expansion_search)
        try:
            self._index.load(str(p))
        except (OSError, RuntimeError, ValueError) as e:
            raise AIError(f"cannot load vector index {p}: {e}") from e
        return self

    @classmethod
    def rebuild(
        cls,
        items: Iterable[tuple[int, NDArray[np.floating]]],
        dim: int = DEFAULT_DIM,
        *,
        batch: int = 10_000,
        quantization: Quantization = "f16",
        expansion_search: int = 512,
    ) -> USearchIndex:
        """A fresh index of ``items`` (key, vector), e.g. every stored embedding of the window.

        Added in batches, so the source may be a database cursor of any length.
        """
        self = cls(dim, quantization=quantization, expansion_search=expansion_search)
        keys: list[int] = []
        vectors: list[NDArray[np.floating]] = []
        for key, vector in items:
            keys.append(key)
            vectors.append(vector)
            if len(keys) >= batch:
                self.add(keys, np.stack(vectors))
                keys, vectors = [], []
        if keys:
            self.add(keys, np.stack(vectors))
        return self

    # -- the port ------------------------------------------------------------------------

    @property
    def dim(self) -> int:
        return int(self._index.ndim)

    def __len__(self) -> int:
        return int(self._index.size)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int | np.integer) or int(key) < 0:
            return False
        return bool(self._index.contains(int(key)))

    @property
    def expansion_search(self) -> int:
        """How wide a search looks (HNSW's *ef*): wider finds more true neighbours, slower."""
        return int(self._index.expansion_search)

    @expansion_search.setter
    def expansion_search(self, value: int) -> None:
        # usearch declares this setter apart from its getter, which mypy reads as read-only
        self._index.expansion_search = value  # type: ignore[misc]

    @property
    def memory_bytes(self) -> int:
        """What the graph and the vectors take in memory."""
        return int(self._index.memory_usage)

    @property
    def slots(self) -> int:
        """Nodes in the graph, removed ones included: what the file's size follows (~1.2 KB each at 512-d f16)."""
        return int(self._index.stats.nodes)

    @property
    def removed(self) -> int:
        """Slots of removed vectors not yet taken again by an addition (see the module's notes)."""
        return max(0, self.slots - len(self))

    def keys(self) -> NDArray[np.uint64]:
        """Every key the index holds, in no particular order."""
        with self._lock:
            return np.asarray(self._index.keys[0 : len(self)], dtype=np.uint64)

    def compacted(self, *, batch: int = 10_000) -> USearchIndex:
        """A fresh index of this one's live vectors (same dimension, quantization and search width),
        without the slots of removed ones; this index is left as it was.

        The vectors are read back as stored (f16 widens to f32 exactly, so nothing is rounded twice).
        The graph is built again: about a millisecond per vector and core.
        """
        keys = self.keys()
        quantization = _QUANTIZATIONS.get(str(self._index.dtype).rsplit(".", 1)[-1].lower(), "f16")

        def items() -> Iterable[tuple[int, NDArray[np.floating]]]:
            for start in range(0, len(keys), batch):
                part = keys[start : start + batch]
                with self._lock:
                    vectors = self._index.get(part, dtype="f32")  # one array per key (all present)
                assert isinstance(vectors, tuple)
                for key, vector in zip(part.tolist(), vectors, strict=True):
                    assert vector is not None
                    yield key, vector

        return USearchIndex.rebuild(
            items(), self.dim, batch=batch, quantization=quantization, expansion_search=self.expansion_search
        )

    def add(self, keys: Sequence[int] | NDArray[np.integer], vectors: NDArray[np.floating]) -> None:
        """Add (or replace) one vector per key; vectors need not be normalised (cosine)."""
        k = np.asarray(keys, dtype=np.uint64).reshape(-1)
        v = np.asarray(vectors, dtype=np.float32).reshape(len(k), -1)
        if v.shape[1] != self.dim:
            raise ValueError(f"vectors have {v.shape[1]} dimensions, the index {self.dim}")
        if len(np.unique(k)) != len(k):
            raise ValueError("a key appears twice in one add")
        if not len(k):
            return
        with self._lock:
            present = np.asarray(self._index.contains(k), dtype=bool).reshape(-1)
            if present.any():
                self._index.remove(k[present])
            self._index.add(k, v, threads=self._threads)

    def remove(self, keys: Sequence[int] | NDArray[np.integer]) -> int:
        """Remove these keys (absent ones are ignored); return how many were removed."""
        k = np.asarray(keys, dtype=np.uint64).reshape(-1)
        if not len(k):
            return 0
        with self._lock:
            removed = self._index.remove(k)
        return int(np.sum(removed))

    def search(
        self,
        vector: NDArray[np.floating],
        k: int = 10,
        *,
        accept: Accept | None = None,
        min_similarity: float = -1.0,
    ) -> list[Neighbor]:
        """The ``k`` nearest keys to ``vector`` that ``accept`` admits, most similar first.

        With a filter the graph is asked for more neighbours than ``k`` (4x, then doubling up
        to ``MAX_OVERFETCH``x) until ``k`` pass it: the usual price of filtering an HNSW
        search after the fact, cheap while the filter rejects a minority.
        """
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        size = len(self)
        if k <= 0 or size == 0:
            return []
        want = min(size, k if accept is None else 4 * k)
        while True:
            matches = self._index.search(q, want)
            out: list[Neighbor] = []
            for key, distance in zip(matches.keys.tolist(), matches.distances.tolist(), strict=True):
                similarity = 1.0 - float(distance)
                if similarity < min_similarity:
                    break  # sorted: the rest are weaker still
                if accept is None or accept(int(key)):
                    out.append(Neighbor(int(key), similarity))
                    if len(out) == k:
                        return out
            exhausted = len(matches.keys) < want or want >= size or want >= k * MAX_OVERFETCH
            weak = bool(len(matches.distances)) and 1.0 - float(matches.distances[-1]) < min_similarity
            if accept is None or exhausted or weak:
                return out
            want = min(size, 2 * want)

    def search_many(self, vectors: NDArray[np.floating], k: int = 10) -> tuple[NDArray[np.uint64], NDArray[np.float32]]:
        """Unfiltered top-``k`` of many queries at once, on all cores: (keys, similarities),
        each of shape (queries, k); rows with fewer than ``k`` results are padded with
        similarity -inf."""
        from usearch.index import BatchMatches

        q = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        matches = self._index.search(q, k, threads=self._threads)
        assert isinstance(matches, BatchMatches)
        keys = np.asarray(matches.keys, dtype=np.uint64).reshape(len(q), -1)
        sims = (1.0 - np.asarray(matches.distances, dtype=np.float32)).reshape(len(q), -1)
        counts = np.asarray(matches.counts).reshape(-1)
        sims[np.arange(sims.shape[1])[None, :] >= counts[:, None]] = -np.inf
        return keys, sims

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` atomically (temporary file, fsync, rename)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        os.close(fd)
        try:
            with self._lock:
                self._index.save(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, p)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            dir_fd = os.open(p.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
