"""Index what articles are listed and windowed by, coalesce(published_at, fetched_at), not published_at.

Every listing (newest first) and the enrichment window order or filter articles by
``coalesce(published_at, fetched_at)``, which an index on ``published_at`` alone cannot
serve: SQLite scanned the whole table for them, and each insert still paid for that
index's random key. The expression index serves them at the same insert cost.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_articles_published_at", table_name="articles")
    op.create_index("ix_articles_when", "articles", [sa.text("coalesce(published_at, fetched_at)")])


def downgrade() -> None:
    op.drop_index("ix_articles_when", table_name="articles")
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
