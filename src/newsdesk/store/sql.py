"""SQLAlchemy Core implementation of :class:`~newsdesk.store.port.Storage`.

SQLite runs in WAL mode so readers never block the single writer; PostgreSQL is
reached through psycopg 3. Every public write method is one transaction.
Driver errors surface as :class:`~newsdesk.errors.StorageError` with the
original exception as ``__cause__``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Row,
    Select,
    and_,
    bindparam,
    case,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError, SQLAlchemyError

from newsdesk.errors import NotFoundError, SourceExistsError, StorageError
from newsdesk.logs import event as log_event
from newsdesk.model import (
    Article,
    ArticleUpdate,
    Category,
    CopyOf,
    DraftAction,
    ExtractionStatus,
    FeedUpdate,
    PageResult,
    PendingPage,
    PrimarySwap,
    Source,
    Stats,
)
from newsdesk.store.accounts import AccountStorage
from newsdesk.store.ai import AiStorage
from newsdesk.store.comments import CommentStorage
from newsdesk.store.dialect import array_param, bulk_insert_ignore, in_array, insert_ignore, sqlite_time
from newsdesk.store.leases import LeaseStorage, keys_held_by_others
from newsdesk.store.passkeys import PasskeyStorage
from newsdesk.store.personal import PersonalStorage
from newsdesk.store.port import AddedSources, KnownKeys, NewSource, SourceName
from newsdesk.store.schema import articles, categories, sources
from newsdesk.store.search import INDEX_BATCH as SEARCH_INDEX_BATCH
from newsdesk.store.search import SearchStorage, enqueue, forget_source
from newsdesk.store.site import SiteStorage
from newsdesk.store.stories import (
    ARTICLES_VERSION,
    SEARCH_VERSION,
    SOURCES_VERSION,
    STORIES_VERSION,
    StoryStorage,
    bump_version,
)

log = logging.getLogger(__name__)

HEAD_REVISION = "0018"

P = ParamSpec("P")
T = TypeVar("T")


def _wrap_errors(fn: Callable[P, T]) -> Callable[P, T]:
    """Turn driver errors into StorageError, keeping our own errors as they are."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except (OverflowError, SQLAlchemyError) as exc:
            # The driver's own message only: SQLAlchemy's str() appends the statement and its
            # parameters, which would put article text into logs and into what users see.
            # An OverflowError comes from SQLite's driver itself, for an integer beyond 64 bits.
            driver = exc if isinstance(exc, OverflowError) else getattr(exc, "orig", None)
            detail = str(driver or exc.__class__.__name__).splitlines()[0][:300]
            where = getattr(args[0], "location", "") if args else ""
            at = f" at {where}" if where else ""
            raise StorageError(f"database error{at} in {fn.__name__}: {detail}") from exc

    return wrapper


def _wrap_public_methods(cls: type[T]) -> type[T]:
    """Apply :func:`_wrap_errors` to every public method of ``cls`` and of its storage bases.

    Every query a caller can reach then fails as a :class:`StorageError` naming the database,
    never as a driver exception (which the web layer would answer with a 500).
    """
    for klass in cls.__mro__:
        if not klass.__module__.startswith("newsdesk.store"):
            continue
        for name, member in list(vars(klass).items()):
            if name.startswith("_") or isinstance(member, staticmethod | classmethod) or not callable(member):
                continue
            if klass is not cls and name in vars(cls):  # overridden, or wrapped already
                continue
            setattr(cls, name, _wrap_errors(member))
    return cls


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # 16 KB pages (default 4 KB), set before WAL and before the first table, so a new database
    # gets them (an existing one keeps its size): a first poll writes every page of the content-hash
    # and date indexes again in each chunk's commit, and a quarter as many pages to write, read and
    # split takes a fifth off the write time at 5000 feeds (172k articles).
    cur.execute("PRAGMA page_size=16384")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # 8 MB of page cache (default 2 MB): index pages stay cached through a chunk's inserts,
    # a fifth less time per write on a first poll; more buys nothing and costs memory per worker.
    cur.execute("PRAGMA cache_size=-8000")
    cur.close()


def _copy_of(row: Any) -> CopyOf:
    return CopyOf(
        id=row.id,
        source_id=row.source_id,
        published_at=row.published_at,
        extraction_status=ExtractionStatus(row.extraction_status),
        reason=row.extraction_reason,
        duplicate_of=row.duplicate_of,
    )


