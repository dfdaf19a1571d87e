"""``/frontpage`` and ``/stories``: articles clustered into stories, ranked now or listed by activity; a
story's AI features (``/summary``, ``/brief``: what its sources agree on, what only some report, where their
numbers differ, its timeline; ``/ask?q=``), every line quoting the articles' sentences with their offsets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.core import Newsdesk, taxonomy_name
from newsdesk.model import SignedIn, Story
from newsdesk.model import as_plain as plain
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.params import Filter, Key, Offset, Question

router = APIRouter(tags=["stories"])


@router.get("/frontpage")
async def front_page(
    desk: Desk,
    viewer: CurrentViewer,
    category: Filter = None,
    region: Filter = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Top stories now, by velocity, publisher diversity and recency, balanced across categories.

    ``category`` and ``region`` are names as readers type them (``science``, ``latin-america``); the answer
    echoes their canonical names, and an unknown one is a 404 that lists the names. With a reader's session
    cookie, their mutes apply (``muted``: how many of the page's stories they left out).
    """
    category = None if category is None else taxonomy_name("category", category).name
    region = None if region is None else taxonomy_name("region", region).name
    items = await run_in_threadpool(
        lambda: desk.front_page(category=category, region=region, limit=limit, offset=offset)
    )
    items, muted = await _screened(desk, viewer, items)
    return {
        "stories": plain(items),
        "category": category,
        "region": region,
        "limit": limit,
        "offset": offset,
        "muted": muted,
    }


@router.get("/stories")
async def stories(
    desk: Desk,
    viewer: CurrentViewer,
    category: Filter = None,
    region: Filter = None,
    tag: Filter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Stories, most recently active first, optionally of one category, region or tag (a signed-in reader's
    mutes apply, as on ``/frontpage``)."""
    items = await run_in_threadpool(
        lambda: desk.stories(category=category, region=region, tag=tag, limit=limit, offset=offset)
    )
    items, muted = await _screened(desk, viewer, items)
    return {"stories": plain(items), "limit": limit, "offset": offset, "muted": muted}


async def _screened(desk: Newsdesk, viewer: SignedIn | None, items: list[Story]) -> tuple[list[Story], int]:
    if viewer is None:
        return items, 0
    return await run_in_threadpool(desk.screen_stories, viewer, items)


@router.get("/stories/{story_id}")
async def story(story_id: Key, desk: Desk) -> dict[str, Any]:
    """A story with its full coverage and timeline (a merged story's id leads to the story it joined)."""
    return {"story": plain(await run_in_threadpool(desk.story, story_id))}


Languages = Annotated[list[str], Query(max_length=8)]


@router.get("/stories/{story_id}/summary")
async def story_summary(story_id: Key, desk: Desk, language: Languages = []) -> dict[str, Any]:  # noqa: B006
    """The story's summary and key points from its articles (those in ``language`` first, repeatable)."""
    return {"summary": plain(await run_in_threadpool(desk.story_summary, story_id, _codes(language)))}


@router.get("/stories/{story_id}/brief")
async def story_brief(story_id: Key, desk: Desk, language: Languages = []) -> dict[str, Any]:  # noqa: B006
    """What the story's sources agree on (two publishers or more), what only some report, where their numbers
    differ, and each article's first sentence in publication order."""
    brief, _ = await run_in_threadpool(desk.story_brief, story_id, _codes(language))
    return {"brief": plain(brief)}


@router.get("/stories/{story_id}/ask")
async def ask_story(story_id: Key, desk: Desk, q: Question, language: Languages = []) -> dict[str, Any]:  # noqa: B006
    """The story's sentences that answer ``q``, best first; ``found: false`` when none answers it well enough."""
    answer = await run_in_threadpool(desk.ask_story, story_id, q, _codes(language))
    return {"answer": {**plain(answer), "found": answer.found}}


def _codes(languages: list[str]) -> tuple[str, ...]:
    """Language codes as readers give them (``fr``, ``pt-BR``), bounded and lower-cased."""
    return tuple(code.strip().split("-")[0].lower()[:8] for code in languages if code.strip())


STORY_FEATURES = ("story_summary", "perspectives", "answer", "translation")


@router.get("/stories/{story_id}/ai/{feature}")
async def story_model_feature(
    story_id: Key,
    feature: Key,
    desk: Desk,
    q: Question = "",
    language: Languages = [],  # noqa: B006
    to: Annotated[str | None, Query(max_length=8, pattern=r"^[A-Za-z-]+$")] = None,
    wait: bool = False,
) -> dict[str, Any]:
    """What the configured language model wrote about the story (``feature``: story_summary, perspectives,
    translation of the reports' headlines and leads with ``to``, or answer with ``q``) from its articles (those
    in ``language`` first), every sentence checked against the sentences it cites; ``state`` as for an
    article's features."""
    if feature not in STORY_FEATURES:
        raise HTTPException(404, f"no AI feature {feature!r}; the features are: {', '.join(STORY_FEATURES)}")
    if feature == "answer" and not q.strip():
        raise HTTPException(422, "the answer feature needs a question (?q=)")
    state = await run_in_threadpool(
        lambda: desk.model_feature(
            "story",
            story_id,
            feature,
            language=to.lower() if to and feature == "translation" else None,
            question=q.strip() or None,
            languages=_codes(language),
            wait=wait,
        )
    )
    return {"ai": plain(state)}
