"""Drop the UNIQUE (source_id, guid) index of articles: the primary key already enforces it.

An article's id is the BLAKE2b hash of (source id, guid) (``pipeline.keys.article_id``),
so the primary key is unique exactly when (source_id, guid) is. The second index cost
about a tenth of every article insert on a first poll.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint("uq_articles_source_id_guid", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.create_unique_constraint("uq_articles_source_id_guid", ["source_id", "guid"])
