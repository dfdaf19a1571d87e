"""The sources: the list and its health ("/sources"), and one source's page ("/sources/{id}"): what it
publishes, newest first, and how fetching it goes (last success, last error with its reason, next check)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.listing import pager
from newsdesk.web.pages.personal import follow_button
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Offset, SourceId

PAGE_SIZE = 30

router = APIRouter()


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(desk: Desk, render: Render) -> HTMLResponse:
    return render("sources/sources.html", sources=await run_in_threadpool(desk.sources))


@router.get("/sources/{source_id}", response_class=HTMLResponse)
async def source_page(
    source_id: SourceId, desk: Desk, render: Render, viewer: CurrentViewer, offset: Offset = 0
) -> HTMLResponse:
    source = await run_in_threadpool(desk.source, source_id)
    follow = await run_in_threadpool(follow_button, desk, viewer, "source", str(source.id))
    articles = await run_in_threadpool(lambda: desk.articles(source_id=source_id, limit=PAGE_SIZE + 1, offset=offset))
    path = f"/sources/{source_id}"
    links = pager(path, f"/fragments{path}", offset, PAGE_SIZE, len(articles) > PAGE_SIZE)
    shown = articles[:PAGE_SIZE]
    return render("sources/source.html", source=source, articles=shown, pager=links, offset=offset, follow=follow)


@router.get("/fragments/sources/{source_id}", response_class=HTMLResponse)
async def more_articles(source_id: SourceId, desk: Desk, render: Render, offset: Offset = 0) -> HTMLResponse:
    """The items of one page of a source's articles and its pager, for htmx to append to the list."""
    articles = await run_in_threadpool(lambda: desk.articles(source_id=source_id, limit=PAGE_SIZE + 1, offset=offset))
    path = f"/sources/{source_id}"
    links = pager(path, f"/fragments{path}", offset, PAGE_SIZE, len(articles) > PAGE_SIZE)
    return render("partials/articles.html", articles=articles[:PAGE_SIZE], pager=links, fragment=True)
