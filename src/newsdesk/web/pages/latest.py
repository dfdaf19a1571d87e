"""The latest articles, newest first, of every source or one ("/"), and the fragment that continues it.

The "older" link at the foot of the list is a plain link to the next page; with
JavaScript, htmx fetches the next page's items as a fragment instead and puts
them in place of the link, so the list grows where the reader is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.core import Newsdesk
from newsdesk.web.deps import Desk
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Offset, SourceFilter

PAGE_SIZE = 50

router = APIRouter()


async def _listing(desk: Newsdesk, source_id: int | None, offset: int) -> dict[str, Any]:
    """One page of articles and the query string of the next page (``None`` on the last one)."""
    articles = await run_in_threadpool(lambda: desk.articles(source_id=source_id, limit=PAGE_SIZE, offset=offset))
    more = None
    if len(articles) == PAGE_SIZE:
        query = {"offset": offset + PAGE_SIZE} | ({} if source_id is None else {"source_id": source_id})
        more = urlencode(query)
    return {"articles": articles, "more": more}


@router.get("/", response_class=HTMLResponse)
async def index(desk: Desk, render: Render, source_id: SourceFilter = None, offset: Offset = 0) -> HTMLResponse:
    listing = await _listing(desk, source_id, offset)
    source = None if source_id is None else await run_in_threadpool(desk.source, source_id)
    return render("latest/index.html", source=source, **listing)


@router.get("/fragments/latest", response_class=HTMLResponse)
async def more(desk: Desk, render: Render, source_id: SourceFilter = None, offset: Offset = 0) -> HTMLResponse:
    """The items of one page of "/" and the link to the next, for htmx to append to the list."""
    return render("partials/articles.html", **await _listing(desk, source_id, offset))
