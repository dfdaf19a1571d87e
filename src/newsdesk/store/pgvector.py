"""Vector search inside PostgreSQL, when the server has the pgvector extension.

On such a server the related-articles search runs in the database (an HNSW index,
cosine distance), so every worker and web process sees the same index and nothing
lives beside the database. Elsewhere — SQLite, or a PostgreSQL without pgvector
(the system server on these machines has none) — :mod:`newsdesk.tasks.vector_index`
keeps an in-process usearch index in a file instead; callers do not notice.

The table is created on first use, not by an Alembic migration, because it exists
only where the extension does: ``article_embeddings (article_id, model, embedding
vector(DIM))`` with an HNSW index for the dimension of the first model stored. A
model of another dimension (rare: a change of model) falls back to the file index.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from newsdesk.logs import event

log = logging.getLogger(__name__)

TABLE = "article_embeddings"
EF_SEARCH = 200  # HNSW candidates per query: recall well above 0.95 at a few ms


class PgVector:
    """pgvector on one engine; :meth:`enabled` says whether it can serve a model's vectors."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dim: int | None = None
        self._checked = False

    def enabled(self, dim: int) -> bool:
        """True when the server has pgvector and the table holds vectors of ``dim`` dimensions
        (the table and its index are created here on first use)."""
        if self.engine.dialect.name != "postgresql":
            return False
        if not self._checked:
            self._checked = True
            self._dim = self._prepare(dim)
        return self._dim == dim

    def _prepare(self, dim: int) -> int | None:
        try:
            with self.engine.begin() as conn:
                available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first()
                if available is None:
                    return None
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
                existing = conn.execute(
                    text(
                        "SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attname = 'embedding'"
                    ),
                    {"t": TABLE},
                ).scalar()
                if existing is not None:
                    return int(existing)
                conn.execute(
                    text(
                        f"CREATE TABLE {TABLE} (article_id VARCHAR(40) PRIMARY KEY "
                        f"REFERENCES articles(id) ON DELETE CASCADE, model VARCHAR(120) NOT NULL, "
                        f"embedding vector({int(dim)}) NOT NULL)"
                    )
                )
                conn.execute(text(f"CREATE INDEX ix_{TABLE}_hnsw ON {TABLE} USING hnsw (embedding vector_cosine_ops)"))
                log.info(event("store.pgvector_ready", dim=dim))
                return dim
        except SQLAlchemyError as exc:  # no privilege to create the extension, say: the file index serves
            log.warning(event("store.pgvector_unavailable", reason=str(exc.__cause__ or exc)[:200]))
            return None

    def add(self, model: str, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store (article id, float32 vector bytes) rows of ``model``, replacing earlier ones."""
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO {TABLE} (article_id, model, embedding) VALUES (:id, :model, CAST(:v AS vector)) "
                    "ON CONFLICT (article_id) DO UPDATE SET model = EXCLUDED.model, embedding = EXCLUDED.embedding"
                ),
                [{"id": aid, "model": model, "v": _literal(vec)} for aid, vec in rows],
            )

    def nearest(self, model: str, vector: bytes, k: int) -> list[tuple[str, float]]:
        """The ``k`` closest stored vectors of ``model``: (article id, cosine similarity), closest first."""
        with self.engine.begin() as conn:
            conn.execute(text(f"SET LOCAL hnsw.ef_search = {EF_SEARCH}"))
            rows = conn.execute(
                text(
                    f"SELECT article_id, 1 - (embedding <=> CAST(:v AS vector)) AS similarity FROM {TABLE} "
                    "WHERE model = :model ORDER BY embedding <=> CAST(:v AS vector) LIMIT :k"
                ),
                {"v": _literal(vector), "model": model, "k": k},
            ).all()
        return [(r.article_id, float(r.similarity)) for r in rows]


def _literal(vector: bytes) -> str:
    """pgvector's text form of a float32 vector: ``[0.1,0.2,…]``."""
    import numpy as np

    values = np.frombuffer(vector, dtype=np.float32)
    return "[" + ",".join(f"{v:.7g}" for v in values.tolist()) + "]"
