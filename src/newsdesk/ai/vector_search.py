"""Vector search, in one place: which stored articles are closest to a vector, and the index that answers it.

Three routes, tried in this order by :meth:`VectorSearch.nearest`, all answering the same way
(:class:`~newsdesk.model.Neighbor` values: the article's key in the index and the cosine
similarity, most similar first, none below the floor):

1. the database itself, when it is PostgreSQL with pgvector (an HNSW index; every worker and web
   process sees the same index, nothing lives beside the database) — the storage's
   ``vector_search``, which answers None where it cannot;
2. the usearch HNSW file beside the database, one per embedding model
   (``DATA_DIR/vectors-<model>.usearch``, :class:`~newsdesk.ai.vectors.USearchIndex`), which
   enrichment keeps up to date through :meth:`VectorSearch.writer` and which readers reload when
   the file changes;
3. an exact scan of the window's stored vectors, where there is no index file yet (a fresh
   install, a model change not yet re-indexed).

The index holds the primaries' vectors only (copies would only repeat their primary), keyed by
:func:`newsdesk.model.vector_key`, which the ``article_vectors`` table maps back to articles. An
entry whose article is gone is skipped by the reader (its key no longer maps to a row). The file
holds the related-articles window, not all history: the enrichment pass removes the entries of
articles that left it (:meth:`IndexWriter.remove`, ``tasks/enrich.py`` decides which), and
:meth:`IndexWriter.save` compacts the file when freed slots pile up (``COMPACT_SHARE``). One
:class:`VectorSearch` belongs to one facade: its reader cache is not shared by the process.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from newsdesk.errors import NewsdeskError
from newsdesk.model import ArticleEnrichment, Neighbor, WindowVector, vector_key

if TYPE_CHECKING:  # numpy and usearch load on the first search or write: most commands do neither
    import numpy as np
    import numpy.typing as npt

    from newsdesk.ai.vectors import USearchIndex

COMPACT_SHARE = 0.25
"""Freed slots, as a share of the live entries, past which saving compacts the file first. Additions
take freed slots first, so in a steady stream they hardly build up (the window loses about what it
gains); they do when the stream thins out or the window is shortened. At 0.25 the file stays within
1.25× of what its entries need, and the rebuild (about a millisecond per entry and core) is rare."""


class StoredVectors(Protocol):
    """What vector search needs of the database (``newsdesk.store.Storage`` has it)."""

    def vector_search(self, model: str, vector: bytes, k: int) -> list[Neighbor] | None: ...

    def vectors_since(self, since: datetime, model: str) -> list[WindowVector]: ...


class VectorSearch:
    """Nearest stored articles to a vector, by the best route there is; and the index file's writer."""

    def __init__(self, data_dir: str, database: StoredVectors) -> None:
        self.data_dir = Path(data_dir)
        self.database = database
        self._loaded: dict[Path, tuple[float, USearchIndex]] = {}  # path → (mtime, index) as last read
        self._lock = threading.Lock()  # the web app searches from many threads while enrichment saves
        self._loading = threading.Lock()  # held while an index file is read (never with _lock held first)

    def nearest(self, model: str, vector: bytes, k: int, *, min_similarity: float, since: datetime) -> list[Neighbor]:
        """Up to ``k`` neighbours of ``vector`` (``model``'s float32 bytes), most similar first.

        ``since`` bounds only the exact scan (the index files hold what enrichment added to them).
        """
        # 1. the database's own index (pgvector)
        found = self.database.vector_search(model, vector, k)
        if found is not None:
            return [n for n in found if n.similarity >= min_similarity]
        import numpy as np

        query = np.frombuffer(vector, dtype=np.float32)
        # 2. the index file beside the database
        index = self._index(model, len(query))
        if index is not None:
            return index.search(query, k, min_similarity=min_similarity)
        # 3. an exact scan of the window
        return _exact(query, self.database.vectors_since(since, model), k, min_similarity)

    def preload(self) -> int:
        """Read every index file of the data directory now (a server starting), not on the first article
        page, where a reader would wait a second for it; how many were read."""
        read = 0
        for path in sorted(self.data_dir.glob("vectors-*.usearch")):
            with self._loading:
                index = _load(path, None)
                if index is not None:
                    self._remember(path, index)
                    read += 1
        return read

    def writer(self, model_id: str, dim: int) -> IndexWriter:
        """A writer that adds a run's vectors to the model's index file and saves it once, at the end."""
        return IndexWriter(self, self.index_path(model_id), dim)

    def index_path(self, model_id: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:100]
        return self.data_dir / f"vectors-{safe}.usearch"

    def _index(self, model_id: str, dim: int) -> USearchIndex | None:
        """The model's index as last saved (read again when the file changed), or None without one."""
        path = self.index_path(model_id)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        with self._lock:
            hit = self._loaded.get(path)
            if hit is not None and hit[0] == mtime:
                return hit[1]
        # One load at a time: the web app's threads all miss together on the first article pages, and
        # each reading the file (tens of MB) at once took seconds; the others wait and take its result.
        with self._loading:
            with self._lock:
                hit = self._loaded.get(path)
                if hit is not None and hit[0] == mtime:
                    return hit[1]
            index = _load(path, dim)
            if index is not None:
                self._remember(path, index)
        return index

    def _remember(self, path: Path, index: USearchIndex) -> None:
        with self._lock:
            self._loaded[path] = (path.stat().st_mtime, index)


