"""The ingestion pipeline, written down once, in order.

Read this module as the table of contents; each numbered step is a function in
a module of its own. Stages decide and return values or intents
(:class:`FeedUpdate`, :class:`ArticleUpdate`, :class:`PageResult`); they never
touch the database. ``tasks`` runs them concurrently and ``core`` applies the
intents in transactions.

Feed: 1 fetch (``fetch_feed``, async) → 2 parse (+ sanitize) → 3 normalize → 5 schedule
      (``process_feed``, CPU, in a worker process) → 4 dedup/decide (``decide_feed_articles``,
      right before the write, against the database's keys) → (store)
Page: 1 fetch page (robots.txt) → 2 extract (process pool; sanitize) → 3 metadata → (store)
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from newsdesk.config import Settings
from newsdesk.errors import ExtractError, FetchError, NewsdeskError, ParseError
from newsdesk.model import (
    ArticleDraft,
    ArticleUpdate,
    Extracted,
    ExtractionStatus,
    FeedUpdate,
    FetchedDocument,
    PageResult,
    PendingPage,
    Source,
)
from newsdesk.net.fetcher import Fetcher
from newsdesk.pipeline.feed.dedup import decide_articles, page_policy
from newsdesk.pipeline.feed.inflate import decode_body
from newsdesk.pipeline.feed.normalize import make_drafts
from newsdesk.pipeline.feed.schedule import schedule_failure, schedule_success
from newsdesk.pipeline.keys import content_hash, count_words
from newsdesk.pipeline.page.dedup import decide_page_results
from newsdesk.pipeline.page.metadata import detect_language, reading_time_s
from newsdesk.pipeline.urls import page_canonical_url, same_site

__all__ = [
    "decide_articles",
    "decide_feed_articles",
    "decide_page_results",
    "fetch_feed",
    "page_policy",
    "process_feed",
    "update_article_page",
    "update_feed",
]

Extract = Callable[[bytes, str], Awaitable[Extracted]]


async def fetch_feed(source: Source, fetcher: Fetcher, *, decode: bool = True) -> FetchedDocument | FetchError:
    """1. fetch (conditional GET; redirects, size caps, SSRF guard inside the fetcher).

    A failure is returned as a value: the next stage decides what it means. With
    ``decode=False`` a compressed body stays compressed until ``process_feed``.
    """
    try:
        return await fetcher.fetch_feed(source.url, source.etag, source.last_modified, decode=decode)
    except FetchError as exc:
        return exc


def process_feed(
    source: Source,
    fetched: FetchedDocument | FetchError,
    *,
    now: datetime,
    settings: Settings,
    rng: random.Random,
) -> FeedUpdate:
    """2. parse → 3. normalize → 5. schedule: what one feed check changes.

    Pure CPU, no I/O, picklable inputs and outputs, so it runs in a worker
    process. Never raises for a bad feed: the failure becomes part of the
    returned intent, with a human reason.
    """
    try:
        if isinstance(fetched, FetchError):
            raise fetched
        if fetched.not_modified:
            return _not_modified(source, fetched, now=now, settings=settings, rng=rng)
        # A body fetched with decode=False is inflated here, in the process that parses it (size cap kept).
        fetched = decode_body(fetched, settings.feed_max_bytes)
        # 2. parse (fastfeedparser, feedparser fallback; every HTML fragment sanitized).
        # Imported here: a pass of 304s, or the event loop's process of a large pass, never parses.
        from newsdesk.pipeline.feed.parse import parse_feed

        content_type = fetched.content_type
        if content_type and fetched.charset:
            content_type = f"{content_type}; charset={fetched.charset}"  # the fallback parser honours it
        feed = parse_feed(fetched.body, fetched.url, content_type)
        # 3. normalize entries into drafts (canonical URL, stable id, hashes, plain text)
        drafts = make_drafts(source.id, feed)
        # 5. schedule (4, dedup, needs the database's keys: ``decide_feed_articles`` below)
        sched = schedule_success(
            now=now,
            settings=settings,
            feed=feed,
            max_age_s=fetched.max_age_s,
            published=[d.published_at for d in drafts if d.published_at],
            previous_interval_s=source.check_interval_s,
            rng=rng,
        )
    except (FetchError, ParseError) as exc:
        return _failed_check(source, exc, now=now, settings=settings, rng=rng)
    return FeedUpdate(
        source_id=source.id,
        checked_at=now,
        next_check_at=sched.next_check_at,
        check_interval_s=sched.interval_s,
        ok=True,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        title=feed.title,
        site_url=feed.site_url,
        language=feed.language,
        new_url=fetched.permanent_redirect,
        drafts=tuple(drafts),
    )


async def update_feed(
    source: Source, fetcher: Fetcher, *, now: datetime, settings: Settings, rng: random.Random
) -> FeedUpdate:
    """Check one feed, all stages in this process (1 fetch, then 2–5)."""
    return process_feed(source, await fetch_feed(source, fetcher), now=now, settings=settings, rng=rng)


def _not_modified(
    source: Source, doc: FetchedDocument, *, now: datetime, settings: Settings, rng: random.Random
) -> FeedUpdate:
    sched = schedule_success(
        now=now,
        settings=settings,
        feed=None,
        max_age_s=doc.max_age_s,
        published=(),
        previous_interval_s=source.check_interval_s,
        rng=rng,
    )
    return FeedUpdate(
        source_id=source.id,
        checked_at=now,
        next_check_at=sched.next_check_at,
        check_interval_s=sched.interval_s,
        ok=True,
        not_modified=True,
        etag=doc.etag or source.etag,
        last_modified=doc.last_modified or source.last_modified,
        new_url=doc.permanent_redirect,
    )


def _failed_check(
    source: Source, exc: FetchError | ParseError, *, now: datetime, settings: Settings, rng: random.Random
) -> FeedUpdate:
    retry_after = exc.retry_after if isinstance(exc, FetchError) else None
    permanent = exc.permanent if isinstance(exc, FetchError) else False
    sched = schedule_failure(
        now=now,
        settings=settings,
        error_count=source.error_count,
        retry_after_s=retry_after,
        permanent=permanent,
        rng=rng,
    )
    return FeedUpdate(
        source_id=source.id,
        checked_at=now,
        next_check_at=sched.next_check_at,
        check_interval_s=sched.interval_s,
        ok=False,
        error=exc.reason,
        error_count=sched.error_count,
        pause=sched.pause,
    )


def decide_feed_articles(
    drafts: Sequence[ArticleDraft],
    *,
    sources: dict[int, Source],
    known_entry_hashes: dict[str, str],
    known_urls: dict[str, str],
    known_hashes: dict[str, str],
    settings: Settings,
) -> list[ArticleUpdate]:
    """4. dedup and decide: insert/update/skip, duplicate-of, fetch the page or not."""
    policies = {
        sid: page_policy(src.fetch_pages, settings.fetch_pages, settings.min_feed_words) for sid, src in sources.items()
    }
    return decide_articles(
        drafts,
        entry_hash_by_id=known_entry_hashes,
        id_by_canonical_url=known_urls,
        id_by_content_hash=known_hashes,
        wants_page=lambda d: policies[d.source_id](d),
    )


async def update_article_page(page: PendingPage, fetcher: Fetcher, extract: Extract) -> PageResult:
    """Fetch and extract one article page. A page that cannot be fetched or
    extracted keeps the feed's summary; the result records why."""
    try:
        # 1. fetch the page (robots.txt, size cap, SSRF guard inside the fetcher)
        doc = await fetcher.fetch_page(page.url)
        # 2. extract in the process pool (trafilatura, fallbacks; output sanitized)
        extracted = await extract(doc.body, doc.url)
    except (FetchError, ExtractError) as exc:
        return _failed(page, exc)
    except NewsdeskError as exc:  # any other typed failure is still per-item
        return _failed(page, exc)
    # 3. metadata: word count, reading time, language, content hash, the page's canonical URL
    words = count_words(extracted.text)
    language = extracted.language or detect_language(extracted.text)
    if language != extracted.language:
        extracted = _with_language(extracted, language)
    canonical = page_canonical_url(extracted.canonical_url)
    return PageResult(
        article_id=page.article_id,
        status=ExtractionStatus.EXTRACTED,
        extracted=extracted,
        word_count=words,
        reading_time_s=reading_time_s(words),
        content_hash=content_hash(extracted.text),
        canonical_url=canonical,
        canonical_is_own=canonical is not None and same_site(canonical, doc.url),
    )
    # 4. exact dedup against what the page said: ``decide_page_results``, right before the write


def _failed(page: PendingPage, exc: NewsdeskError) -> PageResult:
    return PageResult(article_id=page.article_id, status=ExtractionStatus.FAILED, reason=exc.reason)


def _with_language(ex: Extracted, language: str | None) -> Extracted:
    from dataclasses import replace

    return replace(ex, language=language)
