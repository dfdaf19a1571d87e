"""Related reading for an article: semantically close articles of *other* stories, and more of its own.

"Related" must never mean filler: candidates below ``related_min_similarity``
(cosine of the stored embeddings) are dropped, so an article with nothing
close shows fewer, or none. Copies (exact and near duplicates) never appear,
and at most one article per other story is shown, so one big story cannot
fill the list.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from newsdesk.config import Settings
from newsdesk.model import Article, Related, RelatedArticle, vector_key
from newsdesk.store import Storage
from newsdesk.tasks.vector_index import cached_index

OVERFETCH = 4  # neighbours asked of the index per article wanted (same-story and copies are filtered out)


def related_articles(storage: Storage, settings: Settings, article: Article, now: datetime, limit: int) -> Related:
    same_story: list[RelatedArticle] = []
    if article.story_id is not None:
        detail = storage.get_story(article.story_id)
        for a in reversed(detail.articles):  # newest first
            if a.id != article.id and a.copy_of is None and len(same_story) < limit:
                same_story.append(RelatedArticle(a.id, a.title, a.source_title, a.published_at, detail.story.id, 1.0))
    stored = storage.vector_of(article.id)
    if stored is None:
        return Related(article.id, (), tuple(same_story))
    model, raw = stored
    query = np.frombuffer(raw, dtype=np.float32)
    since = now - timedelta(hours=settings.related_window_h)
    in_database = storage.vector_search(model, raw, limit * OVERFETCH + 1)
    if in_database is not None:  # PostgreSQL with pgvector
        neighbours = [(vector_key(aid), sim) for aid, sim in in_database]
        picked = _pick(storage, settings, article, neighbours, since, limit)
    elif (index := cached_index(settings, model, len(query))) is not None:  # the index file beside the database
        hits = index.search(query, limit * OVERFETCH + 1, min_similarity=settings.related_min_similarity)
        picked = _pick(storage, settings, article, [(n.key, n.similarity) for n in hits], since, limit)
    else:
        picked = _exact(storage, settings, article, query, model, since, limit)
    found = []
    for aid, score in picked:
        other = storage.get_article(aid)
        when = other.published_at or other.fetched_at
        found.append(RelatedArticle(other.id, other.title, other.source_title, when, other.story_id, round(score, 4)))
    return Related(article.id, tuple(found), tuple(same_story))


def _pick(
    storage: Storage,
    settings: Settings,
    article: Article,
    neighbours: list[tuple[int, float]],
    since: datetime,
    limit: int,
) -> list[tuple[str, float]]:
    """Nearest neighbours (vector key, similarity), filtered with what the database knows of them:
    not the article itself, not a copy, not its own story, one per other story, in the window."""
    known = storage.articles_by_vector_keys(key for key, _ in neighbours)
    picked: list[tuple[str, float]] = []
    seen_stories: set[str] = set()
    for key, similarity in neighbours:
        hit = known.get(key)
        if hit is None or similarity < settings.related_min_similarity:
            continue  # an entry of a deleted article (skipped until the index is rebuilt), or too far
        aid, sid, is_copy, when = hit
        if aid == article.id or is_copy or when < since:
            continue
        if sid is not None and (sid == article.story_id or sid in seen_stories):
            continue
        if sid is not None:
            seen_stories.add(sid)
        picked.append((aid, similarity))
        if len(picked) >= limit:
            break
    return picked


def _exact(
    storage: Storage,
    settings: Settings,
    article: Article,
    query: npt.NDArray[np.float32],
    model: str,
    since: datetime,
    limit: int,
) -> list[tuple[str, float]]:
    """Exact cosine over the window's stored vectors (no index file yet)."""
    candidates = storage.vectors_since(since, model)
    others = [c for c in candidates if c[0] != article.id and (c[1] is None or c[1] != article.story_id)]
    if not others:
        return []
    matrix = np.frombuffer(b"".join(c[3] for c in others), dtype=np.float32).reshape(len(others), -1)
    scores = matrix @ query
    picked: list[tuple[str, float]] = []
    seen_stories: set[str] = set()
    for i in np.argsort(-scores, kind="stable"):
        score = float(scores[i])
        if score < settings.related_min_similarity or len(picked) >= limit:
            break
        aid, sid, _, _ = others[i]
        if sid is not None:
            if sid in seen_stories:
                continue
            seen_stories.add(sid)
        picked.append((aid, score))
    return picked
