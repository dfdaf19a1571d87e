"""Personal reading in the database: follows and mutes, keyword filters, bookmarks, read marks.

Every read and write is scoped by ``user_id``: a bookmark or filter id of another reader matches no
row, so it reads as not found (never as someone else's). The rules (which keys exist, bounds,
what a mute hides) are the use case's (``people/personal.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from newsdesk.model import Bookmark, Follow, KeywordFilter, ReadMark
from newsdesk.store.schema import articles, bookmarks, follows, keyword_filters, reads, sources, users


class PersonalStorage:
    """The personal part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def personal_count(self, user_id: int, what: str) -> int:
        """How many follows (and mutes), keyword filters or bookmarks the reader keeps (for the bounds)."""
        table: Table = {"follows": follows, "keyword_filters": keyword_filters, "bookmarks": bookmarks}[what]
        with self.reader.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(table).where(table.c.user_id == user_id)).scalar_one()
            )

    # -- follows and mutes ---------------------------------------------------------------------

    def set_follow(self, user_id: int, kind: str, key: str, mode: str, now: datetime) -> None:
        """Follow or mute: one row per reader and thing, so the last choice wins."""
        where = and_(follows.c.user_id == user_id, follows.c.kind == kind, follows.c.key == key)
        for _ in range(2):  # a concurrent insert of the same row: the second try updates it
            try:
                with self.engine.begin() as conn:
                    if conn.execute(update(follows).where(where).values(mode=mode)).rowcount == 0:
                        conn.execute(
                            insert(follows).values(user_id=user_id, kind=kind, key=key, mode=mode, created_at=now)
                        )
                    _changed(conn, user_id)
                return
            except IntegrityError:
                continue

    def remove_follow(self, user_id: int, kind: str, key: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                delete(follows).where(follows.c.user_id == user_id, follows.c.kind == kind, follows.c.key == key)
            )
            if done.rowcount:
                _changed(conn, user_id)
        return bool(done.rowcount)

    def follows(self, user_id: int) -> list[Follow]:
        """The reader's follows and mutes, oldest first."""
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(follows).where(follows.c.user_id == user_id).order_by(follows.c.created_at, follows.c.id)
            ).all()
        return [Follow(r.kind, r.key, r.mode, r.created_at) for r in rows]

    # -- keyword filters -----------------------------------------------------------------------

    def add_keyword_filter(
        self, user_id: int, phrase: str, language: str | None, action: str, now: datetime
    ) -> KeywordFilter:
        with self.engine.begin() as conn:
            same = conn.execute(
                select(keyword_filters.c.id).where(
                    keyword_filters.c.user_id == user_id,
                    keyword_filters.c.phrase == phrase,
                    keyword_filters.c.language.is_(None)
                    if language is None
                    else keyword_filters.c.language == language,
                )
            ).first()
            _changed(conn, user_id)
            if same is not None:
                conn.execute(update(keyword_filters).where(keyword_filters.c.id == same.id).values(action=action))
                return KeywordFilter(same.id, phrase, language, action)
            result = conn.execute(
                insert(keyword_filters).values(
                    user_id=user_id, phrase=phrase, language=language, action=action, created_at=now
                )
            )
            new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return KeywordFilter(new_id, phrase, language, action)

    def remove_keyword_filter(self, user_id: int, filter_id: int) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                delete(keyword_filters).where(keyword_filters.c.user_id == user_id, keyword_filters.c.id == filter_id)
            )
            if done.rowcount:
                _changed(conn, user_id)
        return bool(done.rowcount)

    def keyword_filters(self, user_id: int) -> list[KeywordFilter]:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(keyword_filters).where(keyword_filters.c.user_id == user_id).order_by(keyword_filters.c.id)
            ).all()
        return [KeywordFilter(r.id, r.phrase, r.language, r.action) for r in rows]

    # -- bookmarks -----------------------------------------------------------------------------

    def save_bookmark(self, user_id: int, article_id: str, note: str | None, now: datetime) -> Bookmark:
        """Bookmark an article (again: its note is replaced)."""
        where = and_(bookmarks.c.user_id == user_id, bookmarks.c.article_id == article_id)
        for _ in range(2):
            try:
                with self.engine.begin() as conn:
                    if conn.execute(update(bookmarks).where(where).values(note=note)).rowcount == 0:
                        conn.execute(
                            insert(bookmarks).values(user_id=user_id, article_id=article_id, note=note, created_at=now)
                        )
                    return _bookmarks(conn, user_id, article_id=article_id)[0]
            except IntegrityError:
                continue
        raise AssertionError("unreachable: the second try updates the row the first one met")  # pragma: no cover

    def set_bookmark_note(self, user_id: int, bookmark_id: int, note: str | None) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(bookmarks).where(bookmarks.c.user_id == user_id, bookmarks.c.id == bookmark_id).values(note=note)
            )
        return bool(done.rowcount)

    def remove_bookmark(self, user_id: int, bookmark_id: int) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(delete(bookmarks).where(bookmarks.c.user_id == user_id, bookmarks.c.id == bookmark_id))
        return bool(done.rowcount)

    def bookmarks(
        self, user_id: int, *, article_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Bookmark]:
        """The reader's bookmarks, newest first (with each article's title and source)."""
        with self.reader.connect() as conn:
            return _bookmarks(conn, user_id, article_id=article_id, limit=limit, offset=offset)

    # -- read marks ----------------------------------------------------------------------------

    def record_read(
        self,
        user_id: int,
        kind: str,
        key: str,
        now: datetime,
        article_count: int | None = None,
        last_article_at: datetime | None = None,
    ) -> ReadMark | None:
        """Mark an article or story read now; the mark it replaces (None the first time)."""
        where = and_(reads.c.user_id == user_id, reads.c.kind == kind, reads.c.key == key)
        values = {"read_at": now, "article_count": article_count, "last_article_at": last_article_at}
        for _ in range(2):
            try:
                with self.engine.begin() as conn:
                    row = conn.execute(select(reads).where(where)).first()
                    if row is None:
                        conn.execute(insert(reads).values(user_id=user_id, kind=kind, key=key, **values))
                        return None
                    conn.execute(update(reads).where(where).values(**values))
                    return _read(row)
            except IntegrityError:
                continue
        return None  # pragma: no cover

    def read_marks(self, user_id: int, kind: str, keys: Sequence[str] | None = None) -> dict[str, ReadMark]:
        """The reader's marks of ``kind`` (of ``keys`` only, when given), by key."""
        query = select(reads).where(reads.c.user_id == user_id, reads.c.kind == kind)
        if keys is not None:
            if not keys:
                return {}
            query = query.where(reads.c.key.in_(list(keys)))
        with self.reader.connect() as conn:
            rows = conn.execute(query.order_by(reads.c.read_at.desc()).limit(2000)).all()
        return {r.key: _read(r) for r in rows}

    # -- what personal listings need of the stories ----------------------------------------------

    def story_sources(self, story_ids: Sequence[str]) -> dict[str, frozenset[int]]:
        """The sources that covered each story (for "mute a source": a story all of whose sources are muted)."""
        if not story_ids:
            return {}
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(articles.c.story_id, articles.c.source_id)
                .where(articles.c.story_id.in_(list(story_ids)))
                .distinct()
            ).all()
        found: dict[str, set[int]] = defaultdict(set)
        for r in rows:
            found[r.story_id].add(r.source_id)
        return {k: frozenset(v) for k, v in found.items()}

    def stories_of_sources(self, source_ids: Sequence[int], since: datetime, limit: int) -> list[str]:
        """Stories active since ``since`` that these sources covered, the latest first."""
        if not source_ids:
            return []
        when = func.max(func.coalesce(articles.c.published_at, articles.c.fetched_at))
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(articles.c.story_id)
                .where(
                    articles.c.source_id.in_(list(source_ids)),
                    articles.c.story_id.is_not(None),
                    func.coalesce(articles.c.published_at, articles.c.fetched_at) >= since,
                )
                .group_by(articles.c.story_id)
                .order_by(when.desc())
                .limit(limit)
            ).all()
        return [r.story_id for r in rows]


