"""Passkeys in the database: readers' WebAuthn credentials, and the challenges of the ceremonies.

Only what is stored lives here; the ceremonies (options, verification, the sign-count rule) are the
use case's (``people/passkeys.py``). Challenges are spent by deleting them: of two requests with one
challenge at once, one wins, so an answer to a challenge counts once in every process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from newsdesk.errors import PasskeyError
from newsdesk.model import Passkey
from newsdesk.store.port import NewPasskey, StoredChallenge, StoredPasskey
from newsdesk.store.schema import passkeys, webauthn_challenges


class PasskeyStorage:
    """The passkeys part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def add_passkey(self, new: NewPasskey, now: datetime) -> Passkey:
        """Keep a verified credential; PasskeyError ``duplicate`` when its id is registered already."""
        with self.engine.begin() as conn:
            try:
                result = conn.execute(
                    insert(passkeys).values(
                        user_id=new.user_id,
                        credential_id=new.credential_id,
                        user_handle=new.user_handle,
                        public_key=new.public_key,
                        sign_count=new.sign_count,
                        transports=",".join(new.transports),
                        name=new.name,
                        created_at=now,
                    )
                )
            except IntegrityError as exc:
                raise PasskeyError("duplicate", "this passkey is registered already") from exc
            row = conn.execute(select(passkeys).where(passkeys.c.id == result.inserted_primary_key[0])).one()  # type: ignore[index]
        return _passkey(row)

    def passkeys(self, user_id: int) -> list[StoredPasskey]:
        """A reader's passkeys, oldest first."""
        with self.reader.connect() as conn:
            rows = conn.execute(select(passkeys).where(passkeys.c.user_id == user_id).order_by(passkeys.c.id)).all()
        return [_stored(r) for r in rows]

    def passkey_by_credential(self, credential_id: str) -> StoredPasskey | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(passkeys).where(passkeys.c.credential_id == credential_id)).one_or_none()
        return None if row is None else _stored(row)

    def passkey_used(self, passkey_id: int, sign_count: int, now: datetime) -> None:
        """Record a sign-in with the passkey: its authenticator's new counter and the time."""
        with self.engine.begin() as conn:
            conn.execute(
                update(passkeys).where(passkeys.c.id == passkey_id).values(sign_count=sign_count, last_used_at=now)
            )

    def remove_passkey(self, user_id: int, passkey_id: int) -> bool:
        """Remove one of ``user_id``'s passkeys (another reader's is never touched); whether one was."""
        with self.engine.begin() as conn:
            done = conn.execute(delete(passkeys).where(passkeys.c.id == passkey_id, passkeys.c.user_id == user_id))
        return bool(done.rowcount)

    # -- challenges ----------------------------------------------------------------------------

    def add_challenge(self, challenge: StoredChallenge, now: datetime) -> None:
        """Keep a new challenge, and drop the expired ones (so the table holds minutes' worth only)."""
        with self.engine.begin() as conn:
            conn.execute(delete(webauthn_challenges).where(webauthn_challenges.c.expires_at <= now))
            conn.execute(
                insert(webauthn_challenges).values(
                    token_hash=challenge.token_hash,
                    purpose=challenge.purpose,
                    challenge=challenge.challenge,
                    user_id=challenge.user_id,
                    user_handle=challenge.user_handle,
                    expires_at=challenge.expires_at,
                )
            )

    def spend_challenge(self, token_hash: str, now: datetime) -> StoredChallenge | None:
        """Take the challenge out (single use): it, or None when unknown, spent or expired."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(webauthn_challenges).where(webauthn_challenges.c.token_hash == token_hash)
            ).one_or_none()
            if row is None:
                return None
            spent = conn.execute(delete(webauthn_challenges).where(webauthn_challenges.c.token_hash == token_hash))
            if spent.rowcount != 1 or row.expires_at <= now:
                return None
        return StoredChallenge(row.token_hash, row.purpose, row.challenge, row.user_id, row.user_handle, row.expires_at)


def _passkey(row: Any) -> Passkey:
    return Passkey(id=row.id, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at)


def _stored(row: Any) -> StoredPasskey:
    return StoredPasskey(
        passkey=_passkey(row),
        user_id=row.user_id,
        credential_id=row.credential_id,
        user_handle=row.user_handle,
        public_key=bytes(row.public_key),
        sign_count=int(row.sign_count),
        transports=tuple(t for t in row.transports.split(",") if t),
    )
