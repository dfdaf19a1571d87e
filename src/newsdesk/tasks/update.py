"""One update pass: the due feeds, then the pages of their new articles, then (by the facade) their stories.

Read :func:`run_update` top to bottom: it is the pass, in the order it runs; the step numbers are
those of the pipeline's table of contents (:mod:`newsdesk.pipeline`).

- The event loop only fetches (1, 6). Fetched feeds are handed over in chunks to an *ingester*
  (:mod:`newsdesk.tasks.ingest_workers`), which runs stages 2–4 on every core and then, under the
  write lock, reads the keys the chunk could collide with, decides dedup (5) and writes the chunk in
  one transaction (:func:`newsdesk.tasks.ingest.ingest`). When the ingesters fall behind, fetching
  waits, so memory holds a few chunks of bodies instead of a whole first poll.
- Pages follow the feeds: pending pages are fetched concurrently, extracted in a process pool sized
  to the cores (7), given their metadata (8), and written in batches by one writer thread, which
  decides page dedup (9) right before each write, so SQLite sees one writer and every decision sees
  every earlier write.

A failing feed or page is a value with a human reason, never an exception that stops the pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from newsdesk import pipeline
from newsdesk.config import Settings
from newsdesk.errors import FetchError, NewsdeskError, StorageError
from newsdesk.logs import bind, event
from newsdesk.model import (
    Clock,
    ExtractionStatus,
    FetchedDocument,
    PageResult,
    PendingPage,
    Progress,
    Source,
    UpdateReport,
)
from newsdesk.net.fetcher import Fetcher
from newsdesk.pipeline.primaries import elect_primaries
from newsdesk.store import Storage
from newsdesk.tasks.extract_pool import ExtractorPool
from newsdesk.tasks.ingest import FeedJob, FeedOutcome, write_page_batch
from newsdesk.tasks.ingest_workers import Ingester, ingester_for
from newsdesk.tasks.search_index import index_for_search

log = logging.getLogger(__name__)

T = TypeVar("T")

CHUNK_FEEDS = 25  # fetched feeds per ingest chunk (one write transaction)…
CHUNK_BYTES = 2_000_000  # …or fewer, when their bodies are large
MAX_CHUNK_FEEDS = 250  # a large pass uses larger chunks, up to this (see chunk_limits)
CHUNKS_PER_PASS = 20  # 50 feeds a chunk at 1000: with bodies compressed, fewer commits beat an earlier start
MAX_CHUNKS_IN_FLIGHT = 6  # chunks handed to the ingesters and not yet written (fewer when chunks are larger)
MIN_CHUNKS_IN_FLIGHT = 4  # one being parsed and one waiting per worker
RAMP_CHUNKS = 2  # the first chunks are small, one per worker on two cores, so every worker starts early
TAIL_SHARE = 4  # near the end a chunk takes a quarter of the feeds still to fetch
PAGE_BATCH = 200  # pages fetched and extracted per round
PAGE_WRITE_BATCH = 50


async def run_update(
    storage: Storage,
    settings: Settings,
    sources: Sequence[Source],
    *,
    new_fetcher: Callable[[], Fetcher],
    feeds_only: bool,
    clock: Clock,
    progress: Progress | None = None,
    page_source_id: int | None = None,
    holder: str,
) -> UpdateReport:
    """Check ``sources`` (1–5), then, unless ``feeds_only``, fetch and extract the pending pages (6–9).

    ``page_source_id``: only that source's pending pages (``newsdesk update --source``).
    ``holder``: this process's name in the leases (:mod:`newsdesk.store.leases`). The pass claims
    the sources and pages it works on, skips those another process holds, and releases its
    claims at the end, so two processes sharing a database split the work instead of doing it twice.
    """
    tally = _Tally()
    writer = _WriterThread()
    stop_indexing = threading.Event()
    try:
        sources = _claim_sources(storage, settings, sources, holder, clock)
        async with new_fetcher() as fetcher:
            run = _Pass(storage, settings, fetcher, tally, clock, progress, holder)
            # 1–5. feeds: fetched on the event loop; parsed, normalized, scheduled, deduplicated and
            # written a chunk per transaction by the ingesters (worker processes for a large pass)
            if sources:
                with ingester_for(storage, settings, len(sources), storage.url) as ingester:
                    await _FeedPhase(run, ingester).check(sources)
            # 5b. the primary of each group of copies, by the copies and not by fetch order: when this
            # pass stored articles, or before pages are fetched (a killed pass's groups wait there)
            if tally.counts["articles_new"] or tally.counts["duplicates"] or not feeds_only:
                await writer.call(_elect_primaries, storage)
            # 6–9. pages of the articles whose feed text is short: fetched here, extracted in a
            # process pool, deduplicated and written in batches by the writer thread
            if not feeds_only:
                await _PagePhase(run, writer).fetch(page_source_id)
                if tally.counts["pages_fetched"]:  # 9b. the same, for copies the pages revealed
                    await writer.call(_elect_primaries, storage)
                # 9c. the search index, for the articles whose text changed (their writes queued them);
                # not with feeds_only, which leaves the later steps (pages, stories) to a full pass
                await writer.call(index_for_search, storage, stop_indexing)
    finally:
        stop_indexing.set()  # a stopped pass ends after the batch being indexed
        writer.close()
        _release(storage, holder)
    report = tally.report()
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


def _claim_sources(
    storage: Storage, settings: Settings, sources: Sequence[Source], holder: str, clock: Clock
) -> list[Source]:
    """The sources this pass may check: those no other process is checking now."""
    if not sources:
        return []
    claimed = set(storage.claim("source", [str(s.id) for s in sources], holder, clock(), settings.lease_ttl_s))
    if len(claimed) < len(sources):
        log.info(event("update.sources_held", held_elsewhere=len(sources) - len(claimed)))
    return [s for s in sources if str(s.id) in claimed]


def _elect_primaries(storage: Storage) -> None:
    """Swap the primaries of the groups of copies not enriched yet, where :mod:`~newsdesk.pipeline.primaries` says.

    Not enriched yet: this pass's groups, and those of a pass killed before it chose their primaries.
    """
    swaps = elect_primaries(storage.copy_groups())
    if swaps:
        applied = storage.apply_primary_swaps(swaps)
        log.debug(event("update.primaries", swapped=applied))


def _release(storage: Storage, holder: str) -> None:
    """Give up this pass's claims; a failure to do so (the database is gone) only lets them run out."""
    try:
        storage.release(holder)
    except StorageError as exc:
        log.warning(event("update.release_failed", reason=exc.reason))


