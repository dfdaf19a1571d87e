"""The storage port: what the facade needs from a database, nothing more.

Every method that writes is one transaction and idempotent: applying the same
intents twice leaves the database as applying them once, which is what makes a
killed ``newsdesk update`` safe to run again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from newsdesk.model import (
    Article,
    ArticleEnrichment,
    ArticleUpdate,
    Bookmark,
    Category,
    Comment,
    CommentStatus,
    CommentTarget,
    CopyOf,
    EnrichInput,
    FeedUpdate,
    Follow,
    KeywordFilter,
    ModerationAction,
    ModerationItem,
    Neighbor,
    PageResult,
    Passkey,
    PendingPage,
    PrimarySwap,
    ReadMark,
    Role,
    SearchQuery,
    SearchRow,
    SignedIn,
    Source,
    Stats,
    Story,
    StoryDetail,
    StoryMerge,
    Tag,
    User,
    WindowArticle,
    WindowVector,
)


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What a story's front-page card shows beside the story row: the headline, description, opening
    text, image and language of its shown article (the representative, or the first report in the
    reader's language), and the story's publishers."""

    story_id: str
    headline: str | None
    description: str | None
    opening: str  # the first characters of the representative's plain text
    image_url: str | None
    language: str | None
    publishers: tuple[str, ...]  # the most articles first


@dataclass(frozen=True, slots=True)
class ActiveStory:
    """What ranking reads of a live story: no headline, languages or tags, which only the stories shown need."""

    story_id: str
    article_times: tuple[datetime, ...]
    publishers: int
    category: str | None
    regions: tuple[str, ...]
    last_seen_at: datetime | None = None  # what puts the story in a window (its last article, copies too)


@dataclass(frozen=True, slots=True)
class EnrichmentCounts:
    """How many primary articles story intelligence has done, and how many wait for it."""

    enriched: int
    waiting: int


@dataclass(frozen=True, slots=True)
class StoredVector:
    """An article's embedding and the model that made it (vectors of other models are not comparable)."""

    model: str
    vector: bytes


@dataclass(frozen=True, slots=True)
class IndexedArticle:
    """What related reading needs to know of a vector search hit, to keep or drop it."""

    article_id: str
    story_id: str | None
    is_copy: bool  # an exact or near duplicate: its primary stands for it
    published_at: datetime


@dataclass(frozen=True, slots=True)
class KnownKeys:
    """What the database already holds for a batch of drafts (input of the dedup decider)."""

    entry_hash_by_id: dict[str, str] = field(default_factory=dict)
    id_by_canonical_url: dict[str, str] = field(default_factory=dict)
    id_by_content_hash: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewSource:
    """A feed to subscribe to, one of many (:meth:`Storage.add_sources`)."""

    url: str
    title: str | None = None
    category: str | None = None
    site_url: str | None = None


