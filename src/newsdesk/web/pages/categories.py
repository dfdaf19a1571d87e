"""A category's and a region's stories ("/categories/{name}", "/regions/{name}"): the front page's listings, narrowed.

Names are taken as readers type them, in any case, slug or slash form
(``/categories/climate-environment``, ``/categories/Climate/Environment``: a path parameter);
an unknown one is the 404 page, which lists the valid names.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.core import name_slug
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.front import Tab, story_listing
from newsdesk.web.pages.personal import follow_button
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Key, Offset

router = APIRouter()


@router.get("/categories/{name:path}", response_class=HTMLResponse)
async def category_page(
    name: Key, desk: Desk, render: Render, viewer: CurrentViewer, tab: Tab = "top", offset: Offset = 0
) -> HTMLResponse:
    path = f"/categories/{name_slug(name)}"
    view = await run_in_threadpool(story_listing, desk, path, tab, name, None, offset, render.locale, viewer)
    follow = await run_in_threadpool(follow_button, desk, viewer, "category", view.category or name)
    return render("front/index.html", view=view, follow=follow)


@router.get("/regions/{name:path}", response_class=HTMLResponse)
async def region_page(
    name: Key, desk: Desk, render: Render, viewer: CurrentViewer, tab: Tab = "top", offset: Offset = 0
) -> HTMLResponse:
    path = f"/regions/{name_slug(name)}"
    view = await run_in_threadpool(story_listing, desk, path, tab, None, name, offset, render.locale, viewer)
    follow = await run_in_threadpool(follow_button, desk, viewer, "region", view.region or name)
    return render("front/index.html", view=view, follow=follow)
