"""Domain types shared by every layer.

All are frozen, slotted dataclasses: values that stages return and that the
facade applies. The few built once per feed entry (``ParsedEntry``, ``ArticleDraft``,
``ArticleUpdate``, ~100k of each on a large first poll) use :func:`entry_value`:
frozen for the type checker, plain at run time, because a frozen dataclass sets each
field through ``object.__setattr__`` and that made building them a twentieth of a poll.

Times are timezone-aware UTC ``datetime`` objects. The types that end in ``Update``
are *intents* (model: lemon24/reader's ``*Intent``): a
stage decides what should change, the facade writes it in one transaction.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")

Clock = Callable[[], datetime]
"""What tells the time: ``now`` as a timezone-aware UTC datetime (tests pass a fixed one)."""
Progress = Callable[[str, int, int], None]
"""A progress callback: (phase, done, total); the CLI draws a bar with it on a terminal."""

# What a caller may ask for, checked at the edge by the web routes (web/params.py) and the CLI alike,
# so that no value reaches a database that cannot hold it.
MAX_SOURCE_ID = 2**31 - 1
"""The largest source id: ``sources.id`` is an ``INTEGER`` column (32 bits in PostgreSQL, where a larger
number fails the query instead of finding nothing)."""
MAX_OFFSET = 2**63 - 1
"""The largest offset of a listing: ``OFFSET`` takes a 64-bit integer in SQLite and PostgreSQL."""
MAX_KEY_CHARS = 200
"""The longest id, name or tag asked for: the columns hold ids of 40 characters, tags of 120, category
names of 200 (a 50k-character value made SQLite refuse a ``LIKE`` pattern)."""


@dataclass_transform(frozen_default=True)
def entry_value(cls: type[_T]) -> type[_T]:
    """A slotted dataclass that mypy treats as frozen (assigning a field is a type error)
    and that is hashable and compared by value like one, without a frozen ``__init__``'s cost:
    an 18-field frozen dataclass takes 3.8 µs to build, a plain one 0.9 µs."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


class ExtractionStatus(enum.StrEnum):
    """Where an article's text came from, or why it has none of its own."""

    PENDING = "pending"  # the page must still be fetched and extracted
    FEED = "feed"  # the feed's own content was full enough; no page fetched
    EXTRACTED = "extracted"  # text extracted from the article page
    FAILED = "failed"  # page fetch/extraction failed; the feed summary is kept, see reason
    SKIPPED = "skipped"  # page fetching is off for this source or the article is a duplicate


@dataclass(frozen=True, slots=True)
class Category:
    """A folder of sources (from OPML outlines or the catalog)."""

    id: int
    name: str
    parent_id: int | None = None


@entry_value  # one per subscribed feed: tens of thousands listed at the start of a large pass
class Source:
    """A subscribed feed and the state of fetching it, as the user sees it."""

    id: int
    url: str
    title: str | None = None
    site_url: str | None = None
    category: str | None = None
    language: str | None = None
    fetch_pages: bool | None = None  # None: fetch the page only when the feed text is short
    paused: bool = False
    pause_reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    error_count: int = 0
    check_interval_s: float | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """A successful HTTP exchange (200 with a body, or 304 without one)."""

    url: str  # the final URL, after redirects
    status: int
    body: bytes = b""
    content_type: str | None = None
    charset: str | None = None  # from the Content-Type header, when given
    etag: str | None = None
    last_modified: str | None = None
    max_age_s: float | None = None  # from Cache-Control max-age / Expires
    permanent_redirect: str | None = None  # set when a 301/308 chain moved the resource
    # Set when the body is still compressed ("gzip", "deflate"): fetched with decode=False, for the
    # process that parses it to inflate (pipeline.feed.inflate.decode_body).
    content_encoding: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@entry_value
