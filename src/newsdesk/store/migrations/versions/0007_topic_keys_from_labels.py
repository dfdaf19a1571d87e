"""Hashtag keys are computed from their labels, so a label copied from a page finds its topic.

Before, the tagger stored a key built from each word's lemma in the article's language
(``Frères Musulmans`` → ``freremusulman``) while the lookup folded what the reader typed
(``#FrèresMusulmans`` → ``freresmusulmans``): a third of the demo's labels found no topic. The
key is now a function of the label alone (``pipeline/stories/topics.py: topic_key``): the label's
words (split at spaces, punctuation and case changes), each case-folded, Latin accents dropped and
a final plural s/x cut, run together; a country's names and demonyms in any language give the key
of its English name. This migration recomputes every stored tag's key from its label, keeps the
best-scored tag where two of one article now share a key, and recomputes each story's top tags.

The definition is written out here, not imported: a migration must do what it did the day it was
written, whatever the pipeline's code becomes (``tests/test_store.py`` checks that the two agree
today). It reads the gazetteer the package ships (``pipeline/stories/data/places.tsv``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from importlib import resources

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STORY_TAGS = 8  # hashtags kept on a story row, as store/stories.py keeps them
_BATCH = 2000
_POSSESSIVE = re.compile(r"['’][sS]\b|(?<=[sS])['’](?=\s|$)")
_NON_WORD = re.compile(r"[\W_]+")
_NAME_WORD = re.compile(r"(?:\b[A-Z]\.){2,}|[^\W_]+(?:['’\-][^\W_]+)*")
_CJK_NAME = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_HANGUL_NAME = re.compile(r"[\uac00-\ud7af]")


def fold(text: str) -> str:
    """Lower case with accents dropped from Latin letters only."""
    text = text.casefold()
    if text.isascii():
        return text
    out = []
    previous_latin = False
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if previous_latin:
                continue
        else:
            previous_latin = ch < "\u0250"
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _words(text: str) -> list[str]:
    words: list[str] = []
    for piece in _NON_WORD.split(_POSSESSIVE.sub("", text)):
        if not piece:
            continue
        start = 0
        for i in range(1, len(piece)):
            ch, before = piece[i], piece[i - 1]
            if ch.isupper() and (
                before.islower()
                or before.isdigit()
                or (before.isupper() and i + 1 < len(piece) and piece[i + 1].islower())
            ):
                words.append(piece[start:i])
                start = i
        words.append(piece[start:])
    return words


def _word_key(word: str) -> str:
    low = fold(word)
    if len(low) > 3 and low[-1] in "sx" and low[-2] not in "su" and low.isalpha():
        low = low[:-1]
    return low


def _country_keys() -> dict[str, str]:
    """Every country name and demonym of the gazetteer, folded and run together → its English name's key."""
    names: dict[tuple[str, ...], tuple[str, str, str]] = {}
    cjk: dict[str, tuple[str, str, str]] = {}
    demonyms: dict[str, tuple[str, str, str]] = {}
    data = resources.files("newsdesk.pipeline.stories").joinpath("data", "places.tsv").read_text(encoding="utf-8")
    for raw in data.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        cols = (raw.split("\t") + [""] * 6)[:6]
        region = None if cols[0] == "-" else cols[0]
        country = cols[1] if cols[1] != "—" else (cols[0] if region else "")
        kinds = ("region" if cols[1] == "—" else "country", "demonym", "city", "org")
        for column, kind in zip(cols[2:], kinds, strict=True):
            for name in filter(None, (n.strip() for n in column.split("|"))):
                entry = (name, country, kind)
                if _CJK_NAME.search(name) and not _HANGUL_NAME.search(name):
                    cjk.setdefault(name, entry)
                elif kind == "demonym":
                    demonyms.setdefault(fold(name), entry)
                else:
                    tokens = tuple(fold(m.group()).replace(".", "") for m in _NAME_WORD.finditer(name))
                    names.setdefault(tokens, entry)
    keys: dict[str, str] = {}
    for name, country, kind in [*names.values(), *cjk.values(), *demonyms.values()]:
        if kind in ("country", "demonym") and country:
            english = "".join(_word_key(w) for w in _words(country))
            keys.setdefault("".join(fold(w) for w in _words(name)), english)
    return keys


def topic_key(label: str, countries: dict[str, str]) -> str:
    """The key of the topic a label names, as revision 0007 defines it."""
    words = _words(label)
    country = countries.get("".join(fold(w) for w in words))
    if country is not None:
        return country
    return "".join(_word_key(w) for w in words)


def upgrade() -> None:
    conn = op.get_bind()
    countries = _country_keys()
    tags = sa.table(
        "article_tags",
        sa.column("article_id", sa.String),
        sa.column("tag", sa.String),
        sa.column("label", sa.Text),
        sa.column("kind", sa.String),
        sa.column("score", sa.Float),
    )
    last = ""
    while True:  # an article at a time within batches in article order: bounded memory on a large database
        ids = list(
            conn.execute(
                sa.select(tags.c.article_id)
                .where(tags.c.article_id > last)
                .group_by(tags.c.article_id)
                .order_by(tags.c.article_id)
                .limit(_BATCH)
            ).scalars()
        )
        if not ids:
            break
        rows = conn.execute(sa.select(tags).where(tags.c.article_id.in_(ids))).all()
        best: dict[tuple[str, str], dict[str, object]] = {}
        for r in rows:
            key = topic_key(r.label, countries)
            if not key:
                continue
            kept = best.get((r.article_id, key))
            if kept is None or r.score > kept["score"]:
                best[(r.article_id, key)] = {
                    "article_id": r.article_id,
                    "tag": key,
                    "label": r.label,
                    "kind": r.kind,
                    "score": r.score,
                }
        conn.execute(tags.delete().where(tags.c.article_id.in_(ids)))
        if best:
            conn.execute(tags.insert(), list(best.values()))
        last = ids[-1]
    _refresh_story_tags(conn, tags)


def _refresh_story_tags(conn: sa.Connection, tags: sa.TableClause) -> None:
    """Each live story's top tags, counted over its primary articles, as store/stories.py counts them."""
    articles = sa.table(
        "articles", sa.column("id", sa.String), sa.column("story_id", sa.String), sa.column("duplicate_of", sa.String)
    )
    stories = sa.table(
        "stories", sa.column("id", sa.String), sa.column("tags", sa.Text), sa.column("merged_into", sa.String)
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for story_id, tag in conn.execute(
        sa.select(articles.c.story_id, tags.c.tag)
        .select_from(tags.join(articles, articles.c.id == tags.c.article_id))
        .where(articles.c.story_id.is_not(None), articles.c.duplicate_of.is_(None))
    ):
        counts[story_id][tag] += 1
    live = conn.execute(sa.select(stories.c.id).where(stories.c.merged_into.is_(None))).scalars().all()
    updates = [
        {
            "b_id": story_id,
            "b_tags": json.dumps(
                [t for t, _ in sorted(counts.get(story_id, Counter()).items(), key=lambda kv: (-kv[1], kv[0]))][
                    :STORY_TAGS
                ]
            ),
        }
        for story_id in live
    ]
    if updates:
        conn.execute(
            stories.update().where(stories.c.id == sa.bindparam("b_id")).values(tags=sa.bindparam("b_tags")), updates
        )


def downgrade() -> None:
    raise NotImplementedError("the old keys (lemmas in the article's language) are not kept; re-enrich to rebuild them")