def _changed(conn: Connection, user_id: int) -> None:
    """Count one more change to what the reader follows, mutes or filters (``users.personal_version``), in the
    transaction that makes it: a web process's kept filter of theirs is then read again."""
    conn.execute(update(users).where(users.c.id == user_id).values(personal_version=users.c.personal_version + 1))


def _bookmarks(
    conn: Connection, user_id: int, *, article_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[Bookmark]:
    query = (
        select(
            bookmarks,
            articles.c.title,
            articles.c.story_id,
            sources.c.title.label("source_title"),
        )
        .select_from(
            bookmarks.join(articles, articles.c.id == bookmarks.c.article_id).join(
                sources, sources.c.id == articles.c.source_id
            )
        )
        .where(bookmarks.c.user_id == user_id)
    )
    if article_id is not None:
        query = query.where(bookmarks.c.article_id == article_id)
    rows = conn.execute(
        query.order_by(bookmarks.c.created_at.desc(), bookmarks.c.id.desc()).limit(limit).offset(offset)
    )
    return [Bookmark(r.id, r.article_id, r.note, r.created_at, r.title, r.source_title, r.story_id) for r in rows.all()]


def _read(row: Any) -> ReadMark:
    return ReadMark(row.kind, row.key, row.read_at, row.article_count, row.last_article_at)