class ParsedEntry:
    """One feed entry, normalized and with its HTML already sanitized."""

    guid: str | None
    url: str | None
    title: str | None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    summary_html: str | None = None
    content_html: str | None = None
    image_url: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document turned into plain values; scheduling hints included."""

    title: str | None
    site_url: str | None
    entries: tuple[ParsedEntry, ...]
    description: str | None = None
    language: str | None = None
    format: str = "unknown"  # e.g. rss20, atom10, json11
    ttl_minutes: int | None = None  # RSS <ttl>
    skip_hours: frozenset[int] = frozenset()  # RSS <skipHours>, UTC hours
    skip_days: frozenset[int] = frozenset()  # RSS <skipDays>, 0=Monday
    update_period_s: float | None = None  # sy:updatePeriod / sy:updateFrequency


@entry_value
class ArticleDraft:
    """What the feed tells us about an article, ready to store.

    ``id`` is stable (derived from source id and guid) so re-running an update
    upserts instead of duplicating. ``entry_hash`` covers every field taken from
    the feed, so a changed entry is recognised and an unchanged one skipped.
    """

    id: str
    source_id: int
    guid: str
    url: str | None
    canonical_url: str | None
    title: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    updated_at: datetime | None
    summary: str | None  # sanitized HTML from the feed
    content_html: str | None  # sanitized HTML: the feed's full content (None if only a summary), later the page
    text: str  # plain text of content_html (or summary)
    image_url: str | None
    categories: tuple[str, ...]
    word_count: int
    content_hash: str | None  # hash of the normalized text; None when there is too little text
    entry_hash: str
    language: str | None = None


class DraftAction(enum.StrEnum):
    """What the dedup decider wants done with a draft."""

    INSERT = "insert"
    UPDATE = "update"  # same id, the feed changed the entry
    SKIP = "skip"  # same id, nothing changed


@entry_value
class ArticleUpdate:
    """Intent: store (or skip) one draft, maybe as a duplicate of another article."""

    draft: ArticleDraft
    action: DraftAction
    duplicate_of: str | None = None
    extraction_status: ExtractionStatus = ExtractionStatus.PENDING
    reason: str | None = None  # why it is a duplicate / why the page is not fetched


@dataclass(frozen=True, slots=True)
class CopyOf:
    """One article of a group of exact copies (a primary and the articles stored as its duplicates)."""

    id: str
    source_id: int
    published_at: datetime | None
    extraction_status: ExtractionStatus
    reason: str | None
    duplicate_of: str | None  # None: the group's primary


@dataclass(frozen=True, slots=True)
class PrimarySwap:
    """Intent: ``new`` becomes its group's primary in place of ``old``; the group's copies point to ``new``.

    The two exchange what marks a primary: ``new`` takes ``old``'s extraction status and reason,
    ``old`` becomes a duplicate of ``new`` with ``old_status`` and ``old_reason``.
    """

    old: str
    new: str
    new_status: ExtractionStatus
    new_reason: str | None
    old_status: ExtractionStatus
    old_reason: str


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """Intent: the outcome of one feed check, to be applied in one transaction."""

    source_id: int
    checked_at: datetime
    next_check_at: datetime
    check_interval_s: float
    ok: bool
    error: str | None = None
    error_count: int = 0
    pause: bool = False
    new_url: str | None = None  # after a permanent redirect
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    site_url: str | None = None
    language: str | None = None
    not_modified: bool = False
    drafts: tuple[ArticleDraft, ...] = ()


@dataclass(frozen=True, slots=True)
class PendingPage:
    """An article whose page still has to be fetched and extracted."""

    article_id: str
    url: str
    source_id: int
    summary: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class Extracted:
    """What the extractor found in an article page."""

    text: str
    html: str | None = None  # sanitized
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    language: str | None = None
    image_url: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    method: str = "trafilatura"


@dataclass(frozen=True, slots=True)
class PageResult:
    """Intent: the outcome of fetching and extracting one article page."""

    article_id: str
    status: ExtractionStatus
    reason: str | None = None
    extracted: Extracted | None = None
    word_count: int = 0
    reading_time_s: int = 0
    content_hash: str | None = None
    language: str | None = None  # detected from the feed text when the page failed
    # The page's rel=canonical / og:url, canonicalized. Stored as the article's canonical URL only
    # when it stays on the page's own site (``canonical_is_own``); any canonical may still make this
    # article a duplicate of the one stored under it, never the other way round.
    canonical_url: str | None = None
    canonical_is_own: bool = False
    duplicate_of: str | None = None  # set by the page dedup decision, right before the write


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article as the interfaces show it."""

    id: str
    source_id: int
    guid: str
    url: str | None
    canonical_url: str | None
    title: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    updated_at: datetime | None
    fetched_at: datetime
    summary: str | None
    content_html: str | None
    text: str | None
    language: str | None
    image_url: str | None
    description: str | None
    word_count: int
    reading_time_s: int
    content_hash: str | None
    extraction_status: ExtractionStatus
    extraction_reason: str | None
    duplicate_of: str | None = None
    source_title: str | None = None
    categories: tuple[str, ...] = field(default=())
    story_id: str | None = None
    near_duplicate_of: str | None = None
    category: str | None = None
    regions: tuple[str, ...] = ()
    tags: tuple[Tag, ...] = ()


