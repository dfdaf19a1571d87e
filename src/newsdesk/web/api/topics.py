"""``/topics/{tag}``: the latest articles and stories for a hashtag."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk
from newsdesk.web.params import Key

router = APIRouter(tags=["topics"])


@router.get("/topics/{tag}")
async def topic(tag: Key, desk: Desk, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """``#LeeJaeMyung`` and ``leejaemyung`` are the same topic."""
    return {"topic": plain(await run_in_threadpool(lambda: desk.topic(tag, limit=limit)))}
