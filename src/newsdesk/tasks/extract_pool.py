"""Extraction on every core, awaitable from the event loop without blocking it.

:class:`ExtractorPool` wraps a :class:`~concurrent.futures.ProcessPoolExecutor`:

* **Start method: forkserver**, with trafilatura preloaded in the fork server. ``fork`` from
  the asyncio process is unsafe — it copies a process whose other threads (the loop's default
  executor, aiohttp's resolver) may hold locks, and Python 3.12+ deprecates it for exactly
  that reason. ``spawn`` is safe but every worker (and every replacement after a crash) would
  pay the full import of trafilatura, lxml and numpy. The fork server pays it once; its
  children are forked from a single-threaded process that already has everything imported.
  Measured with 2 workers on the 2-core dev machine (``bench/extract_throughput.py --startup``,
  medians, workers warm): forkserver 0.97 s for the first pool and 0.55 s for a replacement;
  spawn 1.12 s and 1.28 s; fork 0.74 s and 0.74 s. The replacement is what a crash costs.
* **Warm start**: each worker's initializer imports the extraction stage and runs it once on a
  small page, so lazy caches (XPath compilation, the language model) are filled before the
  first real page arrives.
* **Crash safety**: a worker that dies (segfault in a C extension, OOM kill) breaks the whole
  executor and fails every page in flight with ``BrokenProcessPool``. The pool is then replaced,
  and each of those pages is retried alone in a one-worker side executor, one at a time, so
  only the page that really kills its worker fails — with :class:`ExtractError`.
* **Guards**: bodies over ``settings.page_max_bytes`` are refused before any work, and each page
  gets a CPU-time budget inside its worker (``ITIMER_PROF``), after which it fails alone.
* **Lifetime**: the fork server and its workers never outlive this process, whatever ends it
  (:func:`newsdesk.lifetime.become_worker`, run first by the initializer); a pass that is stopped
  (SIGTERM, Ctrl-C) closes the pool on its way out, even while the workers are still starting.

Results cross the process boundary as values: an :class:`Extracted`, or a reason string that
the parent turns back into an :class:`ExtractError` (the error's constructor takes the URL, so
it would not survive unpickling as an exception).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import FrameType, TracebackType

from newsdesk.config import Settings
from newsdesk.errors import ExtractError
from newsdesk.lifetime import become_worker
from newsdesk.model import Extracted

log = logging.getLogger(__name__)

# forkserver where the platform has it (Linux, BSD, macOS); spawn elsewhere (Windows).
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
# Modules the fork server imports once, so that forked workers start warm.
PRELOAD = ("newsdesk.pipeline.page.extract",)
# CPU seconds one page may use: real pages take 10–100 ms; pathological markup can take minutes.
DEFAULT_CPU_LIMIT_S = 10.0
_WARM_UP_PAGE = (
    "<html lang='en'><head><title>Warm-up</title></head><body><article>"
    + "<p>This paragraph only exists to exercise every step of extraction once per worker.</p>" * 5
    + "</article></body></html>"
)


# What runs in a worker: (body, url, CPU budget in s) → the page, or why it failed. Module-level
# functions only (they are pickled by name); tests inject failures through ``task=``.
WorkerTask = Callable[[bytes, str, float], "Extracted | str"]


class CpuLimitExceeded(BaseException):
    """Raised in a worker when a page exceeds its CPU budget.

    A BaseException so that the broad ``except Exception`` handlers inside third-party
    extraction code cannot swallow it.
    """


class ExtractorPool:
    """Process pool for :func:`~newsdesk.pipeline.page.extract.extract_article`.

    Use ``async with ExtractorPool(settings) as pool: await pool.extract(body, url)``; ``with``
    works too (starting then blocks the calling thread until the workers are warm).
    ``task`` replaces the function run in the workers (default :func:`extract_in_worker`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int | None = None,
        cpu_limit_s: float = DEFAULT_CPU_LIMIT_S,
        start_method: str = START_METHOD,
        task: WorkerTask | None = None,
    ) -> None:
        self.workers = workers or settings.extract_workers or os.cpu_count() or 1
        self.max_bytes = settings.page_max_bytes
        self.cpu_limit_s = cpu_limit_s
        self._task: WorkerTask = task or extract_in_worker
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            self._context.set_forkserver_preload(list(PRELOAD))
        self._executor: ProcessPoolExecutor | None = None
        self._isolated: ProcessPoolExecutor | None = None
        self._isolation_lock: asyncio.Lock | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and wait until each has warmed up (blocking; idempotent)."""
        if self._executor is None:
            self._executor = self._new_executor(self.workers)
        warm = [self._executor.submit(_ping) for _ in range(self.workers)]
        for future in warm:
            future.result()

    def close(self) -> None:
        """Stop the workers; pages still queued are cancelled."""
        for executor in (self._executor, self._isolated):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
        self._executor = self._isolated = None

    def __enter__(self) -> ExtractorPool:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> ExtractorPool:
        loop = asyncio.get_running_loop()
        starting = loop.run_in_executor(None, self.start)
        try:
            await asyncio.shield(starting)
        except asyncio.CancelledError:  # stopped while the workers start: stop them once they have
            with contextlib.suppress(Exception):
                await starting
            await loop.run_in_executor(None, self.close)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    # --- work --------------------------------------------------------------------------------

    async def extract(self, body: bytes, url: str) -> Extracted:
        """Extract one page in a worker process; raise ExtractError for any per-page failure."""
        if len(body) > self.max_bytes:
            raise ExtractError(url, f"page too large to extract ({len(body)} bytes > {self.max_bytes})")
        executor = self._shared()
        try:
            outcome = await self._run(executor, body, url)
        except BrokenProcessPool:
            self._replace_shared(executor)
            outcome = await self._run_isolated(body, url)
        return _unwrap(outcome, url)

    async def _run(self, executor: Executor, body: bytes, url: str) -> Extracted | str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, self._task, body, url, self.cpu_limit_s)

    async def _run_isolated(self, body: bytes, url: str) -> Extracted | str:
        """Retry a page that was in flight when a worker died, alone, so a crash is its own."""
        if self._isolation_lock is None:
            self._isolation_lock = asyncio.Lock()
        async with self._isolation_lock:
            if self._isolated is None:
                self._isolated = self._new_executor(1)
            try:
                return await self._run(self._isolated, body, url)
            except BrokenProcessPool:
                self._isolated.shutdown(wait=False, cancel_futures=True)
                self._isolated = None
                log.warning("extract.worker_crashed url=%s", url)
                return "the extraction worker crashed on this page"

    def _shared(self) -> ProcessPoolExecutor:
        if self._executor is None:  # used without start(): workers start lazily
            self._executor = self._new_executor(self.workers)
        return self._executor

    def _replace_shared(self, broken: ProcessPoolExecutor) -> None:
        """Swap in a fresh executor, once, however many pages saw the same breakage."""
        if self._executor is broken:
            log.warning("extract.pool_broken workers=%d", self.workers)
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor(self.workers)

    def _new_executor(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=self._context, initializer=_warm_up)


def _unwrap(outcome: Extracted | str, url: str) -> Extracted:
    if isinstance(outcome, Extracted):
        return outcome
    raise ExtractError(url, outcome)


# --- worker side -------------------------------------------------------------------------------


def _warm_up() -> None:
    """Worker initializer: die with the fork server (so with this process), then import the stage and
    run it once, so the first real page is not slow."""
    become_worker()
    from newsdesk.errors import NewsdeskError
    from newsdesk.pipeline.page.extract import extract_article
    from newsdesk.pipeline.page.metadata import warm_up

    warm_up()
    with contextlib.suppress(NewsdeskError):  # a warm-up that finds nothing still warmed the caches
        extract_article(_WARM_UP_PAGE, "https://example.org/warm-up")


def _ping() -> None:
    """A no-op task: its completion proves a worker has started and run its initializer."""


def extract_in_worker(body: bytes, url: str, cpu_limit_s: float) -> Extracted | str:
    """Runs in a worker: the extracted page, or the reason it failed (never raises)."""
    from newsdesk.errors import NewsdeskError
    from newsdesk.pipeline.page.extract import extract_article

    previous = signal.signal(signal.SIGPROF, _on_cpu_limit)
    signal.setitimer(signal.ITIMER_PROF, cpu_limit_s)
    try:
        return extract_article(body, url)
    except NewsdeskError as exc:
        return exc.reason
    except CpuLimitExceeded:
        return f"extraction took more than {cpu_limit_s:g} s of CPU"
    except Exception as exc:  # noqa: BLE001 - a worker must answer, not die: see docstring
        return f"extraction failed: {type(exc).__name__}"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _on_cpu_limit(signum: int, frame: FrameType | None) -> None:
    raise CpuLimitExceeded
