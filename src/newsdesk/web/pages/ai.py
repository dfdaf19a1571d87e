"""What the language model writes about an article or a story, as fragments the AI panel loads and polls.

``/articles/{id}/ai/{feature}`` (summary, key_points, simple, translation, answer) and
``/stories/{id}/ai/{feature}`` (story_summary, perspectives, answer, translation: the reports' headlines
and leads) answer with the model's output when
it is ready, with a "writing…" fragment that polls again (htmx) while a background job writes it, or
with why the extractive features answer instead (no model, the day's budget spent, the model failed).
A browser without JavaScript gets the same fragment as a page of its own, with a link back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.web.deps import Desk
from newsdesk.web.pages.render import Render, by_htmx, varies_with_htmx
from newsdesk.web.params import Key, Question

router = APIRouter()

ARTICLE_FEATURES = frozenset({"summary", "key_points", "simple", "translation", "answer"})
STORY_FEATURES = frozenset({"story_summary", "perspectives", "answer", "translation"})
LANGUAGE_CODE_CHARS = 8


@router.get("/articles/{article_id}/ai/{feature}", response_class=HTMLResponse)
async def article_feature(
    article_id: Key, feature: Key, desk: Desk, render: Render, request: Request, q: Question = "", to: Key | None = None
) -> HTMLResponse:
    """The model's ``feature`` of the article (``to``: the translation's language; ``q``: the question)."""
    if feature not in ARTICLE_FEATURES:
        raise HTTPException(404, f"no AI feature {feature!r}")
    return await _feature(desk, render, request, "article", article_id, feature, q, to)


@router.get("/stories/{story_id}/ai/{feature}", response_class=HTMLResponse)
async def story_feature(
    story_id: Key, feature: Key, desk: Desk, render: Render, request: Request, q: Question = "", to: Key | None = None
) -> HTMLResponse:
    """The model's ``feature`` of the story, from its articles in the page's language first."""
    if feature not in STORY_FEATURES:
        raise HTTPException(404, f"no AI feature {feature!r}")
    return await _feature(desk, render, request, "story", story_id, feature, q, to)


async def _feature(
    desk: Desk,
    render: Render,
    request: Request,
    kind: str,
    target_id: str,
    feature: str,
    question: str,
    to: str | None,
) -> HTMLResponse:
    if feature == "answer" and not question.strip():
        raise HTTPException(422, "a question is needed (?q=)")
    language = (to or render.locale)[:LANGUAGE_CODE_CHARS].lower() if feature == "translation" else None
    state = await run_in_threadpool(
        lambda: desk.model_feature(
            kind,
            target_id,
            feature,
            language=language,
            question=question.strip() or None,
            languages=(render.locale,),
        )
    )
    poll = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context: dict[str, Any] = {
        "state": state,
        "feature": feature,
        "poll_url": poll,
        "in_story": kind == "story",
        "back_url": f"/{kind}s/{target_id}",
    }
    template = "partials/model_output.html" if by_htmx(request) else "ai/model_page.html"
    response = varies_with_htmx(render(template, **context))
    if state.state != "ready":  # it will change without a data version changing: kept by no cache
        response.headers["Cache-Control"] = "no-store"
    return response
