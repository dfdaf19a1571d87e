"""Comments in the database: the comments, readers' reports, the moderation log and banned accounts.

Only what is stored lives here; the rules (who may do what, the rate limit, the hold, rendering) are
the use case's (``people/comments.py``). Every write bumps the ``comments`` data version in its own
transaction, so the anonymous readers' page cache (``web/pagecache.py``) never replays a page whose
comments changed; every moderator action writes its line of the moderation log in the same
transaction as the action, so there is no action without its line, nor a line without its action.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from newsdesk.errors import NotFoundError
from newsdesk.model import (
    Comment,
    CommentStatus,
    CommentTarget,
    ModerationAction,
    ModerationItem,
    Role,
)
from newsdesk.store.port import LogLine
from newsdesk.store.schema import articles, comment_reports, comments, moderation_log, stories, users
from newsdesk.store.stories import bump_version

COMMENTS_VERSION = "comments"  # comments and their state: what the article and story pages show under the text


class CommentStorage:
    """The comments part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def comment_target_exists(self, target: CommentTarget, target_id: str) -> bool:
        table = articles if target is CommentTarget.ARTICLE else stories
        with self.reader.connect() as conn:
            return conn.execute(select(table.c.id).where(table.c.id == target_id)).first() is not None

    def add_comment(
        self,
        target: CommentTarget,
        target_id: str,
        user_id: int,
        parent_id: int | None,
        body: str,
        html: str,
        status: CommentStatus,
        now: datetime,
        limits: Sequence[tuple[datetime, int]] = (),
    ) -> Comment | None:
        with self.engine.begin() as conn:
            if limits:
                # the author's row locked, so a second post of the same author waits here until this one has
                # counted and committed: PostgreSQL locks the row (no new row version: no bloat), SQLite has
                # no row locks, and a no-op write takes its one write lock
                if conn.dialect.name == "postgresql":
                    conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())
                else:
                    conn.execute(update(users).where(users.c.id == user_id).values(id=users.c.id))
                counted = [func.count().filter(comments.c.created_at >= since) for since, _ in limits]
                row = conn.execute(select(*counted).select_from(comments).where(comments.c.user_id == user_id)).one()
                if any(int(n) >= limit for n, (_, limit) in zip(row, limits, strict=True)):
                    return None
            result = conn.execute(
                insert(comments).values(
                    target_kind=target.value,
                    target_id=target_id,
                    user_id=user_id,
                    parent_id=parent_id,
                    body=body,
                    html=html,
                    status=status.value,
                    created_at=now,
                )
            )
            bump_version(conn, COMMENTS_VERSION)
            return _one(conn, int(result.inserted_primary_key[0]))  # type: ignore[index]

    def comment(self, comment_id: int) -> Comment:
        with self.reader.connect() as conn:
            return _one(conn, comment_id)

    def comments_on(self, target: CommentTarget, target_id: str, limit: int = 1000) -> list[Comment]:
        """Every comment on the target, whatever its state, oldest first (the use case picks what to show)."""
        query = (
            _select()
            .where(comments.c.target_kind == target.value, comments.c.target_id == target_id)
            .order_by(comments.c.created_at, comments.c.id)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [_comment(r) for r in conn.execute(query)]

    def blank_comments_of(self, user_id: int) -> int:
        """Empty every comment of the account, as deleting one's own does (a comment with replies stays as
        "[deleted]", so the others' replies keep their place); how many."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(comments)
                .where(comments.c.user_id == user_id)
                .values(status=CommentStatus.DELETED.value, body="", html="")
            ).rowcount
            bump_version(conn, COMMENTS_VERSION)
        return int(done)

    def comments_of(self, user_id: int, limit: int = 100_000) -> list[Comment]:
        """The account's comments, oldest first (for the reader's export)."""
        with self.reader.connect() as conn:
            rows = conn.execute(
                _select().where(comments.c.user_id == user_id).order_by(comments.c.id).limit(limit)
            ).all()
        return [_comment(r) for r in rows]

    def comments_by(self, user_id: int) -> int:
        """How many comments the account has written, deleted ones too (the first-post hold)."""
        with self.reader.connect() as conn:
            query = select(func.count()).select_from(comments).where(comments.c.user_id == user_id)
            return int(conn.execute(query).scalar_one())

    def has_replies(self, comment_id: int) -> bool:
        with self.reader.connect() as conn:
            return conn.execute(select(comments.c.id).where(comments.c.parent_id == comment_id)).first() is not None

    def edit_comment(self, comment_id: int, body: str, html: str, now: datetime) -> Comment:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(comments).where(comments.c.id == comment_id).values(body=body, html=html, edited_at=now)
            )
            if done.rowcount != 1:
                raise NotFoundError(f"no comment {comment_id}")
            bump_version(conn, COMMENTS_VERSION)
            return _one(conn, comment_id)

    def delete_comment(self, comment_id: int, now: datetime) -> None:
        """Its author's deletion: the text goes, the row stays (its replies keep their place; the rate
        limit still counts it) and shows as "[deleted]" while it has replies."""
        with self.engine.begin() as conn:
            conn.execute(
                update(comments)
                .where(comments.c.id == comment_id)
                .values(body="", html="", status=CommentStatus.DELETED.value, edited_at=now)
            )
            conn.execute(
                update(comment_reports)
                .where(comment_reports.c.comment_id == comment_id, comment_reports.c.resolved_at == None)  # noqa: E711
                .values(resolved_at=now)
            )
            bump_version(conn, COMMENTS_VERSION)

    def report_comment(self, comment_id: int, reporter_id: int, reason: str, now: datetime) -> bool:
        """A reader's report; False when this reader reported this comment already."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(comment_reports).values(
                        comment_id=comment_id, reporter_id=reporter_id, reason=reason, created_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    def moderate_comment(self, comment_id: int, status: CommentStatus, line: LogLine, now: datetime) -> Comment:
        """A moderator sets the comment's state: its open reports are resolved and the log line written, at once."""
        with self.engine.begin() as conn:
            done = conn.execute(update(comments).where(comments.c.id == comment_id).values(status=status.value))
            if done.rowcount != 1:
                raise NotFoundError(f"no comment {comment_id}")
            conn.execute(
                update(comment_reports)
                .where(comment_reports.c.comment_id == comment_id, comment_reports.c.resolved_at == None)  # noqa: E711
                .values(resolved_at=now)
            )
            _log(conn, line, now, comment_id=comment_id, user_id=None)
            bump_version(conn, COMMENTS_VERSION)
            return _one(conn, comment_id)

    def set_banned(self, user_id: int, banned: bool, line: LogLine, now: datetime) -> None:
        """Ban an account from commenting (or lift the ban), with its log line, at once."""
        with self.engine.begin() as conn:
            done = conn.execute(update(users).where(users.c.id == user_id).values(banned=banned))
            if done.rowcount != 1:
                raise NotFoundError(f"no account with id {user_id}")
            _log(conn, line, now, comment_id=None, user_id=user_id)
            bump_version(conn, COMMENTS_VERSION)

    def moderation_queue(self, limit: int = 200) -> list[ModerationItem]:
        """Held comments and comments with open reports, oldest first, with the reports' reasons."""
        open_report = and_(comment_reports.c.comment_id == comments.c.id, comment_reports.c.resolved_at == None)  # noqa: E711
        query = (
            _select()
            .add_columns(users.c.banned)
            .where(
                or_(
                    comments.c.status == CommentStatus.HELD.value,
                    and_(comments.c.status != CommentStatus.DELETED.value, exists().where(open_report)),
                )
            )
            .order_by(comments.c.created_at, comments.c.id)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            reasons: dict[int, list[str]] = defaultdict(list)
            if ids:
                found = conn.execute(
                    select(comment_reports.c.comment_id, comment_reports.c.reason)
                    .where(comment_reports.c.comment_id.in_(ids), comment_reports.c.resolved_at == None)  # noqa: E711
                    .order_by(comment_reports.c.id)
                )
                for comment_id, reason in found:
                    reasons[comment_id].append(reason)
        return [ModerationItem(_comment(r), bool(r.banned), tuple(reasons[r.id])) for r in rows]

    def moderation_log(self, limit: int = 100) -> list[ModerationAction]:
        """The latest moderator actions, newest first."""
        moderator = users.alias("moderator")
        query = (
            select(moderation_log, moderator.c.name.label("moderator_name"))
            .select_from(moderation_log.outerjoin(moderator, moderator.c.id == moderation_log.c.moderator_id))
            .order_by(moderation_log.c.id.desc())
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [
                ModerationAction(
                    id=r.id,
                    moderator_id=r.moderator_id,
                    moderator=r.moderator_name,
                    action=r.action,
                    comment_id=r.comment_id,
                    user_id=r.user_id,
                    reason=r.reason,
                    at=r.at,
                )
                for r in conn.execute(query)
            ]


def _select() -> Any:
    reports = (
        select(func.count())
        .where(comment_reports.c.comment_id == comments.c.id, comment_reports.c.resolved_at == None)  # noqa: E711
        .scalar_subquery()
    )
    return select(
        comments, users.c.name.label("author"), users.c.role.label("author_role"), reports.label("reports")
    ).select_from(comments.outerjoin(users, users.c.id == comments.c.user_id))  # no user: a deleted account


def _one(conn: Connection, comment_id: int) -> Comment:
    row = conn.execute(_select().where(comments.c.id == comment_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"no comment {comment_id}")
    return _comment(row)


def _log(conn: Connection, line: LogLine, now: datetime, *, comment_id: int | None, user_id: int | None) -> None:
    conn.execute(
        insert(moderation_log).values(
            moderator_id=line.moderator_id,
            action=line.action,
            comment_id=comment_id,
            user_id=user_id,
            reason=line.reason,
            at=now,
        )
    )


def _comment(row: Any) -> Comment:
    return Comment(
        id=row.id,
        target=CommentTarget(row.target_kind),
        target_id=row.target_id,
        user_id=row.user_id,
        author=row.author or "",
        author_role=Role(row.author_role or Role.READER.value),
        parent_id=row.parent_id,
        body=row.body,
        html=row.html,
        status=CommentStatus(row.status),
        created_at=row.created_at,
        edited_at=row.edited_at,
        reports=int(row.reports or 0),
    )


__all__ = ["COMMENTS_VERSION", "CommentStorage"]
