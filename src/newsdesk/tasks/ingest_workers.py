"""Where a chunk of fetched feeds is ingested: a writer thread, or worker processes on every core.

This module holds the process mechanics, so that :mod:`newsdesk.tasks.update` reads as the pass
and :mod:`newsdesk.tasks.ingest` as the work of one chunk. Two ingesters run the same
:func:`~newsdesk.tasks.ingest.ingest`: :class:`ProcessIngester` (a process pool, one database
connection per worker, a shared lock so that one chunk is written at a time and every dedup
decision sees every earlier chunk) for large passes, and :class:`ThreadIngester` (one writer
thread) for small ones, where starting processes would cost more than it saves.
:class:`AdaptiveIngester` picks per chunk.

How workers start: when the process has a single thread (the CLI's ``newsdesk update``), the
pool is *forked* up front, before any thread exists: a fork costs milliseconds and the children
start with every module imported. A process with threads (``newsdesk serve``) must not fork, so
it starts a fork server on first need instead, off the event loop (≈0.4 s of imports). Workers
never outlive the command, whatever ends it (:func:`newsdesk.lifetime.become_worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import random
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from newsdesk.config import Settings
from newsdesk.errors import StorageError
from newsdesk.lifetime import become_worker
from newsdesk.model import FetchedDocument
from newsdesk.store import SqlStorage, Storage
from newsdesk.tasks.ingest import FeedJob, FeedOutcome, ingest

# The fork server imports these once; forked workers start with them loaded.
PRELOAD = ["newsdesk.tasks.ingest_workers", "newsdesk.pipeline.feed.parse"]


class Ingester(Protocol):
    async def ingest(self, jobs: Sequence[FeedJob]) -> list[FeedOutcome]: ...

    def expect_bodies(self) -> None:
        """A hint that chunks with bodies to parse are coming (to warm up workers early)."""
        ...


class ThreadIngester:
    """Ingest on one writer thread of this process (small passes)."""

    def __init__(self, storage: Storage, settings: Settings, lock: Any = None) -> None:
        self.storage = storage
        self.settings = settings
        self.rng = random.Random()
        self.lock = lock if lock is not None else threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-writer")

    async def ingest(self, jobs: Sequence[FeedJob]) -> list[FeedOutcome]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, ingest, self.storage, self.settings, list(jobs), self.rng, self.lock
        )

    def expect_bodies(self) -> None:
        return None

    def close(self) -> None:
        """Wait for the chunk being written; a stopped pass drops the chunks still queued (their feeds
        keep their state and are checked again next time)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- worker processes -----------------------------------------------------------------

_worker: tuple[SqlStorage, Settings, random.Random, Any] | None = None


def _init_worker(db_url: str, settings: Settings, lock: Any, parent_pid: int | None) -> None:
    global _worker  # noqa: PLW0603 -- per-process state of a pool worker, set once by the initializer
    become_worker(parent_pid)  # first: dies with its parent, leaves Ctrl-C to it
    import newsdesk.pipeline.feed.parse  # noqa: F401 -- imported once here, not inside the first chunk

    # A chunk allocates ~30k short-lived objects per feed list and frees nearly all of them by
    # reference counting: the cyclic collector need not scan the imported modules (frozen)
    # nor run every 700 allocations.
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)

    _worker = (SqlStorage(db_url), settings, random.Random(), lock)


def _ready() -> bool:
    return _worker is not None


def _ingest_in_worker(jobs: list[FeedJob]) -> list[FeedOutcome]:
    assert _worker is not None, "worker not initialized"
    storage, settings, rng, lock = _worker
    return ingest(storage, settings, jobs, rng, lock)


