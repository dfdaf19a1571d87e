"""``/sources``: the subscribed feeds and their fetch state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk
from newsdesk.web.params import SourceId

router = APIRouter(tags=["sources"])


@router.get("/sources")
async def sources(desk: Desk) -> dict[str, Any]:
    """Every source with its title, URL, schedule and last success or error."""
    return {"sources": plain(await run_in_threadpool(desk.sources))}


@router.get("/sources/{source_id}")
async def source(source_id: SourceId, desk: Desk) -> dict[str, Any]:
    """One source; 404 if there is none with this id."""
    return {"source": plain(await run_in_threadpool(desk.source, source_id))}
