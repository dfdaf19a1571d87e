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
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
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
    # story intelligence (issue 3), filled by the enrichment step; enriched_at NULL = still to do
    Column("story_id", String(40)),
    Column("near_duplicate_of", String(40)),  # a syndicated/lightly edited copy of this primary
    Column("category", String(40)),
    Column("regions", Text),  # JSON list
    Column("enriched_at", UTCDateTime),
    # No UNIQUE (source_id, guid): ``id`` is the hash of that pair, so the primary key enforces it.
    Index("ix_articles_canonical_url", "canonical_url"),
    Index("ix_articles_content_hash", "content_hash"),
    Index("ix_articles_extraction_status", "extraction_status"),
    # ix_articles_story_id and ix_articles_enriched_at: partial, see complete_metadata().
)
# Listings (newest first) and the enrichment window go by this expression (migration 0005).
Index("ix_articles_when", func.coalesce(articles.c.published_at, articles.c.fetched_at))

stories = Table(
    "stories",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("headline", Text),
    Column("representative_id", String(40)),  # the article whose headline the story shows
    Column("first_seen_at", UTCDateTime),
    Column("last_seen_at", UTCDateTime),
    Column("article_count", Integer, nullable=False, server_default="0"),
    Column("source_count", Integer, nullable=False, server_default="0"),
    Column("languages", Text),  # JSON object: language → articles
    Column("category", String(40)),
    Column("regions", Text),  # JSON list
    Column("tags", Text),  # JSON list of the story's top hashtags (keys)
    Column("merged_into", String(40)),  # set when the story was merged into another (its id keeps resolving)
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_stories_last_seen_at", "last_seen_at"),
    Index("ix_stories_category", "category"),
)

article_tags = Table(
    "article_tags",
    metadata,
    Column("article_id", String(40), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(120), primary_key=True),  # normalized key, e.g. "leejaemyung"
    Column("label", Text, nullable=False),  # as shown, e.g. "#LeeJaeMyung"
    Column("kind", String(16), nullable=False),  # person, place, org, entity, phrase
    Column("score", Float, nullable=False),
    Index("ix_article_tags_tag", "tag"),
)

article_vectors = Table(
    "article_vectors",
    metadata,
    Column("article_id", String(40), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(120), nullable=False),  # a different model id means: embed again
    Column("vector", LargeBinary),  # float32, L2-normalised
    Column("signature", LargeBinary),  # near-duplicate signature (MinHash)
    Column("key", BigInteger),  # the article's key in the vector index file (model.vector_key)
    Index("ix_article_vectors_key", "key"),
)

# Who is working on what, when two processes share one database (``newsdesk serve`` and a CLI
# ``update``, or workers on several machines): a row per claimed item, held until ``expires_at``,
# so a crashed holder's claims run out by themselves (``store/leases.py``).
leases = Table(
    "leases",
    metadata,
    Column("kind", String(16), primary_key=True),  # source, page, enrich
    Column("key", String(200), primary_key=True),  # the item's id
    Column("holder", String(120), nullable=False),  # host:pid:random of the claiming process
    Column("expires_at", UTCDateTime, nullable=False),
)


# Articles whose searchable text changed since they were last indexed (store/search.py): the ingest
# transaction adds a row, the search index step (tasks/search_index.py) takes rows off in batches. The
# index itself is dialect-specific (an FTS5 table, a tsvector column) and made by migration 0010.
search_queue = Table(
    "search_queue",
    metadata,
    Column("article_id", String(40), primary_key=True),
)


# One counter per kind of derived data, bumped in the transaction that changes it, so a reader in any
# process tells with one row read whether what it computed from that data is still current
# (the front page's cache, queries/cache.py). "stories": story rows and the articles they hold.
data_versions = Table(
    "data_versions",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("version", BigInteger, nullable=False, server_default="0"),
)


