"""``/stats``: counts of sources, articles, stories and failures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk

router = APIRouter(tags=["stats"])


@router.get("/stats")
async def stats(desk: Desk) -> dict[str, Any]:
    """The counts that ``newsdesk stats`` prints."""
    return {"stats": plain(await run_in_threadpool(desk.stats))}
