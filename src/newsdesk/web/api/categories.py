"""``/categories/{name}``: the front page of one category (see ``docs/taxonomy.md``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk
from newsdesk.web.params import Key

router = APIRouter(tags=["categories"])


@router.get("/categories/{name}")
async def category(name: Key, desk: Desk, limit: Annotated[int, Query(ge=1, le=200)] = 30) -> dict[str, Any]:
    """The category's top stories now, ranked as the front page ranks them."""
    items = await run_in_threadpool(lambda: desk.category(name, limit=limit))
    return {"category": name, "stories": plain(items)}
