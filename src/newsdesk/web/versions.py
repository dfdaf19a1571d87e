"""The data versions a page request is checked against, read once for all the requests waiting together.

Every cacheable page request needs the database's data versions as they are *after* it arrived (so a
write committed before it is seen). Reading them once per request costs a database round trip each,
on PostgreSQL the largest part of serving a cached page. Here, the requests that arrive while a read
is running wait for the *next* read, which starts when that one ends and answers all of them: every
request gets a read that began after it arrived, and at most one read runs at a time, on a thread,
so the event loop goes on serving pages meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

Versions = tuple[tuple[str, int], ...]


class VersionReader:
    """``await current()``: data versions read after the call began, shared with the callers waiting with it."""

    def __init__(self, read: Callable[[], Versions]) -> None:
        self._read = read
        self._next: asyncio.Future[Versions] | None = None  # the read the callers arriving now will get
        self._reading = False

    async def current(self) -> Versions:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if not self._reading:
                self._reading = True
                asyncio.get_running_loop().create_task(self._run())
        return await asyncio.shield(self._next)

    async def _run(self) -> None:
        try:
            while (waiting := self._next) is not None:
                self._next = None  # callers from now on wait for the read after this one
                try:
                    waiting.set_result(await asyncio.to_thread(self._read))
                except Exception as exc:  # noqa: BLE001 -- handed to every caller waiting for this read
                    waiting.set_exception(exc)
        finally:
            self._reading = False