# --- 1–5: feeds ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pass:
    """What both phases of one pass share."""

    storage: Storage
    settings: Settings
    fetcher: Fetcher
    tally: _Tally
    clock: Clock
    progress: Progress | None
    holder: str


class _FeedPhase:
    """Fetch every source concurrently; hand the results to the ingester in chunks."""

    def __init__(self, run: _Pass, ingester: Ingester) -> None:
        self.run = run
        self.ingester = ingester
        self.queue: list[Source] = []
        self.storage_failure: StorageError | None = None

    async def check(self, sources: Sequence[Source]) -> None:
        queue = self.queue = list(reversed(sources))
        total = len(sources)
        max_feeds, max_bytes = chunk_limits(total)
        chunk: list[FeedJob] = []
        chunk_bytes = 0
        ingests: list[asyncio.Future[None]] = []
        # Back-pressure: when the ingesters fall behind, fetching waits, so memory holds a few
        # chunks of bodies instead of the whole first poll of a large subscription list.
        in_flight = asyncio.Semaphore(max(MIN_CHUNKS_IN_FLIGHT, MAX_CHUNKS_IN_FLIGHT * CHUNK_FEEDS // max_feeds))

        async def hand_over() -> None:
            nonlocal chunk, chunk_bytes
            if chunk and self.storage_failure is None:
                jobs, chunk, chunk_bytes = chunk, [], 0
                await in_flight.acquire()
                ingests.append(asyncio.ensure_future(self._ingest(jobs, total, in_flight)))

        async def fetch_next() -> None:
            nonlocal chunk_bytes
            while queue:
                source = queue.pop()
                with bind(feed=source.url):
                    # 1. fetch; a body stays compressed until its ingester parses it (a fifth of the bytes to hand over)
                    fetched = await _fetch_feed(source, self.run.fetcher)
                chunk.append(FeedJob(source, fetched, self.run.clock()))
                if isinstance(fetched, FetchedDocument) and fetched.body:
                    chunk_bytes += len(fetched.body)
                    self.ingester.expect_bodies()
                if len(chunk) >= _chunk_target(max_feeds, len(queue), len(ingests)) or chunk_bytes >= max_bytes:
                    await hand_over()

        n_tasks = max(1, min(self.run.settings.max_connections, total))
        await asyncio.gather(*(fetch_next() for _ in range(n_tasks)))
        await hand_over()
        await asyncio.gather(*ingests)
        if self.storage_failure is not None:
            log.error(event("update.storage_failed", reason=self.storage_failure.reason))
            raise self.storage_failure

    async def _ingest(self, jobs: list[FeedJob], total: int, in_flight: asyncio.Semaphore) -> None:
        """2–5 and the write, in the ingester.

        A chunk whose worker died reports its feeds as failed, to be retried on their next check.
        A database that fails (a full disk, a read-only file, a lost server) is the operator's
        problem, not the feeds': the pass stops fetching, and :meth:`check` raises the error once,
        with the sources' state left as it was (the failed chunk's transaction rolled back).
        """
        try:
            outcomes = await self.ingester.ingest(jobs)
        except StorageError as exc:
            if not isinstance(exc.__cause__, BrokenProcessPool):
                self.storage_failure = self.storage_failure or exc
                self.queue.clear()
                return
            log.error(event("ingest.failed", feeds=len(jobs), reason=exc.reason))
            outcomes = [
                FeedOutcome(j.source.id, j.source.url, False, False, exc.reason, j.source.error_count, False)
                for j in jobs
            ]
        finally:
            in_flight.release()
        for outcome in outcomes:
            checked = self.run.tally.count_feed(outcome)
            if self.run.progress:
                self.run.progress("feeds", checked, total)


async def _fetch_feed(source: Source, fetcher: Fetcher) -> FetchedDocument | FetchError:
    """1. fetch: a conditional GET; a failure is returned as a value for stage 4 to schedule a retry."""
    try:
        return await fetcher.fetch_feed(source.url, source.etag, source.last_modified, decode=False)
    except FetchError as exc:
        return exc


def chunk_limits(n_feeds: int) -> tuple[int, int]:
    """Feeds and body bytes per ingest chunk for a pass over ``n_feeds`` feeds.

    Small chunks start the workers early and leave little to do after the last fetch; large ones
    write more rows per transaction, and an insert into an index with random keys (content
    hashes) costs a page write per row in a small transaction but shares pages in a large one,
    which matters once the table is large. A pass is split into about ``CHUNKS_PER_PASS`` chunks
    within those bounds.
    """
    feeds = min(MAX_CHUNK_FEEDS, max(CHUNK_FEEDS, n_feeds // CHUNKS_PER_PASS))
    return feeds, CHUNK_BYTES * feeds // CHUNK_FEEDS


def _chunk_target(max_feeds: int, remaining: int, handed_over: int) -> int:
    """Feeds in the chunk being filled, given the feeds not yet fetched and the chunks already handed over.

    The first ``RAMP_CHUNKS`` chunks are small, so that every worker has work soon after the pass
    starts; then chunks are ``max_feeds``; and they shrink as the pass ends (to a quarter of what
    is left, never below ``CHUNK_FEEDS``), so the last ones are small and the workers finish
    together instead of one parsing a large final chunk while the other waits.
    """
    if handed_over < RAMP_CHUNKS:
        return min(max_feeds, CHUNK_FEEDS)
    return max(CHUNK_FEEDS, min(max_feeds, remaining // TAIL_SHARE))


# --- 6–9: pages ----------------------------------------------------------------------------------


class _PagePhase:
    """Fetch and extract pending pages, a round at a time, until none is left."""

    def __init__(self, run: _Pass, writer: _WriterThread) -> None:
        self.run = run
        self.writer = writer
        self.done = 0
        self.total = 0

    async def fetch(self, source_id: int | None) -> None:
        batch = await self.writer.call(self._claim_batch, source_id)
        if not batch:
            return
        stats = await self.writer.call(self.run.storage.stats)
        self.total = stats.pending_pages if source_id is None else len(batch)
        attempted: set[str] = set()
        async with ExtractorPool(self.run.settings) as pool:
            while batch := [p for p in batch if p.article_id not in attempted]:
                attempted.update(p.article_id for p in batch)
                await self._round(batch, pool)
                batch = await self.writer.call(self._claim_batch, source_id)

    def _claim_batch(self, source_id: int | None) -> list[PendingPage]:
        """The next pending pages no other process holds, claimed for this pass."""
        run = self.run
        now = run.clock()
        pending = run.storage.pending_pages(PAGE_BATCH, source_id, holder=run.holder, now=now)
        ids = run.storage.claim("page", [p.article_id for p in pending], run.holder, now, run.settings.lease_ttl_s)
        claimed = set(ids)
        return [p for p in pending if p.article_id in claimed]

    async def _round(self, batch: Sequence[PendingPage], pool: ExtractorPool) -> None:
        sem = asyncio.Semaphore(self.run.settings.page_concurrency)
        results: list[PageResult] = []

        async def one(page: PendingPage) -> None:
            async with sem:
                with bind(article=page.article_id):
                    result = await _page(page, self.run.fetcher, pool, self.run.settings.trusted_canonical_hosts)
            results.append(result)
            self._count(page, result)
            if len(results) >= PAGE_WRITE_BATCH:
                written = results[:]
                results.clear()
                # 9. page dedup, right before the write, in the one writer thread
                await self.writer.call(write_page_batch, self.run.storage, written)

        await asyncio.gather(*(one(p) for p in batch))
        if results:
            await self.writer.call(write_page_batch, self.run.storage, results)

    def _count(self, page: PendingPage, result: PageResult) -> None:
        self.done += 1
        if result.status is ExtractionStatus.EXTRACTED:
            self.run.tally.counts["pages_fetched"] += 1
        else:
            self.run.tally.counts["pages_failed"] += 1
            log.info(event("page.failed", url=page.url, reason=result.reason))
        if self.run.progress:
            self.run.progress("pages", self.done, max(self.total, self.done))


async def _page(page: PendingPage, fetcher: Fetcher, pool: ExtractorPool, trusted_hosts: str) -> PageResult:
    """6. fetch → 7. extract → 8. metadata, for one page; a failure keeps the feed's summary, with its reason."""
    try:
        # 6. fetch the page (robots.txt, size cap, SSRF guard inside the fetcher)
        doc = await fetcher.fetch_page(page.url)
        # 7. extract in the process pool (trafilatura, fallbacks; output sanitized)
        extracted = await pool.extract(doc.body, doc.url)
    except NewsdeskError as exc:  # FetchError, ExtractError, or any other typed failure: per item
        return pipeline.failed_page(page, exc)
    # 8. metadata: word count, reading time, language, content hash, the page's canonical URL
    return pipeline.page_result(page, extracted, doc.url, trusted_hosts)


# --- the pass's bookkeeping ----------------------------------------------------------------------


class _Tally:
    """The pass's counters, under the names :class:`~newsdesk.model.UpdateReport` gives them."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.errors: list[tuple[str, str]] = []

    def count_feed(self, outcome: FeedOutcome) -> int:
        """Count one feed's outcome; the number of feeds checked so far."""
        c = self.counts
        c["sources_checked"] += 1
        c["articles_new"] += outcome.new
        c["articles_updated"] += outcome.updated
        c["duplicates"] += outcome.duplicates
        if outcome.ok:
            c["sources_ok"] += 1
            c["sources_not_modified"] += outcome.not_modified
        else:
            c["sources_failed"] += 1
            self.errors.append((outcome.url, outcome.error or "unknown error"))
            # INFO, as page.failed: a feed's failure is a value of the report (which the CLI prints once) and
            # of the source's state; serve logs it at its INFO level, a command prints it from the report.
            log.info(
                event(
                    "feed.failed",
                    url=outcome.url,
                    reason=outcome.error,
                    errors=outcome.error_count,
                    paused=outcome.paused,
                )
            )
        return c["sources_checked"]

    def report(self) -> UpdateReport:
        return dataclasses.replace(UpdateReport(errors=tuple(self.errors)), **cast("dict[str, Any]", self.counts))


class _WriterThread:
    """Every page write of a pass goes through this one thread, in order (SQLite has one writer)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-writer")

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
