"""One article, in full ("/articles/{id}"): its extracted text, or the feed's summary when extraction failed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.web.deps import Desk
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Key

router = APIRouter()


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article_page(article_id: Key, desk: Desk, render: Render) -> HTMLResponse:
    return render("article/article.html", article=await run_in_threadpool(desk.article, article_id))
