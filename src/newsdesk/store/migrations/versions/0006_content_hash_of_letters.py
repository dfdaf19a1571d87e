"""Content hashes ignore spacing: the hash of an article's words run together.

Before, the hash was taken over the words joined by single spaces, so two copies of one
article that split a word list differently ("a , b" and "a, b" once punctuation is
dropped) or differed in paragraph breaks still matched, but computing it meant building
a list of every word. The new definition (``pipeline.keys.content_hash``) hashes
the lower-cased text with punctuation and whitespace deleted, which ASCII text gets in
one ``bytes.translate``. Every stored hash is recomputed from the stored text so that
exact-duplicate detection keeps matching old articles against new ones.

The definition is written out here, not imported: a migration must do what it did the
day it was written, whatever the pipeline's code becomes (``tests/test_store.py`` checks
that the two agree today).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import hashlib
import string

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "“”„‘’‚«»‹›—–‐‑…¡¿·•", " "))
_MIN_WORDS = 12
_BATCH = 2000


def letters_hash(text: str) -> str | None:
    """The content hash of ``text`` as revision 0006 defines it."""
    words = text.lower().translate(_PUNCTUATION).split()
    if len(words) < _MIN_WORDS:
        return None
    return hashlib.blake2b("".join(words).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()[:16]


def upgrade() -> None:
    conn = op.get_bind()
    articles = sa.table("articles", sa.column("id", sa.String), sa.column("text", sa.Text), sa.column("content_hash"))
    last = ""
    while True:  # in id order, a batch at a time: bounded memory on a large database
        rows = conn.execute(
            sa.select(articles.c.id, articles.c.text)
            .where(articles.c.id > last, articles.c.content_hash.is_not(None))
            .order_by(articles.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        conn.execute(
            articles.update().where(articles.c.id == sa.bindparam("b_id")).values(content_hash=sa.bindparam("b_hash")),
            [{"b_id": row.id, "b_hash": letters_hash(row.text or "")} for row in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    raise NotImplementedError("the old hashes (words joined by spaces) are not kept; recompute them from the text")
