"""One chunk of fetched feeds → stored articles, in one transaction; and one batch of extracted pages.

The update pass (:mod:`newsdesk.tasks.update`) hands fetched feeds over in chunks. For each chunk,
:func:`ingest` runs, in whichever process the ingester chose (:mod:`newsdesk.tasks.ingest_workers`):

2–4. ``pipeline.process_feed`` for every feed: inflate, parse, sanitize, normalize, schedule
     (pure CPU: what each feed check changes, as a :class:`~newsdesk.model.FeedUpdate` intent);
then, under the write lock, :func:`write_feed_batch`:
  read state: the ids, canonical URLs and content hashes the database already holds;
5.  decide: ``pipeline.decide_feed_articles`` — insert, update or skip, duplicate of what;
    apply: the feeds' new states and their articles, in one transaction.

Because parsing and writing happen in the same process, the drafts (tens of MB on a first poll)
never cross a process boundary. Pages take the same shape (:func:`write_page_batch`): read the
keys the pages name, decide page dedup (step 9), apply.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsdesk import pipeline
from newsdesk.config import Settings
from newsdesk.errors import FetchError
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
from newsdesk.store import Storage


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
    """Read the keys the drafts could collide with, 5. decide dedup, write states and articles in one transaction."""
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
    """Read the keys the pages name, 9. decide page dedup (what each page says it is), then write the results."""
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
    """Stages 2–4 for every job, then the decision and the write of the whole chunk under ``lock``."""
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
