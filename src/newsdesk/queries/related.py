"""Related reading for an article: semantically close articles of *other* stories, and more of its own.

"Related" must never mean filler: candidates below ``related_min_similarity`` (cosine of the
stored embeddings) are dropped, so an article with nothing close shows fewer, or none. Copies
(exact and near duplicates) never appear, and at most one article per other story is shown, so
one big story cannot fill the list. The search itself — pgvector, the index file, or an exact
scan — is :class:`~newsdesk.ai.vector_search.VectorSearch`'s to choose.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from newsdesk.ai.vector_search import VectorSearch
from newsdesk.config import Settings
from newsdesk.model import Article, Neighbor, Related, RelatedArticle
from newsdesk.store import IndexedArticle, Storage

OVERFETCH = 4  # neighbours asked of the search per article wanted (same-story and copies are filtered out)


def related_articles(
    storage: Storage, vectors: VectorSearch, settings: Settings, article: Article, now: datetime, limit: int
) -> Related:
    """The closest articles of other stories (none below the floor), and the newest of its own story."""
    same_story = _same_story(storage, article, limit)
    stored = storage.vector_of(article.id)
    if stored is None:
        return Related(article.id, (), same_story)
    since = now - timedelta(hours=settings.related_window_h)
    neighbours = vectors.nearest(
        stored.model,
        stored.vector,
        limit * OVERFETCH + 1,
        min_similarity=settings.related_min_similarity,
        since=since,
    )
    found = []
    picked = _pick(storage, article, neighbours, since, limit)
    others = storage.get_articles(article_id for article_id, _ in picked)  # one read for all of them
    for article_id, similarity in picked:
        other = others.get(article_id)
        if other is None:
            continue  # removed since the search (its source was)
        when = other.published_at or other.fetched_at
        found.append(
            RelatedArticle(
                other.id,
                other.title,
                other.source_title,
                when,
                other.story_id,
                round(similarity, 4),
                other.source_id,
                other.language,
                other.category,
            )
        )
    return Related(article.id, tuple(found), same_story)


def _same_story(storage: Storage, article: Article, limit: int) -> tuple[RelatedArticle, ...]:
    """More of the article's own story, newest first, copies left out."""
    if article.story_id is None:
        return ()
    detail = storage.get_story(article.story_id)
    return tuple(
        RelatedArticle(
            a.id, a.title, a.source_title, a.published_at, detail.story.id, 1.0, a.source_id, a.language, None
        )
        for a in reversed(detail.articles)
        if a.id != article.id and a.copy_of is None
    )[:limit]


def _pick(
    storage: Storage, article: Article, neighbours: list[Neighbor], since: datetime, limit: int
) -> list[tuple[str, float]]:
    """The neighbours worth showing, with what the database knows of them (see :func:`pick_related`)."""
    known = storage.articles_by_vector_keys(n.key for n in neighbours)
    hits = [(hit, n.similarity) for n in neighbours if (hit := known.get(n.key)) is not None]
    # a key the database does not know is an entry of a deleted article (skipped until the index is rebuilt)
    return pick_related(hits, article.id, article.story_id, since, limit)


def pick_related(
    hits: Iterable[tuple[IndexedArticle, float]],
    article_id: str,
    story_id: str | None,
    since: datetime,
    limit: int,
) -> list[tuple[str, float]]:
    """From neighbours nearest first: not the article itself, not a copy, not its own story, one per
    other story, inside the window. Pure, so ``bench/related_quality.py`` measures this very rule."""
    picked: list[tuple[str, float]] = []
    seen_stories: set[str] = set()
    for hit, similarity in hits:
        if hit.article_id == article_id or hit.is_copy or hit.published_at < since:
            continue
        if hit.story_id is not None:
            if hit.story_id == story_id or hit.story_id in seen_stories:
                continue
            seen_stories.add(hit.story_id)
        picked.append((hit.article_id, similarity))
        if len(picked) >= limit:
            break
    return picked
