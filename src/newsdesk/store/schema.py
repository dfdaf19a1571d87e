"""The one schema, as SQLAlchemy Core tables, for SQLite and PostgreSQL alike.

Alembic migrations (``store/migrations``) create exactly these tables; a test
compares the migrated database with this metadata so the two cannot drift.
Times are stored as timezone-aware UTC; ids of articles are stable strings
derived from (source id, guid) so that every ingest step can upsert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime that is always timezone-aware UTC on the way in and out.

    SQLite has no time zone type, so naive values read back are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


categories = Table(
    "categories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("categories.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("name"),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("title", Text),
    Column("site_url", Text),
    Column("category_id", Integer, ForeignKey("categories.id", ondelete="SET NULL")),
    Column("language", String(16)),
    Column("fetch_pages", Boolean),  # NULL: decide from the feed's text length
    Column("created_at", UTCDateTime, nullable=False),
    # fetch state
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_check_at", UTCDateTime),
    Column("last_checked_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("error_count", Integer, nullable=False, server_default="0"),
    Column("check_interval_s", Float),
    Column("paused", Boolean, nullable=False, server_default="0"),
    Column("pause_reason", Text),
    UniqueConstraint("url"),
    Index("ix_sources_next_check_at", "next_check_at"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text),
    Column("canonical_url", Text),
    Column("title", Text),
    Column("authors", Text),  # JSON list of names
    Column("published_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("summary", Text),  # sanitized HTML from the feed
    Column("content_html", Text),  # sanitized HTML: extracted page or feed content
    Column("text", Text),  # plain text
    Column("language", String(16)),
    Column("image_url", Text),
    Column("description", Text),
    Column("categories", Text),  # JSON list of the feed's categories/tags
    Column("word_count", Integer, nullable=False, server_default="0"),
    Column("reading_time_s", Integer, nullable=False, server_default="0"),
    Column("content_hash", String(40)),
    Column("entry_hash", String(40), nullable=False),
    Column("extraction_status", String(16), nullable=False),
    Column("extraction_reason", Text),
    Column("duplicate_of", String(40)),
    # No UNIQUE (source_id, guid): ``id`` is the hash of that pair, so the primary key enforces it.
    Index("ix_articles_canonical_url", "canonical_url"),
    Index("ix_articles_content_hash", "content_hash"),
    Index("ix_articles_published_at", "published_at"),
    Index("ix_articles_extraction_status", "extraction_status"),
)
