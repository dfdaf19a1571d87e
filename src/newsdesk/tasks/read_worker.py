"""Reads heavy in Python computed in a process of its own while the web process serves: the front page's
ranking.

Ranking reads every story of the window with its articles' times and scores them all: about a second of
Python at 100k articles, every time a write changes the stories and at least once a minute (scores decay
with the clock). In the web process that second holds the interpreter lock, and every page being served
meanwhile waits for it in 5 ms turns: at 100 signed-in readers the pages around each renewal took ten
times longer. In a process of its own the second is spent beside the web process, not inside it; the
web process's thread waits for the answer without holding the lock. The worker runs at a lower priority
(``nice`` 10): on a busy machine the pages being served go first, and readers are shown the ranking being
replaced until the new one is ready (``queries/cache.py``).

One worker, started with the server (``newsdesk serve``), its own connection to the same database; the
caller names the function to run (a module-level function of the storage, sent by name), so this module
knows nothing of ranking. A worker that dies is replaced once per breakage; if the read fails there, the
caller reads inline (the facade's fallback), so no page depends on the worker.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from newsdesk.store import Storage, open_storage

T = TypeVar("T")

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 60.0  # far above a ranking's second: a worker stuck this long is not waited for
WORKER_NICENESS = 10  # readers wait for pages, not for the ranking: they are shown the previous one meanwhile
START_METHOD = "spawn"  # a fresh interpreter: the server's threads and connections are not copied into it

_storage: Storage | None = None  # the worker's own


def _open(database_url: str, parent_pid: int) -> None:
    from newsdesk.lifetime import become_worker

    become_worker(parent_pid)
    with contextlib.suppress(OSError):  # a lower priority: the pages being served go first on a busy machine
        os.nice(WORKER_NICENESS)
    global _storage  # noqa: PLW0603 -- one storage per worker process, opened by its initializer
    _storage = open_storage(database_url)


def _run(read: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    assert _storage is not None, "the worker's initializer opens the storage"
    return read(_storage, *args, **kwargs)


class ReadWorker:
    """``run(read, *args, **kwargs)``: ``read(storage, *args, **kwargs)`` in the worker process, its result
    sent back (``read`` a module-level function; arguments and result picklable)."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._context = multiprocessing.get_context(START_METHOD)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker (its imports take a second or two); returns at once."""
        self._current()

    def run(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        executor = self._current()
        try:
            return executor.submit(_run, read, args, kwargs).result(timeout=READ_TIMEOUT_S)
        except BrokenProcessPool:
            self._replace(executor)
            raise

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=self._context,
                    initializer=_open,
                    initargs=(self._url, os.getpid()),
                )
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A fresh worker, once, however many callers saw the same breakage."""
        with self._lock:
            if self._executor is not broken:
                return
            log.warning("read_worker.lost")
            self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)
