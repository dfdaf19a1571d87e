"""``newsdesk serve``: the JSON API plus the in-process scheduler, under uvicorn."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.logs import event
from newsdesk.tasks.scheduler import Scheduler
from newsdesk.web import create_app

log = logging.getLogger(__name__)


def build_app(desk: Newsdesk, *, schedule: bool = True, demo_notice: str | None = None) -> FastAPI:
    """The API app; with ``schedule`` it also checks due feeds in the background."""
    scheduler = Scheduler(desk.aupdate, desk.settings.scheduler_tick_s)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if schedule:
            scheduler.start()
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