# --- story intelligence (issue 3) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tag:
    """A hashtag of an article or story: ``label`` is shown (``#LeeJaeMyung``), ``key`` links (``leejaemyung``)."""

    key: str
    label: str
    kind: str = "phrase"  # person, place, org, entity, phrase
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class StoryTag:
    """A hashtag of a story: ``label`` as its articles most often write it (``#BarackObama``), ``key`` links.

    Not a :class:`Tag`: a story's tags are its articles' tags counted, so the tagger's kind and score of
    one article mean nothing for them (the order, most used first, is what a story keeps).
    """

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class TaxonomyName:
    """A category or region of the fixed taxonomy: its name (``Climate/Environment``) and the slug of its
    address (``climate-environment``)."""

    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class EnrichInput:
    """What the enrichment step reads of an article (its final text, after extraction)."""

    id: str
    source_id: int
    title: str | None
    text: str
    published_at: datetime  # published, else fetched
    language: str | None
    feed_categories: tuple[str, ...] = ()
    source_category: str | None = None


@dataclass(frozen=True, slots=True)
class WindowArticle:
    """An already-enriched recent article: what rebuilds the clusterers' state after a restart."""

    id: str
    source_id: int
    title: str | None
    text: str
    published_at: datetime
    language: str | None
    story_id: str | None
    near_duplicate_of: str | None
    vector: bytes | None
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class ArticleEnrichment:
    """Intent: what enrichment decided for one article (written in one transaction with its batch)."""

    article_id: str
    story_id: str | None
    near_duplicate_of: str | None = None
    category: str | None = None
    regions: tuple[str, ...] = ()
    tags: tuple[Tag, ...] = ()
    vector_model: str | None = None
    vector: bytes | None = None
    signature: bytes | None = None


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """Intent: article ``article_id`` belongs to story ``story_id`` from now on.

    ``opened``: the article opened the story (a new one; a split's new half too). ``moved``: an
    earlier article changes story (a split). ``score``: the evidence for the join (1.0 when opened).
    """

    article_id: str
    story_id: str
    opened: bool = False
    moved: bool = False
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class StoryMerge:
    """Intent: story ``merged`` converged with the older ``into``; its articles move, its id keeps resolving."""

    merged: str
    into: str


StoryIntent = StoryAssignment | StoryMerge
"""What the story clusterer decides, in order: joins, moves and merges."""


@dataclass(frozen=True, slots=True)
class Story:
    """A story as the interfaces show it: many publishers' articles about one event."""

    id: str
    headline: str | None
    representative_id: str | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    article_count: int
    source_count: int
    languages: dict[str, int] = field(default_factory=dict)
    category: str | None = None
    regions: tuple[str, ...] = ()
    tags: tuple[StoryTag, ...] = ()  # the most used first
    score: float | None = None  # front-page score, when listed by rank


