"""What the reader pages need at 100k articles: a data version for the front page's cache.

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
# The search migration (0010) is on another branch; until it is merged this revision follows 0009.
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )


def downgrade() -> None:
    op.drop_table("data_versions")
