"""The related-articles vector index file beside the database: kept up to date by enrichment.

One file per embedding model (``DATA_DIR/vectors-<model>.usearch``): an HNSW graph of the
primaries' vectors (copies are left out, they would only repeat their primary), keyed by
:func:`newsdesk.model.vector_key`, which the ``article_vectors`` table maps back to articles.
Enrichment adds each run's vectors and saves the file atomically; readers load it once per
process and reload it when the file changes. Without a file (a fresh install, another
model), related articles fall back to an exact search over the window's stored vectors.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from newsdesk.ai.vectors import USearchIndex
from newsdesk.config import Settings
from newsdesk.errors import NewsdeskError
from newsdesk.model import ArticleEnrichment, vector_key

_cache: dict[Path, tuple[float, USearchIndex]] = {}
_cache_lock = threading.Lock()


def index_path(settings: Settings, model_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:100]
    return Path(settings.resolved_data_dir) / f"vectors-{safe}.usearch"


class IndexWriter:
    """Adds a run's vectors to the model's index file; :meth:`save` writes it once, at the end."""

    def __init__(self, settings: Settings, model_id: str, dim: int) -> None:
        self.path = index_path(settings, model_id)
        self.dim = dim
        self._index: USearchIndex | None = None
        self.added = 0

    def add(self, results: Sequence[ArticleEnrichment]) -> None:
        rows = [r for r in results if r.vector is not None and r.near_duplicate_of is None]
        if not rows:
            return
        if self._index is None:
            self._index = _load(self.path, self.dim) or USearchIndex(self.dim)
        keys = [vector_key(r.article_id) for r in rows]
        vectors = np.frombuffer(b"".join(r.vector for r in rows if r.vector is not None), dtype=np.float32)
        self._index.add(keys, vectors.reshape(len(rows), self.dim))
        self.added += len(rows)

    def save(self) -> None:
        if self._index is None or not self.added:
            return
        self._index.save(self.path)
        with _cache_lock:
            _cache[self.path] = (self.path.stat().st_mtime, self._index)


def cached_index(settings: Settings, model_id: str, dim: int) -> USearchIndex | None:
    """The model's index as last saved (reloaded when the file changed), or None without one."""
    path = index_path(settings, model_id)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _cache_lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    index = _load(path, dim)
    if index is not None:
        with _cache_lock:
            _cache[path] = (mtime, index)
    return index


def _load(path: Path, dim: int) -> USearchIndex | None:
    if not path.exists():
        return None
    try:
        return USearchIndex.load(path, dim=dim)
    except NewsdeskError:
        return None  # unreadable or another dimension: rebuilt from the next run's vectors