@dataclass(frozen=True, slots=True)
class SourceName:
    """A source as a choice in a form: its id and the name it is shown by."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class AddedSources:
    """What :meth:`Storage.add_sources` did: the sources it added, in the order given, and the rest."""

    added: tuple[Source, ...]
    existing: tuple[str, ...]  # URLs subscribed already (or given twice): left as they were


@dataclass(frozen=True, slots=True)
class StoredUser:
    """An account with the hash its password is checked against (the use case's alone: never shown)."""

    user: User
    password_hash: str | None


@dataclass(frozen=True, slots=True)
class NewPasskey:
    """A verified WebAuthn credential to keep (``credential_id`` and ``user_handle`` base64url)."""

    user_id: int
    credential_id: str
    user_handle: str
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    name: str


@dataclass(frozen=True, slots=True)
class StoredPasskey:
    """A passkey with what verifying a sign-in needs (the use case's alone: never shown)."""

    passkey: Passkey
    user_id: int
    credential_id: str
    user_handle: str
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredChallenge:
    """A WebAuthn challenge kept server-side: ``purpose`` "register" or "sign-in", ``challenge`` base64url."""

    token_hash: str
    purpose: str
    challenge: str
    user_id: int | None
    user_handle: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LogLine:
    """A moderation log line to write with an action (its time is the action's)."""

    moderator_id: int
    action: str
    reason: str


class Storage(Protocol):
    """Everything newsdesk stores. Implemented by :class:`newsdesk.store.SqlStorage`."""

    @property
    def dialect(self) -> str: ...

    @property
    def url(self) -> str:
        """The database URL, so worker processes can open their own connections."""
        ...

    def migrate(self) -> None: ...

    def close(self) -> None: ...

    # sources and categories
    def add_source(
        self,
        url: str,
        *,
        title: str | None = None,
        site_url: str | None = None,
        category: str | None = None,
        fetch_pages: bool | None = None,
        now: datetime,
    ) -> Source: ...

    def add_sources(self, new: Sequence[NewSource], now: datetime) -> AddedSources:
        """Subscribe to many feeds in one transaction (an OPML import); URLs subscribed already are left alone."""
        ...

    def get_source(self, source_id: int) -> Source: ...

    def find_source(self, url: str) -> Source | None: ...

    def list_sources(self) -> list[Source]: ...

    def source_names(self, limit: int) -> list[SourceName]:
        """At most ``limit`` sources' ids and names, by name: a form's choices, without reading whole sources."""
        ...

    def remove_source(self, source_id: int) -> None: ...

    def set_paused(self, source_id: int, paused: bool, reason: str | None, now: datetime) -> Source: ...

    def due_sources(self, now: datetime, limit: int | None = None) -> list[Source]: ...

    def list_categories(self) -> list[Category]: ...

    # leases (store/leases.py): one process at a time works on an item
    def claim(self, kind: str, keys: Sequence[str], holder: str, now: datetime, ttl_s: float) -> list[str]: ...

    def release(self, holder: str, kind: str | None = None) -> None: ...

    def ensure_category(self, name: str, parent: str | None = None) -> Category: ...

    # articles
    def known_keys(
        self, ids: Iterable[str], canonical_urls: Iterable[str], content_hashes: Iterable[str]
    ) -> KnownKeys: ...

    def apply_feed_updates(
        self, feeds: Sequence[FeedUpdate], articles: Sequence[ArticleUpdate], now: datetime
    ) -> None: ...

    def pending_pages(
        self, limit: int, source_id: int | None = None, *, holder: str | None = None, now: datetime | None = None
    ) -> list[PendingPage]:
        """Pages waiting to be fetched, newest first; with ``holder`` and ``now``, none another holder leases."""
        ...

    def apply_page_results(self, results: Sequence[PageResult]) -> None: ...

    def copy_groups(self) -> list[list[CopyOf]]: ...

    def apply_primary_swaps(self, swaps: Sequence[PrimarySwap]) -> int: ...

    def get_article(self, article_id: str) -> Article: ...

    def get_articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """The existing articles of ``article_ids`` by id, in one read."""
        ...

    def list_articles(
        self,
        *,
        source_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
        include_duplicates: bool = False,
    ) -> list[Article]: ...

    def article_count(self, include_duplicates: bool = True) -> int: ...

    def stats(self) -> Stats: ...

    # story intelligence (store/stories.py)
    def pending_enrichment(self, limit: int, after: tuple[datetime, str] | None = None) -> list[EnrichInput]: ...

    def enrichment_window(self, since: datetime) -> list[WindowArticle]: ...

    def stale_vectors(self, model: str, since: datetime, limit: int) -> list[EnrichInput]: ...

    def replace_vectors(self, model: str, vectors: Sequence[tuple[str, bytes]]) -> None: ...

    def apply_enrichment(
        self,
        results: Sequence[ArticleEnrichment],
        merges: Sequence[StoryMerge],
        now: datetime,
        *,
        moves: Sequence[tuple[str, str]] = (),
        copies: Sequence[tuple[str, str | None]] = (),
    ) -> None: ...

    def get_story(self, story_id: str) -> StoryDetail: ...

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
    ) -> list[Story]: ...

    def card_facts(self, stories: Sequence[Story], language: str | None = None) -> dict[str, CardFacts]:
        """For each story, what its card shows, in ``language`` where the story has an article in it
        (two or three queries, whatever the number of stories)."""
        ...

    def active_stories(self, since: datetime) -> list[ActiveStory]:
        """Live stories active since ``since`` with what ranking needs, the columns ranking reads."""
        ...

    def data_version(self, name: str = "stories") -> int:
        """A counter of the writes to ``name`` (``stories``: story rows and the articles they hold), bumped in
        the writing transaction: while it is unchanged, whatever was computed from that data still holds."""
        ...

    def data_versions(self) -> tuple[tuple[str, int], ...]:
        """Every counter (``stories``, ``articles``, ``sources``, ``search``, ``comments``) as (name, count), read
        at once: while the tuple is unchanged, no write to anything a reader's page shows has committed."""
        ...

    def article_tags_of(self, article_ids: Iterable[str]) -> dict[str, list[Tag]]: ...

    def tagged_article_ids(self, tag: str, limit: int) -> list[str]: ...

    def tag_label(self, tag: str) -> str | None: ...

    def vector_of(self, article_id: str) -> StoredVector | None: ...

    def vectors_since(self, since: datetime, model: str) -> list[WindowVector]: ...

    def articles_by_vector_keys(self, keys: Iterable[int]) -> dict[int, IndexedArticle]: ...

    def enrichment_counts(self) -> EnrichmentCounts: ...

    def vector_search(self, model: str, vector: bytes, k: int) -> list[Neighbor] | None:
        """Nearest vectors searched in the database (pgvector), or None where it cannot."""
        ...

    # full-text search (store/search.py)
    def index_search(self, limit: int = 500) -> int:
        """(Re)index up to ``limit`` of the articles whose text changed, in one transaction; how many it took."""
        ...

    def search_backlog(self) -> int:
        """Articles waiting to be (re)indexed for search."""
        ...

    def search(self, query: SearchQuery) -> list[SearchRow]:
        """Primary articles matching ``query``, best first (ties: newest first); a reader's text is never
        database syntax, so no query fails for what it holds."""
        ...

    # accounts (store/accounts.py): secrets arrive hashed
    def add_user(self, name: str, name_key: str, password_hash: str | None, role: Role, now: datetime) -> User:
        """A new account; NameTakenError when ``name_key`` (the casefolded name) is taken."""
        ...

    def stored_user(self, name_key: str) -> StoredUser | None: ...

    def user(self, user_id: int) -> User: ...

    def users(self, limit: int = 1000, offset: int = 0) -> list[User]: ...

    def user_count(self) -> int: ...

    def update_user(
        self, user_id: int, *, role: Role | None = None, disabled: bool | None = None, password_hash: str | None = None
    ) -> User:
        """Change an account; disabling it or a new password ends its sessions."""
        ...

    def delete_user(self, user_id: int) -> None:
        """Remove the account and what cascades from it."""
        ...

    def user_sessions(self, user_id: int) -> list[tuple[datetime, datetime]]: ...

    def add_session(
        self, token_hash: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime
    ) -> None: ...

    def session(self, token_hash: str, now: datetime) -> SignedIn | None:
        """The live session of this token hash, of an account not disabled."""
        ...

    def end_session(self, token_hash: str) -> None: ...

    def end_expired_sessions(self, now: datetime) -> int: ...

    def add_sign_in_link(self, token_hash: str, user_id: int, now: datetime, expires_at: datetime) -> None: ...

    def use_sign_in_link(self, token_hash: str, now: datetime) -> int | None:
        """Spend a one-time link: the account it signs in, or None (unknown, spent or expired)."""
        ...

    def record_sign_in_failure(self, keys: Sequence[str], now: datetime) -> None: ...

    def sign_in_failures(self, key: str, since: datetime) -> int: ...

    def forget_sign_in_failures(self, before: datetime) -> int: ...

    # what the language model wrote, and its use (store/ai.py)
    def ai_output(self, key: str) -> str | None: ...

    def put_ai_output(
        self, key: str, *, target: str, feature: str, model: str, language: str, payload: str, now: datetime
    ) -> None: ...

    def forget_ai_outputs(self, target: str) -> int: ...

    def count_ai_usage(self, day: str, counts: Mapping[str, int]) -> None:
        """Add to a day's counters, safe when processes count at once."""
        ...

    def ai_usage(self, days: int = 30) -> list[dict[str, int | str]]: ...

    def ai_tokens_spent(self, day: str) -> int: ...

    # the site's own settings (store/site.py)
    def site_settings(self) -> dict[str, str]: ...

    def set_site_settings(self, values: Mapping[str, str], by: int | None, now: datetime) -> None:
        """Write the settings given and bump the ``site`` data version."""
        ...

    # passkeys (store/passkeys.py)
    def add_passkey(self, new: NewPasskey, now: datetime) -> Passkey:
        """Keep a verified credential; PasskeyError ``duplicate`` when its id is registered already."""
        ...

    def passkeys(self, user_id: int) -> list[StoredPasskey]: ...

    def passkey_by_credential(self, credential_id: str) -> StoredPasskey | None: ...

    def passkey_used(self, passkey_id: int, sign_count: int, now: datetime) -> None: ...

    def remove_passkey(self, user_id: int, passkey_id: int) -> bool: ...

    def add_challenge(self, challenge: StoredChallenge, now: datetime) -> None: ...

    def spend_challenge(self, token_hash: str, now: datetime) -> StoredChallenge | None:
        """Take the challenge out (single use): it, or None when unknown, spent or expired."""
        ...

    # comments (store/comments.py): every write bumps the "comments" data version; moderator actions log themselves
    def comment_target_exists(self, target: CommentTarget, target_id: str) -> bool: ...

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
        """A new comment; None, and nothing written, when the author has already written ``limit`` comments
        since ``since`` for one of ``limits`` (checked in the same transaction, the author's row locked first, so
        parallel posts of one author cannot all pass the check)."""
        ...

    def comment(self, comment_id: int) -> Comment:
        """The comment with this id; NotFoundError."""
        ...

    def comments_on(self, target: CommentTarget, target_id: str, limit: int = 1000) -> list[Comment]:
        """Every comment on the target in any state, oldest first."""
        ...

    def comments_by(self, user_id: int) -> int:
        """How many comments the account has written, deleted ones too."""
        ...

    def has_replies(self, comment_id: int) -> bool: ...

    def edit_comment(self, comment_id: int, body: str, html: str, now: datetime) -> Comment: ...

    def delete_comment(self, comment_id: int, now: datetime) -> None:
        """Its author's deletion: the text goes, the row stays (status deleted), its open reports resolved."""
        ...

    def report_comment(self, comment_id: int, reporter_id: int, reason: str, now: datetime) -> bool:
        """A reader's report; False when this reader reported this comment already."""
        ...

    def moderate_comment(self, comment_id: int, status: CommentStatus, line: LogLine, now: datetime) -> Comment:
        """Set a comment's state, resolve its reports and write the log line, in one transaction."""
        ...

    def set_banned(self, user_id: int, banned: bool, line: LogLine, now: datetime) -> None:
        """Ban an account from commenting or lift the ban, with the log line, in one transaction."""
        ...

    def moderation_queue(self, limit: int = 200) -> list[ModerationItem]:
        """Held comments and comments with open reports, oldest first."""
        ...

    def blank_comments_of(self, user_id: int) -> int:
        """Empty every comment of the account (deleted, as its author deletes one)."""
        ...

    def comments_of(self, user_id: int, limit: int = 100_000) -> list[Comment]: ...

    def moderation_log(self, limit: int = 100) -> list[ModerationAction]:
        """The latest moderator actions, newest first."""
        ...

    # -- personal reading (store/personal.py): every call scoped by the reader's id -------------------

    def personal_count(self, user_id: int, what: str) -> int:
        """How many ``follows``, ``keyword_filters`` or ``bookmarks`` the reader keeps."""
        ...

    def set_follow(self, user_id: int, kind: str, key: str, mode: str, now: datetime) -> None:
        """Follow or mute (one row per reader and thing: the last choice wins)."""
        ...

    def remove_follow(self, user_id: int, kind: str, key: str) -> bool: ...

    def follows(self, user_id: int) -> list[Follow]: ...

    def add_keyword_filter(
        self, user_id: int, phrase: str, language: str | None, action: str, now: datetime
    ) -> KeywordFilter: ...

    def remove_keyword_filter(self, user_id: int, filter_id: int) -> bool: ...

    def keyword_filters(self, user_id: int) -> list[KeywordFilter]: ...

    def save_bookmark(self, user_id: int, article_id: str, note: str | None, now: datetime) -> Bookmark: ...

    def set_bookmark_note(self, user_id: int, bookmark_id: int, note: str | None) -> bool: ...

    def remove_bookmark(self, user_id: int, bookmark_id: int) -> bool: ...

    def bookmarks(
        self, user_id: int, *, article_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Bookmark]: ...

    def record_read(
        self,
        user_id: int,
        kind: str,
        key: str,
        now: datetime,
        article_count: int | None = None,
        last_article_at: datetime | None = None,
    ) -> ReadMark | None:
        """Mark read now; the mark replaced (None the first time)."""
        ...

    def read_marks(self, user_id: int, kind: str, keys: Sequence[str] | None = None) -> dict[str, ReadMark]: ...

    def story_sources(self, story_ids: Sequence[str]) -> dict[str, frozenset[int]]: ...

    def stories_of_sources(self, source_ids: Sequence[int], since: datetime, limit: int) -> list[str]: ...
