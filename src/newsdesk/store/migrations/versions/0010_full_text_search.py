"""Full-text search: the queue of articles to index, and the index (SQLite FTS5, or PostgreSQL tsvector + GIN).

Every article already stored is queued, so the next update pass indexes the whole database.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_queue",
        sa.Column("article_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_search_queue"),
    )
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        # FTS5 rows have integer rowids and article ids are strings: search_docs maps one to the other.
        op.execute("CREATE TABLE search_docs (doc INTEGER PRIMARY KEY, article_id VARCHAR(40) NOT NULL UNIQUE)")
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE article_search (article_id VARCHAR(40) PRIMARY KEY"
            " REFERENCES articles (id) ON DELETE CASCADE, document TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    op.execute("INSERT INTO search_queue (article_id) SELECT id FROM articles")


def downgrade() -> None:
    op.execute("DROP TABLE article_search")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_docs")
    op.drop_table("search_queue")
