"""``newsdesk serve``: the web app and the in-process scheduler, under uvicorn."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.logs import event
from newsdesk.web.app import create_app

log = logging.getLogger(__name__)


def build_app(desk: Newsdesk, *, schedule: bool = True, demo_notice: str | None = None) -> FastAPI:
    """The web app; with ``schedule`` it also checks due feeds in the background while it serves.

    The scheduler comes from the facade (the web layer never imports ``tasks``) and lives on
    ``app.state.scheduler``, where its ``passes`` and ``last_error`` can be read.
    """
    scheduler = desk.scheduler()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if schedule:
            scheduler.start()  # inside the server's event loop, which it schedules its passes on
        yield
        await scheduler.stop()

    app = create_app(desk, lifespan=lifespan, demo_notice=demo_notice)
    app.state.scheduler = scheduler
    return app


def serve(settings: Settings, desk: Newsdesk | None = None, demo_notice: str | None = None) -> None:
    """Serve until interrupted (Ctrl-C)."""
    desk = desk or make_newsdesk(settings)
    try:
        log.info(event("server.start", url=f"http://{settings.host}:{settings.port}"))
        app = build_app(desk, demo_notice=demo_notice)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        desk.close()
