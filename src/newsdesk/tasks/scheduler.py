"""The in-process scheduler of ``newsdesk serve``: check due feeds, forever.

It knows nothing of the database: it is handed ``run_once`` (the facade's
update of due sources) and calls it every tick. One pass never overlaps the
next, and a failing pass is logged and retried on the next tick — the
service never stops on a bad feed or a transient database error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from newsdesk.logs import event

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, run_once: Callable[[], Awaitable[Any]], tick_s: float) -> None:
        self._run_once = run_once
        self._tick_s = tick_s
        self._task: asyncio.Task[None] | None = None
        self.passes = 0
        self.last_error: str | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="newsdesk-scheduler")

    async def stop(self) -> None:
        """Cancel the pass in progress and wait until it has stopped.

        The pass unwinds in order: the chunk being written commits or rolls back, and its
        worker pools are closed before this returns, so a server that stops (SIGTERM, Ctrl-C)
        leaves no process behind. A pass that fails while stopping is logged, not raised: the
        server's shutdown goes on.
        """
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # noqa: BLE001 - whatever the pass raised, the server still stops
                log.warning(event("scheduler.stop_failed", error=f"{exc.__class__.__name__}: {exc}"))
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self._run_once()
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if (task := asyncio.current_task()) is not None and task.cancelling():
                    raise  # stopped, and the pass failed on its way out: stop() reports it, no next pass
                self.last_error = f"{exc.__class__.__name__}: {exc}"
                log.exception(event("scheduler.pass_failed", error=self.last_error))
            self.passes += 1
            await asyncio.sleep(self._tick_s)
