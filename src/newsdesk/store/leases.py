"""Leases: one process at a time works on an item, when several share one database.

``newsdesk serve`` (its scheduler) and a CLI ``newsdesk update`` on the same database used to
fetch every due feed and every pending page twice, and to enrich every waiting article twice.
Now a pass *claims* what it is about to work on — a row per item in ``leases`` with a holder and
an expiry — and skips what another holder claimed and has not released. A claim is an upsert
that only takes a row whose lease ran out (or is already the caller's), so of two processes
claiming the same item at once exactly one wins, on SQLite (one writer at a time) and on
PostgreSQL (``ON CONFLICT … DO UPDATE … WHERE`` locks the row) alike. A process killed with
its claims held leaves them to run out after ``lease_ttl_s`` — or at once, for the next process on
the same machine, which sees that the holder's pid no longer runs.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, delete, or_, select

from newsdesk.store.dialect import array_param, in_array, upsert
from newsdesk.store.schema import leases


def new_holder() -> str:
    """A name for one process (one facade) in the leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class LeaseStorage:
    """The leases part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def claim(self, kind: str, keys: Sequence[str], holder: str, now: datetime, ttl_s: float) -> list[str]:
        """Claim ``keys`` of ``kind`` for ``holder`` until ``now + ttl_s``; the keys it now holds, in order.

        A key held by another holder whose lease has not run out is not taken. Claiming again
        what the holder already holds extends its lease. Expired rows of ``kind`` are dropped
        first, so the table holds about what is being worked on.
        """
        if not keys:
            return []
        expires = now + timedelta(seconds=ttl_s)
        dialect = self.engine.dialect.name
        with self.engine.begin() as conn:
            conn.execute(delete(leases).where(leases.c.kind == kind, leases.c.expires_at <= now))
            holders = conn.execute(select(leases.c.holder).where(leases.c.kind == kind).distinct()).scalars()
            dead = [h for h in holders if h != holder and _died_here(h)]
            if dead:  # a process of this machine that was killed: its claims need not wait to run out
                conn.execute(delete(leases).where(leases.c.holder.in_(dead)))
            rows = [{"kind": kind, "key": k, "holder": holder, "expires_at": expires} for k in keys]
            conn.execute(_take_unless_held(dialect, now, holder), rows)
            mine = select(leases.c.key).where(
                leases.c.kind == kind, leases.c.holder == holder, in_array(dialect, leases.c.key, "keys")
            )
            held = set(conn.execute(mine, {"keys": array_param(dialect, list(keys))}).scalars())
        return [k for k in keys if k in held]

    def release(self, holder: str, kind: str | None = None) -> None:
        """Give up ``holder``'s leases (only those of ``kind``, when given)."""
        query = delete(leases).where(leases.c.holder == holder)
        if kind is not None:
            query = query.where(leases.c.kind == kind)
        with self.engine.begin() as conn:
            conn.execute(query)


def _died_here(holder: str) -> bool:
    """Whether ``holder`` names a process of this machine that no longer runs.

    A reused pid looks alive, and a holder on another machine cannot be checked: their claims
    run out with their expiry, which is the safe side.
    """
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def keys_held_by_others(kind: str, holder: str, now: datetime) -> Select[tuple[str]]:
    """The keys of ``kind`` another holder's running lease covers: for queries that list work
    (pending pages), so that a process is not offered what another holds."""
    return select(leases.c.key).where(leases.c.kind == kind, leases.c.holder != holder, leases.c.expires_at > now)


def _take_unless_held(dialect: str, now: datetime, holder: str) -> Any:
    """``INSERT … ON CONFLICT (kind, key) DO UPDATE`` that takes over only a lease that ran out (or is ours)."""
    stmt = upsert(dialect, leases)
    return stmt.on_conflict_do_update(
        index_elements=[leases.c.kind, leases.c.key],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=or_(leases.c.expires_at <= now, leases.c.holder == holder),
    )
