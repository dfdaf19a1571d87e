"""``newsdesk serve``: the web app and the in-process scheduler, under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.logs import event
from newsdesk.web.app import create_app

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 5  # open requests a stopping server waits for (htmx polls, a slow client)
WORKER_SETTINGS = "NEWSDESK_SERVE_WORKER_SETTINGS"  # the parent's settings, as JSON, for its worker processes


def build_app(
    desk: Newsdesk,
    *,
    schedule: bool = True,
    demo_notice: str | None = None,
    close_desk: bool = False,
    rank_in_a_process: bool = False,
) -> FastAPI:
    """The web app; with ``schedule`` it also checks due feeds in the background while it serves, with
    ``rank_in_a_process`` the front page is ranked in a worker process (``tasks/read_worker.py``; the
    server does, tests need not), and with ``close_desk`` it closes the facade when it stops (a worker
    process's own).

    The scheduler comes from the facade (the web layer never imports ``tasks``) and lives on
    ``app.state.scheduler``, where its ``passes`` and ``last_error`` can be read.
    """
    scheduler = desk.scheduler()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if rank_in_a_process:
            desk.rank_in_a_process()  # before the warm-up, which ranks the front page once
        if schedule:
            scheduler.start()  # inside the server's event loop, which it schedules its passes on
        # The vector index read on a thread while the server already answers: the first pages with
        # related reading find it loaded (or wait for this one read) instead of reading it themselves.
        warming = asyncio.get_running_loop().run_in_executor(None, desk.warm_up)
        yield
        await warming
        await scheduler.stop()
        desk.stop_ranking_process()
        if close_desk:
            desk.close()

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
    if desk is None and settings.web_processes > 1:
        _serve_in_processes(settings)
        return
    desk = desk or make_newsdesk(settings)
    try:
        log.info(event("server.start", url=f"http://{settings.host}:{settings.port}"))
        app = build_app(desk, demo_notice=demo_notice, rank_in_a_process=True)
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


def _serve_in_processes(settings: Settings) -> None:
    """``web_processes`` worker processes on one listening socket (uvicorn's supervisor: it restarts a worker
    that dies and stops them all on Ctrl-C or SIGTERM).

    One process serves on one core: Python runs one thread at a time, and a signed-in reader's page is
    rendered for them alone. Each worker opens its own facade (:func:`worker_app`) from the settings handed
    down here; the database is migrated once, before any of them starts, so they never race to migrate.
    """
    make_newsdesk(settings).close()  # migrate now, in one process
    os.environ[WORKER_SETTINGS] = json.dumps(dataclasses.asdict(settings))
    log.info(event("server.start", url=f"http://{settings.host}:{settings.port}", processes=settings.web_processes))
    uvicorn.run(
        "newsdesk.web.server:worker_app",
        factory=True,
        workers=settings.web_processes,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )


def worker_app() -> FastAPI:
    """The app of one worker process of :func:`_serve_in_processes` (uvicorn calls it in the new process)."""
    from newsdesk.logs import configure_logging

    settings = Settings(**json.loads(os.environ[WORKER_SETTINGS]))
    configure_logging(settings.log_level, settings.log_format, auto="INFO")
    return build_app(make_newsdesk(settings), close_desk=True, rank_in_a_process=True)