@dataclass(frozen=True, slots=True)
class StoryCard:
    """A story as a front-page card shows it: the story, the lead of its best article, its image and who covers it."""

    story: Story
    headline: str | None  # the shown article's title: the representative's, or the first in the reader's language
    lead: str | None  # plain text: the shown article's description or opening sentences
    image_url: str | None  # the publisher's address: pages show it through the media proxy
    language: str | None  # of the headline and the lead (the shown article's)
    publishers: tuple[str, ...]  # source names, the most articles first


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """One line of a story's coverage and timeline."""

    id: str
    title: str | None
    url: str | None
    source_id: int
    source_title: str | None
    published_at: datetime
    language: str | None
    copy_of: str | None = None  # exact or near duplicate of this article (shown as "also in …")
    added_at: datetime | None = None  # when newsdesk first fetched it ("new since you read it")


@dataclass(frozen=True, slots=True)
class StoryDetail:
    story: Story
    articles: tuple[StoryArticle, ...]  # oldest first: the timeline


@dataclass(frozen=True, slots=True)
class RelatedArticle:
    id: str
    title: str | None
    source_title: str | None
    published_at: datetime | None
    story_id: str | None
    similarity: float
    source_id: int | None = None  # what a reader's mutes are checked against (people/personal.py)
    language: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Related:
    """Related reading for an article: closest articles of other stories, and more of its own story."""

    article_id: str
    other_stories: tuple[RelatedArticle, ...]
    same_story: tuple[RelatedArticle, ...]


@dataclass(frozen=True, slots=True)
class TopicPage:
    tag: str
    label: str | None
    articles: tuple[Article, ...]
    stories: tuple[Story, ...]


