"""The facade: every command and query of newsdesk, and the one place that wires it.

Interfaces (CLI, web, demo) call :class:`Newsdesk` and nothing below it. :func:`make_newsdesk`
builds one from :class:`~newsdesk.config.Settings`: it opens the database and builds the other
adapters (the fetcher of each pass, the embedding model, the vector search), and hands them to
the passes in ``tasks/``, the queries in ``queries/`` and the subscription helpers in ``sources/``.
No adapter state lives at module level: two facades in one process share nothing but the
onnxruntime session of a model (see ``ai/local_model.py``).

Commands that do network I/O have two forms: ``update()`` / ``add_source()`` run their own event
loop (the CLI, scripts, tests), ``update_async()`` / ``add_source_async()`` are awaited by callers
that have one (the web app, the scheduler). Queries are plain methods; the web app runs them on
its thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.ai.llm import ChatModel
from newsdesk.ai.vector_search import VectorSearch
from newsdesk.config import VERSION, Settings
from newsdesk.errors import DiscoveryError, FetchError, NewsdeskError, NotFoundError, OPMLError, SourceExistsError
from newsdesk.logs import event
from newsdesk.model import (
    FOLLOW_KINDS,
    Answer,
    Article,
    Bookmark,
    Category,
    Clock,
    Comment,
    CommentTarget,
    CommentThread,
    EnrichReport,
    FetchedDocument,
    Follow,
    FollowedStory,
    ForYouCard,
    Health,
    KeywordFilter,
    ModelState,
    ModerationAction,
    ModerationItem,
    NewSession,
    Passkey,
    PasskeyCeremony,
    PersonalFilter,
    Progress,
    Related,
    RelatedArticle,
    Role,
    Screened,
    SearchHit,
    SearchQuery,
    SearchResults,
    SignedIn,
    SiteSettings,
    Source,
    Stats,
    Story,
    StoryBrief,
    StoryCard,
    StoryChange,
    StoryDetail,
    Summary,
    TaxonomyName,
    TopicPage,
    UpdateReport,
    User,
)
from newsdesk.queries.cache import FreshCache, KeptByVersion, PageStore, StoredPage
from newsdesk.store import Storage, open_storage
from newsdesk.store.leases import new_holder
from newsdesk.store.port import CardFacts, NewSource, SourceName

if TYPE_CHECKING:
    from newsdesk.assist.jobs import BackgroundJobs
    from newsdesk.assist.writer import ModelWriter
    from newsdesk.net.fetcher import Fetcher
    from newsdesk.people.accounts import Accounts
    from newsdesk.people.comments import Comments
    from newsdesk.people.passkeys import Passkeys
    from newsdesk.people.personal import ArticleLike, Personal
    from newsdesk.queries.insight import Insight
    from newsdesk.sources.catalog import CatalogCategory
    from newsdesk.tasks.enrich import Enricher
    from newsdesk.tasks.read_worker import ReadWorker
    from newsdesk.tasks.scheduler import Scheduler

log = logging.getLogger(__name__)
A = TypeVar("A", bound="ArticleLike")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RefusedSource:
    """A feed of an import that was not subscribed, and why (a URL the fetcher could not request)."""

    url: str
    reason: str
    line: int | None = None  # where the OPML document lists it


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Outcome of adding many sources at once (OPML import, catalog)."""

    added: tuple[Source, ...]
    existing: tuple[str, ...]
    failed: tuple[RefusedSource, ...]  # the others were subscribed


IMPORT_CHUNK = 5000  # sources checked and written per transaction (and per step of the progress bar)
FRONT_PAGE_FIRST = 25  # the front page's first request: a page of 24 cards and one more (is there a next page?)
JOB_OVERHEAD_S = 60.0  # a model job's work besides the model's answer (embedding, the database), waited for at most
FILTERS_KEPT = 4096  # signed-in readers whose filters a process keeps (a few KB each at most)

# The data versions read for the request being answered (Newsdesk.versions_read), where one was.
_versions_read: ContextVar[dict[str, int] | None] = ContextVar("newsdesk_versions_read", default=None)


@dataclass(frozen=True, slots=True)
class Adapters:
    """What the facade works with, built once by :func:`make_newsdesk`."""

    storage: Storage
    new_fetcher: Callable[[], Fetcher]  # one per pass: its connection pool lives on the pass's event loop
    embedder: EmbedderSlot  # loaded on first use
    vectors: VectorSearch
    chat_model: ChatModel | None = None  # the llm_* settings' model; None: the AI features are extractive


