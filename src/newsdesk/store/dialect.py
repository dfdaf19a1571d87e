"""The dialect-specific statements, kept in one small place.

"Insert, ignoring rows whose key exists" differs between SQLite and
PostgreSQL, and SQLite gets a bulk path that skips SQLAlchemy's per-row
processing (the first poll of 1000 feeds writes ~35k rows; through the driver
directly that is three times faster). Full-text and vector search will join later.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, Text, any_, bindparam, func, select
from sqlalchemy.sql.dml import Insert

from newsdesk.store.schema import UTCDateTime


def upsert(dialect: str, table: Table) -> Any:
    """The dialect's ``INSERT`` with ``on_conflict_do_nothing`` and ``on_conflict_do_update``."""
    # Dialect modules are imported on use: loading PostgreSQL's costs every SQLite command ≈20 ms.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")


def insert_ignore(dialect: str, table: Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for the given dialect."""
    return upsert(dialect, table).on_conflict_do_nothing()  # type: ignore[no-any-return]


def sqlite_time(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy's SQLite DATETIME stores it: naive UTC text, with microseconds."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


def bulk_insert_ignore(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    times_stored: bool = False,
) -> None:
    """Insert many rows (tuples in ``columns`` order), skipping those whose key exists, as fast as the driver allows.

    ``times_stored``: the rows' datetimes are already what the driver stores (:func:`sqlite_time`
    on SQLite), converted while the caller built them, instead of in a second pass here.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert_ignore(conn.dialect.name, table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
    if times and not times_stored:
        rows = _with_sqlite_times(rows, times)
    sql = f"INSERT OR IGNORE INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    conn.exec_driver_sql(sql, rows)


def _with_sqlite_times(rows: Sequence[tuple[Any, ...]], times: Sequence[int]) -> list[tuple[Any, ...]]:
    """The rows with the datetimes at ``times`` as :func:`sqlite_time` text (inlined: ~100k per first poll).

    A value that is the very object of the row before (a batch's ``fetched_at``)
    reuses its text.
    """
    last: list[Any] = [None] * len(times)
    texts: list[str | None] = [None] * len(times)
    converted = []
    for row in rows:
        values = list(row)
        for k, i in enumerate(times):
            value = values[i]
            if value is None:
                continue
            if value is last[k]:
                values[i] = texts[k]
                continue
            last[k] = value
            if value.tzinfo is not UTC:
                value = value.astimezone(UTC)
            values[i] = texts[k] = value.isoformat(" ", "microseconds")[:-6]
        converted.append(tuple(values))
    return converted


# -- "which of these keys exist?" -------------------------------------------------
#
# Looking up the keys of a chunk of drafts (ids, canonical URLs, content hashes) with
# ``IN (?, ?, …)`` makes SQLAlchemy expand and bind one parameter per key in every
# statement; one parameter holding the whole array keeps the statement the same
# (compiled once, cached) whatever the number of keys, and needs no chunking.


def in_array(dialect: str, column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` equals one of the values of the array parameter ``name`` (bind it with :func:`array_param`).

    SQLite: ``column IN (SELECT value FROM json_each(:name))`` with a JSON array;
    PostgreSQL: ``column = ANY(:name)`` with an array.
    """
    if dialect == "sqlite":
        values = func.json_each(bindparam(name, type_=Text())).table_valued("value")
        return column.in_(select(values.c.value))
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return column == any_(bindparam(name, type_=postgresql.ARRAY(Text())))
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")


_JSON = json.JSONEncoder(ensure_ascii=False)  # a str that cannot be bound fails as it would as its own parameter


def array_param(dialect: str, values: list[str]) -> Any:
    """The value to bind to an :func:`in_array` parameter."""
    return _JSON.encode(values) if dialect == "sqlite" else values