class ProcessIngester:
    """Ingest in a pool of worker processes, one chunk written at a time."""

    def __init__(self, db_url: str, settings: Settings, lock: Any, workers: int = 0, *, context: Any = None) -> None:
        self.db_url = db_url
        self.settings = settings
        self.workers = workers or os.cpu_count() or 1
        ctx = context or multiprocessing.get_context("forkserver")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(PRELOAD)
        self._ctx = ctx
        self._lock = lock
        self._executor = self._new_executor()

    def _new_executor(self) -> Executor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=(self.db_url, self.settings, self._lock, self._parent_pid()),
        )

    def _parent_pid(self) -> int | None:
        """This process's pid when it forks the workers itself (a fork server is their parent otherwise)."""
        return os.getpid() if self._ctx.get_start_method() == "fork" else None

    def start_workers(self) -> None:
        """Start every worker now: a fork pool forks them all, synchronously, on its first task.

        Not waiting for that task lets the workers finish starting (importing the parser,
        opening the database) on the other core while this process starts fetching.
        """
        self._executor.submit(_ready)

    async def ingest(self, jobs: Sequence[FeedJob]) -> list[FeedOutcome]:
        try:
            # submit() from a worker thread: the first one starts the fork server and the workers,
            # which takes a few hundred ms the event loop should spend fetching instead.
            future = await asyncio.to_thread(self._executor.submit, _ingest_in_worker, list(jobs))
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            # A worker died mid-chunk (a crash in a C extension, the OOM killer). Its transaction
            # was never committed; replace the pool and report the chunk's feeds as failed, to be
            # retried on their next check, instead of failing the whole pass.
            self._executor.shutdown(wait=False, cancel_futures=True)
            if self._ctx.get_start_method() == "fork":  # threads run now: never fork again
                self._ctx = multiprocessing.get_context("forkserver")
                self._ctx.set_forkserver_preload(PRELOAD)
            self._executor = self._new_executor()
            raise StorageError("an ingest worker died; these feeds are retried on their next check") from exc

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _start_fork_server() -> None:
    from multiprocessing import forkserver

    forkserver.ensure_running()


class AdaptiveIngester:
    """Chunks with feed bodies to parse go to worker processes; chunks of 304s and
    failures, which only update fetch state, stay on the writer thread.

    Workers are *forked* up front when this process has a single thread (the CLI's
    ``newsdesk update``): a fork costs milliseconds and the child starts with every
    module already imported, where a fork server would spend ≈0.4 s importing them
    again before the first chunk could be parsed. Forking is only safe while no other
    thread can hold a lock, so a process with threads (``newsdesk serve``) starts a
    fork server instead, on first need and off the event loop. Both paths take the
    same cross-process lock.
    """

    def __init__(self, storage: Storage, settings: Settings, *, n_feeds: int, db_url: str | None) -> None:
        can_fork = bool(db_url) and n_feeds >= MIN_FEEDS_FOR_PROCESSES and ":memory:" not in (db_url or "")
        self._forked = can_fork and _fork_is_safe()
        self._ctx = multiprocessing.get_context("fork" if self._forked else "forkserver")
        self._lock = self._ctx.Lock()
        self._thread = ThreadIngester(storage, settings, self._lock)
        self._processes: ProcessIngester | None = None
        self._can_fork = can_fork
        self._db_url = db_url or ""
        self._settings = settings
        self._warming = False
        if self._forked:
            self._processes = ProcessIngester(self._db_url, settings, self._lock, context=self._ctx)
            self._processes.start_workers()

    def expect_bodies(self) -> None:
        """A feed came back with a body to parse: start the fork server now, off the event loop.

        It imports the pipeline (≈0.4 s) on the other core while more feeds download, so the
        workers fork warm by the time the first chunk is full. A pass of 304s never starts it.
        """
        if self._can_fork and not self._forked and not self._warming:
            self._warming = True
            self._ctx.set_forkserver_preload(PRELOAD)
            threading.Thread(target=_start_fork_server, name="newsdesk-forkserver", daemon=True).start()

    async def ingest(self, jobs: Sequence[FeedJob]) -> list[FeedOutcome]:
        to_parse = sum(len(j.fetched.body) for j in jobs if isinstance(j.fetched, FetchedDocument))
        if self._can_fork and to_parse >= MIN_BYTES_FOR_PROCESSES:
            if self._processes is None:
                self._processes = ProcessIngester(self._db_url, self._settings, self._lock, context=self._ctx)
            return await self._processes.ingest(jobs)
        return await self._thread.ingest(jobs)

    def close(self) -> None:
        self._thread.close()
        if self._processes is not None:
            self._processes.close()


def _fork_is_safe() -> bool:
    """True when forking cannot copy a lock held by another thread: this process has one thread."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


@contextlib.contextmanager
def ingester_for(storage: Storage, settings: Settings, n_feeds: int, db_url: str | None) -> Iterator[Ingester]:
    ing = AdaptiveIngester(storage, settings, n_feeds=n_feeds, db_url=db_url)
    try:
        yield ing
    finally:
        ing.close()


MIN_FEEDS_FOR_PROCESSES = 40  # below this, starting workers costs more than it saves
MIN_BYTES_FOR_PROCESSES = 20_000  # a chunk with fewer (mostly compressed) body bytes is cheaper to handle on the thread
