"""Articles with their hashtags, as every listing shows them (the article rows do not carry them)."""

from __future__ import annotations

import dataclasses

from newsdesk.model import Article
from newsdesk.store import Storage


def with_tags(storage: Storage, listed: list[Article]) -> list[Article]:
    """``listed`` with each article's tags, read in one query for them all."""
    tags = storage.article_tags_of(a.id for a in listed)
    return [dataclasses.replace(a, tags=tuple(tags.get(a.id, ()))) for a in listed]
