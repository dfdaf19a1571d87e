"""Personal reading: follows and mutes, keyword filters, bookmarks, and what each reader has read.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from newsdesk.store.schema import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _user_id(table: str) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"),
    ]


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user_id("follows"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("user_id", "kind", "key", name=op.f("uq_follows_user_id_kind_key")),
    )
    op.create_table(
        "keyword_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user_id("keyword_filters"),
        sa.Column("phrase", sa.String(100), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_filters")),
    )
    op.create_index("ix_keyword_filters_user_id", "keyword_filters", ["user_id"])
    op.create_table(
        "bookmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user_id("bookmarks"),
        sa.Column("article_id", sa.String(40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_bookmarks_article_id_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookmarks")),
        sa.UniqueConstraint("user_id", "article_id", name=op.f("uq_bookmarks_user_id_article_id")),
    )
    op.create_table(
        "reads",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user_id("reads"),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=True),
        sa.Column("last_article_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reads")),
        sa.UniqueConstraint("user_id", "kind", "key", name=op.f("uq_reads_user_id_kind_key")),
    )


def downgrade() -> None:
    op.drop_table("reads")
    op.drop_table("bookmarks")
    op.drop_index("ix_keyword_filters_user_id", table_name="keyword_filters")
    op.drop_table("keyword_filters")
    op.drop_table("follows")
