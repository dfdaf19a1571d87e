"""``newsdesk serve``: the web app and the in-process scheduler, under uvicorn."""

from __future__ import annotations

import asyncio
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

SHUTDOWN_GRACE_S = 5  # open requests a stopping server waits for (htmx polls, a slow client)


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
        # The vector index read on a thread while the server already answers: the first pages with
        # related reading find it loaded (or wait for this one read) instead of reading it themselves.
        warming = asyncio.get_running_loop().run_in_executor(None, desk.warm_up)
        yield
        await warming
        await scheduler.stop()

    app = create_app(desk, lifespan=lifespan, demo_notice=demo_notice)
    app.state.scheduler = scheduler
    return app


def serve(settings: Settings, desk: Newsdesk | None = None, demo_notice: str | None = None) -> None:
    """Serve until stopped by Ctrl-C or SIGTERM; either is a server's normal end (exit status 0).

    uvicorn handles both signals (``newsdesk.lifetime`` hands SIGTERM to whatever handles SIGINT):
    it stops accepting, lets open requests finish for at most ``SHUTDOWN_GRACE_S``, and runs the
    lifespan's end, where the scheduler stops: a pass in progress is cancelled, its chunk commits or
    rolls back, its pools close and its enrichment ends after the batch being written.
    """
    desk = desk or make_newsdesk(settings)
    try:
        log.info(event("server.start", url=f"http://{settings.host}:{settings.port}"))
        app = build_app(desk, demo_notice=demo_notice)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,  # a line per request costs more than a cached page; errors are still logged
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
    finally:
        desk.close()
