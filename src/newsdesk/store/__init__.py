"""Storage adapter: the :class:`Storage` port and its SQL implementation.

One implementation serves SQLite and PostgreSQL through SQLAlchemy Core; the
few dialect-specific statements (upserts) live in :mod:`newsdesk.store.dialect`.
"""

from __future__ import annotations

from newsdesk.store.port import (
    ActiveStory,
    EnrichmentCounts,
    IndexedArticle,
    KnownKeys,
    Storage,
    StoredVector,
)
from newsdesk.store.sql import SqlStorage, open_storage

__all__ = [
    "ActiveStory",
    "EnrichmentCounts",
    "IndexedArticle",
    "KnownKeys",
    "SqlStorage",
    "Storage",
    "StoredVector",
    "open_storage",
]
