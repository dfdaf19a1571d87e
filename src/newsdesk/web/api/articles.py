"""``/articles``: the article listing, one article with its text, what to read next, and its AI features
(``/summary``: summary and key points; ``/ask?q=``: the sentences that answer a question), each quoting
the article's sentences with their offsets in its text and saying how it was made (``method``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk
from newsdesk.web.params import Key, Offset, Question, SourceFilter

router = APIRouter(tags=["articles"])


@router.get("/articles")
async def articles(
    desk: Desk,
    source_id: SourceFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Articles newest first, of every source or of one; 404 for an unknown ``source_id``."""
    items = await run_in_threadpool(lambda: desk.articles(source_id=source_id, limit=limit, offset=offset))
    return {"articles": plain(items), "limit": limit, "offset": offset}


@router.get("/articles/{article_id}")
async def article(article_id: Key, desk: Desk) -> dict[str, Any]:
    """One article with its extracted text and tags."""
    return {"article": plain(await run_in_threadpool(desk.article, article_id))}


@router.get("/articles/{article_id}/related")
async def related(article_id: Key, desk: Desk, limit: Annotated[int, Query(ge=1, le=50)] = 6) -> dict[str, Any]:
    """The closest recent articles from other stories, and more of the article's own story."""
    return {"related": plain(await run_in_threadpool(lambda: desk.related(article_id, limit=limit)))}


@router.get("/articles/{article_id}/summary")
async def summary(article_id: Key, desk: Desk) -> dict[str, Any]:
    """About three of the article's sentences that sum it up, and three to five key points besides."""
    article = await run_in_threadpool(desk.article, article_id)
    return {"summary": plain(await run_in_threadpool(desk.summary, article))}


@router.get("/articles/{article_id}/ask")
async def ask(article_id: Key, desk: Desk, q: Question) -> dict[str, Any]:
    """The article's sentences that answer ``q``, best first; ``found: false`` when none answers it well enough."""
    answer = await run_in_threadpool(desk.ask, article_id, q)
    return {"answer": {**plain(answer), "found": answer.found}}


ARTICLE_FEATURES = ("summary", "key_points", "simple", "translation", "answer")


@router.get("/articles/{article_id}/ai/{feature}")
async def model_feature(
    article_id: Key,
    feature: Key,
    desk: Desk,
    q: Question = "",
    to: Annotated[str | None, Query(max_length=8, pattern=r"^[A-Za-z-]+$")] = None,
    wait: bool = False,
) -> dict[str, Any]:
    """What the configured language model wrote (``feature``: summary, key_points, simple, translation with
    ``to``, answer with ``q``), every sentence checked against the sentences it cites. ``state``: ready,
    writing (started in the background; ask again, or ``wait=true``), off (no model), spent (the day's
    budget) or failed (``reason``)."""
    if feature not in ARTICLE_FEATURES:
        raise HTTPException(404, f"no AI feature {feature!r}; the features are: {', '.join(ARTICLE_FEATURES)}")
    if feature == "answer" and not q.strip():
        raise HTTPException(422, "the answer feature needs a question (?q=)")
    state = await run_in_threadpool(
        lambda: desk.model_feature(
            "article",
            article_id,
            feature,
            language=to.lower() if to and feature == "translation" else None,
            question=q.strip() or None,
            wait=wait,
        )
    )
    return {"ai": plain(state)}
