"""What newsdesk is and whose work it shows ("/about"): the licences of what it bundles and serves."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from newsdesk.core import catalog_attribution
from newsdesk.web.pages.render import Render

router = APIRouter()


@router.get("/about", response_class=HTMLResponse)
async def about_page(render: Render) -> HTMLResponse:
    return render("about/about.html", catalog_credit=catalog_attribution())
