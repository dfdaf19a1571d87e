"""Story intelligence: stories, article tags, vectors, and the article columns enrichment fills.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from newsdesk.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("near_duplicate_of", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("category", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("regions", sa.Text(), nullable=True))
        batch.add_column(sa.Column("enriched_at", UTCDateTime(), nullable=True))
    # partial: new articles (no story yet) add no entry to the first; the second holds only those to enrich
    op.create_index(
        "ix_articles_story_id",
        "articles",
        ["story_id"],
        sqlite_where=sa.text("story_id IS NOT NULL"),
        postgresql_where=sa.text("story_id IS NOT NULL"),
    )
    op.create_index(
        "ix_articles_enriched_at",
        "articles",
        ["enriched_at"],
        sqlite_where=sa.text("enriched_at IS NULL"),
        postgresql_where=sa.text("enriched_at IS NULL"),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("representative_id", sa.String(length=40), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=True),
        sa.Column("last_seen_at", UTCDateTime(), nullable=True),
        sa.Column("article_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("languages", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("regions", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    op.create_index("ix_stories_last_seen_at", "stories", ["last_seen_at"])
    op.create_index("ix_stories_category", "stories", ["category"])
    op.create_table(
        "article_tags",
        sa.Column("article_id", sa.String(length=40), nullable=False),
        sa.Column("tag", sa.String(length=120), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_tags_article_id_articles", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "tag", name="pk_article_tags"),
    )
    op.create_index("ix_article_tags_tag", "article_tags", ["tag"])
    op.create_table(
        "article_vectors",
        sa.Column("article_id", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("key", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_vectors_article_id_articles", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", name="pk_article_vectors"),
    )
    op.create_index("ix_article_vectors_key", "article_vectors", ["key"])


def downgrade() -> None:
    op.drop_table("article_vectors")
    op.drop_table("article_tags")
    op.drop_index("ix_stories_category", "stories")
    op.drop_index("ix_stories_last_seen_at", "stories")
    op.drop_table("stories")
    op.drop_index("ix_articles_enriched_at", "articles")
    op.drop_index("ix_articles_story_id", "articles")
    with op.batch_alter_table("articles") as batch:
        for column in ("enriched_at", "regions", "category", "near_duplicate_of", "story_id"):
            batch.drop_column(column)
