"""Article ids lead with their source id; content hashes are 64 bits. Both keep indexes small and local.

New ids are ``<source id, 6+ hex digits><26 hex digits of the old hash>``
(``pipeline.keys.article_id``); an old id is rewritten to the new one without
knowing its guid, because the new id keeps the old hash's digits 7–32.
``duplicate_of`` is rewritten first, while it still names the primary's old id.
Content hashes keep their first 16 hex digits, which is what the new 8-byte hash gives.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _new_id(source_id: str, old_id: str) -> str:
    """SQL for the new id of a row with ``source_id`` and ``old_id`` (column expressions)."""
    if op.get_bind().dialect.name == "postgresql":
        return f"lpad(to_hex({source_id}), 6, '0') || substr({old_id}, 7)"
    return f"printf('%06x', {source_id}) || substr({old_id}, 7)"


def upgrade() -> None:
    op.execute(
        "UPDATE articles SET duplicate_of = (SELECT "
        + _new_id("p.source_id", "p.id")
        + " FROM articles p WHERE p.id = articles.duplicate_of) WHERE duplicate_of IS NOT NULL"
    )
    op.execute("UPDATE articles SET id = " + _new_id("source_id", "id"))
    op.execute("UPDATE articles SET content_hash = substr(content_hash, 1, 16) WHERE content_hash IS NOT NULL")


def downgrade() -> None:
    raise NotImplementedError("the hash digits dropped from old ids cannot be restored")
