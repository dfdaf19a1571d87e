"""The subscribed sources and their health ("/sources"): when each last succeeded, failed or was paused."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.web.deps import Desk
from newsdesk.web.pages.render import Render

router = APIRouter()


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(desk: Desk, render: Render) -> HTMLResponse:
    return render("sources/sources.html", sources=await run_in_threadpool(desk.sources))