# People (issue 14). Names are unique ignoring case: ``name_key`` is the casefolded name. Secrets are never
# stored as given: a password as its Argon2id hash, a session or sign-in link token as its SHA-256.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("name_key", String(40), nullable=False),
    Column("password_hash", Text),  # NULL: no password (a passkey or a one-time link only)
    Column("role", String(16), nullable=False, server_default="reader"),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("banned", Boolean, nullable=False, server_default="0"),  # by a moderator: no commenting
    # changes to the reader's follows, mutes, filters and languages: whether a kept filter is still theirs
    Column("personal_version", Integer, nullable=False, server_default="0"),
    UniqueConstraint("name_key"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # hex SHA-256 of the cookie's token
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)

# One-time sign-in links the operator hands out (``newsdesk users reset-link``): used once, then spent.
sign_in_links = Table(
    "sign_in_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

# Failed sign-ins, by account and by address, for the rate limit (people/accounts.py): kept for the
# limit's window, so every process serving the site counts the same attempts.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(120), nullable=False),  # "user:<name_key>" or "addr:<address>"
    Column("failed_at", UTCDateTime, nullable=False),
    Index("ix_sign_in_failures_key_failed_at", "key", "failed_at"),
)

# Passkeys (WebAuthn): a reader's public-key credentials. ``credential_id`` is the authenticator's id
# (base64url, at most 1023 bytes so 1364 characters); ``user_handle`` the random id the authenticator
# keeps for the account (the same for all of one reader's passkeys, never the database id);
# ``sign_count`` the authenticator's counter, which must grow (a cloned key's would fall behind).
passkeys = Table(
    "passkeys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("credential_id", String(1400), nullable=False),
    Column("user_handle", String(100), nullable=False),
    Column("public_key", LargeBinary, nullable=False),  # COSE-encoded
    Column("sign_count", BigInteger, nullable=False, server_default="0"),
    Column("transports", String(200), nullable=False, server_default=""),  # comma-separated hints
    Column("name", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    UniqueConstraint("credential_id"),
    Index("ix_passkeys_user_id", "user_id"),
)

# WebAuthn challenges, server-side, single use and short-lived: keyed by the SHA-256 of a random token
# the browser holds in a cookie. ``purpose``: "register" (of ``user_id``) or "sign-in" (``user_id``: the
# account whose name was typed, or NULL for any passkey of this site).
webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("challenge", String(100), nullable=False),  # base64url
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
    Column("user_handle", String(100)),  # registering: the handle the options gave the authenticator
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_webauthn_challenges_expires_at", "expires_at"),
)


# The site's own settings, set by an administrator on /admin/site (name, registration, default language):
# one row per setting, over the defaults of the configuration (people/site.py).
site_settings = Table(
    "site_settings",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
)

# Comments on articles and stories (people/comments.py). ``parent_id`` is always a top comment (replies are one
# level deep); ``body`` is what the author wrote, ``html`` its rendering, sanitized when written.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target_kind", String(16), nullable=False),  # article | story
    Column("target_id", String(64), nullable=False),
    # NULL once its author deleted their account and chose to leave their comments ("deleted account")
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="visible"),  # visible | held | hidden | deleted
    Column("created_at", UTCDateTime, nullable=False),
    Column("edited_at", UTCDateTime),
    Index("ix_comments_target_kind_target_id", "target_kind", "target_id"),
    Index("ix_comments_user_id_created_at", "user_id", "created_at"),
    Index("ix_comments_status", "status"),
)

# Reports of comments by readers: one per reader and comment; resolved when a moderator acts on the comment.
comment_reports = Table(
    "comment_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    Column("reporter_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    UniqueConstraint("comment_id", "reporter_id"),
    Index("ix_comment_reports_resolved_at", "resolved_at"),
)