MAX_QUESTION_CHARS = 300  # a question about an article: a sentence or two


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence of an article, word for word, and where it stands in the article's text (its offsets), so a
    page can link every line of a summary or an answer to its place."""

    article_id: str
    index: int  # its number among the article's sentences
    text: str
    start: int
    end: int
    source_title: str | None = None  # the publisher, where the quotes come from several articles
    published_at: datetime | None = None  # the article's, for a story's timeline


@dataclass(frozen=True, slots=True)
class Summary:
    """An article's (or a story's) summary and key points, each a quoted sentence when extractive."""

    sentences: tuple[Quote, ...]  # about three, in the text's order
    key_points: tuple[Quote, ...]  # three to five others, none repeating the summary
    method: str  # "extractive", or the name of the model that wrote it
    language: str | None = None


@dataclass(frozen=True, slots=True)
class GroundedSentence:
    """A sentence a language model wrote, shown because the sources it cites support it (``score``: the
    grounding checker's), with those sources."""

    text: str
    quotes: tuple[Quote, ...]
    score: float


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """What a language model wrote for one feature, after the grounding check."""

    feature: str  # summary, key_points, simple, answer, story_summary, perspectives, translation
    model: str
    language: str
    sentences: tuple[GroundedSentence, ...]
    rejected: int  # sentences left out: they cite nothing given, or their sources do not support them
    quarantined: int  # source sentences kept out of the prompt: they addressed the model
    not_found: bool = False  # an answer: the model said the sources do not answer the question
    question: str | None = None


@dataclass(frozen=True, slots=True)
class ModelState:
    """Where a model's output stands for a page: ``ready`` (``output`` holds it), ``writing`` (a background
    job is on it), ``off`` (no model configured), ``spent`` (the daily token budget), ``failed`` (``reason``)."""

    state: str
    model: str | None = None
    output: ModelOutput | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BriefLine:
    """A fact in a story's brief and every article sentence that reports it (one per publisher), first the one shown."""

    quotes: tuple[Quote, ...]

    @property
    def text(self) -> str:
        return self.quotes[0].text


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """Two publishers' sentences about the same thing that give different numbers for it (``about``: the word)."""

    about: str
    first: Quote
    first_says: str
    second: Quote
    second_says: str


@dataclass(frozen=True, slots=True)
class StoryBrief:
    """What a story's sources agree on, what only some report, where they differ, and how it developed."""

    story_id: str
    agreed: tuple[BriefLine, ...]  # reported by two or more publishers
    partial: tuple[BriefLine, ...]  # reported by one (the quote's source_title says which)
    disputed: tuple[Discrepancy, ...]
    timeline: tuple[Quote, ...]  # each article's first sentence, in publication order, repeats left out
    articles_read: int
    publishers_read: int
    method: str  # "extractive", or the name of the model that wrote it
    languages: tuple[str, ...] = ()  # of the articles read


@dataclass(frozen=True, slots=True)
class Answer:
    """The sentences that answer a question about an article or a story; none: not found in these articles."""

    question: str
    quotes: tuple[Quote, ...]  # best first
    method: str  # "extractive", or the name of the model that wrote it

    @property
    def found(self) -> bool:
        return bool(self.quotes)


@dataclass(frozen=True, slots=True)
class EnrichReport:
    """Totals of one enrichment run."""

    articles: int = 0
    stories_new: int = 0
    stories_merged: int = 0
    near_duplicates: int = 0
    seconds: float = 0.0
    reembedded: int = 0  # vectors computed again after an embedding model change


@dataclass(frozen=True, slots=True)
class Neighbor:
    """One vector search result: an article's key in the vector index and its cosine similarity (1 is identical)."""

    key: int
    similarity: float


@dataclass(frozen=True, slots=True)
class WindowVector:
    """A recent primary article's stored embedding, for exact search where no index exists yet."""

    article_id: str
    story_id: str | None
    published_at: datetime
    vector: bytes


def vector_key(article_id: str) -> int:
    """An article's integer key in the vector index: 63 bits of a hash of its id (collisions: none in practice)."""
    return int.from_bytes(hashlib.blake2b(article_id.encode(), digest_size=8).digest(), "big") >> 1


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """Totals of one ``update`` pass, for the CLI and the API."""

    sources_checked: int = 0
    sources_ok: int = 0
    sources_not_modified: int = 0
    sources_failed: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    duplicates: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    errors: tuple[tuple[str, str], ...] = ()  # (url, reason)
    articles_enriched: int = 0
    stories_new: int = 0


@dataclass(frozen=True, slots=True)
class Stats:
    sources: int
    articles: int
    articles_with_text: int
    source_errors: int
    paused_sources: int = 0
    duplicates: int = 0
    pending_pages: int = 0


@dataclass(frozen=True, slots=True)
class Health:
    """What ``/api/v1/health`` reports: the service answers, and what it runs on."""

    status: str
    version: str
    database: str  # the SQLAlchemy dialect: sqlite or postgresql
    stats: Stats


def as_plain(value: Any) -> Any:
    """JSON-ready form of domain values (dataclasses, datetimes as ISO UTC, enums, tuples)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [as_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): as_plain(v) for k, v in value.items()}
    return value


# -- full-text search (store/search.py, queries/search.py) ------------------------------------------

MAX_QUERY_CHARS = 500
"""The longest search a reader may type: the words of a few sentences. Longer text is refused at the edge
(422, a usage error); the storage also reads at most :data:`MAX_QUERY_TERMS` terms of what it is given."""
MAX_QUERY_TERMS = 32
"""How many words and phrases of a search are used: more only makes the index do more work per query."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a reader searches for: words as typed (``"quoted phrases"``, ``-excluded``, ``OR``) and filters.

    ``tag`` is a stored hashtag key (the facade resolves ``#LeeJaeMyung`` to it); ``since``/``until``
    bound ``coalesce(published_at, fetched_at)``, ``until`` exclusive.
    """

    text: str
    source_id: int | None = None
    language: str | None = None
    category: str | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class SearchRow:
    """One article the index matched, as the storage returns it (its text cut to what a snippet may need)."""

    article_id: str
    title: str | None
    url: str | None
    text: str
    source_id: int
    source_title: str | None
    published_at: datetime | None
    language: str | None
    category: str | None
    story_id: str | None
    rank: float  # higher is better: bm25 (SQLite, sign turned) or ts_rank (PostgreSQL); not comparable across them


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result. ``title_html`` and ``snippet_html`` are escaped text whose only markup is
    ``<mark>…</mark>`` around the words that matched: safe to put in a page as they are."""

    article_id: str
    title: str | None
    title_html: str
    snippet_html: str
    url: str | None
    source_id: int
    source_title: str | None
    published_at: datetime | None
    language: str | None
    category: str | None
    story_id: str | None
    rank: float


@dataclass(frozen=True, slots=True)
class SearchResults:
    """A page of search results, best first, and whether a next page exists."""

    query: SearchQuery
    hits: tuple[SearchHit, ...]
    more: bool


def day_start(day: date | None, *, after: bool = False) -> datetime | None:
    """The UTC midnight that starts ``day`` (``after``: the one that ends it, so a last day is included);
    None for no bound: no day, or the end of the last day a date can name (9999-12-31 has no day after it)."""
    if day is None or (after and day == date.max):
        return None
    return datetime.combine(day + timedelta(days=1 if after else 0), time(), tzinfo=UTC)


# -- people: accounts and sessions (issue 14) ---------------------------------------------------------

MAX_NAME_CHARS = 40
"""The longest account name: it appears beside every comment, so short, and a bounded column."""
MAX_PASSWORD_CHARS = 1024
"""The longest password taken: Argon2 hashes any length, but a megabyte form field costs its time anyway."""
MIN_PASSWORD_CHARS = 10
"""The shortest password taken (NIST SP 800-63B asks for at least 8; a passphrase is better)."""


class Role(enum.StrEnum):
    """What an account may do: read and comment; also moderate comments; also run the site."""

    READER = "reader"
    MODERATOR = "moderator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    """An account as the interfaces show it (never its password hash)."""

    id: int
    name: str
    role: Role
    disabled: bool
    created_at: datetime
    has_password: bool  # False: signs in with a passkey or a one-time link only
    banned: bool = False  # by a moderator: may read and sign in, may not comment (``disabled`` blocks sign-in)

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who it is, and the token its forms must carry (CSRF)."""

    user: User
    csrf_token: str
    expires_at: datetime
    personal_version: int = 0  # counts the reader's changes to what they follow and mute (a kept filter's key)


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just begun: the token for the reader's cookie (given once, stored only hashed) and who it is."""

    token: str
    signed_in: SignedIn


REGISTRATION_MODES = ("open", "invite", "closed")
MAX_SITE_NAME_CHARS = 60


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """What an administrator sets on the site's own page: its name, who may create an account, and the
    language of its pages for readers whose browser asks for none we have."""

    name: str = "newsdesk"
    registration: str = "closed"
    default_language: str = "en"


MAX_PASSKEY_NAME_CHARS = 60
"""The longest label a reader gives a passkey ("Phone", "Work laptop"): shown in a list, so short."""


@dataclass(frozen=True, slots=True)
class Passkey:
    """One of a reader's passkeys as their account page lists it (never its key or credential id)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class PasskeyCeremony:
    """A WebAuthn ceremony begun: the options for the browser's ``navigator.credentials`` call (JSON), and
    the token of the challenge kept server-side, which the browser returns in a cookie to finish it."""

    token: str
    options_json: str


# -- people: comments and their moderation (issue 14) --------------------------------------------------

MAX_COMMENT_CHARS = 5000
"""The longest comment taken: a few screens of text; longer is an essay, or a flood."""
MAX_REASON_CHARS = 500
"""The longest reason given with a report or a moderator's action."""


class CommentTarget(enum.StrEnum):
    """What a comment is on."""

    ARTICLE = "article"
    STORY = "story"


class CommentStatus(enum.StrEnum):
    """Where a comment stands: shown; held for a moderator (a new account's first comments); hidden by a
    moderator; deleted by its author (its text gone; shown as "[deleted]" only while it has replies)."""

    VISIBLE = "visible"
    HELD = "held"
    HIDDEN = "hidden"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment as the pages show it, with its author's name and *current* role (the badge comes from the
    account, never from what the comment says)."""

    id: int
    target: CommentTarget
    target_id: str
    user_id: int | None  # None: its author deleted their account and left their comments
    author: str  # empty for a deleted account
    author_role: Role
    parent_id: int | None  # None: a top comment; else the top comment it replies to (one level deep)
    body: str  # the source text as written (empty once deleted)
    html: str  # the body rendered and sanitized at write time
    status: CommentStatus
    created_at: datetime
    edited_at: datetime | None
    reports: int = 0  # unresolved reports (the moderation queue's)

    @property
    def author_is_staff(self) -> bool:
        return self.author_role in (Role.MODERATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class CommentThread:
    """A top comment and its replies, oldest first."""

    comment: Comment
    replies: tuple[Comment, ...]


@dataclass(frozen=True, slots=True)
class ModerationItem:
    """One entry of the moderation queue: a held or reported comment, with the reasons given."""

    comment: Comment
    author_banned: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModerationAction:
    """One line of the moderation log: who did what to which comment or account, when, and why."""

    id: int
    moderator_id: int | None
    moderator: str | None
    action: str  # hide | restore | approve | ban | unban
    comment_id: int | None
    user_id: int | None
    reason: str
    at: datetime


# -- people: personal reading (issue 14, section 2) ---------------------------------------------------

FOLLOW_KINDS = ("source", "tag", "category", "region", "story")
"""What a reader can follow or mute."""
MAX_NOTE_CHARS = 2000
"""The longest note on a bookmark."""
MAX_PHRASE_CHARS = 100
"""The longest keyword filter phrase."""
MAX_FOLLOWS = 500
"""Follows and mutes one reader may keep: bounded, since every page they read checks them."""
MAX_KEYWORD_FILTERS = 100
MAX_BOOKMARKS = 5000
MAX_READ_LANGUAGES = 10


@dataclass(frozen=True, slots=True)
class Follow:
    """A source, hashtag, category, region or story a reader follows (or mutes), by its canonical key:
    a source's id, a tag's key, a category's or region's name, a story's id."""

    kind: str  # one of FOLLOW_KINDS
    key: str
    mode: str  # follow | mute
    created_at: datetime
    label: str | None = None  # what pages show: the source's name, the tag's label, the story's headline


@dataclass(frozen=True, slots=True)
class KeywordFilter:
    """Stories whose headline holds ``phrase`` (ignoring case) are hidden, or shown blurred, for one reader;
    only in ``language`` when it is set."""

    id: int
    phrase: str
    language: str | None
    action: str  # hide | blur


@dataclass(frozen=True, slots=True)
class Bookmark:
    id: int
    article_id: str
    note: str | None
    created_at: datetime
    title: str | None = None
    source_title: str | None = None
    story_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReadMark:
    """When a reader last opened an article or a story, and for a story what it held then."""

    kind: str  # article | story
    key: str
    read_at: datetime
    article_count: int | None = None
    last_article_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonalFilter:
    """What one reader mutes, ready to apply to any listing (``people/personal.py``)."""

    sources: frozenset[int] = frozenset()
    tags: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    stories: frozenset[str] = frozenset()
    keywords: tuple[KeywordFilter, ...] = ()
    languages: tuple[str, ...] = ()  # the languages the reader reads, in their order; empty: all

    @property
    def empty(self) -> bool:
        return not (self.sources or self.tags or self.categories or self.regions or self.stories or self.keywords)


@dataclass(frozen=True, slots=True)
class Screened:
    """A listing after a reader's mutes: what is left, and which of it is shown blurred."""

    cards: tuple[StoryCard, ...]
    blurred: frozenset[str]  # story ids
    hidden: int  # how many were left out


@dataclass(frozen=True, slots=True)
class StoryChange:
    """What a story gained since a reader last opened it."""

    read_at: datetime
    new_articles: frozenset[str]  # article ids
    new_sources: int


@dataclass(frozen=True, slots=True)
class FollowedStory:
    story: Story
    read: ReadMark | None
    unseen: int  # articles added since the reader last opened it


@dataclass(frozen=True, slots=True)
class ForYouCard:
    card: StoryCard
    reasons: tuple[tuple[str, str], ...]  # (kind, label): ("tag", "Climate") reads "because you follow #Climate"
    blurred: bool = False  # a keyword filter of the reader blurs it
