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

from newsdesk.config import Settings
from newsdesk.model import Article, Related, RelatedArticle
from newsdesk.store import Storage


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
    candidates = storage.vectors_since(now - timedelta(hours=settings.related_window_h), model)
    others = [(aid, sid, when, vec) for aid, sid, when, vec in candidates if sid != article.story_id or sid is None]
    others = [c for c in others if c[0] != article.id]
    if not others:
        return Related(article.id, (), tuple(same_story))
    matrix = np.frombuffer(b"".join(c[3] for c in others), dtype=np.float32).reshape(len(others), -1)
    scores = matrix @ query
    order = np.argsort(-scores, kind="stable")
    picked: list[tuple[str, float]] = []
    seen_stories: set[str] = set()
    for i in order:
        score = float(scores[i])
        if score < settings.related_min_similarity or len(picked) >= limit:
            break
        aid, sid, _, _ = others[i]
        if sid is not None:
            if sid in seen_stories:
                continue
            seen_stories.add(sid)
        picked.append((aid, score))
    found = []
    for aid, score in picked:
        other = storage.get_article(aid)
        when = other.published_at or other.fetched_at
        found.append(RelatedArticle(other.id, other.title, other.source_title, when, other.story_id, round(score, 4)))
    return Related(article.id, tuple(found), tuple(same_story))
