"""Storage of story intelligence: enrichment results, stories, tags and vectors.

A mixin of :class:`~newsdesk.store.sql.SqlStorage` (it needs its ``engine``),
kept apart so the ingest side and the story side each stay readable. Story rows
are *derived*: after every enrichment batch, the aggregates of each touched
story (counts, first/last seen, languages, category, tags, headline) are
recomputed from its articles in the same transaction, so they can never drift
from the articles they summarise.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from newsdesk.errors import NotFoundError
from newsdesk.model import (
    ArticleEnrichment,
    EnrichInput,
    ExtractionStatus,
    Neighbor,
    Story,
    StoryArticle,
    StoryDetail,
    StoryMerge,
    StoryTag,
    Tag,
    WindowArticle,
    WindowVector,
    vector_key,
)
from newsdesk.store.pgvector import PgVector
from newsdesk.store.port import ActiveStory, CardFacts, EnrichmentCounts, IndexedArticle, StoredVector
from newsdesk.store.schema import (
    article_tags,
    article_vectors,
    articles,
    categories,
    comments,
    data_versions,
    follows,
    reads,
    sources,
    stories,
    users,
)

# The data_versions rows, each bumped in the transaction of every write to what it names; together
# they are the version of everything a reader's page shows (queries/cache.py keeps pages by them).
STORIES_VERSION = "stories"  # story rows and the articles they hold
ARTICLES_VERSION = "articles"  # article rows (feed entries, extracted pages, copies) and their vectors
SOURCES_VERSION = "sources"  # sources, their categories and fetch state
SEARCH_VERSION = "search"  # the full-text index
STORY_TAGS = 8  # hashtags kept on a story row
OPENING_CHARS = 600  # of a representative article's text, for its card's lead
MIN_REGION_SHARE = 0.25  # a region is the story's when at least this share of its articles name it


def _when() -> Any:
    return func.coalesce(articles.c.published_at, articles.c.fetched_at)


def _primary_language(code: str | None) -> str:
    return (code or "").split("-")[0].lower()


def _also_in(story: Story, language: str) -> bool:
    """Whether ``story`` has articles in ``language`` (a primary subtag) besides others."""
    covered = {_primary_language(code) for code in story.languages}
    return _primary_language(language) in covered and len(covered) > 1


def _first_reports_in(conn: Connection, stories_: Sequence[Story], language: str) -> dict[str, str]:
    """Story id -> its first original report in ``language`` (the rule of the representative, in one language)."""
    if not stories_:
        return {}
    wanted = _primary_language(language)
    when = _when()
    rows = conn.execute(
        select(articles.c.story_id, articles.c.id)
        .where(
            articles.c.story_id.in_([s.id for s in stories_]),
            articles.c.duplicate_of == None,  # noqa: E711
            articles.c.near_duplicate_of == None,  # noqa: E711
            articles.c.title != None,  # noqa: E711
            or_(func.lower(articles.c.language) == wanted, func.lower(articles.c.language).like(wanted + "-%")),
        )
        .order_by(when, articles.c.id)
    )
    first: dict[str, str] = {}
    for story_id, article_id in rows:
        first.setdefault(story_id, article_id)
    return first


def _as_enriched(when: Any) -> tuple[Any, ...]:
    """The columns of an article as the story stages read it: id, source, title, text, time, language."""
    c = articles.c
    return (c.id, c.source_id, c.title, c.text, when, c.language)


class StoryStorage:
    """Enrichment and story queries (mixed into ``SqlStorage``)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)
    _pgvector: PgVector | None = None
    _versions_conn: Connection | None = None  # data_versions' own connection (see there)
    _versions_lock = threading.Lock()  # replaced per instance by SqlStorage

    @property
    def pgvector(self) -> PgVector:
        if self._pgvector is None:
            self._pgvector = PgVector(self.engine)
        return self._pgvector

    def vector_search(self, model: str, vector: bytes, k: int) -> list[Neighbor] | None:
        """Nearest stored vectors in the database itself (pgvector), or None where it cannot search."""
        if not self.pgvector.enabled(len(vector) // 4):
            return None
        return [Neighbor(vector_key(aid), similarity) for aid, similarity in self.pgvector.nearest(model, vector, k)]

    def _to_pgvector(self, model: str | None, rows: Sequence[tuple[str, bytes]]) -> None:
        if model and rows and self.pgvector.enabled(len(rows[0][1]) // 4):
            self.pgvector.add(model, rows)

    # -- enrichment ---------------------------------------------------------------------

    def pending_enrichment(self, limit: int, after: tuple[datetime, str] | None = None) -> list[EnrichInput]:
        """Primary articles with their final text and no enrichment yet, oldest first
        (``after``: only those after this (time, id), to read ahead of the batch in hand)."""
        when = _when().label("when")
        query = (
            select(*_as_enriched(when), articles.c.categories, categories.c.name.label("source_category"))
            .select_from(
                articles.join(sources, articles.c.source_id == sources.c.id).outerjoin(
                    categories, sources.c.category_id == categories.c.id
                )
            )
            .where(
                articles.c.enriched_at == None,  # noqa: E711
                articles.c.duplicate_of == None,  # noqa: E711
                articles.c.extraction_status != ExtractionStatus.PENDING.value,
            )
            .order_by(when, articles.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(or_(_when() > after[0], and_(_when() == after[0], articles.c.id > after[1])))
        with self.reader.connect() as conn:
            return [
                EnrichInput(
                    id=r.id,
                    source_id=r.source_id,
                    title=r.title,
                    text=r.text or "",
                    published_at=r.when,
                    language=r.language,
                    feed_categories=tuple(json.loads(r.categories or "[]")),
                    source_category=r.source_category,
                )
                for r in conn.execute(query)
            ]

    def stale_vectors(self, model: str, since: datetime, limit: int) -> list[EnrichInput]:
        """Enriched primaries since ``since`` whose vector is missing or from another model (to re-embed)."""
        when = _when().label("when")
        query = (
            select(*_as_enriched(when))
            .select_from(articles.outerjoin(article_vectors, article_vectors.c.article_id == articles.c.id))
            .where(
                articles.c.enriched_at != None,  # noqa: E711
                articles.c.duplicate_of == None,  # noqa: E711
                articles.c.near_duplicate_of == None,  # noqa: E711
                when >= since,
                or_(article_vectors.c.model == None, article_vectors.c.model != model),  # noqa: E711
            )
            .order_by(when, articles.c.id)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [
                EnrichInput(r.id, r.source_id, r.title, r.text or "", r.when, r.language) for r in conn.execute(query)
            ]

    def replace_vectors(self, model: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        """Store re-embedded vectors (the near-duplicate signature of each article is kept)."""
        if not vectors:
            return
        ids = [aid for aid, _ in vectors]
        with self.engine.begin() as conn:
            signatures = dict(
                conn.execute(
                    select(article_vectors.c.article_id, article_vectors.c.signature).where(
                        article_vectors.c.article_id.in_(ids)
                    )
                ).all()
            )
            conn.execute(delete(article_vectors).where(article_vectors.c.article_id.in_(ids)))
            conn.execute(
                insert(article_vectors),
                [
                    {
                        "article_id": aid,
                        "model": model,
                        "vector": vec,
                        "signature": signatures.get(aid),
                        "key": vector_key(aid),
                    }
                    for aid, vec in vectors
                ],
            )
        self._to_pgvector(model, list(vectors))
        with self.engine.begin() as conn:  # after the pgvector write, so no reader sees the count before it
            bump_version(conn, ARTICLES_VERSION)

    def enrichment_window(self, since: datetime) -> list[WindowArticle]:
        """Enriched primaries published since ``since``, oldest first: the clusterers' memory."""
        when = _when().label("when")
        query = (
            select(
                *_as_enriched(when),
                articles.c.story_id,
                articles.c.near_duplicate_of,
                article_vectors.c.vector,
                article_vectors.c.signature,
            )
            .select_from(articles.outerjoin(article_vectors, article_vectors.c.article_id == articles.c.id))
            .where(
                articles.c.enriched_at != None,  # noqa: E711
                articles.c.duplicate_of == None,  # noqa: E711
                when >= since,
            )
            .order_by(when, articles.c.id)
        )
        with self.reader.connect() as conn:
            return [
                WindowArticle(
                    id=r.id,
                    source_id=r.source_id,
                    title=r.title,
                    text=r.text or "",
                    published_at=r.when,
                    language=r.language,
                    story_id=r.story_id,
                    near_duplicate_of=r.near_duplicate_of,
                    vector=r.vector,
                    signature=r.signature,
                )
                for r in conn.execute(query)
            ]

    def apply_enrichment(
        self,
        results: Sequence[ArticleEnrichment],
        merges: Sequence[StoryMerge],
        now: datetime,
        *,
        moves: Sequence[tuple[str, str]] = (),
        copies: Sequence[tuple[str, str | None]] = (),
    ) -> None:
        """Write one batch's decisions, move merged stories' articles, and refresh touched stories.

        ``moves``: earlier articles that refinement moved to another story; ``copies``: earlier
        articles whose near-duplicate primary changed (an earlier copy arrived late).
        """
        if not results and not merges and not moves and not copies:
            return
        with self.engine.begin() as conn:
            touched: set[str] = set()
            if moves:
                old = dict(
                    conn.execute(
                        select(articles.c.id, articles.c.story_id).where(articles.c.id.in_([a for a, _ in moves]))
                    ).all()
                )
                touched.update(s for s in old.values() if s)
                conn.execute(
                    update(articles)
                    .where(or_(articles.c.id == bindparam("b_id"), articles.c.duplicate_of == bindparam("b_id")))
                    .values(story_id=bindparam("b_story")),
                    [{"b_id": a, "b_story": s} for a, s in moves],
                )
                touched.update(s for _, s in moves)
            if copies:
                conn.execute(
                    update(articles)
                    .where(articles.c.id == bindparam("b_id"))
                    .values(near_duplicate_of=bindparam("b_copy_of")),
                    [{"b_id": a, "b_copy_of": p} for a, p in copies],
                )
            if results:
                conn.execute(
                    update(articles)
                    .where(articles.c.id == bindparam("b_id"))
                    .values(
                        story_id=bindparam("b_story"),
                        near_duplicate_of=bindparam("b_copy_of"),
                        category=bindparam("b_category"),
                        regions=bindparam("b_regions"),
                        enriched_at=bindparam("b_now"),
                    ),
                    [
                        {
                            "b_id": r.article_id,
                            "b_story": r.story_id,
                            "b_copy_of": r.near_duplicate_of,
                            "b_category": r.category,
                            "b_regions": json.dumps(list(r.regions)),
                            "b_now": now,
                        }
                        for r in results
                    ],
                )
                ids = [r.article_id for r in results]
                conn.execute(delete(article_tags).where(article_tags.c.article_id.in_(ids)))
                tag_rows = [
                    {"article_id": r.article_id, "tag": t.key, "label": t.label, "kind": t.kind, "score": t.score}
                    for r in results
                    for t in _unique_tags(r.tags)
                ]
                if tag_rows:
                    conn.execute(insert(article_tags), tag_rows)
                vector_rows = [
                    {
                        "article_id": r.article_id,
                        "model": r.vector_model,
                        "vector": r.vector,
                        "signature": r.signature,
                        "key": vector_key(r.article_id) if r.vector is not None else None,
                    }
                    for r in results
                    if r.vector_model is not None or r.signature is not None
                ]
                if vector_rows:
                    conn.execute(delete(article_vectors).where(article_vectors.c.article_id.in_(ids)))
                    for row in vector_rows:
                        row["model"] = row["model"] or ""
                    conn.execute(insert(article_vectors), vector_rows)
                # exact duplicates follow their primary into its story
                primaries = [{"b_id": r.article_id, "b_story": r.story_id, "b_now": now} for r in results]
                conn.execute(
                    update(articles)
                    .where(articles.c.duplicate_of == bindparam("b_id"))
                    .values(story_id=bindparam("b_story"), enriched_at=bindparam("b_now")),
                    primaries,
                )
                touched.update(r.story_id for r in results if r.story_id)
            for m in merges:
                conn.execute(update(articles).where(articles.c.story_id == m.merged).values(story_id=m.into))
                touched.add(m.into)
                touched.discard(m.merged)
            _refresh_stories(conn, touched, now)
            for m in merges:  # after the refresh: the merged story's row stays, pointing at its successor
                _mark_merged(conn, m, now)
            bump_version(conn, STORIES_VERSION)
        models = {r.vector_model for r in results if r.vector is not None}
        for model in models:
            self._to_pgvector(
                model,
                [
                    (r.article_id, r.vector)
                    for r in results
                    if r.vector is not None and r.vector_model == model and r.near_duplicate_of is None
                ],
            )

    # -- story queries --------------------------------------------------------------------

    def card_facts(self, stories_: Sequence[Story], language: str | None = None) -> dict[str, CardFacts]:
        """The lead facts of each story's shown article and its publishers, in two or three queries.

        The shown article is the representative (the first report of the event), or, when ``language``
        is given and the story covers it in another article, the first report in that language: a
        French reader of a story first told in English sees the French headline and lead."""
        story_ids = [s.id for s in stories_]
        if not story_ids:
            return {}
        with self.reader.connect() as conn:
            shown = {s.id: s.representative_id for s in stories_ if s.representative_id}
            if language:
                shown |= _first_reports_in(conn, [s for s in stories_ if _also_in(s, language)], language)
            reps = {
                r.id: r
                for r in conn.execute(
                    select(
                        articles.c.id,
                        articles.c.title,
                        articles.c.description,
                        func.substr(articles.c.text, 1, OPENING_CHARS).label("opening"),
                        articles.c.image_url,
                        articles.c.language,
                    ).where(articles.c.id.in_(sorted(set(shown.values()))))
                )
            }
            publishers: dict[str, list[str]] = defaultdict(list)
            count = func.count().label("n")
            for row in conn.execute(
                select(articles.c.story_id, sources.c.title, sources.c.url, count)
                .select_from(articles.join(sources, articles.c.source_id == sources.c.id))
                .where(articles.c.story_id.in_(story_ids), articles.c.duplicate_of == None)  # noqa: E711
                .group_by(articles.c.story_id, sources.c.id, sources.c.title, sources.c.url)
                .order_by(articles.c.story_id, count.desc(), sources.c.title)
            ):
                publishers[row.story_id].append(row.title or row.url)
        facts: dict[str, CardFacts] = {}
        for story in stories_:
            rep = reps.get(shown.get(story.id) or "")
            facts[story.id] = CardFacts(
                story_id=story.id,
                headline=(rep.title if rep else None) or story.headline,
                description=rep.description if rep else None,
                opening=(rep.opening or "") if rep else "",
                image_url=rep.image_url if rep else None,
                language=rep.language if rep else None,
                publishers=tuple(publishers.get(story.id, ())),
            )
        return facts

    def data_version(self, name: str = STORIES_VERSION) -> int:
        """How many writes have changed ``name`` (``stories``: story rows and their articles) so far:
        equal numbers, unchanged data, whichever process wrote it."""
        with self.reader.connect() as conn:
            version = conn.execute(select(data_versions.c.version).where(data_versions.c.name == name)).scalar()
        return int(version or 0)

    def data_versions(self) -> tuple[tuple[str, int], ...]:
        """Every data version, (name, count) by name, in one read: the version of all a page shows.

        Read on a connection of its own, kept open and used by one caller at a time: the web process
        reads it for every page request, and must never wait for a pooled connection that rendering
        threads hold. In autocommit, each read sees every commit made before it began.
        """
        query = select(data_versions.c.name, data_versions.c.version).order_by(data_versions.c.name)
        with self._versions_lock:
            for attempt in (1, 2):
                # autocommit: each read is its own statement, no BEGIN/ROLLBACK round trips around it
                conn = self._versions_conn or self.reader.connect().execution_options(isolation_level="AUTOCOMMIT")
                self._versions_conn = None
                try:
                    rows = conn.execute(query).all()
                except DBAPIError:
                    conn.invalidate()  # a connection the server dropped: once more on a new one
                    conn.close()
                    if attempt == 2:
                        raise
                    continue
                self._versions_conn = conn
                return tuple((str(name), int(version)) for name, version in rows)
        raise AssertionError("unreachable")

    def close_versions(self) -> None:
        with self._versions_lock:
            if self._versions_conn is not None:
                self._versions_conn.close()
                self._versions_conn = None

    def get_story(self, story_id: str) -> StoryDetail:
        """A story with its coverage, oldest article first; a merged story's id leads to its successor."""
        with self.reader.connect() as conn:
            row = None
            for _ in range(10):  # follow merged_into links (a chain is short; a cycle is impossible but bounded)
                row = conn.execute(select(stories).where(stories.c.id == story_id)).first()
                if row is None or row.merged_into is None:
                    break
                story_id = row.merged_into
            if row is None or row.merged_into is not None:
                raise NotFoundError(f"no story with id {story_id}")
            when = _when().label("when")
            coverage = conn.execute(
                select(
                    articles.c.id,
                    articles.c.title,
                    articles.c.url,
                    articles.c.source_id,
                    sources.c.title.label("source_title"),
                    when,
                    articles.c.language,
                    func.coalesce(articles.c.duplicate_of, articles.c.near_duplicate_of).label("copy_of"),
                    articles.c.fetched_at,
                )
                .select_from(articles.join(sources, articles.c.source_id == sources.c.id))
                .where(articles.c.story_id == story_id)
                .order_by(when, articles.c.id)
            ).all()
        return StoryDetail(
            story=_story(row),
            articles=tuple(
                StoryArticle(
                    id=r.id,
                    title=r.title,
                    url=r.url,
                    source_id=r.source_id,
                    source_title=r.source_title,
                    published_at=r.when,
                    language=r.language,
                    copy_of=r.copy_of,
                    added_at=r.fetched_at,
                )
                for r in coverage
            ),
        )

    def list_stories(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        category: str | None = None,
        region: str | None = None,
        since: datetime | None = None,
        tag: str | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[Story]:
        """Live (unmerged) stories, most recently active first."""
        query = select(stories).where(stories.c.merged_into == None, stories.c.article_count > 0)  # noqa: E711
        if category is not None:
            query = query.where(stories.c.category == category)
        if since is not None:
            query = query.where(stories.c.last_seen_at >= since)
        if ids is not None:
            query = query.where(stories.c.id.in_(list(ids)))
        if tag is not None:
            tagged = (
                select(articles.c.story_id)
                .select_from(article_tags.join(articles, articles.c.id == article_tags.c.article_id))
                .where(article_tags.c.tag == tag)
            )
            query = query.where(stories.c.id.in_(tagged))
        if region is not None:
            query = query.where(stories.c.regions.like(f'%"{_like_escape(region)}"%', escape="\\"))
        query = query.order_by(stories.c.last_seen_at.desc(), stories.c.id).limit(limit).offset(offset)
        with self.reader.connect() as conn:
            return [_story(r) for r in conn.execute(query)]

    def active_stories(self, since: datetime) -> list[ActiveStory]:
        """Live stories active since ``since``, with what the front page ranks them by.

        The front page ranks every story of its window (≈20k at 100k articles) to show 30: building
        each one's :class:`Story` (its languages and tags decoded) took most of the ranking's time,
        so only the columns ranking reads are loaded here, and the caller reads the stories it shows.
        """
        c = stories.c
        query = select(c.id, c.source_count, c.category, c.regions, c.last_seen_at).where(
            c.merged_into == None,  # noqa: E711
            c.article_count > 0,
            c.last_seen_at >= since,
        )
        with self.reader.connect() as conn:
            rows = conn.execute(query).all()
        times = self._window_times(since)
        return [
            ActiveStory(
                r.id,
                times.get(r.id, ()),
                r.source_count,
                r.category,
                tuple(json.loads(r.regions)) if r.regions and r.regions != "[]" else (),
                r.last_seen_at,
            )
            for r in rows
        ]

    def _window_times(self, since: datetime) -> dict[str, tuple[datetime, ...]]:
        """Story id -> times of its primary articles since ``since``.

        One range scan of the time index, not a query listing the window's story ids: a window
        holds tens of thousands of stories at 100k articles, more than SQLite takes as parameters,
        and a list that long costs PostgreSQL more to plan than the scan itself.
        """
        times: dict[str, list[datetime]] = defaultdict(list)
        when = _when().label("when")
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(articles.c.story_id, when).where(
                    when >= since,
                    articles.c.story_id != None,  # noqa: E711
                    articles.c.duplicate_of == None,  # noqa: E711
                )
            )
            for story_id, at in rows:
                times[story_id].append(at)
        return {k: tuple(v) for k, v in times.items()}

    def article_tags_of(self, article_ids: Iterable[str]) -> dict[str, list[Tag]]:
        wanted = list(article_ids)
        out: dict[str, list[Tag]] = defaultdict(list)
        if not wanted:
            return out
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(article_tags)
                .where(article_tags.c.article_id.in_(wanted))
                .order_by(article_tags.c.article_id, article_tags.c.score.desc(), article_tags.c.tag)
            )
            for r in rows:
                out[r.article_id].append(Tag(key=r.tag, label=r.label, kind=r.kind, score=r.score))
        return out

    def tagged_article_ids(self, tag: str, limit: int) -> list[str]:
        """Newest primary articles carrying ``tag``."""
        when = _when()
        with self.reader.connect() as conn:
            return list(
                conn.execute(
                    select(articles.c.id)
                    .select_from(article_tags.join(articles, articles.c.id == article_tags.c.article_id))
                    .where(article_tags.c.tag == tag, articles.c.duplicate_of == None)  # noqa: E711
                    .order_by(when.desc(), articles.c.id)
                    .limit(limit)
                ).scalars()
            )

    def tag_label(self, tag: str) -> str | None:
        with self.reader.connect() as conn:
            label: str | None = conn.execute(
                select(article_tags.c.label).where(article_tags.c.tag == tag).limit(1)
            ).scalar()
        return label

    def article_vectors(self, article_ids: Iterable[str], model: str) -> dict[str, bytes]:
        wanted = list(article_ids)
        if not wanted:
            return {}
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(article_vectors.c.article_id, article_vectors.c.vector).where(
                    article_vectors.c.article_id.in_(wanted),
                    article_vectors.c.model == model,
                    article_vectors.c.vector != None,  # noqa: E711
                )
            )
            return {r.article_id: r.vector for r in rows}

    def vector_of(self, article_id: str) -> StoredVector | None:
        """(model id, vector) stored for an article, if it was embedded."""
        with self.reader.connect() as conn:
            row = conn.execute(
                select(article_vectors.c.model, article_vectors.c.vector).where(
                    article_vectors.c.article_id == article_id,
                    article_vectors.c.vector != None,  # noqa: E711
                )
            ).first()
        return StoredVector(row.model, row.vector) if row is not None else None

    def vectors_since(self, since: datetime, model: str) -> list[WindowVector]:
        """(article id, story id, time, vector) of recent primaries: what the related-articles index holds."""
        when = _when().label("when")
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(articles.c.id, articles.c.story_id, when, article_vectors.c.vector)
                .select_from(articles.join(article_vectors, article_vectors.c.article_id == articles.c.id))
                .where(
                    when >= since,
                    article_vectors.c.model == model,
                    article_vectors.c.vector != None,  # noqa: E711
                    articles.c.duplicate_of == None,  # noqa: E711
                    articles.c.near_duplicate_of == None,  # noqa: E711
                )
                .order_by(when, articles.c.id)
            )
            return [WindowVector(r.id, r.story_id, r.when, r.vector) for r in rows]

    def articles_by_vector_keys(self, keys: Iterable[int]) -> dict[int, IndexedArticle]:
        """What each vector search hit is (by its key in the index): its article, story, copy state and time."""
        wanted = list(keys)
        if not wanted:
            return {}
        when = _when().label("when")
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(
                    article_vectors.c.key,
                    articles.c.id,
                    articles.c.story_id,
                    articles.c.duplicate_of,
                    articles.c.near_duplicate_of,
                    when,
                )
                .select_from(article_vectors.join(articles, articles.c.id == article_vectors.c.article_id))
                .where(article_vectors.c.key.in_(wanted))
            )
            return {
                r.key: IndexedArticle(
                    r.id, r.story_id, r.duplicate_of is not None or r.near_duplicate_of is not None, r.when
                )
                for r in rows
            }

    def enrichment_counts(self) -> EnrichmentCounts:
        """How many primary articles are enriched, and how many wait for enrichment."""
        with self.reader.connect() as conn:
            done = conn.execute(
                select(func.count()).select_from(articles).where(articles.c.enriched_at != None)  # noqa: E711
            ).scalar_one()
            waiting = conn.execute(
                select(func.count())
                .select_from(articles)
                .where(
                    articles.c.enriched_at == None,  # noqa: E711
                    articles.c.duplicate_of == None,  # noqa: E711
                    articles.c.extraction_status != ExtractionStatus.PENDING.value,
                )
            ).scalar_one()
        return EnrichmentCounts(enriched=int(done), waiting=int(waiting))


def bump_version(conn: Connection, name: str) -> None:
    """Count one more write to ``name`` in the caller's transaction (the row is made on its first write)."""
    done = conn.execute(
        update(data_versions).where(data_versions.c.name == name).values(version=data_versions.c.version + 1)
    )
    if done.rowcount == 0:
        conn.execute(insert(data_versions).values(name=name, version=1))


def _unique_tags(tags: Sequence[Tag]) -> list[Tag]:
    seen: set[str] = set()
    out = []
    for t in tags:
        if t.key and t.key not in seen:
            seen.add(t.key)
            out.append(t)
    return out


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


def _story(row: Any) -> Story:
    return Story(
        id=row.id,
        headline=row.headline,
        representative_id=row.representative_id,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        article_count=row.article_count,
        source_count=row.source_count,
        languages=json.loads(row.languages or "{}"),
        category=row.category,
        regions=tuple(json.loads(row.regions or "[]")),
        tags=tuple(_story_tag(t) for t in json.loads(row.tags or "[]")),
    )


def _story_tag(stored: str | list[str]) -> StoryTag:
    """A story row's tag: ``[key, label]``, or a bare key as rows written before labels were kept hold."""
    if isinstance(stored, str):
        return StoryTag(key=stored, label="#" + stored)
    return StoryTag(key=stored[0], label=stored[1])


def _mark_merged(conn: Connection, merge: StoryMerge, now: datetime) -> None:
    values = {"merged_into": merge.into, "article_count": 0, "source_count": 0, "updated_at": now}
    done = conn.execute(update(stories).where(stories.c.id == merge.merged).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(stories).values(id=merge.merged, **values))
    _move_readers(conn, merge)


def _move_readers(conn: Connection, merge: StoryMerge) -> None:
    """What readers attached to the merged story goes with its articles: its comments, its follows and mutes
    (a reader who had both keeps the surviving story's), and their read marks (likewise)."""
    moved = conn.execute(
        update(comments)
        .where(comments.c.target_kind == "story", comments.c.target_id == merge.merged)
        .values(target_id=merge.into)
    )
    if moved.rowcount:
        bump_version(conn, "comments")
    on_both = select(follows.c.user_id).where(follows.c.kind == "story", follows.c.key == merge.into)
    readers = [
        r.user_id
        for r in conn.execute(select(follows.c.user_id).where(follows.c.kind == "story", follows.c.key == merge.merged))
    ]
    if readers:
        conn.execute(
            delete(follows).where(
                follows.c.kind == "story", follows.c.key == merge.merged, follows.c.user_id.in_(on_both)
            )
        )
        conn.execute(
            update(follows).where(follows.c.kind == "story", follows.c.key == merge.merged).values(key=merge.into)
        )
        conn.execute(  # their kept filters (a mute of the story) are read again
            update(users).where(users.c.id.in_(readers)).values(personal_version=users.c.personal_version + 1)
        )
    read_both = select(reads.c.user_id).where(reads.c.kind == "story", reads.c.key == merge.into)
    conn.execute(
        delete(reads).where(reads.c.kind == "story", reads.c.key == merge.merged, reads.c.user_id.in_(read_both))
    )
    conn.execute(update(reads).where(reads.c.kind == "story", reads.c.key == merge.merged).values(key=merge.into))


def _refresh_stories(conn: Connection, story_ids: set[str], now: datetime) -> None:
    """Recompute every aggregate of the given stories from their articles."""
    if not story_ids:
        return
    wanted = sorted(story_ids)
    when = _when().label("when")
    rows = conn.execute(
        select(
            articles.c.id,
            articles.c.story_id,
            articles.c.source_id,
            articles.c.title,
            when,
            articles.c.language,
            articles.c.category,
            articles.c.regions,
            articles.c.near_duplicate_of,
        )
        .where(articles.c.story_id.in_(wanted), articles.c.duplicate_of == None)  # noqa: E711
        .order_by(when, articles.c.id)
    ).all()
    by_story: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_story[r.story_id].append(r)
    tag_counts: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, Counter[str]] = defaultdict(Counter)  # key -> how often each label was written
    for story_id, tag, label in conn.execute(
        select(articles.c.story_id, article_tags.c.tag, article_tags.c.label)
        .select_from(article_tags.join(articles, articles.c.id == article_tags.c.article_id))
        .where(articles.c.story_id.in_(wanted), articles.c.duplicate_of == None)  # noqa: E711
    ):
        tag_counts[story_id][tag] += 1
        labels[tag][label or "#" + tag] += 1
    existing = set(conn.execute(select(stories.c.id).where(stories.c.id.in_(wanted))).scalars())
    for story_id in wanted:
        members = by_story.get(story_id, [])
        values = _aggregate(members, tag_counts.get(story_id, Counter()), labels, now)
        if story_id in existing:
            conn.execute(update(stories).where(stories.c.id == story_id).values(merged_into=None, **values))
        else:
            conn.execute(insert(stories).values(id=story_id, **values))


def _aggregate(
    members: Sequence[Any], tags: Counter[str], labels: Mapping[str, Counter[str]], now: datetime
) -> dict[str, Any]:
    if not members:
        return {"article_count": 0, "source_count": 0, "updated_at": now}
    originals = [m for m in members if m.near_duplicate_of is None and m.title] or list(members)
    representative = originals[0]  # the first report of the event (copies excluded)
    languages = Counter(m.language or "und" for m in members)
    categories_ = Counter(m.category for m in members if m.category)
    regions: Counter[str] = Counter()
    for m in members:
        regions.update(set(json.loads(m.regions or "[]")))
    floor = max(1.0, MIN_REGION_SHARE * len(members))
    return {
        "headline": representative.title,
        "representative_id": representative.id,
        "first_seen_at": members[0].when,
        "last_seen_at": members[-1].when,
        "article_count": len(members),
        "source_count": len({m.source_id for m in members}),
        "languages": json.dumps(dict(languages.most_common())),
        "category": categories_.most_common(1)[0][0] if categories_ else None,
        "regions": json.dumps(sorted(r for r, n in regions.items() if n >= floor)),
        "tags": json.dumps(
            [
                [key, labels[key].most_common(1)[0][0] if labels.get(key) else "#" + key]
                for key, _ in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:STORY_TAGS]
            ],
            ensure_ascii=False,
        ),
        "updated_at": now,
    }


__all__ = [
    "ARTICLES_VERSION",
    "SEARCH_VERSION",
    "SOURCES_VERSION",
    "STORIES_VERSION",
    "StoryStorage",
    "bump_version",
]
