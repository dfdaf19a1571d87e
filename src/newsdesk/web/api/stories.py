"""``/frontpage`` and ``/stories``: articles clustered into stories, ranked now or listed by activity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.core import Newsdesk, taxonomy_name
from newsdesk.model import SignedIn, Story
from newsdesk.model import as_plain as plain
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.params import Filter, Key, Offset

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
