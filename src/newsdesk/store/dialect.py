"""The dialect-specific statements, kept in one small place.

Only "insert, ignoring rows whose key exists" differs between SQLite and
PostgreSQL for now; full-text and vector search will join it later.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_ignore(dialect: str, table: Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for the given dialect."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")
