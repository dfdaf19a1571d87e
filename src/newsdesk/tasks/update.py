"""Running one update pass: many feeds and pages at once, one writer.

Feed checks run concurrently on the event loop (bounded by the fetcher's
connection limits); their intents are gathered into batches and written by a
single writer thread, so SQLite sees one writer and fetching never waits for
the disk. The dedup decision for a batch is made in that same writer thread,
right before its write, so it always sees every earlier batch.

Pages follow the feeds: pending pages are fetched concurrently and extracted
in a process pool sized to the cores (the event loop keeps fetching while the
workers extract).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from newsdesk import pipeline
from newsdesk.config import Settings
from newsdesk.errors import StorageError
from newsdesk.logs import bind, event
from newsdesk.model import (
    ExtractionStatus,
    FetchedDocument,
    PageResult,
    PendingPage,
    Source,
    UpdateReport,
)
from newsdesk.net.fetcher import Fetcher
from newsdesk.store import Storage
from newsdesk.tasks.ingest import FeedJob, FeedOutcome, Ingester, ingester_for, write_page_batch

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[str, int, int], None]  # (phase, done, total)
T = TypeVar("T")

CHUNK_FEEDS = 25  # fetched feeds per ingest chunk (one write transaction)…
CHUNK_BYTES = 2_000_000  # …or fewer, when their bodies are large
MAX_CHUNK_FEEDS = 250  # a large pass uses larger chunks, up to this (see chunk_limits)
CHUNKS_PER_PASS = 20  # 50 feeds a chunk at 1000: with bodies compressed, fewer commits beat an earlier start
MAX_CHUNKS_IN_FLIGHT = 6  # chunks handed to the ingesters and not yet written (fewer when chunks are larger)
MIN_CHUNKS_IN_FLIGHT = 4  # one being parsed and one waiting per worker
PAGE_BATCH = 200  # pages fetched and extracted per round
PAGE_WRITE_BATCH = 50


@dataclass
class _Totals:
    """Mutable counters of one pass, frozen into an UpdateReport at the end."""

    checked: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    pages_ok: int = 0
    pages_failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def report(self) -> UpdateReport:
        return UpdateReport(
            sources_checked=self.checked,
            sources_ok=self.ok,
            sources_not_modified=self.not_modified,
            sources_failed=self.failed,
            articles_new=self.new,
            articles_updated=self.updated,
            duplicates=self.duplicates,
            pages_fetched=self.pages_ok,
            pages_failed=self.pages_failed,
            errors=tuple(self.errors),
        )


class Writer:
    """All writes of a pass go through this single thread, in order."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-writer")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


async def run_update(
    storage: Storage,
    settings: Settings,
    sources: Sequence[Source],
    *,
    feeds_only: bool,
    clock: Clock,
    progress: Progress | None = None,
    page_source_id: int | None = None,
) -> UpdateReport:
    """One full pass: the given feeds, then (unless ``feeds_only``) their pending pages."""
    writer = Writer()
    try:
        async with Fetcher(settings) as fetcher:
            run = _Pass(storage, settings, fetcher, writer, clock, progress)
            if sources:
                with ingester_for(storage, settings, len(sources), storage.url) as ingester:
                    await run.feeds(sources, ingester)
            if not feeds_only:
                await run.pages(page_source_id)
    finally:
        writer.close()
    report = run.totals.report()
    # The scheduler runs a pass every tick; passes that found nothing due stay out of the INFO log.
    log.log(
        logging.INFO if report.sources_checked or report.pages_fetched else logging.DEBUG,
        event(
            "update.done",
            feeds=report.sources_checked,
            failed=report.sources_failed,
            new=report.articles_new,
            pages=report.pages_fetched,
        ),
    )
    return report


