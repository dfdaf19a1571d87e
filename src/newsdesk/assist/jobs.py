"""Background jobs for the language model: a page asks, a worker thread writes, the page polls.

One job per key at a time (two readers opening the same article start one generation); at most
``workers`` at once (the ``llm_concurrency`` setting), the others queued. A failed job's reason is kept
for ``FAILURE_KEPT_S`` so the polling page can say why, then the next request tries again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

FAILURE_KEPT_S = 60.0


@dataclass(frozen=True, slots=True)
class JobState:
    running: bool
    error: BaseException | None = None


class BackgroundJobs:
    """A small thread pool keyed by job: ``start`` is idempotent while a job runs."""

    def __init__(self, workers: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="newsdesk-llm")
        self._running: dict[str, Future[object]] = {}
        self._failed: dict[str, tuple[float, BaseException]] = {}
        self._lock = threading.RLock()  # a job done before start() returns calls back under it
        self._clock = clock

    def start(self, key: str, work: Callable[[], object]) -> JobState:
        """Start ``work`` under ``key`` unless it runs already or failed a moment ago; where it stands."""
        with self._lock:
            running = self._running.get(key)
            if running is not None and running.done():  # finished; its callback may not have run yet
                self._done(key, running)
            failed = self._failed.get(key)
            if failed is not None:
                if self._clock() - failed[0] < FAILURE_KEPT_S:
                    return JobState(False, failed[1])
                del self._failed[key]
            if key not in self._running:
                future = self._pool.submit(work)
                self._running[key] = future
                future.add_done_callback(lambda f, k=key: self._done(k, f))  # type: ignore[misc]
            return JobState(True)

    def _done(self, key: str, future: Future[object]) -> None:
        with self._lock:
            self._running.pop(key, None)
            error = future.exception()
            if error is not None:
                self._failed[key] = (self._clock(), error)

    def wait(self, key: str, timeout: float | None = None) -> None:
        """Block until the job under ``key`` has finished (the command line waits; pages poll)."""
        with self._lock:
            future = self._running.get(key)
        if future is not None:
            future.exception(timeout=timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
