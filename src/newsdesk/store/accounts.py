"""Accounts in the database: users, sessions, one-time sign-in links and failed sign-ins.

Only what is stored lives here; the rules (names, password hashing, token making, the rate limit)
are the use case's (``people/accounts.py``), which hands this module hashes, never secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from newsdesk.errors import NameTakenError, NotFoundError
from newsdesk.model import Role, SignedIn, User
from newsdesk.store.port import StoredUser
from newsdesk.store.schema import sessions, sign_in_failures, sign_in_links, users
from newsdesk.store.stories import bump_version


class AccountStorage:
    """The accounts part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def add_user(self, name: str, name_key: str, password_hash: str | None, role: Role, now: datetime) -> User:
        """A new account; :class:`NameTakenError` when ``name_key`` is taken."""
        with self.engine.begin() as conn:
            try:
                result = conn.execute(
                    insert(users).values(
                        name=name,
                        name_key=name_key,
                        password_hash=password_hash,
                        role=role.value,
                        disabled=False,
                        created_at=now,
                    )
                )
            except IntegrityError as exc:
                raise NameTakenError(f"the name {name!r} is taken") from exc
            row = conn.execute(select(users).where(users.c.id == result.inserted_primary_key[0])).one()  # type: ignore[index]
        return _user(row)

    def stored_user(self, name_key: str) -> StoredUser | None:
        """The account named ``name_key`` (casefolded) with its password hash, or None."""
        with self.reader.connect() as conn:
            row = conn.execute(select(users).where(users.c.name_key == name_key)).one_or_none()
        return None if row is None else StoredUser(_user(row), row.password_hash)

    def user(self, user_id: int) -> User:
        with self.reader.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no account with id {user_id}")
        return _user(row)

    def users(self, limit: int = 1000, offset: int = 0) -> list[User]:
        """Accounts, oldest first."""
        with self.reader.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.id).limit(limit).offset(offset)).all()
        return [_user(r) for r in rows]

    def user_count(self) -> int:
        with self.reader.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def update_user(
        self,
        user_id: int,
        *,
        role: Role | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        """Change an account; disabling it (or a new password) also ends every session it has."""
        values: dict[str, Any] = {}
        if role is not None:
            values["role"] = role.value
        if disabled is not None:
            values["disabled"] = disabled
        if password_hash is not None:
            values["password_hash"] = password_hash
        with self.engine.begin() as conn:
            if values:
                done = conn.execute(update(users).where(users.c.id == user_id).values(**values))
                if done.rowcount == 0:
                    raise NotFoundError(f"no account with id {user_id}")
            if disabled or password_hash is not None:
                conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
            row = conn.execute(select(users).where(users.c.id == user_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no account with id {user_id}")
        return _user(row)

    def delete_user(self, user_id: int) -> None:
        """Remove the account and everything that cascades from it (sessions, links, and so on)."""
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
            conn.execute(delete(sign_in_links).where(sign_in_links.c.user_id == user_id))
            if conn.execute(delete(users).where(users.c.id == user_id)).rowcount == 0:
                raise NotFoundError(f"no account with id {user_id}")
            bump_version(conn, "comments")  # the comments it leaves now read "deleted account"

    def user_sessions(self, user_id: int) -> list[tuple[datetime, datetime]]:
        """(began, expires) of the account's sessions, oldest first: never their tokens."""
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(sessions.c.created_at, sessions.c.expires_at)
                .where(sessions.c.user_id == user_id)
                .order_by(sessions.c.created_at)
            ).all()
        return [(r.created_at, r.expires_at) for r in rows]

    # -- sessions ------------------------------------------------------------------------------

    def add_session(self, token_hash: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    token_hash=token_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def session(self, token_hash: str, now: datetime) -> SignedIn | None:
        """The live session with this token hash, of an account not disabled; None otherwise."""
        with self.reader.connect() as conn:
            row = conn.execute(
                select(users, sessions.c.csrf_token, sessions.c.expires_at)
                .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
                .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now, users.c.disabled == False)  # noqa: E712
            ).one_or_none()
        if row is None:
            return None
        return SignedIn(_user(row), row.csrf_token, row.expires_at, row.personal_version)

    def end_session(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def end_expired_sessions(self, now: datetime) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(sessions).where(sessions.c.expires_at <= now)).rowcount)

    # -- one-time sign-in links ----------------------------------------------------------------

    def add_sign_in_link(self, token_hash: str, user_id: int, now: datetime, expires_at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(sign_in_links).values(
                    token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at
                )
            )

    def use_sign_in_link(self, token_hash: str, now: datetime) -> int | None:
        """Spend the link: the account it signs in, or None when it is unknown, spent or expired.
        Of two requests with one link at once, one wins (the update only takes an unspent row)."""
        with self.engine.begin() as conn:
            spent = conn.execute(
                update(sign_in_links)
                .where(
                    sign_in_links.c.token_hash == token_hash,
                    sign_in_links.c.used_at == None,  # noqa: E711
                    sign_in_links.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if spent.rowcount != 1:
                return None
            user_id = conn.execute(
                select(sign_in_links.c.user_id).where(sign_in_links.c.token_hash == token_hash)
            ).scalar_one()
        return int(user_id)

    # -- failed sign-ins -----------------------------------------------------------------------

    def record_sign_in_failure(self, keys: Sequence[str], now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(sign_in_failures), [{"key": k, "failed_at": now} for k in keys])

    def sign_in_failures(self, key: str, since: datetime) -> int:
        with self.reader.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(sign_in_failures)
                    .where(sign_in_failures.c.key == key, sign_in_failures.c.failed_at >= since)
                ).scalar_one()
            )

    def forget_sign_in_failures(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(sign_in_failures).where(sign_in_failures.c.failed_at < before)).rowcount)


def _user(row: Any) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        disabled=bool(row.disabled),
        created_at=row.created_at,
        has_password=row.password_hash is not None,
        banned=bool(row.banned),
    )