# Every moderator action, written in the transaction of the action itself: who, what, on what, when, why.
# The log outlives what it names: an account or a comment removed leaves its line, its id set to NULL.
moderation_log = Table(
    "moderation_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("moderator_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(16), nullable=False),  # hide | restore | approve | ban | unban
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="SET NULL")),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# Personal reading (issue 14, section 2): what each reader follows and mutes, hides by keyword, bookmarks and
# has read. ``key`` is the canonical key of what is followed (a source's id, a tag's key, a category's or
# region's name, a story's id); one row per reader and thing, so following a muted thing unmutes it.
follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # source | tag | category | region | story | language
    Column("key", String(200), nullable=False),
    Column("mode", String(8), nullable=False),  # follow | mute
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "kind", "key"),
)

keyword_filters = Table(
    "keyword_filters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("phrase", String(100), nullable=False),
    Column("language", String(16)),  # NULL: every language
    Column("action", String(8), nullable=False),  # hide | blur
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_keyword_filters_user_id", "user_id"),
)

bookmarks = Table(
    "bookmarks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", String(40), ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("note", Text),  # at most MAX_NOTE_CHARS
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "article_id"),
)

# When a reader last opened an article or a story; for a story also what it held then, so its page can
# mark what came since ("3 new articles since you read it") and /following can list unseen updates.
reads = Table(
    "reads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),  # article | story
    Column("key", String(40), nullable=False),
    Column("read_at", UTCDateTime, nullable=False),
    Column("article_count", Integer),
    Column("last_article_at", UTCDateTime),
    UniqueConstraint("user_id", "kind", "key"),
)


def complete_metadata() -> MetaData:
    """``metadata`` with the partial indexes, for Alembic and the schema test (idempotent).

    They are left out of the tables above because their dialect options (``postgresql_where``)
    make SQLAlchemy import the PostgreSQL dialect (≈35 ms) in every SQLite command, and no
    query needs the metadata to know an index: the database plans with its own. Partial: a
    new article (no story yet) adds no entry to the first; the second holds only the articles
    still to enrich, so it stays small however large the table grows; the third only duplicates;
    the fourth, (time, story) of the primaries in a story, is what the front page ranks by.
    """
    names = {ix.name for ix in articles.indexes}
    for name, column, where in (
        ("ix_articles_story_id", "story_id", "story_id IS NOT NULL"),
        ("ix_articles_enriched_at", "enriched_at", "enriched_at IS NULL"),
        ("ix_articles_duplicate_of", "duplicate_of", "duplicate_of IS NOT NULL"),
    ):
        if name not in names:
            Index(name, articles.c[column], sqlite_where=text(where), postgresql_where=text(where))
    if "ix_articles_story_times" not in names:
        # The front page's ranking reads (time, story) of every primary of its window (Storage.active_stories):
        # with both in one partial index SQLite answers from the index alone, without reading ~20k rows.
        where = "story_id IS NOT NULL AND duplicate_of IS NULL"
        Index(
            "ix_articles_story_times",
            func.coalesce(articles.c.published_at, articles.c.fetched_at),
            articles.c.story_id,
            sqlite_where=text(where),
            postgresql_where=text(where),
        )
    return metadata


# What the language model wrote (assist/), by the hash of everything it was written from: the target
# (``article:ID`` or ``story:ID``) and its text's version, the feature, the model, the language and the
# question. ``payload`` is the result as JSON; the target column lets a target's outputs be found.
ai_outputs = Table(
    "ai_outputs",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("target", String(80), nullable=False, index=True),
    Column("feature", String(20), nullable=False),
    Column("model", String(120), nullable=False),
    Column("language", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# The language model's use per UTC day: calls, tokens (the daily budget), cache hits, fallbacks to the
# extractive features, and the sentences kept, rejected by the grounding check, or quarantined sources.
AI_USAGE_COUNTS = (
    "calls",
    "failures",
    "prompt_tokens",
    "completion_tokens",
    "cache_hits",
    "fallbacks",
    "kept",
    "rejected",
    "quarantined",
)
ai_usage = Table(
    "ai_usage",
    metadata,
    Column("day", String(10), primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in AI_USAGE_COUNTS),
)
