"""Story rows keep each tag's label beside its key (``[["barackobama", "#BarackObama"], …]``), so listings
show ``#BarackObama`` rather than the matching key ``#barackobama``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Rewrite the tags of every live story from its primary articles' tags, as store/stories.py counts them."""
    conn = op.get_bind()
    tags = sa.table(
        "article_tags", sa.column("article_id", sa.String), sa.column("tag", sa.String), sa.column("label", sa.String)
    )
    articles = sa.table(
        "articles", sa.column("id", sa.String), sa.column("story_id", sa.String), sa.column("duplicate_of", sa.String)
    )
    stories = sa.table(
        "stories", sa.column("id", sa.String), sa.column("tags", sa.Text), sa.column("merged_into", sa.String)
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for story_id, tag, label in conn.execute(
        sa.select(articles.c.story_id, tags.c.tag, tags.c.label)
        .select_from(tags.join(articles, articles.c.id == tags.c.article_id))
        .where(articles.c.story_id.is_not(None), articles.c.duplicate_of.is_(None))
    ):
        counts[story_id][tag] += 1
        labels[tag][label or "#" + tag] += 1
    updates = []
    for story_id, old in conn.execute(sa.select(stories.c.id, stories.c.tags).where(stories.c.merged_into.is_(None))):
        kept = [t if isinstance(t, str) else t[0] for t in json.loads(old or "[]")]
        pairs = [[key, labels[key].most_common(1)[0][0] if key in labels else "#" + key] for key in kept]
        updates.append({"b_id": story_id, "b_tags": json.dumps(pairs, ensure_ascii=False)})
    if updates:
        conn.execute(
            stories.update().where(stories.c.id == sa.bindparam("b_id")).values(tags=sa.bindparam("b_tags")), updates
        )


def downgrade() -> None:
    """Back to bare keys."""
    conn = op.get_bind()
    stories = sa.table("stories", sa.column("id", sa.String), sa.column("tags", sa.Text))
    updates = [
        {"b_id": story_id, "b_tags": json.dumps([t if isinstance(t, str) else t[0] for t in json.loads(old or "[]")])}
        for story_id, old in conn.execute(sa.select(stories.c.id, stories.c.tags))
    ]
    if updates:
        conn.execute(
            stories.update().where(stories.c.id == sa.bindparam("b_id")).values(tags=sa.bindparam("b_tags")), updates
        )