def _make_directory(directory: Path) -> None:
    """Create SQLite's directory, or say which directory could not be made and why."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data directory {directory}: {exc.strerror or exc}") from exc


def open_storage(url: str) -> SqlStorage:
    """Connect to the database at ``url`` (creating SQLite's directory) and migrate it."""
    storage = SqlStorage(url)
    storage.migrate()
    return storage


def _read_only_sqlite(path: str) -> bool:
    """Whether an existing SQLite file can only be read (a read-only mount, or no write permission).

    WAL mode writes two files beside the database even to read it, so a database in a directory
    we cannot write must be opened read-only, or not at all.
    """
    file = Path(path)
    return file.is_file() and not (os.access(file, os.W_OK) and os.access(file.parent, os.W_OK))


def _read_only_connect(path: str) -> Callable[[], sqlite3.Connection]:
    """A connection factory for a database we may only read.

    ``immutable=1`` needs neither the ``-shm`` nor the ``-wal`` file, which a read-only directory
    cannot hold; it is used only when no write-ahead log waits beside the database, since an
    immutable reader would not see what the log holds.
    """
    wal = Path(path + "-wal")
    immutable = "&immutable=1" if not wal.exists() or wal.stat().st_size == 0 else ""
    uri = f"file:{quote(os.path.abspath(path))}?mode=ro{immutable}"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA query_only=1")
        return conn

    return connect


PING_AFTER_IDLE_S = 1.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is handed out (one round trip)."""


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before use only when it has been idle a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: on PostgreSQL a round trip before each read, as
    many again as the reads themselves. A connection in steady use is known to be alive; one that sat idle
    (the server may have restarted, or closed it) is pinged, and a dead one is replaced before the caller
    sees it (the pool retries on :class:`DisconnectionError`). A server lost while connections are busy
    fails those requests once, as it would with pre-ping, and the pool then reconnects.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"a pooled connection did not answer: {exc}") from exc
        if not alive:
            raise DisconnectionError("a pooled connection did not answer")


@_wrap_public_methods
class SqlStorage(
    AiStorage,
    StoryStorage,
    LeaseStorage,
    SearchStorage,
    AccountStorage,
    PasskeyStorage,
    CommentStorage,
    PersonalStorage,
    SiteStorage,
):
    """Storage on SQLite or PostgreSQL via SQLAlchemy Core (stories and enrichment: ``store/stories.py``).

    An SQLite file that cannot be written (a read-only mount, a copy without write permission) is
    opened read-only: every query works, every write fails with a :class:`StorageError` that says so.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._versions_lock = threading.Lock()
        self.read_only = False
        self.location = url
        try:
            if url.startswith("sqlite"):
                path = url.split(":///", 1)[1] if ":///" in url else ""
                self.location = path or ":memory:"
                if path and path != ":memory:" and _read_only_sqlite(path):
                    self.read_only = True
                    self.engine: Engine = create_engine("sqlite://", creator=_read_only_connect(path))
                    self.reader = self.engine
                else:
                    if path and path != ":memory:":
                        _make_directory(Path(path).parent)
                    self.engine = create_engine(url, connect_args={"timeout": 30})
                    event.listen(self.engine, "connect", _sqlite_pragmas)
                    self.reader = self.engine  # SQLite reads take no round trips: one engine
            else:
                self.location = make_url(url).render_as_string(hide_password=True)
                self.engine = create_engine(url)
                self.reader = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=5, max_overflow=15)
                for engine in (self.engine, self.reader):
                    _ping_idle_connections(engine)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StorageError(f"cannot open the database at {self.location}: {exc}") from exc

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.close_versions()
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()

    def index_search(self, limit: int = SEARCH_INDEX_BATCH) -> int:
        """:meth:`SearchStorage.index_search`, then one more count of the ``search`` data version once the
        batch has committed (a page cached meanwhile is kept under the old count, so it is computed again)."""
        taken = super().index_search(limit)
        if taken:
            with self.engine.begin() as conn:
                bump_version(conn, SEARCH_VERSION)
        return taken

    # -- schema ---------------------------------------------------------------

    def current_revision(self) -> str | None:
        with self.reader.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` (the newest by default); cheap when already there.

        Alembic is imported only when an upgrade is needed, which keeps
        short CLI commands fast.
        """
        current = self.current_revision()
        if current in (HEAD_REVISION, revision):
            return
        if self.read_only:
            raise StorageError(
                f"the database at {self.location} is read-only and its schema ({current or 'none'}) is not"
                f" this newsdesk's ({HEAD_REVISION}): open it once where it can be written, to upgrade it"
            )
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        log.info(log_event("store.migrated", revision=self.current_revision(), dialect=self.dialect))

    # -- categories -------------------------------------------------------------

    def list_categories(self) -> list[Category]:
        with self.reader.connect() as conn:
            rows = conn.execute(select(categories).order_by(categories.c.name)).all()
        return [Category(id=r.id, name=r.name, parent_id=r.parent_id) for r in rows]

    def ensure_category(self, name: str, parent: str | None = None) -> Category:
        with self.engine.begin() as conn:
            return self._ensure_category(conn, name, parent)

    def _ensure_category(self, conn: Connection, name: str, parent: str | None) -> Category:
        parent_id = self._ensure_category(conn, parent, None).id if parent else None
        row = conn.execute(select(categories).where(categories.c.name == name)).first()
        if row is None:
            conn.execute(insert_ignore(self.dialect, categories).values(name=name, parent_id=parent_id))
            row = conn.execute(select(categories).where(categories.c.name == name)).one()
            bump_version(conn, SOURCES_VERSION)
        return Category(id=row.id, name=row.name, parent_id=row.parent_id)

    # -- sources ------------------------------------------------------------------

    def _source_query(self) -> Any:
        return select(sources, categories.c.name.label("category_name")).select_from(
            sources.outerjoin(categories, sources.c.category_id == categories.c.id)
        )

    @staticmethod
    def _source(row: Row[Any]) -> Source:
        m = row._mapping
        return Source(
            id=m["id"],
            url=m["url"],
            title=m["title"],
            site_url=m["site_url"],
            category=m["category_name"],
            language=m["language"],
            fetch_pages=m["fetch_pages"],
            paused=bool(m["paused"]),
            pause_reason=m["pause_reason"],
            etag=m["etag"],
            last_modified=m["last_modified"],
            next_check_at=m["next_check_at"],
            last_checked_at=m["last_checked_at"],
            last_success_at=m["last_success_at"],
            last_error=m["last_error"],
            last_error_at=m["last_error_at"],
            error_count=m["error_count"],
            check_interval_s=m["check_interval_s"],
            created_at=m["created_at"],
        )

    def add_source(
        self,
        url: str,
        *,
        title: str | None = None,
        site_url: str | None = None,
        category: str | None = None,
        fetch_pages: bool | None = None,
        now: datetime,
    ) -> Source:
        with self.engine.begin() as conn:
            category_id = self._ensure_category(conn, category, None).id if category else None
            try:
                with conn.begin_nested():
                    result = conn.execute(
                        sources.insert().values(
                            url=url,
                            title=title,
                            site_url=site_url,
                            category_id=category_id,
                            fetch_pages=fetch_pages,
                            created_at=now,
                            next_check_at=now,
                            error_count=0,
                            paused=False,
                        )
                    )
            except IntegrityError as exc:
                raise SourceExistsError(f"already subscribed: {url}") from exc
            source_id = result.inserted_primary_key[0]  # type: ignore[index]
            row = conn.execute(self._source_query().where(sources.c.id == source_id)).one()
            bump_version(conn, SOURCES_VERSION)
        return self._source(row)

    def add_sources(self, new: Sequence[NewSource], now: datetime) -> AddedSources:
        """Many sources in one transaction: one lookup of the URLs known, one bulk insert, one read back.

        (Through :meth:`add_source`, a transaction per source, 100k sources took minutes.)
        """
        dialect = self.dialect
        by_url = select(sources.c.url).where(in_array(dialect, sources.c.url, "urls"))
        with self.engine.begin() as conn:
            known = set(conn.execute(by_url, {"urls": array_param(dialect, [s.url for s in new])}).scalars())
            fresh: dict[str, NewSource] = {}
            existing: list[str] = []
            for source in new:
                if source.url in known or source.url in fresh:
                    existing.append(source.url)
                else:
                    fresh[source.url] = source
            names = dict.fromkeys(s.category for s in fresh.values() if s.category)
            category_ids = {name: self._ensure_category(conn, name, None).id for name in names}
            columns = ("url", "title", "site_url", "category_id", "created_at", "next_check_at", "error_count")
            rows = [
                (s.url, s.title, s.site_url, category_ids.get(s.category or ""), now, now, 0) for s in fresh.values()
            ]
            bulk_insert_ignore(conn, sources, columns, rows)  # paused: the column's default, false
            ids_query = select(sources.c.url, sources.c.id).where(in_array(dialect, sources.c.url, "urls"))
            ids: dict[str, int] = dict(conn.execute(ids_query, {"urls": array_param(dialect, list(fresh))}).all())
            if fresh:
                bump_version(conn, SOURCES_VERSION)
        added = (  # as written: reading 100k rows back whole took a quarter of an import
            Source(ids[s.url], s.url, s.title, s.site_url, s.category, created_at=now, next_check_at=now)
            for s in fresh.values()
            if s.url in ids
        )
        return AddedSources(tuple(added), tuple(existing))

    def get_source(self, source_id: int) -> Source:
        with self.reader.connect() as conn:
            row = conn.execute(self._source_query().where(sources.c.id == source_id)).first()
        if row is None:
            raise NotFoundError(f"no source with id {source_id}")
        return self._source(row)

    def find_source(self, url: str) -> Source | None:
        with self.reader.connect() as conn:
            row = conn.execute(self._source_query().where(sources.c.url == url)).first()
        return self._source(row) if row else None

    def list_sources(self) -> list[Source]:
        with self.reader.connect() as conn:
            rows = conn.execute(self._source_query().order_by(sources.c.id)).all()
        return [self._source(r) for r in rows]

    def source_names(self, limit: int) -> list[SourceName]:
        name = func.coalesce(sources.c.title, sources.c.url)
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(sources.c.id, name.label("name")).order_by(func.lower(name), sources.c.id).limit(limit)
            )
            return [SourceName(id=r.id, name=r.name) for r in rows]

    def remove_source(self, source_id: int) -> None:
        with self.engine.begin() as conn:
            forget_source(conn, source_id)
            conn.execute(articles.delete().where(articles.c.source_id == source_id))
            result = conn.execute(sources.delete().where(sources.c.id == source_id))
            if result.rowcount == 0:
                raise NotFoundError(f"no source with id {source_id}")
            bump_version(conn, STORIES_VERSION)  # its articles left their stories
            bump_version(conn, ARTICLES_VERSION)
            bump_version(conn, SOURCES_VERSION)

    def set_paused(self, source_id: int, paused: bool, reason: str | None, now: datetime) -> Source:
        values: dict[str, Any] = {"paused": paused, "pause_reason": reason if paused else None}
        if not paused:
            values.update(error_count=0, next_check_at=now)
        with self.engine.begin() as conn:
            result = conn.execute(update(sources).where(sources.c.id == source_id).values(**values))
            if result.rowcount == 0:
                raise NotFoundError(f"no source with id {source_id}")
            bump_version(conn, SOURCES_VERSION)
        return self.get_source(source_id)

    def due_sources(self, now: datetime, limit: int | None = None) -> list[Source]:
        query = (
            self._source_query()
            .where(
                sources.c.paused == False,  # noqa: E712 -- SQL expression, not a Python comparison
                (sources.c.next_check_at == None) | (sources.c.next_check_at <= now),  # noqa: E711
            )
            .order_by(sources.c.next_check_at, sources.c.id)
        )
        if limit:
            query = query.limit(limit)
        with self.reader.connect() as conn:
            return [self._source(r) for r in conn.execute(query).all()]

    # -- articles: ingest -------------------------------------------------------

    def known_keys(self, ids: Iterable[str], canonical_urls: Iterable[str], content_hashes: Iterable[str]) -> KnownKeys:
        keys = KnownKeys()
        by_id, by_url, by_hash = self._key_queries
        dialect = self.dialect
        with self.reader.connect() as conn:
            if wanted := sorted(set(ids)):
                for key, value in conn.execute(by_id, {"keys": array_param(dialect, wanted)}):
                    keys.entry_hash_by_id[key] = value
            if wanted := sorted(set(canonical_urls)):
                for key, value in conn.execute(by_url, {"keys": array_param(dialect, wanted)}):
                    keys.id_by_canonical_url.setdefault(key, value)
            if wanted := sorted(set(content_hashes)):
                for key, value in conn.execute(by_hash, {"keys": array_param(dialect, wanted)}):
                    keys.id_by_content_hash.setdefault(key, value)
        return keys

    @functools.cached_property
    def _key_queries(self) -> tuple[Select[str, str], Select[str, str], Select[str, str]]:
        """known_keys's three statements, one parameter each (the array of keys), built once."""
        primary = articles.c.duplicate_of == None  # noqa: E711
        c = articles.c
        return (
            select(c.id, c.entry_hash).where(in_array(self.dialect, c.id, "keys")),
            select(c.canonical_url, c.id).where(in_array(self.dialect, c.canonical_url, "keys"), primary),
            select(c.content_hash, c.id).where(in_array(self.dialect, c.content_hash, "keys"), primary),
        )

    def apply_feed_updates(
        self, feeds: Sequence[FeedUpdate], articles_: Sequence[ArticleUpdate], now: datetime
    ) -> None:
        """Write feed states and their articles in one transaction."""
        with self.engine.begin() as conn:
            self._apply_feed_states(conn, feeds)
            # SQLite's rows get their times as text here, in the one pass that builds them.
            time = sqlite_time if conn.dialect.name == "sqlite" else _as_is
            stamp = time(now)
            inserts = [_article_row(a, stamp, time) for a in articles_ if a.action is DraftAction.INSERT]
            bulk_insert_ignore(conn, articles, ARTICLE_COLUMNS, inserts, times_stored=True)
            changes = [_article_change(a) for a in articles_ if a.action is DraftAction.UPDATE]
            if changes:
                conn.execute(_UPDATE_FROM_FEED, changes)
            # to be indexed for search by a later step (store/search.py: not in this transaction)
            enqueue(conn, [a.draft.id for a in articles_ if a.action is not DraftAction.SKIP])
            if inserts or changes:
                bump_version(conn, ARTICLES_VERSION)
            if feeds:  # their fetch state, which the sources pages show
                bump_version(conn, SOURCES_VERSION)

    def _apply_feed_states(self, conn: Connection, feeds: Sequence[FeedUpdate]) -> None:
        """Write every feed's new fetch state: two executemany statements, not one UPDATE per feed."""
        ok = [_ok_state(fu) for fu in feeds if fu.ok]
        failed = [_failed_state(fu) for fu in feeds if not fu.ok]
        if ok:
            conn.execute(_UPDATE_OK_STATE, ok)
        if failed:
            conn.execute(_UPDATE_FAILED_STATE, failed)
        for fu in feeds:
            if fu.new_url:
                taken = conn.execute(select(sources.c.id).where(sources.c.url == fu.new_url)).first()
                if taken is None:
                    conn.execute(update(sources).where(sources.c.id == fu.source_id).values(url=fu.new_url))
                    log.info(log_event("source.moved", source=fu.source_id, url=fu.new_url))

    # -- articles: pages ------------------------------------------------------------

    def pending_pages(
        self, limit: int, source_id: int | None = None, *, holder: str | None = None, now: datetime | None = None
    ) -> list[PendingPage]:
        query = select(
            articles.c.id, articles.c.url, articles.c.source_id, articles.c.summary, articles.c.published_at
        ).where(
            articles.c.extraction_status == ExtractionStatus.PENDING.value,
            articles.c.url != None,  # noqa: E711
        )
        if source_id is not None:
            query = query.where(articles.c.source_id == source_id)
        if holder is not None and now is not None:  # not the pages another process is fetching
            query = query.where(articles.c.id.not_in(keys_held_by_others("page", holder, now)))
        query = query.order_by(articles.c.fetched_at.desc(), articles.c.id).limit(limit)
        with self.reader.connect() as conn:
            return [
                PendingPage(
                    article_id=r.id, url=r.url, source_id=r.source_id, summary=r.summary, published_at=r.published_at
                )
                for r in conn.execute(query)
            ]

    def apply_page_results(self, results: Sequence[PageResult]) -> None:
        with self.engine.begin() as conn:
            for res in results:
                values: dict[str, Any] = {
                    "extraction_status": res.status.value,
                    "extraction_reason": res.reason,
                }
                ex = res.extracted
                if ex is not None and res.status is ExtractionStatus.EXTRACTED:
                    current = conn.execute(
                        select(
                            articles.c.title, articles.c.authors, articles.c.published_at, articles.c.image_url
                        ).where(articles.c.id == res.article_id)
                    ).first()
                    if current is None:
                        continue
                    values.update(
                        text=ex.text,
                        content_html=ex.html,
                        word_count=res.word_count,
                        reading_time_s=res.reading_time_s,
                        content_hash=res.content_hash,
                        description=ex.description,
                    )
                    if ex.language:
                        values["language"] = ex.language
                    if res.canonical_url and res.canonical_is_own:
                        values["canonical_url"] = res.canonical_url
                    if res.duplicate_of:
                        values["duplicate_of"] = res.duplicate_of
                    if not current.title and ex.title:
                        values["title"] = ex.title
                    if not json.loads(current.authors or "[]") and ex.authors:
                        values["authors"] = json.dumps(list(ex.authors), ensure_ascii=False)
                    if current.published_at is None and ex.published is not None:
                        values["published_at"] = ex.published
                    if not current.image_url and ex.image_url:
                        values["image_url"] = ex.image_url
                elif res.language:
                    values["language"] = res.language
                conn.execute(update(articles).where(articles.c.id == res.article_id).values(**values))
            enqueue(conn, [r.article_id for r in results if r.status is ExtractionStatus.EXTRACTED])
            if results:
                bump_version(conn, ARTICLES_VERSION)

    def copy_groups(self) -> list[list[CopyOf]]:
        """The groups of exact copies whose primary is not enriched yet (a pass's new articles, or a killed pass's).

        Two reads: the duplicates, through their partial index, then their primaries by key. (As
        one join, SQLite's planner starts from the unenriched articles instead: every article of a
        feeds-only database.) ≈0.1 s at 34k articles and 1,300 duplicates, most of it reading rows.
        """
        fields = (
            articles.c.id,
            articles.c.source_id,
            articles.c.published_at,
            articles.c.extraction_status,
            articles.c.extraction_reason,
            articles.c.duplicate_of,
        )
        unenriched_primaries = select(*fields).where(
            in_array(self.dialect, articles.c.id, "ids"),
            articles.c.enriched_at == None,  # noqa: E711
            articles.c.duplicate_of == None,  # noqa: E711
        )
        groups: dict[str, list[CopyOf]] = {}
        with self.reader.connect() as conn:
            for r in conn.execute(select(*fields).where(articles.c.duplicate_of != None)):  # noqa: E711
                groups.setdefault(r.duplicate_of, []).append(_copy_of(r))
            primaries = conn.execute(unenriched_primaries, {"ids": array_param(self.dialect, list(groups))})
            return [[_copy_of(p), *groups[p.id]] for p in primaries]

    def apply_primary_swaps(self, swaps: Sequence[PrimarySwap]) -> int:
        """Make each swap's ``new`` the primary of ``old``'s copies, in one transaction; the number applied.

        A swap whose ``old`` is no longer an unenriched primary (another process swapped or enriched
        it meanwhile) is skipped.
        """
        done = 0
        with self.engine.begin() as conn:
            for swap in swaps:
                still = conn.execute(
                    select(articles.c.id).where(
                        articles.c.id == swap.old,
                        articles.c.duplicate_of == None,  # noqa: E711
                        articles.c.enriched_at == None,  # noqa: E711
                    )
                ).first()
                if still is None:
                    continue
                conn.execute(update(articles).where(articles.c.duplicate_of == swap.old).values(duplicate_of=swap.new))
                conn.execute(
                    update(articles)
                    .where(articles.c.id == swap.new)
                    .values(
                        duplicate_of=None, extraction_status=swap.new_status.value, extraction_reason=swap.new_reason
                    )
                )
                conn.execute(
                    update(articles)
                    .where(articles.c.id == swap.old)
                    .values(
                        duplicate_of=swap.new,
                        extraction_status=swap.old_status.value,
                        extraction_reason=swap.old_reason,
                    )
                )
                done += 1
            if done:
                bump_version(conn, ARTICLES_VERSION)
        return done

    # -- articles: queries ----------------------------------------------------------------

    def _article_query(self) -> Any:
        return select(articles, sources.c.title.label("source_title")).select_from(
            articles.join(sources, articles.c.source_id == sources.c.id)
        )

    def get_article(self, article_id: str) -> Article:
        with self.reader.connect() as conn:
            row = conn.execute(self._article_query().where(articles.c.id == article_id)).first()
        if row is None:
            raise NotFoundError(f"no article with id {article_id}")
        return _article(row)

    def get_articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """The articles of ``article_ids`` that exist, by id, in one query (a page's neighbours, not N reads)."""
        wanted = list(dict.fromkeys(article_ids))
        if not wanted:
            return {}
        query = self._article_query().where(in_array(self.dialect, articles.c.id, "ids"))
        with self.reader.connect() as conn:
            rows = conn.execute(query, {"ids": array_param(self.dialect, wanted)})
            return {r.id: _article(r) for r in rows}

    def list_articles(
        self,
        *,
        source_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
        include_duplicates: bool = False,
    ) -> list[Article]:
        query = self._article_query()
        if source_id is not None:
            query = query.where(articles.c.source_id == source_id)
        if not include_duplicates:
            query = query.where(articles.c.duplicate_of == None)  # noqa: E711
        newest = func.coalesce(articles.c.published_at, articles.c.fetched_at)
        query = query.order_by(newest.desc(), articles.c.id).limit(limit).offset(offset)
        with self.reader.connect() as conn:
            return [_article(r) for r in conn.execute(query)]

    def article_count(self, include_duplicates: bool = True) -> int:
        query = select(func.count()).select_from(articles)
        if not include_duplicates:
            query = query.where(articles.c.duplicate_of == None)  # noqa: E711
        with self.reader.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def stats(self) -> Stats:
        with_text = articles.c.extraction_status.in_([ExtractionStatus.FEED.value, ExtractionStatus.EXTRACTED.value])
        with self.reader.connect() as conn:
            s = conn.execute(
                select(
                    func.count(),
                    func.sum(case((sources.c.last_error != None, 1), else_=0)),  # noqa: E711
                    func.sum(case((sources.c.paused == True, 1), else_=0)),  # noqa: E712
                ).select_from(sources)
            ).one()
            a = conn.execute(
                select(
                    func.count(),
                    func.sum(case((and_(with_text, articles.c.word_count > 0), 1), else_=0)),
                    func.sum(case((articles.c.duplicate_of != None, 1), else_=0)),  # noqa: E711
                    func.sum(case((articles.c.extraction_status == ExtractionStatus.PENDING.value, 1), else_=0)),
                ).select_from(articles)
            ).one()
        return Stats(
            sources=int(s[0]),
            source_errors=int(s[1] or 0),
            paused_sources=int(s[2] or 0),
            articles=int(a[0]),
            articles_with_text=int(a[1] or 0),
            duplicates=int(a[2] or 0),
            pending_pages=int(a[3] or 0),
        )


ARTICLE_COLUMNS = (
    "id",
    "source_id",
    "guid",
    "url",
    "canonical_url",
    "title",
    "authors",
    "published_at",
    "updated_at",
    "fetched_at",
    "summary",
    "content_html",
    "text",
    "language",
    "image_url",
    "categories",
    "word_count",
    "content_hash",
    "entry_hash",
    "extraction_status",
    "extraction_reason",
    "duplicate_of",
)


_JSON = json.JSONEncoder(ensure_ascii=False)  # built once: json.dumps builds an encoder per call
_JSON_ESCAPED = re.compile(r'[\x00-\x1f"\\]')  # the only characters that encoder changes in a string


def _json_list(items: tuple[str, ...]) -> str:
    """``json.dumps(list(items), ensure_ascii=False)``; names without quotes or control characters
    (nearly all) are joined directly, five times faster than the encoder, and the same authors
    and categories, which recur from entry to entry, are encoded once."""
    if not items:
        return "[]"
    return _json_list_of(items)


@functools.lru_cache(maxsize=8192)
def _json_list_of(items: tuple[str, ...]) -> str:
    if any(map(_JSON_ESCAPED.search, items)):
        return _JSON.encode(list(items))
    return '["' + '", "'.join(items) + '"]'


def _article_row(a: ArticleUpdate, now: Any, time: Callable[[datetime | None], Any]) -> tuple[Any, ...]:
    """One new article as a tuple in ARTICLE_COLUMNS order (built for speed: ~35k per first poll).

    ``time`` stores a datetime as the driver takes it (SQLite: text), ``now`` is already stored so.
    """
    d = a.draft
    return (
        d.id,
        d.source_id,
        d.guid,
        d.url,
        d.canonical_url,
        d.title,
        _json_list(d.authors),
        time(d.published_at),
        time(d.updated_at),
        now,
        d.summary,
        d.content_html,
        d.text,
        d.language,
        d.image_url,
        _json_list(d.categories),
        d.word_count,
        d.content_hash,
        d.entry_hash,
        a.extraction_status.value,
        a.reason,
        a.duplicate_of,
    )


def _as_is(value: datetime | None) -> datetime | None:
    return value


def _article_change(a: ArticleUpdate) -> dict[str, Any]:
    d = a.draft
    return {
        "b_id": d.id,
        "b_url": d.url,
        "b_title": d.title,
        "b_authors": _json_list(d.authors),
        "b_published_at": d.published_at,
        "b_updated_at": d.updated_at,
        "b_summary": d.summary,
        "b_content_html": d.content_html,
        "b_text": d.text,
        "b_image_url": d.image_url,
        "b_categories": _json_list(d.categories),
        "b_word_count": d.word_count,
        "b_content_hash": d.content_hash,
        "b_entry_hash": d.entry_hash,
        "b_status": a.extraction_status.value,
    }


def _ok_state(fu: FeedUpdate) -> dict[str, Any]:
    return {
        "b_id": fu.source_id,
        "b_checked": fu.checked_at,
        "b_next": fu.next_check_at,
        "b_interval": fu.check_interval_s,
        "b_etag": fu.etag,
        "b_last_modified": fu.last_modified,
        "b_title": fu.title,
        "b_site_url": fu.site_url,
        "b_language": fu.language,
    }


def _failed_state(fu: FeedUpdate) -> dict[str, Any]:
    return {
        "b_id": fu.source_id,
        "b_checked": fu.checked_at,
        "b_next": fu.next_check_at,
        "b_interval": fu.check_interval_s,
        "b_error": fu.error,
        "b_errors": fu.error_count,
        "b_pause": fu.pause,
    }


# Every check, whatever its outcome, records when it ran and when the next one is due.
_CHECKED: dict[str, Any] = {
    "last_checked_at": bindparam("b_checked"),
    "next_check_at": bindparam("b_next"),
    "check_interval_s": bindparam("b_interval"),
}

# A successful check (200 or 304) clears the error state; title, site and language
# change only when the feed states them. The ETag and Last-Modified of a 304 are the
# stored ones unless the server sent new ones (the pipeline decides that).
_UPDATE_OK_STATE = (
    update(sources)
    .where(sources.c.id == bindparam("b_id"))
    .values(
        **_CHECKED,
        last_success_at=bindparam("b_checked"),
        error_count=0,
        last_error=None,
        last_error_at=None,
        etag=bindparam("b_etag"),
        last_modified=bindparam("b_last_modified"),
        title=func.coalesce(bindparam("b_title"), sources.c.title),
        site_url=func.coalesce(bindparam("b_site_url"), sources.c.site_url),
        language=func.coalesce(bindparam("b_language"), sources.c.language),
    )
)

_PAUSE_NOW = bindparam("b_pause", type_=Boolean) == True  # noqa: E712 -- an SQL expression

# A failed check keeps everything that was learnt before and records why; the
# source is paused when the pipeline says it failed too often in a row.
_UPDATE_FAILED_STATE = (
    update(sources)
    .where(sources.c.id == bindparam("b_id"))
    .values(
        **_CHECKED,
        error_count=bindparam("b_errors"),
        last_error=bindparam("b_error"),
        last_error_at=bindparam("b_checked"),
        paused=case((_PAUSE_NOW, True), else_=sources.c.paused),
        pause_reason=case((_PAUSE_NOW, bindparam("b_error")), else_=sources.c.pause_reason),
    )
)

_extracted = articles.c.extraction_status == ExtractionStatus.EXTRACTED.value


def _keep_if_extracted(column: Any, param: str) -> Any:
    """A changed feed entry must not overwrite text already extracted from its page."""
    return case((_extracted, column), else_=bindparam(param))


# Applies a changed feed entry: feed fields always, text fields only while the
# article has no extracted page text of its own.
_UPDATE_FROM_FEED = (
    update(articles)
    .where(articles.c.id == bindparam("b_id"))
    .values(
        url=bindparam("b_url"),
        title=bindparam("b_title"),
        authors=bindparam("b_authors"),
        published_at=bindparam("b_published_at"),
        updated_at=bindparam("b_updated_at"),
        summary=bindparam("b_summary"),
        image_url=func.coalesce(bindparam("b_image_url"), articles.c.image_url),
        categories=bindparam("b_categories"),
        entry_hash=bindparam("b_entry_hash"),
        content_html=_keep_if_extracted(articles.c.content_html, "b_content_html"),
        text=_keep_if_extracted(articles.c.text, "b_text"),
        word_count=_keep_if_extracted(articles.c.word_count, "b_word_count"),
        content_hash=_keep_if_extracted(articles.c.content_hash, "b_content_hash"),
        extraction_status=_keep_if_extracted(articles.c.extraction_status, "b_status"),
    )
)


def _article(row: Row[Any]) -> Article:
    m = row._mapping
    return Article(
        id=m["id"],
        source_id=m["source_id"],
        guid=m["guid"],
        url=m["url"],
        canonical_url=m["canonical_url"],
        title=m["title"],
        authors=tuple(json.loads(m["authors"] or "[]")),
        published_at=m["published_at"],
        updated_at=m["updated_at"],
        fetched_at=m["fetched_at"],
        summary=m["summary"],
        content_html=m["content_html"] or m["summary"],
        text=m["text"],
        language=m["language"],
        image_url=m["image_url"],
        description=m["description"],
        word_count=m["word_count"],
        reading_time_s=m["reading_time_s"],
        content_hash=m["content_hash"],
        extraction_status=ExtractionStatus(m["extraction_status"]),
        extraction_reason=m["extraction_reason"],
        duplicate_of=m["duplicate_of"],
        source_title=m["source_title"],
        categories=tuple(json.loads(m["categories"] or "[]")),
        story_id=m["story_id"],
        near_duplicate_of=m["near_duplicate_of"],
        category=m["category"],
        regions=tuple(json.loads(m["regions"] or "[]")),
    )
