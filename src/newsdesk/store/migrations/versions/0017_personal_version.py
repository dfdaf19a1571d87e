"""A count of each reader's changes to their follows, mutes, keyword filters and languages.

Read with the session on every signed-in request, it tells a web process whether the reader's filter it
keeps is still theirs (``Newsdesk.personal_filter``), whichever process the change was made in.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("personal_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("personal_version")