class IndexWriter:
    """Changes one model's index file within a run; :meth:`save` writes it once, at the end.

    Save after the database transaction: an index entry without its row is skipped by readers (and
    removed by the next upkeep); a row without its entry (a crash between the two) is not found by
    related reading until the file is rebuilt, which the next run does when the file is deleted.
    The index is read from its file on first use, not taken from the readers' cache, so a run
    that fails half-way leaves the readers' copy untouched.
    """

    def __init__(self, search: VectorSearch, path: Path, dim: int) -> None:
        self._search = search
        self.path = path
        self.dim = dim
        self._index: USearchIndex | None = None
        self._found = False  # a readable index file was there when the writer opened it
        self.added = 0
        self.removed = 0
        self.compacted = False  # the last save rebuilt the graph to give freed slots back

    @property
    def found(self) -> bool:
        """Whether a readable index file of this dimension was there (False: nothing yet, or rebuild it)."""
        self._open()
        return self._found

    def keys(self) -> list[int]:
        """The keys the index holds (the file as read, with this run's changes)."""
        return [int(k) for k in self._open().keys().tolist()]

    def add(self, results: Sequence[ArticleEnrichment]) -> None:
        import numpy as np

        rows = [r for r in results if r.vector is not None and r.near_duplicate_of is None]
        if not rows:
            return
        keys = [vector_key(r.article_id) for r in rows]
        vectors = np.frombuffer(b"".join(r.vector for r in rows if r.vector is not None), dtype=np.float32)
        self._open().add(keys, vectors.reshape(len(rows), self.dim))
        self.added += len(rows)

    def remove(self, keys: Sequence[int]) -> int:
        """Remove these keys (absent ones are ignored: removing twice is harmless); how many went."""
        if not keys:
            return 0
        removed = self._open().remove(keys)
        self.removed += removed
        return removed

    def save(self) -> None:
        """Write the index if this run changed it, compacted first when freed slots exceed ``COMPACT_SHARE``."""
        if self._index is None or not (self.added or self.removed):
            return
        if self._index.removed > COMPACT_SHARE * len(self._index):
            self._index = self._index.compacted()
            self.compacted = True
        self._index.save(self.path)
        self._search._remember(self.path, self._index)  # readers of this facade need not load it again

    def _open(self) -> USearchIndex:
        if self._index is None:
            from newsdesk.ai.vectors import USearchIndex

            loaded = _load(self.path, self.dim)
            self._found = loaded is not None
            self._index = loaded or USearchIndex(self.dim)
        return self._index


def _load(path: Path, dim: int | None) -> USearchIndex | None:
    from newsdesk.ai.vectors import USearchIndex

    if not path.exists():
        return None
    try:
        return USearchIndex.load(path, dim=dim)
    except NewsdeskError:
        return None  # unreadable or another dimension: rebuilt from the next run's vectors


def _exact(
    query: npt.NDArray[np.float32], window: Sequence[WindowVector], k: int, min_similarity: float
) -> list[Neighbor]:
    """Exact cosine over the window's stored vectors (unit vectors: a dot product), best ``k`` first."""
    import numpy as np

    if not window:
        return []
    matrix = np.frombuffer(b"".join(w.vector for w in window), dtype=np.float32).reshape(len(window), -1)
    scores = matrix @ query
    best = np.argsort(-scores, kind="stable")[:k]
    return [Neighbor(vector_key(window[i].article_id), float(scores[i])) for i in best if scores[i] >= min_similarity]
