"""Turning fetched feeds into stored articles, in chunks, on every core.

The event loop only fetches. Each chunk of fetched feeds goes to an *ingester*
that runs stages 2–5 (:func:`newsdesk.pipeline.process_feed`: parse, sanitize,
normalize, schedule), then takes the write lock, decides dedup against the
database (stage 4) and writes the chunk in one transaction. Because parsing and
writing happen in the same process, the drafts (tens of MB on a first poll)
never cross a process boundary, and the event loop's process is free to fetch.

Two ingesters: :class:`ProcessIngester` (a forkserver process pool, one
database connection per worker, a shared lock so that one chunk is written at
a time and every dedup decision sees every earlier chunk) for large passes, and
:class:`ThreadIngester` (one writer thread) for small ones, where starting
processes would cost more than it saves. Both run the same :func:`ingest`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import random
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from newsdesk import pipeline
from newsdesk.config import Settings
from newsdesk.errors import FetchError, StorageError
from newsdesk.model import (
    ArticleUpdate,
    DraftAction,
    ExtractionStatus,
    FeedUpdate,
    FetchedDocument,
    PageResult,
    Source,
)
from newsdesk.pipeline.feed.normalize import collect_keys
from newsdesk.store import SqlStorage, Storage

# The fork server imports these once; forked workers start with them loaded.
PRELOAD = ["newsdesk.tasks.ingest", "newsdesk.pipeline.feed.parse"]


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One fetched feed (or its fetch failure), waiting for stages 2–5 and the write."""

    source: Source
    fetched: FetchedDocument | FetchError
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What became of one feed check: small, so it crosses processes cheaply."""

    source_id: int
    url: str
    ok: bool
    not_modified: bool
    error: str | None
    error_count: int
    paused: bool
    new: int = 0
    updated: int = 0
    duplicates: int = 0


def write_feed_batch(
    storage: Storage, settings: Settings, updates: Sequence[FeedUpdate], sources: dict[int, Source], now: datetime
) -> list[ArticleUpdate]:
    """4. decide dedup against the database, then write states and articles in one transaction."""
    drafts = [d for u in updates for d in u.drafts]
    ids, urls, hashes = collect_keys(drafts)
    # A source never read successfully has no articles (a success is written in the same
    # transaction as its articles): its drafts' ids need no lookup, which on a first poll is
    # every id. Were the rule ever broken, INSERT OR IGNORE would still keep the stored row.
    new_sources = {sid for sid, src in sources.items() if src.last_success_at is None}
    if new_sources:
        ids = [d.id for d in drafts if d.source_id not in new_sources]
    known = storage.known_keys(ids, urls, hashes)
    decisions = pipeline.decide_feed_articles(
        drafts,
        sources=sources,
        known_entry_hashes=known.entry_hash_by_id,
        known_urls=known.id_by_canonical_url,
        known_hashes=known.id_by_content_hash,
        settings=settings,
    )
    storage.apply_feed_updates(updates, decisions, now)
    return decisions


def write_page_batch(storage: Storage, results: Sequence[PageResult]) -> list[PageResult]:
    """4. decide page dedup against the database (what each page says it is), then write the results."""
    extracted = [r for r in results if r.status is ExtractionStatus.EXTRACTED]
    urls = sorted({r.canonical_url for r in extracted if r.canonical_url})
    hashes = sorted({r.content_hash for r in extracted if r.content_hash})
    known = storage.known_keys((), urls, hashes) if urls or hashes else None
    if known is not None:
        results = pipeline.decide_page_results(
            results, id_by_canonical_url=known.id_by_canonical_url, id_by_content_hash=known.id_by_content_hash
        )
    storage.apply_page_results(results)
    return list(results)


def ingest(
    storage: Storage,
    settings: Settings,
    jobs: Sequence[FeedJob],
    rng: random.Random,
    lock: Any,
) -> list[FeedOutcome]:
    """Stages 2–5 for every job, then the write of the whole chunk under ``lock``."""
    updates = [pipeline.process_feed(j.source, j.fetched, now=j.checked_at, settings=settings, rng=rng) for j in jobs]
    sources = {j.source.id: j.source for j in jobs}
    with lock:
        decisions = write_feed_batch(storage, settings, updates, sources, max(j.checked_at for j in jobs))
    return _outcomes(jobs, updates, decisions)


def _outcomes(
    jobs: Sequence[FeedJob], updates: Sequence[FeedUpdate], decisions: Sequence[ArticleUpdate]
) -> list[FeedOutcome]:
    counts: dict[int, list[int]] = {u.source_id: [0, 0, 0] for u in updates}
    for d in decisions:
        c = counts[d.draft.source_id]
        if d.action is DraftAction.INSERT:
            c[2 if d.duplicate_of else 0] += 1
        elif d.action is DraftAction.UPDATE:
            c[1] += 1
    return [
        FeedOutcome(
            source_id=u.source_id,
            url=j.source.url,
            ok=u.ok,
            not_modified=u.not_modified,
            error=u.error,
            error_count=u.error_count,
            paused=u.pause,
            new=counts[u.source_id][0],
            updated=counts[u.source_id][1],
            duplicates=counts[u.source_id][2],
        )
        for j, u in zip(jobs, updates, strict=True)
    ]


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
        self._pool.shutdown(wait=True)


# -- worker processes -----------------------------------------------------------------

_worker: tuple[SqlStorage, Settings, random.Random, Any] | None = None


def _init_worker(db_url: str, settings: Settings, lock: Any, parent_pid: int | None) -> None:
    global _worker  # noqa: PLW0603 -- per-process state of a pool worker, set once by the initializer
    _die_with_parent(parent_pid)
    import newsdesk.pipeline.feed.parse  # noqa: F401 -- imported once here, not inside the first chunk

    # A chunk allocates ~30k short-lived objects per feed list and frees nearly all of them by
    # reference counting: the cyclic collector need not scan the imported modules (frozen)
    # nor run every 700 allocations.
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)

    _worker = (SqlStorage(db_url), settings, random.Random(), lock)


def _ready() -> bool:
    return _worker is not None


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: ask the kernel to kill this worker when the process that started it dies.

    A worker waits on its task queue forever, and after a ``kill -9`` of ``newsdesk
    update`` nobody would ever close that queue. ``parent_pid`` (known for forked
    workers) catches a parent that died before the request took effect. Elsewhere
    the worker is left to the OS.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


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