class _Pass:
    """The moving parts of one update pass, shared by its feed and page phases."""

    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        fetcher: Fetcher,
        writer: Writer,
        clock: Clock,
        progress: Progress | None,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.fetcher = fetcher
        self.writer = writer
        self.clock = clock
        self.progress = progress
        self.totals = _Totals()

    async def feeds(self, sources: Sequence[Source], ingester: Ingester) -> None:
        """Fetch every source concurrently; hand the results to the ingester in chunks."""
        queue = list(reversed(sources))
        max_feeds, max_bytes = chunk_limits(len(sources))
        chunk: list[FeedJob] = []
        chunk_bytes = 0
        ingests: list[asyncio.Future[None]] = []
        # Back-pressure: when the ingesters fall behind, fetching waits, so memory holds a few
        # chunks of bodies instead of the whole first poll of a large subscription list.
        in_flight = asyncio.Semaphore(max(MIN_CHUNKS_IN_FLIGHT, MAX_CHUNKS_IN_FLIGHT * CHUNK_FEEDS // max_feeds))

        async def flush() -> None:
            nonlocal chunk, chunk_bytes
            if chunk:
                jobs, chunk, chunk_bytes = chunk, [], 0
                await in_flight.acquire()
                ingests.append(asyncio.ensure_future(self._ingest(ingester, jobs, len(sources), in_flight)))

        async def fetcher_task() -> None:
            nonlocal chunk_bytes
            while queue:
                source = queue.pop()
                with bind(feed=source.url):
                    # Bodies stay compressed until the ingester parses them (a fifth of the bytes to hand over).
                    fetched = await pipeline.fetch_feed(source, self.fetcher, decode=False)
                chunk.append(FeedJob(source, fetched, self.clock()))
                if isinstance(fetched, FetchedDocument) and fetched.body:
                    chunk_bytes += len(fetched.body)
                    ingester.expect_bodies()
                if len(chunk) >= _chunk_target(max_feeds, len(queue), len(ingests)) or chunk_bytes >= max_bytes:
                    await flush()

        n_tasks = max(1, min(self.settings.max_connections, len(sources)))
        await asyncio.gather(*(fetcher_task() for _ in range(n_tasks)))
        await flush()
        await asyncio.gather(*ingests)

    async def _ingest(self, ingester: Ingester, jobs: list[FeedJob], total: int, in_flight: asyncio.Semaphore) -> None:
        try:
            outcomes = await ingester.ingest(jobs)
        except StorageError as exc:
            log.error(event("ingest.failed", feeds=len(jobs), reason=exc.reason))
            outcomes = [
                FeedOutcome(j.source.id, j.source.url, False, False, exc.reason, j.source.error_count, False)
                for j in jobs
            ]
        finally:
            in_flight.release()
        for outcome in outcomes:
            _count_feed(self.totals, outcome)
            if self.progress:
                self.progress("feeds", self.totals.checked, total)

    async def pages(self, source_id: int | None) -> None:
        """Fetch and extract pending pages, a round at a time, until none is left."""
        batch = await self.writer.run(self.storage.pending_pages, PAGE_BATCH, source_id)
        if not batch:
            return
        stats = await self.writer.run(self.storage.stats)
        self._pages_total = stats.pending_pages if source_id is None else len(batch)
        self._pages_done = 0
        attempted: set[str] = set()
        async with _extractor(self.settings) as extract:
            while batch := [p for p in batch if p.article_id not in attempted]:
                attempted.update(p.article_id for p in batch)
                await self._page_round(batch, extract)
                batch = await self.writer.run(self.storage.pending_pages, PAGE_BATCH, source_id)

    async def _page_round(self, batch: Sequence[PendingPage], extract: pipeline.Extract) -> None:
        sem = asyncio.Semaphore(self.settings.page_concurrency)
        results: list[PageResult] = []

        async def one(page: PendingPage) -> None:
            async with sem:
                with bind(article=page.article_id):
                    res = await pipeline.update_article_page(page, self.fetcher, extract)
            results.append(res)
            self._count_page(page, res)
            if len(results) >= PAGE_WRITE_BATCH:
                chunk = results[:]
                results.clear()
                await self.writer.run(write_page_batch, self.storage, chunk)

        await asyncio.gather(*(one(p) for p in batch))
        if results:
            await self.writer.run(write_page_batch, self.storage, results)

    def _count_page(self, page: PendingPage, res: PageResult) -> None:
        self._pages_done += 1
        if res.status is ExtractionStatus.EXTRACTED:
            self.totals.pages_ok += 1
        else:
            self.totals.pages_failed += 1
            log.info(event("page.failed", url=page.url, reason=res.reason))
        if self.progress:
            self.progress("pages", self._pages_done, max(self._pages_total, self._pages_done))


def chunk_limits(n_feeds: int) -> tuple[int, int]:
    """Feeds and body bytes per ingest chunk for a pass over ``n_feeds`` feeds.

    Small chunks start the workers early and leave little to do after the last
    fetch; large ones write more rows per transaction, and an insert into an index
    with random keys (content hashes) costs a page write per row in a small
    transaction but shares pages in a large one, which matters once the table is
    large. A pass is split into about ``CHUNKS_PER_PASS`` chunks within those bounds.
    """
    feeds = min(MAX_CHUNK_FEEDS, max(CHUNK_FEEDS, n_feeds // CHUNKS_PER_PASS))
    return feeds, CHUNK_BYTES * feeds // CHUNK_FEEDS


def _chunk_target(max_feeds: int, remaining: int, handed_over: int) -> int:
    """Feeds in the chunk being filled, given the feeds not yet fetched and the chunks already handed over.

    The first ``RAMP_CHUNKS`` chunks are small, so that every worker has work soon after the
    pass starts; then chunks are ``max_feeds``; and they shrink as the pass ends (to a quarter
    of what is left, never below ``CHUNK_FEEDS``), so the last ones are small and the workers
    finish together instead of one parsing a large final chunk while the other waits.
    """
    if handed_over < RAMP_CHUNKS:
        return min(max_feeds, CHUNK_FEEDS)
    return max(CHUNK_FEEDS, min(max_feeds, remaining // TAIL_SHARE))


TAIL_SHARE = 4
RAMP_CHUNKS = 2  # one per worker on two cores


def _count_feed(totals: _Totals, outcome: FeedOutcome) -> None:
    totals.checked += 1
    totals.new += outcome.new
    totals.updated += outcome.updated
    totals.duplicates += outcome.duplicates
    if not outcome.ok:
        totals.failed += 1
        totals.errors.append((outcome.url, outcome.error or "unknown error"))
        log.warning(
            event(
                "feed.failed",
                url=outcome.url,
                reason=outcome.error,
                errors=outcome.error_count,
                paused=outcome.paused,
            )
        )
    elif outcome.not_modified:
        totals.not_modified += 1
        totals.ok += 1
    else:
        totals.ok += 1


@contextlib.asynccontextmanager
async def _extractor(settings: Settings) -> AsyncIterator[pipeline.Extract]:
    from newsdesk.tasks.extract_pool import ExtractorPool

    async with ExtractorPool(settings) as pool:
        yield pool.extract
