"""The pipeline, written down once, in the order things run.

Read this module as the table of contents. Each numbered step is a function in a module of its
own; the stages decide and return values or *intents* (:class:`~newsdesk.model.FeedUpdate`,
:class:`~newsdesk.model.ArticleUpdate`, :class:`~newsdesk.model.PageResult`,
:class:`~newsdesk.model.ArticleEnrichment`), and never touch the database or the network. The
passes in ``tasks/`` read state, run the stages, and apply the intents in one transaction.

Feed — one update pass (``tasks/update.py``), a chunk of feeds at a time (``tasks/ingest.py``):
  1. fetch            ``net/fetcher.py``         on the event loop: conditional GET, SSRF guard, size caps
  2. inflate, parse   ``feed/inflate.py``, ``feed/parse.py`` (+ ``sanitize.py``)  ┐ :func:`process_feed`,
  3. normalize        ``feed/normalize.py`` (+ ``urls.py``, ``keys.py``)           │ pure CPU, in a worker
  4. schedule         ``feed/schedule.py``                                         ┘ process; 2-3 on a CPU
                                                                                     budget (``feed/budget.py``)
  5. dedup, decide    ``feed/dedup.py``          :func:`decide_feed_articles`, right before the write
  → store the feed states and articles in one transaction
Page — the same pass, for articles whose feed text is short:
  6. fetch page       ``net/fetcher.py``         robots.txt first
  7. extract          ``page/extract.py``        in the process pool of ``tasks/extract_pool.py``
  8. metadata         ``page/metadata.py``       :func:`page_result`: language, words, hash, canonical
  9. page dedup       ``page/dedup.py``          :func:`decide_page_results`, right before the write
  → store the page results
Stories — after each update (``tasks/enrich.py``), a batch of new articles in publication order,
``stories/enrich.py``: ``enrich_batch``:
  10. embed           ``stories/embedding.py``   title and lead, through the configured model
  11. fold copies     ``stories/neardup.py``     near-duplicates by containment (summaries, wire copies)
  12. cluster         ``stories/cluster.py``     online story clustering, refined as it goes
  13. tag             ``stories/tags.py``        hashtags; their topic keys: ``stories/topics.py``
  14. categorize      ``stories/categorize.py``  the taxonomy and regions
  → store the enrichment, moves and merges in one transaction
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from datetime import datetime

from newsdesk.config import Settings
from newsdesk.errors import FetchError, NewsdeskError, ParseError
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
from newsdesk.pipeline.feed.budget import Deadline
from newsdesk.pipeline.feed.dedup import decide_articles, page_policy
from newsdesk.pipeline.feed.inflate import decode_body
from newsdesk.pipeline.feed.normalize import make_drafts
from newsdesk.pipeline.feed.schedule import Schedule, schedule_failure, schedule_success
from newsdesk.pipeline.keys import content_hash, count_words
from newsdesk.pipeline.page.dedup import decide_page_results
from newsdesk.pipeline.page.metadata import detect_language, reading_time_s
from newsdesk.pipeline.urls import page_canonical_url, same_site, trusted

__all__ = [
    "decide_feed_articles",
    "decide_page_results",
    "failed_page",
    "page_result",
    "process_feed",
]


def process_feed(
    source: Source,
    fetched: FetchedDocument | FetchError,
    *,
    now: datetime,
    settings: Settings,
    rng: random.Random,
    deadline: Deadline | None = None,
) -> FeedUpdate:
    """2. inflate and parse → 3. normalize → 4. schedule: what one feed check changes.

    Pure CPU, no I/O, picklable inputs and outputs, so it runs in a worker process. Never raises
    for a bad feed: the failure (a fetch error handed over as a value, or a parse error) becomes
    part of the returned intent, with a human reason.

    Inflating, parsing and normalizing share one CPU budget (``deadline``, by default
    :data:`~newsdesk.pipeline.feed.budget.FEED_CPU_BUDGET_S` from now), checked between entries.
    A feed over it fails with that reason; the entries done in time are kept when the source has
    been read before (a first read writes a source's articles only with its success, which
    ``tasks/ingest.py`` relies on), and the next check, which then sends no validators, retries.
    """
    deadline = deadline or Deadline()
    try:
        if isinstance(fetched, FetchError):
            raise fetched
        if fetched.not_modified:
            sched = schedule_success(
                now=now,
                settings=settings,
                feed=None,
                max_age_s=fetched.max_age_s,
                published=(),
                previous_interval_s=source.check_interval_s,
                rng=rng,
            )
            return _checked(source, now, sched, fetched, not_modified=True)
        # 2. inflate (a body fetched with decode=False, in the process that parses it; size cap kept) and parse
        # (fastfeedparser, feedparser as the fallback; every HTML fragment sanitized). Imported here: a pass of
        # 304s, or the event loop's process of a large pass, never parses.
        from newsdesk.pipeline.feed.parse import parse_feed

        fetched = decode_body(fetched, settings.feed_max_bytes)
        content_type = fetched.content_type
        if content_type and fetched.charset:
            content_type = f"{content_type}; charset={fetched.charset}"  # the fallback parser honours it
        feed = parse_feed(fetched.body, fetched.url, content_type, deadline=deadline)
        # 3. normalize entries into drafts (canonical URL, stable id, hashes, plain text); the entries a parse
        # cut short did map are all normalized, which costs a fraction of mapping them (sanitizing dominates)
        drafts = make_drafts(source.id, feed, None if deadline.expired() else deadline)
        if deadline.expired():
            over = _failed(source, now, settings, rng, ParseError(fetched.url, deadline.reason))
            return dataclasses.replace(over, drafts=tuple(drafts) if source.last_success_at is not None else ())
        # 4. schedule the next check (5, dedup, needs the database's keys: ``decide_feed_articles``)
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
        return _failed(source, now, settings, rng, exc)
    return dataclasses.replace(
        _checked(source, now, sched, fetched, not_modified=False),
        title=feed.title,
        site_url=feed.site_url,
        language=feed.language,
        drafts=tuple(drafts),
    )


def _failed(
    source: Source, now: datetime, settings: Settings, rng: random.Random, exc: FetchError | ParseError
) -> FeedUpdate:
    """A failed check: the reason, and the retry backed off (sooner when the server said when)."""
    failure = schedule_failure(
        now=now,
        settings=settings,
        error_count=source.error_count,
        retry_after_s=exc.retry_after if isinstance(exc, FetchError) else None,
        permanent=exc.permanent if isinstance(exc, FetchError) else False,
        rng=rng,
    )
    return FeedUpdate(
        source_id=source.id,
        checked_at=now,
        next_check_at=failure.next_check_at,
        check_interval_s=failure.interval_s,
        ok=False,
        error=exc.reason,
        error_count=failure.error_count,
        pause=failure.pause,
    )


def _checked(source: Source, now: datetime, sched: Schedule, doc: FetchedDocument, *, not_modified: bool) -> FeedUpdate:
    """A successful check: the next one scheduled, the validators to send with it."""
    return FeedUpdate(
        source_id=source.id,
        checked_at=now,
        next_check_at=sched.next_check_at,
        check_interval_s=sched.interval_s,
        ok=True,
        not_modified=not_modified,
        # a 304 may omit the validators: the stored ones stay valid
        etag=(doc.etag or source.etag) if not_modified else doc.etag,
        last_modified=(doc.last_modified or source.last_modified) if not_modified else doc.last_modified,
        new_url=doc.permanent_redirect,
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
    """5. dedup and decide: insert, update or skip; duplicate of what; fetch the page or not."""
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


def page_result(page: PendingPage, extracted: Extracted, page_url: str, trusted_hosts: str = "") -> PageResult:
    """8. metadata of an extracted page: word count, reading time, language, content hash, canonical URL.

    ``page_url`` is where the page was fetched from (after redirects): a canonical URL on that
    site may speak for the article; any other may only make it a duplicate (9, ``decide_page_results``),
    unless the page's host is one of ``trusted_hosts`` (the setting: a mirror you trust, the demo site).
    """
    words = count_words(extracted.text)
    language = extracted.language or detect_language(extracted.text)
    if language != extracted.language:
        extracted = dataclasses.replace(extracted, language=language)
    canonical = page_canonical_url(extracted.canonical_url)
    return PageResult(
        article_id=page.article_id,
        status=ExtractionStatus.EXTRACTED,
        extracted=extracted,
        word_count=words,
        reading_time_s=reading_time_s(words),
        content_hash=content_hash(extracted.text),
        canonical_url=canonical,
        canonical_is_own=canonical is not None and (same_site(canonical, page_url) or trusted(page_url, trusted_hosts)),
    )


def failed_page(page: PendingPage, exc: NewsdeskError) -> PageResult:
    """A page that could not be fetched or extracted: the article keeps its feed summary, with the reason."""
    return PageResult(article_id=page.article_id, status=ExtractionStatus.FAILED, reason=exc.reason)
