"""Feed parsing on every core: parse → sanitize → normalize in worker processes.

Parsing, sanitizing and normalizing a feed is pure CPU (fastfeedparser, nh3,
regexes, hashes): on a first poll of 1000 feeds it is most of the work, and on
one core it would hold the event loop while responses wait. Workers run
:func:`parse_in_worker`; the event loop only fetches and hands bodies over.

Start method: forkserver, with the parse modules preloaded, for the reasons
given in :mod:`newsdesk.pipeline.extract_pool` (``fork`` from a threaded asyncio
process is unsafe; ``spawn`` pays every import per worker). Small passes parse
inline: starting workers costs more than a few feeds.

Results cross the process boundary as values: ``(feed, drafts)`` or the
:class:`ParseError`'s reason string.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from types import TracebackType

from newsdesk.errors import ParseError
from newsdesk.model import ArticleDraft, ParsedFeed
from newsdesk.pipeline.normalize import make_drafts
from newsdesk.pipeline.parse import parse_feed

PRELOAD = ["newsdesk.pipeline.parse", "newsdesk.pipeline.normalize", "newsdesk.pipeline.parse_pool"]
MIN_FEEDS_FOR_POOL = 40  # below this, starting workers costs more than parsing inline

Parsed = tuple[ParsedFeed, list[ArticleDraft]]


def parse_and_normalize(body: bytes, url: str, content_type: str | None, source_id: int) -> Parsed:
    """2. parse (sanitizing every fragment) and 3. normalize into drafts.

    The returned feed carries no entries: the drafts hold everything needed
    downstream, and not sending entries twice halves what crosses processes.
    """
    feed = parse_feed(body, url, content_type)
    return replace(feed, entries=()), make_drafts(source_id, feed)


def parse_in_worker(body: bytes, url: str, content_type: str | None, source_id: int) -> Parsed | str:
    try:
        return parse_and_normalize(body, url, content_type, source_id)
    except ParseError as exc:
        return exc.reason


async def parse_inline(body: bytes, url: str, content_type: str | None, source_id: int) -> Parsed:
    return parse_and_normalize(body, url, content_type, source_id)


class ParsePool:
    """``async with ParsePool(workers) as pool: feed, drafts = await pool.parse(...)``."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._executor: ProcessPoolExecutor | None = None

    def _new_executor(self) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    async def __aenter__(self) -> ParsePool:
        self._executor = self._new_executor()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def parse(self, body: bytes, url: str, content_type: str | None, source_id: int) -> Parsed:
        loop = asyncio.get_running_loop()
        assert self._executor is not None, "use ParsePool inside 'async with'"
        try:
            result = await loop.run_in_executor(self._executor, parse_in_worker, body, url, content_type, source_id)
        except BrokenProcessPool:
            # A worker died (a crash in a C extension, the OOM killer): replace the pool,
            # and parse this one feed inline so the pass goes on.
            self._executor.shutdown(wait=False, cancel_futures=False)
            self._executor = self._new_executor()
            return parse_and_normalize(body, url, content_type, source_id)
        if isinstance(result, str):
            raise ParseError(url, result)
        return result
