"""What the reader pages need at 100k articles: an index the front page ranks from, and a data version
for its cache.

``ix_articles_story_times`` holds (time, story) of every primary article in a story: the ranking
reads both for every article of its 48-hour window (``Storage.active_stories``), and SQLite
answers from this partial index alone; from ``ix_articles_when`` it fetched each of those ~27k
rows (full text and all) from the table, two thirds of the ranking's time at 100k articles.

``data_versions`` holds one counter per kind of derived data, bumped by the transaction that
changes it (``stories``: story rows and the articles they hold). The web process keeps the
ranked front page while the counter is unchanged (``queries/cache.py``) instead of ranking every
story of the window again on each request.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

WHERE = "story_id IS NOT NULL AND duplicate_of IS NULL"


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.create_index(
        "ix_articles_story_times",
        "articles",
        [sa.text("coalesce(published_at, fetched_at)"), "story_id"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_articles_story_times", table_name="articles")
    op.drop_table("data_versions")