class Newsdesk:
    """Commands and queries over one newsdesk database."""

    def __init__(self, settings: Settings, adapters: Adapters, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.adapters = adapters
        self.clock = clock
        self._enricher: Enricher | None = None  # built on first use: the story stages are heavy to import
        self.holder = new_holder()  # this facade's name in the leases (store/leases.py)
        self._media_key: bytes | None = None
        # Ranked front pages, kept while no write changed the stories and for at most a minute (queries/cache.py).
        self._front_pages: FreshCache[list[Story]] = FreshCache(self._data_version, clock)
        # The cards' facts of a list of stories in a language: the same for every reader of that list (a
        # signed-in reader's mutes are applied to the cards afterwards), kept while no write changes them.
        self._card_facts: FreshCache[dict[str, CardFacts]] = FreshCache(self._card_versions, clock, max_keys=1024)
        # Rendered pages of anonymous readers, kept while no write changed anything a page shows and for
        # at most a minute (queries/cache.py); the web layer fills and replays it (web/pagecache.py).
        self.pages = PageStore(clock, max_bytes=settings.page_cache_max_bytes)
        self._site: tuple[int, SiteSettings] | None = None  # the site's settings, by the version read with them
        self._read_worker: ReadWorker | None = None  # the front page's ranking process (rank_in_a_process)
        # Signed-in readers' filters, each by the count of their changes read with their session.
        self._filters: KeptByVersion[PersonalFilter] = KeptByVersion(max_keys=FILTERS_KEPT)

    @property
    def storage(self) -> Storage:
        return self.adapters.storage

    def close(self) -> None:
        self.stop_ranking_process()
        if "_jobs" in self.__dict__:
            self._jobs.close()
        self.storage.close()

    def __enter__(self) -> Newsdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sources ------------------------------------------------------------------

    def add_source(
        self,
        url: str,
        *,
        title: str | None = None,
        category: str | None = None,
        fetch_pages: bool | None = None,
        discover: bool = True,
    ) -> Source:
        """:meth:`add_source_async` on an event loop of its own (not from a running loop)."""
        return asyncio.run(
            self.add_source_async(url, title=title, category=category, fetch_pages=fetch_pages, discover=discover)
        )

    async def add_source_async(
        self,
        url: str,
        *,
        title: str | None = None,
        category: str | None = None,
        fetch_pages: bool | None = None,
        discover: bool = True,
    ) -> Source:
        """Subscribe to a feed, given its URL or a site/page URL that links to one.

        With ``discover`` the URL is fetched first: a site URL resolves to its feed, and a URL
        that leads to no feed is refused with the reason.
        """
        from newsdesk.sources.feed_url import refused_feed_url

        url = url.strip()
        if reason := refused_feed_url(url):
            raise DiscoveryError(url, reason)
        feed_url, feed_title, site_url = url, title, None
        if discover:
            feed_url, feed_title, site_url = await self._discover(url)
            feed_title = title or feed_title
            if reason := refused_feed_url(feed_url):  # a page's <link>, or a redirect's Location
                raise DiscoveryError(url, f"the feed found at {url} cannot be subscribed: {reason}")
        if self.storage.find_source(feed_url) is not None:
            raise SourceExistsError(f"already subscribed: {feed_url}")
        source = self.storage.add_source(
            feed_url,
            title=feed_title,
            site_url=site_url,
            category=category,
            fetch_pages=fetch_pages,
            now=self.clock(),
        )
        log.info(event("source.added", id=source.id, url=source.url))
        return source

    async def _discover(self, url: str) -> tuple[str, str | None, str | None]:
        from newsdesk.sources.discover import discover_feed

        async with self.adapters.new_fetcher() as fetcher:
            try:
                feed_url, feed = await discover_feed(url, fetcher.fetch_feed)
            except FetchError as exc:
                raise DiscoveryError(url, f"cannot fetch {url}: {exc.reason}") from exc
        return feed_url, feed.title, feed.site_url

    def add_many(
        self,
        entries: Iterable[tuple[str, str | None, str | None]],
        *,
        parent_category: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Subscribe to many (url, title, category) feeds without fetching them (OPML, catalog).

        A URL the fetcher could not request (its syntax, length or port) is refused with the
        reason and the rest are subscribed; the first update checks what only fetching can.
        """
        feeds = [(NewSource(url, title, category), None) for url, title, category in entries]
        return self._add_many(feeds, parent_category=parent_category, progress=progress)

    def _add_many(
        self,
        feeds: Sequence[tuple[NewSource, int | None]],
        *,
        parent_category: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """:meth:`add_many` of (feed, line in the document or None), a chunk per transaction."""
        from newsdesk.sources.feed_url import refused_feed_url

        added: list[Source] = []
        existing: list[str] = []
        refused: list[RefusedSource] = []
        categories: set[str] = set()
        for start in range(0, len(feeds), IMPORT_CHUNK):
            chunk: list[NewSource] = []
            for feed, line in feeds[start : start + IMPORT_CHUNK]:
                if reason := refused_feed_url(feed.url):
                    refused.append(RefusedSource(feed.url, reason, line))
                    continue
                chunk.append(feed)
                if parent_category and feed.category and feed.category not in categories:
                    categories.add(feed.category)
                    self.storage.ensure_category(feed.category, parent_category)
            if chunk:
                result = self.storage.add_sources(chunk, self.clock())
                added += result.added
                existing += result.existing
            if progress is not None:
                progress("sources", min(start + IMPORT_CHUNK, len(feeds)), len(feeds))
        log.info(event("sources.added", added=len(added), existing=len(existing), refused=len(refused)))
        return ImportReport(tuple(added), tuple(existing), tuple(refused))

    def add_catalog(self, name: str) -> ImportReport:
        """Subscribe to every feed of one bundled catalog category (e.g. ``world``)."""
        from newsdesk.sources import catalog  # its package data is read on first use: most commands never need it

        cat = catalog.find(name)
        return self.add_many([(u, None, cat.name) for u in catalog.feeds(cat)])

    def import_opml(self, data: bytes, *, progress: Progress | None = None) -> ImportReport:
        """Subscribe to the feeds of an OPML document (folders become categories), as :meth:`add_many`."""
        from newsdesk.sources.opml import parse_opml

        feeds = parse_opml(data)
        if not feeds:
            raise OPMLError("the OPML document lists no feeds")
        return self._add_many(
            [(NewSource(f.url, f.title, f.category, f.site_url), f.line) for f in feeds], progress=progress
        )

    def export_opml(self) -> bytes:
        from newsdesk.sources.opml import OpmlFeed, export_opml

        feeds = [OpmlFeed(url=s.url, title=s.title, site_url=s.site_url, category=s.category) for s in self.sources()]
        return export_opml(feeds, title="newsdesk subscriptions")

    def remove_source(self, source_id: int) -> None:
        self.storage.remove_source(source_id)
        log.info(event("source.removed", id=source_id))

    def pause_source(self, source_id: int, reason: str = "paused by the user") -> Source:
        return self.storage.set_paused(source_id, True, reason, self.clock())

    def resume_source(self, source_id: int) -> Source:
        return self.storage.set_paused(source_id, False, None, self.clock())

    def sources(self) -> list[Source]:
        return self.storage.list_sources()

    def source_names(self, limit: int) -> list[SourceName]:
        """At most ``limit`` sources' ids and names, by name (a form's choices: cheap with thousands of sources)."""
        return self.storage.source_names(limit)

    def source(self, source_id: int) -> Source:
        return self.storage.get_source(source_id)

    def categories(self) -> list[Category]:
        return self.storage.list_categories()

    # -- updating -------------------------------------------------------------------

    def update(
        self,
        *,
        all_sources: bool = False,
        source_id: int | None = None,
        feeds_only: bool = False,
        progress: Progress | None = None,
    ) -> UpdateReport:
        """:meth:`update_async` on an event loop of its own (not from a running loop)."""
        return asyncio.run(
            self.update_async(all_sources=all_sources, source_id=source_id, feeds_only=feeds_only, progress=progress)
        )

    async def update_async(
        self,
        *,
        all_sources: bool = False,
        source_id: int | None = None,
        feeds_only: bool = False,
        progress: Progress | None = None,
    ) -> UpdateReport:
        """One full pass (feeds, then pages and extraction, then story intelligence) and its totals.

        Default: the sources that are due. ``all_sources``: every source not paused.
        ``source_id``: that one source, even if paused or not due.
        """
        from newsdesk.tasks.update import run_update

        if source_id is not None:
            targets = [self.storage.get_source(source_id)]
        elif all_sources:
            targets = [s for s in self.storage.list_sources() if not s.paused]
        else:
            targets = self.storage.due_sources(self.clock())
        report = await run_update(
            self.storage,
            self.settings,
            targets,
            new_fetcher=self.adapters.new_fetcher,
            feeds_only=feeds_only,
            clock=self.clock,
            progress=progress,
            page_source_id=source_id,
            holder=self.holder,
        )
        if self.settings.enrich and not feeds_only:
            # CPU-bound (the embedding model): on a thread, so a server's event loop keeps answering.
            # Cancelling the await leaves the thread running: a stopped pass (SIGTERM, Ctrl-C) tells it
            # to end after the batch it is writing, or the process would wait for the whole backlog.
            stop = threading.Event()
            try:
                enriched = await asyncio.to_thread(self.enrich, progress=progress, stop=stop)
            finally:
                stop.set()
            report = dataclasses.replace(report, articles_enriched=enriched.articles, stories_new=enriched.stories_new)
        return report

    def enrich(self, *, progress: Progress | None = None, stop: threading.Event | None = None) -> EnrichReport:
        """Embed, fold, cluster, tag and categorize every article still waiting, in time order (until ``stop``)."""
        if self._enricher is None:
            from newsdesk.tasks.enrich import Enricher

            a = self.adapters
            self._enricher = Enricher(a.storage, self.settings, self.clock, a.embedder, a.vectors, holder=self.holder)
        return self._enricher.run(progress, stop)

    def scheduler(self) -> Scheduler:
        """The in-process scheduler of ``newsdesk serve``: a pass over the due sources every tick.

        The caller starts it (``start()``, inside its event loop) and stops it (``await stop()``).
        """
        from newsdesk.tasks.scheduler import Scheduler

        return Scheduler(self.update_async, self.settings.scheduler_tick_s)

    # -- articles ---------------------------------------------------------------------

    def articles(
        self, *, source_id: int | None = None, limit: int = 50, offset: int = 0, include_duplicates: bool = False
    ) -> list[Article]:
        if source_id is not None:
            self.storage.get_source(source_id)  # raises NotFoundError for a wrong id
        from newsdesk.queries.tagged import with_tags

        listed = self.storage.list_articles(
            source_id=source_id, limit=limit, offset=offset, include_duplicates=include_duplicates
        )
        return with_tags(self.storage, listed)

    def article(self, article_id: str) -> Article:
        from newsdesk.queries.tagged import with_tags

        return with_tags(self.storage, [self.storage.get_article(article_id)])[0]

    def related(self, article_id: str, *, limit: int = 6) -> Related:
        """Closest recent articles from other stories (none below the similarity floor) and more of its story."""
        from newsdesk.queries.related import related_articles

        article = self.storage.get_article(article_id)
        return related_articles(self.storage, self.adapters.vectors, self.settings, article, self.clock(), limit)

    def search(
        self,
        text: str,
        *,
        source_id: int | None = None,
        language: str | None = None,
        category: str | None = None,
        tag: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResults:
        """Full-text search over titles and text, best first, with marked snippets (``queries/search.py``).

        ``text`` takes words, ``"quoted phrases"``, ``-excluded`` words and ``OR``; ``tag`` a hashtag as
        a reader types it; ``until`` is exclusive. Articles written since the last full update pass are
        found once it has indexed them.
        """
        from newsdesk.queries.search import search

        query = SearchQuery(text, source_id, language, category, tag, since, until, limit, offset)
        return search(self.storage, query)

    # -- stories ---------------------------------------------------------------------

    def front_page(
        self, *, category: str | None = None, region: str | None = None, limit: int = 30, offset: int = 0
    ) -> list[Story]:
        """Top stories now, by velocity, publisher diversity and recency, balanced across categories.

        ``category`` and ``region`` are names as a reader types them (``science``, ``climate-environment``);
        an unknown one is a NotFoundError that lists the valid names. The ranking is kept while no write
        changed the stories and for at most a minute (``queries/cache.py``).
        """
        name = None if category is None else taxonomy_name("category", category).name
        place = None if region is None else taxonomy_name("region", region).name
        ranked = self._front_pages.get((name, place, offset + limit), lambda: self._rank(offset + limit, name, place))
        return list(ranked[offset:])

    def _rank(self, limit: int, category: str | None, region: str | None) -> list[Story]:
        """The ranking, in the ranking process when the server started one (``tasks/read_worker.py``), else
        here; a ranking process that fails is logged and the ranking made here."""
        from newsdesk.queries.frontpage import front_page

        now, window_h = self.clock(), self.settings.front_page_window_h
        worker = self._read_worker
        if worker is not None:
            try:
                return worker.run(front_page, now, window_h=window_h, limit=limit, category=category, region=region)
            except Exception as exc:  # noqa: BLE001 -- the front page must not depend on the worker
                log.warning(event("ranking.inline", reason=str(exc)[:200] or exc.__class__.__name__))
        return front_page(self.storage, now, window_h=window_h, limit=limit, category=category, region=region)

    def rank_in_a_process(self) -> None:
        """Rank the front page in a worker process from now on (the web server does: see the worker's
        docstring). Not for a database only this process can open (in memory)."""
        from newsdesk.tasks.read_worker import ReadWorker

        if self._read_worker is None and ":memory:" not in self.settings.database_url:
            self._read_worker = ReadWorker(self.settings.database_url)
            self._read_worker.start()

    def stop_ranking_process(self) -> None:
        worker, self._read_worker = self._read_worker, None
        if worker is not None:
            worker.close()

    def category(self, name: str, *, limit: int = 30, offset: int = 0) -> list[Story]:
        """The front page of one category (see ``docs/taxonomy.md``)."""
        return self.front_page(category=name, limit=limit, offset=offset)

    def summary(self, article: Article) -> Summary:
        """The article's summary (about three of its sentences) and key points, each linked to its place."""
        return self._insight.summary(article)

    def ask(self, article_id: str, question: str) -> Answer:
        """The article's sentences that answer the question; none when nothing answers it well enough."""
        return self._insight.ask(question, [self.article(article_id)])

    def story_summary(self, story_id: str, languages: Sequence[str] = ()) -> Summary:
        """A story's summary and key points from its articles (``queries/insight.py: story_sample``)."""
        return self._insight.story_summary(self._story_sample(story_id, languages), languages)

    def story_brief(self, story_id: str, languages: Sequence[str] = ()) -> tuple[StoryBrief, Summary]:
        """What a story's sources agree on, what only some report, where their numbers differ, its timeline; and
        its summary, from the same articles (read once)."""
        articles = self._story_sample(story_id, languages)
        brief = self._insight.brief(articles[0].story_id or story_id if articles else story_id, articles, languages)
        return brief, self._insight.story_summary(articles, languages)

    def ask_story(self, story_id: str, question: str, languages: Sequence[str] = ()) -> Answer:
        """The sentences of a story's articles that answer the question; none when nothing answers it well enough."""
        return self._insight.ask(question, self._story_sample(story_id, languages))

    def _story_sample(self, story_id: str, languages: Sequence[str]) -> list[Article]:
        """The story's articles the AI features read, with their texts (NotFoundError for no such story)."""
        from newsdesk.queries.insight import story_sample

        chosen = story_sample(self.story(story_id), languages)
        found = self.storage.get_articles(a.id for a in chosen)
        return [found[a.id] for a in chosen if a.id in found]

    # -- the AI features with a language model (assist/) --------------------------------------

    @property
    def model_name(self) -> str | None:
        """The configured language model's name; None when the AI features are extractive only."""
        model = self.adapters.chat_model
        return model.name if model is not None else None

    def model_feature(
        self,
        kind: str,
        target_id: str,
        feature: str,
        *,
        language: str | None = None,
        question: str | None = None,
        languages: Sequence[str] = (),
        wait: bool = False,
    ) -> ModelState:
        """Where the model's ``feature`` of an article (``kind`` "article") or a story stands: ``ready`` with the
        output, ``writing`` (a background job started or running; ``wait`` blocks until it ends), or why the
        extractive feature answers instead (``off``, ``spent``, ``failed``). ``language``: the output's (the
        article's own unless translating); NotFoundError for no such article or story."""
        from newsdesk.assist.writer import ModelUnavailable

        writer = self._model_writer
        if writer is None:
            return ModelState("off")
        if kind == "article":
            articles = [self.article(target_id)]
        else:
            articles = self._story_sample(target_id, languages)
            if articles and articles[0].story_id:
                target_id = articles[0].story_id  # a merged story's old id: the story it joined
        own = next((a.language for a in articles if a.language), None) or "en"
        task = writer.task(f"{kind}:{target_id}", feature, articles, language or own, question)
        found = writer.cached(task)
        if found is not None:
            return ModelState("ready", writer.model.name, found)
        if self.settings.llm_daily_tokens == 0 or writer.budget_left() <= 0:
            writer.fell_back("spent")
            return ModelState("spent", writer.model.name, reason="the day's token budget is spent")
        job = self._jobs.start(task.key, lambda: writer.write(task))
        if wait and job.running:
            with contextlib.suppress(TimeoutError):  # still writing: said so below
                self._jobs.wait(task.key, timeout=self.settings.llm_timeout_s + JOB_OVERHEAD_S)
            return self.model_feature(
                kind, target_id, feature, language=language, question=question, languages=languages
            )
        if job.error is not None:
            error = job.error
            kind_of = error.kind if isinstance(error, ModelUnavailable) else "failed"
            writer.fell_back(kind_of)
            reason = error.reason if isinstance(error, NewsdeskError) else str(error)
            return ModelState("spent" if kind_of == "spent" else "failed", writer.model.name, reason=reason)
        return ModelState("writing", writer.model.name)

    def ai_usage(self, days: int = 30) -> list[dict[str, int | str]]:
        """The language model's use per day, newest first: calls, tokens, cache hits, fallbacks, sentences."""
        return self.storage.ai_usage(days)

    @functools.cached_property
    def _model_writer(self) -> ModelWriter | None:
        from newsdesk.assist.writer import ModelWriter

        model = self.adapters.chat_model
        if model is None:
            return None
        return ModelWriter(
            model,
            self.storage,
            self.adapters.embedder,
            daily_tokens=self.settings.llm_daily_tokens,
            max_tokens=self.settings.llm_max_tokens,
            concurrency=self.settings.llm_concurrency,
            clock=self.clock,
        )

    @functools.cached_property
    def _jobs(self) -> BackgroundJobs:
        from newsdesk.assist.jobs import BackgroundJobs

        return BackgroundJobs(self.settings.llm_concurrency)

    @functools.cached_property
    def _insight(self) -> Insight:
        from newsdesk.queries.insight import Insight

        return Insight(self.adapters.embedder)

    def story_cards(self, stories: Sequence[Story], language: str | None = None) -> list[StoryCard]:
        """Each story with the headline and lead of its best article (in ``language`` where the story has
        it), its image and its publishers (for front-page cards)."""
        from newsdesk.queries.cards import cards_from

        key = (tuple(s.id for s in stories), language)
        facts = self._card_facts.get(key, lambda: self.storage.card_facts(stories, language))
        return cards_from(stories, facts)

    def _card_versions(self) -> tuple[int, ...]:
        """The versions card facts are read from: stories, their articles and the sources' names."""
        known = _versions_read.get()
        versions = known if known is not None else dict(self.storage.data_versions())
        return tuple(versions.get(name, 0) for name in ("articles", "sources", "stories"))

    def _data_version(self, name: str = "stories") -> int:
        """One data version: as read for this request (:meth:`versions_read`) when it was, else read now."""
        known = _versions_read.get()
        return known.get(name, 0) if known is not None else self.storage.data_version(name)

    @contextlib.contextmanager
    def versions_read(self, versions: Sequence[tuple[str, int]]) -> Iterator[None]:
        """Within the block (and the threads it hands work to), the data versions are these, read once by the
        caller after its request arrived: the caches check them instead of reading each its own. A web
        request that changes nothing needs nothing newer; one that writes must not use this."""
        token = _versions_read.set(dict(versions))
        try:
            yield
        finally:
            _versions_read.reset(token)

    def stories(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        category: str | None = None,
        region: str | None = None,
        tag: str | None = None,
    ) -> list[Story]:
        """Stories, most recently active first; ``tag`` as a reader types it (``#LeeJaeMyung``) or as its key;
        ``category`` and ``region`` as :meth:`front_page` takes them."""
        from newsdesk.queries.topics import resolve_topic

        key = resolve_topic(self.storage, tag) if tag is not None else None
        return self.storage.list_stories(
            limit=limit,
            offset=offset,
            category=None if category is None else taxonomy_name("category", category).name,
            region=None if region is None else taxonomy_name("region", region).name,
            tag=key,
        )

    def story(self, story_id: str) -> StoryDetail:
        """A story with its full coverage and timeline (a merged story's id leads to the story it joined)."""
        return self.storage.get_story(story_id)

    def topic(self, tag: str, *, limit: int = 50) -> TopicPage:
        """Latest articles and stories for a hashtag: ``#FrèresMusulmans``, ``frères musulmans`` and
        ``freremusulman`` are the same topic."""
        from newsdesk.queries.topics import topic_page

        return topic_page(self.storage, tag, limit=limit)

    # -- the image proxy --------------------------------------------------------------------

    def media_key(self) -> bytes:
        """The key that signs the image proxy's addresses: ``secret_key``, or one made once and kept
        in ``DATA_DIR/secret_key`` (owner-only), so signed addresses survive a restart."""
        if self.settings.secret_key:
            return self.settings.secret_key.encode()
        if self._media_key is None:
            self._media_key = _stored_key(Path(self.settings.resolved_data_dir) / "secret_key")
        return self._media_key

    async def fetch_image(self, url: str) -> FetchedDocument:
        """A publisher's image for the image proxy, through the fetcher and its SSRF guard, bounded by
        ``media_max_bytes`` and ``media_timeout_s`` (which also cap its connect and read timeouts).

        Raises :class:`~newsdesk.errors.FetchError` (a refused address, a timeout, a body past the cap).
        The caller judges the bytes: the fetcher does not know what an image is.
        """
        s = self.settings
        limit = s.media_timeout_s
        bounded = s.replace(
            total_timeout_s=min(s.total_timeout_s, limit),
            read_timeout_s=min(s.read_timeout_s, limit),
            connect_timeout_s=min(s.connect_timeout_s, limit),
        )
        async with fetcher_factory(bounded)() as fetcher:
            return await fetcher.fetch_image(url)

    # -- the service ----------------------------------------------------------------------

    # -- people: accounts and sessions (people/accounts.py) --------------------------------

    @functools.cached_property
    def _accounts(self) -> Accounts:
        from newsdesk.people.accounts import Accounts  # argon2 loads only where accounts are used

        return Accounts(self.storage, self.clock, self.settings)

    def create_user(self, name: str, password: str | None, role: Role = Role.READER) -> User:
        """A new account; AccountError for a bad or reserved name or a short password, NameTakenError."""
        return self._accounts.create(name, password, role)

    def users(self, *, limit: int = 1000, offset: int = 0) -> list[User]:
        return self.storage.users(limit, offset)

    def user(self, name: str) -> User:
        """The account named ``name`` (ignoring case); NotFoundError."""
        return self._accounts.find(name)

    def set_user_disabled(self, name: str, disabled: bool = True) -> User:
        """Disable an account (its sessions end at once) or enable it again."""
        return self._accounts.set_disabled(name, disabled)

    def set_user_role(self, name: str, role: Role) -> User:
        return self._accounts.set_role(name, role)

    def administer_user(
        self, actor: User, user_id: int, *, role: Role | None = None, disabled: bool | None = None
    ) -> User:
        """An administrator changes another account (the admin pages); ForbiddenError for anyone else."""
        return self._accounts.administer(actor, user_id, role=role, disabled=disabled)

    def site(self, version: int | None = None) -> SiteSettings:
        """The site's settings (name, registration, default language), read again only when an administrator
        changed them: ``version`` is the ``site`` data version when the caller has it (the page cache)."""
        from newsdesk.people.site import site_settings

        version = self._data_version("site") if version is None else version
        kept = self._site
        if kept is not None and kept[0] == version:
            return kept[1]
        value = site_settings(self.storage, self.settings)
        self._site = (version, value)
        return value

    def change_site(self, actor: User, languages: Collection[str], **values: str) -> None:
        """An administrator changes the site's settings (``name``, ``registration``, ``default_language``, one of
        ``languages``); ForbiddenError for anyone else, AccountError for a value that cannot be."""
        from newsdesk.people.site import change_site_settings

        change_site_settings(self.storage, self.clock, actor, languages, **values)
        self._site = None

    def export_account(self, user: User) -> dict[str, Any]:
        """Everything newsdesk keeps about the reader, JSON-ready (their right to a copy)."""
        return self._accounts.export(user)

    def delete_account(self, user: User, password: str | None, *, keep_comments: bool = True) -> None:
        """Delete the reader's own account (their password again, if it has one); their comments stay as
        "deleted account" (``keep_comments``) or are emptied."""
        self._accounts.delete(user, password, keep_comments=keep_comments)

    def sign_in(self, name: str, password: str, address: str) -> NewSession:
        """A new session; SignInError (one message for every cause), SignInLimitedError past the limit."""
        return self._accounts.sign_in(name, password, address)

    def signed_in(self, token: str) -> SignedIn | None:
        """Who a session token signs in (None: nobody: unknown, expired, or the account disabled)."""
        return self._accounts.session(token)

    def sign_out(self, token: str) -> None:
        self._accounts.sign_out(token)

    def sign_in_link(self, name: str) -> str:
        """A one-time sign-in address for the account, valid a day: the operator hands it over."""
        return f"{self.settings.public_url}/sign-in/link/{self._accounts.sign_in_link(name)}"

    def use_sign_in_link(self, token: str) -> NewSession:
        """Spend a one-time sign-in link: a session for its account."""
        return self._accounts.use_sign_in_link(token)

    # -- people: passkeys (people/passkeys.py) ---------------------------------------------

    @functools.cached_property
    def _passkeys(self) -> Passkeys:
        from newsdesk.people.passkeys import Passkeys  # py_webauthn loads only where passkeys are used

        return Passkeys(self.storage, self.clock, self.settings, self._accounts)

    @property
    def passkeys_available(self) -> bool:
        """Whether the site can offer passkeys: WebAuthn needs a domain name (``site_url``), not an IP address."""
        return self._passkeys.rp_id is not None

    def passkeys(self, user_id: int) -> list[Passkey]:
        """A reader's passkeys, oldest first."""
        return self._passkeys.of(user_id)

    def passkey_registration_options(self, user: User) -> PasskeyCeremony:
        """Begin adding a passkey to a signed-in reader's account; PasskeyError."""
        return self._passkeys.registration_options(user)

    def add_passkey(self, user: User, token: str, credential: dict[str, Any], name: str = "") -> Passkey:
        """Finish adding a passkey (the browser's answer to the ceremony of ``token``); PasskeyError."""
        return self._passkeys.register(user, token, credential, name)

    def remove_passkey(self, user_id: int, passkey_id: int) -> bool:
        """Remove one of the reader's own passkeys; whether there was one."""
        return self._passkeys.remove(user_id, passkey_id)

    def passkey_sign_in_options(self, name: str | None = None, address: str = "") -> PasskeyCeremony:
        """Begin signing in with a passkey (any of this site's, or the named account's) from ``address``;
        PasskeyError (``limited``: too many begun from that address lately)."""
        return self._passkeys.sign_in_options(name, address)

    def sign_in_with_passkey(self, token: str, credential: dict[str, Any]) -> NewSession:
        """Finish signing in with a passkey: a new session; PasskeyError (one ``refused`` for every cause)."""
        return self._passkeys.sign_in(token, credential)

    # -- people: comments and their moderation (people/comments.py) ------------------------

    @functools.cached_property
    def _comments(self) -> Comments:
        from newsdesk.people.comments import Comments  # markdown-it loads only where comments are used

        return Comments(self.storage, self.clock, self.settings)

    def comments(self, target: CommentTarget, target_id: str, viewer: User | None = None) -> list[CommentThread]:
        """The comment threads under an article or story, as ``viewer`` may see them (None: anonymous)."""
        return self._comments.thread(target, target_id, viewer)

    def comment(self, comment_id: int) -> Comment:
        """One comment, whatever its state (NotFoundError); pages show only what :meth:`comments` gives."""
        return self._comments.comment(comment_id)

    def post_comment(
        self, author: User, target: CommentTarget, target_id: str, text: str, reply_to: int | None = None
    ) -> Comment:
        """A new comment or reply; CommentError (empty, too long, banned…), CommentLimitedError, NotFoundError."""
        return self._comments.post(author, target, target_id, text, reply_to)

    def edit_comment(self, author: User, comment_id: int, text: str) -> Comment:
        """Its author's new text within the edit window; ForbiddenError for anyone else."""
        return self._comments.edit(author, comment_id, text)

    def delete_comment(self, author: User, comment_id: int) -> None:
        """Its author deletes it; ForbiddenError for anyone else."""
        self._comments.delete(author, comment_id)

    def report_comment(self, reporter: User, comment_id: int, reason: str) -> None:
        """A reader reports a comment to the moderators (once per reader and comment)."""
        self._comments.report(reporter, comment_id, reason)

    def moderation_queue(self, moderator: User) -> list[ModerationItem]:
        """Held and reported comments; ForbiddenError unless ``moderator`` moderates."""
        return self._comments.queue(moderator)

    def moderation_log(self, moderator: User, limit: int = 100) -> list[ModerationAction]:
        return self._comments.log(moderator, limit)

    def moderate_comment(self, moderator: User, comment_id: int, action: str, reason: str) -> Comment:
        """hide | restore | approve a comment, with a reason written to the moderation log."""
        return self._comments.moderate(moderator, comment_id, action, reason)

    def set_user_banned(self, moderator: User, user_id: int, banned: bool, reason: str) -> None:
        """Ban an account from commenting, or lift the ban, with a reason written to the moderation log."""
        self._comments.set_banned(moderator, user_id, banned, reason)

    # -- people: personal reading (people/personal.py) -------------------------------------------

    @functools.cached_property
    def _personal(self) -> Personal:
        from newsdesk.people.personal import Personal

        return Personal(self.storage, self.clock)

    def follow_key(self, kind: str, key: str) -> tuple[str, str]:
        """(the canonical key, its label) of what a page names: a tag as the topic pages take it, a category
        or region by its taxonomy name, a source or story by its id; NotFoundError for an unknown one."""
        from newsdesk.queries.topics import resolve_topic

        if kind == "tag":
            canonical = resolve_topic(self.storage, key)
            label = self.storage.tag_label(canonical)
            if label is None:
                raise NotFoundError(f"no news carries the hashtag #{key.strip().removeprefix('#')}")
            return canonical, label
        if kind in ("category", "region"):
            name = taxonomy_name("category" if kind == "category" else "region", key).name
            return name, name
        if kind == "source":
            if not key.isdigit():
                raise NotFoundError(f"no source with id {key}")
            return key, self.storage.get_source(int(key)).title or key
        if kind == "story":
            story = self.storage.get_story(key).story
            return story.id, story.headline or story.id
        raise NotFoundError(f"nothing to follow of kind {kind!r}")

    def follow(self, user_id: int, kind: str, key: str, mode: str = "follow") -> None:
        """Follow (or mute: ``mode="mute"``) a source, hashtag, category, region or story, named as pages
        name it; NotFoundError when it does not exist."""
        canonical, _ = self.follow_key(kind, key)
        self._personal.set_follow(user_id, kind, canonical, mode)

    def unfollow(self, user_id: int, kind: str, key: str) -> None:
        """Stop following or muting (keys as :meth:`follow` takes them; a stored key works too, so a thing
        gone from the database can still be removed)."""
        try:
            canonical, _ = self.follow_key(kind, key)
        except NotFoundError:
            canonical = key
        self._personal.remove_follow(user_id, kind, canonical)
        if key != canonical:  # a story merged since: its old id is what was kept
            self._personal.remove_follow(user_id, kind, key)

    def follows(self, user_id: int) -> list[Follow]:
        """What the reader follows and mutes, with labels to show (a source's name, a tag's label…)."""
        shown = []
        for f in self.storage.follows(user_id):
            if f.kind not in FOLLOW_KINDS:
                continue
            try:
                label = self.follow_key(f.kind, f.key)[1]
            except NotFoundError:
                label = f.key
            shown.append(dataclasses.replace(f, label=label))
        return shown

    def follow_state(self, user_id: int, kind: str, key: str) -> str | None:
        """``follow``, ``mute`` or None: what the reader chose for this (canonical) key."""
        for f in self.storage.follows(user_id):
            if f.kind == kind and f.key == key:
                return f.mode
        return None

    def personal_filter(self, user_id: int, version: int | None = None) -> PersonalFilter:
        """The reader's mutes, keyword filters and languages, to apply with :meth:`screen`. With ``version`` (the
        ``personal_version`` read with their session) a filter this process keeps under that version is used:
        every change to what they follow or filter counts one more, in whichever process it is made."""
        if version is None:
            return self._personal.filter(user_id)
        return self._filters.get(user_id, version, lambda: self._personal.filter(user_id))

    def screen(self, filt: PersonalFilter, cards: Sequence[StoryCard]) -> Screened:
        """The cards the reader keeps under their mutes (``people/personal.py``), and which show blurred."""
        from newsdesk.people.personal import screen

        if filt.empty:
            return Screened(tuple(cards), frozenset(), 0)
        return screen(filt, cards, self.storage.story_sources([c.story.id for c in cards]))

    def screen_stories(self, viewer: SignedIn, stories: Sequence[Story]) -> tuple[list[Story], int]:
        """The stories a reader keeps under their mutes (the JSON API's listings), and how many were left out."""
        filt = self.personal_filter(viewer.user.id, viewer.personal_version)
        if filt.empty:
            return list(stories), 0
        screened = self.screen(filt, self.story_cards(stories))
        return [c.story for c in screened.cards], screened.hidden

    def screen_hits(self, viewer: SignedIn, hits: Sequence[SearchHit]) -> tuple[list[SearchHit], frozenset[str]]:
        """The search hits a reader keeps under their mutes, and the ids of those their keyword filters blur."""
        filt = self.personal_filter(viewer.user.id, viewer.personal_version)
        return self.screen_articles(filt, hits, lambda h: h.article_id)

    def screen_articles(
        self, filt: PersonalFilter, items: Sequence[A], id_of: Callable[[A], str]
    ) -> tuple[list[A], frozenset[str]]:
        """Articles (or hits) the reader keeps under their mutes, and the ids of those blurred (people/personal.py)."""
        from newsdesk.people.personal import screen_articles

        return screen_articles(filt, items, id_of)

    def screen_related(self, filt: PersonalFilter, items: Sequence[RelatedArticle]) -> tuple[RelatedArticle, ...]:
        """Related reading without what the reader muted or filters out (``people/personal.py``)."""
        from newsdesk.people.personal import screen_related

        return screen_related(filt, items)

    def set_languages(self, user_id: int, codes: Sequence[str]) -> tuple[str, ...]:
        """The languages the reader reads, in order: coverage lists show them first and others not at all."""
        return self._personal.set_languages(user_id, codes)

    def add_keyword_filter(self, user_id: int, phrase: str, language: str | None, action: str) -> KeywordFilter:
        return self._personal.add_keyword_filter(user_id, phrase, language, action)

    def remove_keyword_filter(self, user_id: int, filter_id: int) -> None:
        self._personal.remove_keyword_filter(user_id, filter_id)

    def keyword_filters(self, user_id: int) -> list[KeywordFilter]:
        return self.storage.keyword_filters(user_id)

    def bookmark(self, user_id: int, article_id: str, note: str | None = None) -> Bookmark:
        """Bookmark an article with an optional note (again: the note is replaced); NotFoundError, PersonalError."""
        return self._personal.bookmark(user_id, article_id, note)

    def set_bookmark_note(self, user_id: int, bookmark_id: int, note: str | None) -> None:
        """NotFoundError for a bookmark that is not this reader's."""
        self._personal.set_note(user_id, bookmark_id, note)

    def remove_bookmark(self, user_id: int, bookmark_id: int) -> None:
        """NotFoundError for a bookmark that is not this reader's."""
        self._personal.remove_bookmark(user_id, bookmark_id)

    def bookmarks(self, user_id: int, *, limit: int = 100, offset: int = 0) -> list[Bookmark]:
        return self.storage.bookmarks(user_id, limit=limit, offset=offset)

    def bookmark_of(self, user_id: int, article_id: str) -> Bookmark | None:
        found = self.storage.bookmarks(user_id, article_id=article_id)
        return found[0] if found else None

    def mark_article_read(self, user_id: int, article_id: str) -> None:
        self.storage.record_read(user_id, "article", article_id, self.clock())

    def open_story(self, user_id: int, detail: StoryDetail) -> StoryChange | None:
        """Record that the reader opened the story; what it gained since their last visit (None the first)."""
        return self._personal.open_story(user_id, detail)

    def followed_stories(self, user_id: int) -> list[FollowedStory]:
        """The stories the reader follows, those with unseen articles first."""
        return self._personal.followed_stories(user_id)

    def for_you(self, user_id: int, language: str | None = None, *, limit: int = 30) -> list[ForYouCard]:
        """Stories for this reader from what they follow and read lately, each with its reasons, their mutes
        applied. Candidates: the front page, the latest of each followed hashtag, category and region,
        the followed stories, and what followed sources covered this week."""
        from newsdesk.people.personal import FOR_YOU_WINDOW, for_you

        follows = [f for f in self.storage.follows(user_id) if f.mode == "follow"]
        since = self.clock() - FOR_YOU_WINDOW
        front = self.front_page(limit=100)
        candidates: dict[str, Story] = {s.id: s for s in front}
        extra: list[Story] = []
        for f in follows[:50]:
            if f.kind == "tag":
                extra += self.storage.list_stories(tag=f.key, limit=20, since=since)
            elif f.kind == "category":
                extra += self.storage.list_stories(category=f.key, limit=20, since=since)
            elif f.kind == "region":
                extra += self.storage.list_stories(region=f.key, limit=20, since=since)
        story_ids = [f.key for f in follows if f.kind == "story"]
        if story_ids:
            extra += self.storage.list_stories(ids=story_ids, limit=len(story_ids))
        source_ids = [int(f.key) for f in follows if f.kind == "source" and f.key.isdigit()]
        of_sources = self.storage.stories_of_sources(source_ids, since, 100)
        if of_sources:
            extra += self.storage.list_stories(ids=of_sources, limit=len(of_sources))
        for story in extra:
            candidates.setdefault(story.id, story)
        stories = list(candidates.values())
        sources_of = self.storage.story_sources([s.id for s in stories])
        names = {s.id: s.title or s.url for s in self.storage.list_sources()} if source_ids else {}
        ranked = for_you(
            stories,
            {s.id: i for i, s in enumerate(front)},
            follows,
            self._personal.interests(user_id),
            self.storage.read_marks(user_id, "story", [s.id for s in stories]),
            sources_of,
            names,
        )
        filt = self.personal_filter(user_id)
        reasons = dict((s.id, r) for s, r in ranked)
        cards = self.story_cards([s for s, _ in ranked[: limit * 2]], language)
        screened = self.screen(filt, cards)
        return [ForYouCard(c, reasons[c.story.id], c.story.id in screened.blurred) for c in screened.cards[:limit]]

    def warm_up(self) -> None:
        """Load now what the first readers would otherwise wait for: the vector index files (related reading),
        the comment renderer, and the front page's ranking and cards (the first page every reader opens; a
        second to compute at 100k articles, which the first hundred readers of a new process would otherwise
        all wait for)."""
        from newsdesk.people.comment_markup import render_comment

        self.adapters.vectors.preload()
        render_comment("*warm*")  # markdown-it and the sanitizer load on first use: not inside a reader's request
        try:
            self.story_cards(self.front_page(limit=FRONT_PAGE_FIRST), self.site().default_language)
        except NewsdeskError as exc:  # an empty or unreachable database: the pages say so when asked
            log.info(event("warm_up.front_page_skipped", error=str(exc)))

    def data_versions(self) -> tuple[tuple[str, int], ...]:
        """The version of everything a reader's page shows: one counter per kind of data (stories,
        articles, sources, the search index), each bumped by the transaction that writes it. While it is
        unchanged, a page rendered under it still shows what the database holds (``queries/cache.py``)."""
        return self.storage.data_versions()

    def stats(self) -> Stats:
        return self.storage.stats()

    def health(self) -> Health:
        """The service answers: its version, its database's kind and the counts."""
        return Health(status="ok", version=VERSION, database=self.storage.dialect, stats=self.stats())


# -- commands that need no database ---------------------------------------------------------


def extract_inputs(settings: Settings, inputs: list[str], *, url: str | None = None) -> Iterator[dict[str, Any]]:
    """Extract each HTML file or URL; one result dict per input, in input order, each yielded
    as soon as it is ready (a long list streams).

    A failed input's dict has its reason in ``error`` (None otherwise).
    """
    from newsdesk.tasks.extract_files import extract_many

    async def next_result() -> dict[str, Any] | None:
        return await anext(results, None)

    with asyncio.Runner() as runner:
        results = extract_many(settings, inputs, new_fetcher=fetcher_factory(settings), base_url=url)
        try:
            while (result := runner.run(next_result())) is not None:
                yield result
        finally:
            runner.run(results.aclose())


def grounding_lines(
    settings: Settings, lines: Iterable[str], threshold: float | None = None
) -> Iterator[dict[str, Any]]:
    """``newsdesk grounding``: for each JSON line ``{"id", "source", "sentence"}`` (``language`` optional),
    ``{"id", "supported", "score"}``; a line that cannot be read gives ``{"id", "error"}`` and the others go on."""
    from newsdesk.pipeline.insight.grounding import SUPPORT_THRESHOLD
    from newsdesk.queries.insight import Grounding

    checker = Grounding(EmbedderSlot(settings))
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("a line must be a JSON object")
            source, sentence = item.get("source"), item.get("sentence")
            if not isinstance(source, str) or not isinstance(sentence, str):
                raise ValueError('"source" and "sentence" must be strings')
            language = item.get("language") if isinstance(item.get("language"), str) else None
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            yield {"id": _line_id(line, number), "error": f"line {number}: {exc}"}
            continue
        verdict = checker.check(source, sentence, language, SUPPORT_THRESHOLD if threshold is None else threshold)
        yield {"id": item.get("id", number), "supported": verdict.supported, "score": round(verdict.score, 4)}


def _line_id(line: str, number: int) -> Any:
    """The id of a line that could not be read, when it has one; else its number."""
    try:
        item = json.loads(line)
    except ValueError:
        return number
    return item.get("id", number) if isinstance(item, dict) else number


def cluster_stream(settings: Settings, lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``newsdesk cluster``: (article id, story id) for each JSON line, in order, with live ingestion's clusterer."""
    from newsdesk.tasks.cluster_stream import cluster_lines

    yield from cluster_lines(settings, EmbedderSlot(settings), lines)


def name_slug(name: str) -> str:
    """A category's or region's name as page addresses write it: ``Climate/Environment`` → ``climate-environment``."""
    from newsdesk.queries.taxonomy import slug

    return slug(name)


def taxonomy(kind: Literal["category", "region"]) -> list[TaxonomyName]:
    """Every category (or region) stories are filed under, with the slug of its address (a fixed list)."""
    from newsdesk.queries.taxonomy import entries

    return entries(kind)


def taxonomy_name(kind: Literal["category", "region"], name: str) -> TaxonomyName:
    """The category (or region) ``name`` names as a reader types it (``science``, ``climate-environment``);
    an unknown one is a NotFoundError that lists the valid names."""
    from newsdesk.queries.taxonomy import resolve

    return resolve(kind, name)


def catalog_categories() -> list[CatalogCategory]:
    """The bundled feed catalog's categories (topics, regions, cities)."""
    from newsdesk.sources import catalog

    return catalog.categories()


def catalog_attribution() -> str:
    """The credit line the catalog's licence asks for."""
    from newsdesk.sources import catalog

    return catalog.ATTRIBUTION


def _stored_key(path: Path) -> bytes:
    """The random key kept at ``path``, made on first use (readable by the owner only)."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


# -- wiring ---------------------------------------------------------------------------------


def fetcher_factory(settings: Settings) -> Callable[[], Fetcher]:
    """A new :class:`~newsdesk.net.fetcher.Fetcher` per pass; aiohttp is imported by the first one made,
    so commands that fetch nothing (``stats``, ``sources list``, ``articles list``) never load it."""

    def new_fetcher() -> Fetcher:
        from newsdesk.net.fetcher import Fetcher

        return Fetcher(settings)

    return new_fetcher


def make_newsdesk(settings: Settings, clock: Clock = utcnow, *, storage: Storage | None = None) -> Newsdesk:
    """Open (and migrate) the configured database — or take ``storage``, already open — and wire the facade."""
    storage = storage if storage is not None else open_storage(settings.database_url)
    chat_model = None
    if settings.llm_base_url:
        chat_model = ChatModel(
            settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or None,
            timeout_s=settings.llm_timeout_s,
        )
    adapters = Adapters(
        storage=storage,
        new_fetcher=fetcher_factory(settings),
        embedder=EmbedderSlot(settings),
        vectors=VectorSearch(settings.resolved_data_dir, storage),
        chat_model=chat_model,
    )
    return Newsdesk(settings, adapters, clock)


__all__ = [
    "Adapters",
    "ImportReport",
    "Newsdesk",
    "NotFoundError",
    "PageStore",
    "StoredPage",
    "catalog_attribution",
    "catalog_categories",
    "cluster_stream",
    "extract_inputs",
    "make_newsdesk",
    "name_slug",
    "taxonomy",
    "taxonomy_name",
    "utcnow",
]
