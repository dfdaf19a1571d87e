"""The web interface: the JSON API under ``/api/v1`` and a few server-rendered pages.

All routes are registered here, on one screen. Handlers parse input, call the
facade, and return plain data; one exception handler maps newsdesk errors to
status codes with one JSON envelope: ``{"error": {"type": …, "message": …}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from newsdesk.config import VERSION
from newsdesk.core import Newsdesk
from newsdesk.errors import (
    ConfigError,
    DiscoveryError,
    NewsdeskError,
    NotFoundError,
    OPMLError,
    SourceExistsError,
    StorageError,
)
from newsdesk.model import as_plain as plain
from newsdesk.web.pages import Pages

_STATUS: list[tuple[type[NewsdeskError], int]] = [
    (NotFoundError, 404),
    (SourceExistsError, 409),
    (DiscoveryError, 422),
    (OPMLError, 422),
    (ConfigError, 500),
    (StorageError, 503),
]


def _status_for(exc: NewsdeskError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def create_app(desk: Newsdesk, *, lifespan: Any = None, demo_notice: str | None = None) -> FastAPI:
    app = FastAPI(
        title="newsdesk",
        version=VERSION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.desk = desk

    pages = Pages(desk, demo_notice)

    @app.exception_handler(NewsdeskError)
    async def newsdesk_error(request: Request, exc: NewsdeskError) -> Response:
        status = _status_for(exc)
        if not request.url.path.startswith("/api/"):
            return HTMLResponse(pages.error(status, exc.reason), status_code=status)
        return JSONResponse(
            status_code=status, content={"error": {"type": exc.__class__.__name__, "message": exc.reason}}
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        if not request.url.path.startswith("/api/"):
            return HTMLResponse(pages.error(422, problems), status_code=422)
        return JSONResponse(status_code=422, content={"error": {"type": "ValidationError", "message": problems}})

    @app.get("/api/v1/health")
    async def health() -> dict[str, Any]:
        stats = await run_in_threadpool(desk.stats)
        return {"status": "ok", "version": VERSION, "database": desk.storage.dialect, "stats": plain(stats)}

    @app.get("/api/v1/sources")
    async def sources() -> dict[str, Any]:
        return {"sources": plain(await run_in_threadpool(desk.sources))}

    @app.get("/api/v1/sources/{source_id}")
    async def source(source_id: int) -> dict[str, Any]:
        return {"source": plain(await run_in_threadpool(desk.source, source_id))}

    @app.get("/api/v1/articles")
    async def articles(
        source_id: int | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
    ) -> dict[str, Any]:
        items = await run_in_threadpool(lambda: desk.articles(source_id=source_id, limit=limit, offset=offset))
        return {"articles": plain(items), "limit": limit, "offset": offset}

    @app.get("/api/v1/articles/{article_id}")
    async def article(article_id: str) -> dict[str, Any]:
        return {"article": plain(await run_in_threadpool(desk.article, article_id))}

    @app.get("/api/v1/articles/{article_id}/related")
    async def related(article_id: str, limit: int = Query(6, ge=1, le=50)) -> dict[str, Any]:
        return {"related": plain(await run_in_threadpool(lambda: desk.related(article_id, limit=limit)))}

    @app.get("/api/v1/frontpage")
    async def front_page(
        category: str | None = None, region: str | None = None, limit: int = Query(30, ge=1, le=200)
    ) -> dict[str, Any]:
        items = await run_in_threadpool(lambda: desk.front_page(category=category, region=region, limit=limit))
        return {"stories": plain(items), "category": category, "region": region}

    @app.get("/api/v1/stories")
    async def stories(
        category: str | None = None,
        region: str | None = None,
        tag: str | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
    ) -> dict[str, Any]:
        items = await run_in_threadpool(
            lambda: desk.stories(category=category, region=region, tag=tag, limit=limit, offset=offset)
        )
        return {"stories": plain(items), "limit": limit, "offset": offset}

    @app.get("/api/v1/stories/{story_id}")
    async def story(story_id: str) -> dict[str, Any]:
        return {"story": plain(await run_in_threadpool(desk.story, story_id))}

    @app.get("/api/v1/topics/{tag}")
    async def topic(tag: str, limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
        return {"topic": plain(await run_in_threadpool(lambda: desk.topic(tag, limit=limit)))}

    @app.get("/api/v1/categories/{name}")
    async def category(name: str, limit: int = Query(30, ge=1, le=200)) -> dict[str, Any]:
        items = await run_in_threadpool(lambda: desk.category(name, limit=limit))
        return {"category": name, "stories": plain(items)}

    @app.get("/api/v1/stats")
    async def stats() -> dict[str, Any]:
        return {"stats": plain(await run_in_threadpool(desk.stats))}

    @app.get("/", response_class=HTMLResponse)
    async def index(source_id: int | None = None, offset: int = Query(0, ge=0)) -> HTMLResponse:
        return HTMLResponse(await run_in_threadpool(pages.index, source_id, offset))

    @app.get("/articles/{article_id}", response_class=HTMLResponse)
    async def article_page(article_id: str) -> HTMLResponse:
        return HTMLResponse(await run_in_threadpool(pages.article, article_id))

    @app.get("/sources", response_class=HTMLResponse)
    async def sources_page() -> HTMLResponse:
        return HTMLResponse(await run_in_threadpool(pages.sources))

    return app
