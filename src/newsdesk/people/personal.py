"""Personal reading: what a reader follows and mutes, their keyword filters, bookmarks and read marks,
and the rules that apply them to listings.

- **Follows and mutes** are kept by canonical key (a source's id, a tag's key, a category's or
  region's name, a story's id), which the facade resolves from whatever a page shows, so a mute made
  on ``#Climate`` also holds for ``climate``. One row per reader and thing: muting what one follows
  stops following it.
- **A mute applies everywhere** (:func:`screen` for story listings, :func:`screen_articles` for article
  listings and search hits): a story goes when every source that covered it is muted (one muted
  outlet among ten does not hide the news), when its category or one of its regions is muted, when it
  carries a muted hashtag, when the story itself is muted, or when its headline holds a *hide* phrase;
  a *blur* phrase keeps it, blurred until the reader chooses to look.
- **Bounds**: a note has at most ``MAX_NOTE_CHARS``; a reader keeps at most ``MAX_FOLLOWS`` follows,
  ``MAX_KEYWORD_FILTERS`` filters and ``MAX_BOOKMARKS`` bookmarks, since every page they read checks them.
- **What changed**: opening a story records the time and what the story held; the next visit marks the
  articles fetched since then as new (:func:`story_change`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Protocol, TypeVar

from newsdesk.errors import NotFoundError, PersonalError
from newsdesk.model import (
    FOLLOW_KINDS,
    MAX_BOOKMARKS,
    MAX_FOLLOWS,
    MAX_KEYWORD_FILTERS,
    MAX_NOTE_CHARS,
    MAX_PHRASE_CHARS,
    MAX_READ_LANGUAGES,
    Bookmark,
    Clock,
    Follow,
    FollowedStory,
    KeywordFilter,
    PersonalFilter,
    ReadMark,
    RelatedArticle,
    Screened,
    Story,
    StoryCard,
    StoryChange,
    StoryDetail,
)
from newsdesk.store import Storage

MODES = ("follow", "mute")
ACTIONS = ("hide", "blur")
LANGUAGE = "language"  # the follows kind that keeps the languages a reader reads, in their order
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
FOR_YOU_WINDOW = timedelta(days=7)
READ_INTEREST_WINDOW = timedelta(days=30)


def checked_note(note: str | None) -> str | None:
    """The note as kept: trimmed, None when empty; PersonalError past ``MAX_NOTE_CHARS``."""
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise PersonalError(f"a note has at most {MAX_NOTE_CHARS} characters")
    return note or None


def checked_phrase(phrase: str) -> str:
    """A keyword filter's phrase: NFKC, spaces collapsed, 2 to ``MAX_PHRASE_CHARS`` characters."""
    phrase = " ".join(unicodedata.normalize("NFKC", phrase).split())
    if not 2 <= len(phrase) <= MAX_PHRASE_CHARS:
        raise PersonalError(f"a keyword filter has 2 to {MAX_PHRASE_CHARS} characters")
    return phrase


def checked_language(language: str | None) -> str | None:
    """A language code (``fr``, ``en``) or None for every language; PersonalError otherwise."""
    code = (language or "").strip().lower()
    if not code:
        return None
    if not _LANGUAGE_CODE.fullmatch(code):
        raise PersonalError(f"{language!r} is not a language code such as en or fr")
    return code


def _pattern(phrase: str) -> re.Pattern[str]:
    """The phrase as a whole-word, case-insensitive match (``war`` hides "War in…", not "award")."""
    return re.compile(r"(?<!\w)" + re.escape(phrase.casefold()) + r"(?!\w)")


def keyword_action(keywords: Iterable[KeywordFilter], text: str | None, language: str | None) -> str | None:
    """``hide`` or ``blur`` when a filter matches ``text`` (written in ``language``), hide winning; else None."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text).casefold()
    lang = (language or "").split("-")[0].lower()
    found = None
    for k in keywords:
        if k.language is not None and k.language != lang:
            continue
        if _pattern(k.phrase).search(folded):
            if k.action == "hide":
                return "hide"
            found = "blur"
    return found


def story_verdict(
    filt: PersonalFilter, story: Story, sources: frozenset[int], headline: str | None, language: str | None
) -> str | None:
    """``hide``, ``blur`` or None for one story under a reader's mutes (see the module's rules)."""
    if story.id in filt.stories:
        return "hide"
    if sources and filt.sources and sources <= filt.sources:
        return "hide"
    if story.category is not None and story.category in filt.categories:
        return "hide"
    if filt.regions.intersection(story.regions) or any(t.key in filt.tags for t in story.tags):
        return "hide"
    return keyword_action(filt.keywords, headline or story.headline, language)


def screen(filt: PersonalFilter, cards: Sequence[StoryCard], sources: dict[str, frozenset[int]]) -> Screened:
    """The cards a reader keeps under their mutes, in order, and which of them show blurred."""
    kept: list[StoryCard] = []
    blurred: set[str] = set()
    for card in cards:
        verdict = story_verdict(filt, card.story, sources.get(card.story.id, frozenset()), card.headline, card.language)
        if verdict == "hide":
            continue
        if verdict == "blur":
            blurred.add(card.story.id)
        kept.append(card)
    return Screened(tuple(kept), frozenset(blurred), len(cards) - len(kept))


def article_verdict(
    filt: PersonalFilter,
    *,
    source_id: int,
    title: str | None,
    language: str | None,
    category: str | None = None,
    story_id: str | None = None,
    tags: Iterable[str] = (),
) -> str | None:
    """``hide``, ``blur`` or None for one article (topic pages, search hits): its source, category, story,
    hashtags or title muted."""
    if source_id in filt.sources or (story_id is not None and story_id in filt.stories):
        return "hide"
    if category is not None and category in filt.categories:
        return "hide"
    if any(t in filt.tags for t in tags):
        return "hide"
    return keyword_action(filt.keywords, title, language)


class ArticleLike(Protocol):
    """What a mute is checked against in an article, a search hit or a line of related reading."""

    @property
    def source_id(self) -> int | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def story_id(self) -> str | None: ...


A = TypeVar("A", bound=ArticleLike)


def screen_articles(
    filt: PersonalFilter, items: Sequence[A], id_of: Callable[[A], str]
) -> tuple[list[A], frozenset[str]]:
    """The items the reader keeps under their mutes (topic pages, search hits, related reading), and the ids
    (``id_of``) of those their keyword filters blur. An item's hashtags count where it has them (``tags``)."""
    if filt.empty:
        return list(items), frozenset()
    kept, blurred = [], set()
    for item in items:
        verdict = article_verdict(
            filt,
            source_id=-1 if item.source_id is None else item.source_id,
            title=item.title,
            language=item.language,
            category=item.category,
            story_id=item.story_id,
            tags=[t.key for t in getattr(item, "tags", ())],
        )
        if verdict == "blur":
            blurred.add(id_of(item))
        if verdict != "hide":
            kept.append(item)
    return kept, frozenset(blurred)


def screen_related(filt: PersonalFilter, items: Sequence[RelatedArticle]) -> tuple[RelatedArticle, ...]:
    """Related reading the reader keeps: what their mutes hide is left out, and so is what a keyword filter
    would blur (a blurred line in a short list of suggestions is noise, not a warning worth its place)."""
    kept, blurred = screen_articles(filt, items, lambda r: r.id)
    return tuple(r for r in kept if r.id not in blurred)


def story_change(previous: ReadMark | None, detail: StoryDetail) -> StoryChange | None:
    """What the story gained since ``previous`` (the reader's last visit): articles fetched after it, and
    how many of their sources had not covered the story before. None on a first visit."""
    if previous is None:
        return None
    new = [a for a in detail.articles if a.added_at is not None and a.added_at > previous.read_at]
    before = {a.source_id for a in detail.articles if a.added_at is None or a.added_at <= previous.read_at}
    new_sources = {a.source_id for a in new} - before
    return StoryChange(previous.read_at, frozenset(a.id for a in new), len(new_sources))


def order_by_languages(languages: Sequence[str], items: Sequence[str | None]) -> list[int]:
    """Indexes of ``items`` (each a language) in the reader's order of ``languages``; others after, in order."""
    rank = {lang: i for i, lang in enumerate(languages)}

    def key(i: int) -> int:
        lang = (items[i] or "").split("-")[0].lower()
        return rank.get(lang, len(rank))

    return sorted(range(len(items)), key=key)


class Personal:
    """The personal-reading use case over the storage, for one facade (keys come in resolved)."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock

    # -- follows and mutes ---------------------------------------------------------------------

    def set_follow(self, user_id: int, kind: str, key: str, mode: str) -> None:
        if kind not in FOLLOW_KINDS:
            raise PersonalError(f"one follows {', '.join(FOLLOW_KINDS)}, not {kind!r}")
        if mode not in MODES:
            raise PersonalError(f"a follow's mode is follow or mute, not {mode!r}")
        current = {(f.kind, f.key) for f in self.storage.follows(user_id)}
        if (kind, key) not in current and len(current) >= MAX_FOLLOWS:
            raise PersonalError(f"a reader follows and mutes at most {MAX_FOLLOWS} things")
        self.storage.set_follow(user_id, kind, key, mode, self.clock())

    def remove_follow(self, user_id: int, kind: str, key: str) -> None:
        """Stop following (or muting); not an error when it was neither."""
        self.storage.remove_follow(user_id, kind, key)

    def filter(self, user_id: int) -> PersonalFilter:
        """What the reader mutes, read once for a page."""
        muted: dict[str, set[str]] = {k: set() for k in FOLLOW_KINDS}
        languages: list[str] = []
        for f in self.storage.follows(user_id):
            if f.kind == LANGUAGE:
                languages.append(f.key)
            elif f.mode == "mute" and f.kind in muted:
                muted[f.kind].add(f.key)
        return PersonalFilter(
            sources=frozenset(int(k) for k in muted["source"] if k.isdigit()),
            tags=frozenset(muted["tag"]),
            categories=frozenset(muted["category"]),
            regions=frozenset(muted["region"]),
            stories=frozenset(muted["story"]),
            keywords=tuple(self.storage.keyword_filters(user_id)),
            languages=tuple(languages),
        )

    # -- languages I read ----------------------------------------------------------------------

    def set_languages(self, user_id: int, codes: Sequence[str]) -> tuple[str, ...]:
        """The languages the reader reads, in their order (empty: every language, as before)."""
        wanted: list[str] = []
        for code in codes:
            checked = checked_language(code)
            if checked and checked not in wanted:
                wanted.append(checked)
        if len(wanted) > MAX_READ_LANGUAGES:
            raise PersonalError(f"at most {MAX_READ_LANGUAGES} languages")
        for f in self.storage.follows(user_id):
            if f.kind == LANGUAGE:
                self.storage.remove_follow(user_id, LANGUAGE, f.key)
        start = self.clock()
        for i, code in enumerate(wanted):  # created_at keeps the order
            self.storage.set_follow(user_id, LANGUAGE, code, "follow", start + timedelta(microseconds=i))
        return tuple(wanted)

    # -- keyword filters -----------------------------------------------------------------------

    def add_keyword_filter(self, user_id: int, phrase: str, language: str | None, action: str) -> KeywordFilter:
        if action not in ACTIONS:
            raise PersonalError(f"a keyword filter hides or blurs, not {action!r}")
        phrase, code = checked_phrase(phrase), checked_language(language)
        if self.storage.personal_count(user_id, "keyword_filters") >= MAX_KEYWORD_FILTERS:
            raise PersonalError(f"a reader keeps at most {MAX_KEYWORD_FILTERS} keyword filters")
        return self.storage.add_keyword_filter(user_id, phrase, code, action, self.clock())

    def remove_keyword_filter(self, user_id: int, filter_id: int) -> None:
        if not self.storage.remove_keyword_filter(user_id, filter_id):
            raise NotFoundError(f"no keyword filter {filter_id}")

    # -- bookmarks -----------------------------------------------------------------------------

    def bookmark(self, user_id: int, article_id: str, note: str | None) -> Bookmark:
        text = checked_note(note)
        self.storage.get_article(article_id)  # NotFoundError for an unknown article
        new = not self.storage.bookmarks(user_id, article_id=article_id)
        if new and self.storage.personal_count(user_id, "bookmarks") >= MAX_BOOKMARKS:
            raise PersonalError(f"a reader keeps at most {MAX_BOOKMARKS} bookmarks")
        return self.storage.save_bookmark(user_id, article_id, text, self.clock())

    def set_note(self, user_id: int, bookmark_id: int, note: str | None) -> None:
        if not self.storage.set_bookmark_note(user_id, bookmark_id, checked_note(note)):
            raise NotFoundError(f"no bookmark {bookmark_id}")

    def remove_bookmark(self, user_id: int, bookmark_id: int) -> None:
        if not self.storage.remove_bookmark(user_id, bookmark_id):
            raise NotFoundError(f"no bookmark {bookmark_id}")

    # -- reading -------------------------------------------------------------------------------

    def open_story(self, user_id: int, detail: StoryDetail) -> StoryChange | None:
        """Record that the reader opened the story now; what it gained since their last visit."""
        story = detail.story
        previous = self.storage.record_read(
            user_id, "story", story.id, self.clock(), story.article_count, story.last_seen_at
        )
        return story_change(previous, detail)

    def followed_stories(self, user_id: int) -> list[FollowedStory]:
        """The stories the reader follows, those with articles they have not seen first."""
        ids = [f.key for f in self.storage.follows(user_id) if f.kind == "story" and f.mode == "follow"]
        if not ids:
            return []
        marks = self.storage.read_marks(user_id, "story", ids)
        found = []
        for story in self.storage.list_stories(ids=ids, limit=len(ids)):
            mark = marks.get(story.id)
            unseen = story.article_count - (mark.article_count or 0) if mark else story.article_count
            found.append(FollowedStory(story, mark, max(0, unseen)))
        found.sort(key=lambda f: (f.unseen == 0, -(f.story.last_seen_at.timestamp() if f.story.last_seen_at else 0)))
        return found

    def interests(self, user_id: int) -> Counter[str]:
        """The hashtags of the stories the reader opened in the last 30 days, by how many of them."""
        since = self.clock() - READ_INTEREST_WINDOW
        marks = [m for m in self.storage.read_marks(user_id, "story").values() if m.read_at >= since][:200]
        counted: Counter[str] = Counter()
        for story in self.storage.list_stories(ids=[m.key for m in marks], limit=len(marks)) if marks else []:
            counted.update(t.key for t in story.tags[:3])
        return counted


def for_you(
    candidates: Sequence[Story],
    front_rank: dict[str, int],
    follows: Sequence[Follow],
    interests: Counter[str],
    marks: dict[str, ReadMark],
    sources_of: dict[str, frozenset[int]],
    source_names: dict[int, str],
) -> list[tuple[Story, tuple[tuple[str, str], ...]]]:
    """Stories ranked for one reader, each with why: what they follow (a story, hashtag, source, category,
    region) weighs most, then hashtags of what they read lately, then the front page's own rank; a story
    read since its last article sinks. Only stories with a reason are listed."""
    followed = {(f.kind, f.key) for f in follows if f.mode == "follow"}
    scored: list[tuple[float, int, Story, tuple[tuple[str, str], ...]]] = []
    for order, story in enumerate(candidates):
        reasons: list[tuple[str, str]] = []
        score = 0.0
        mark = marks.get(story.id)
        fresh = mark is None or (mark.article_count or 0) < story.article_count
        if ("story", story.id) in followed:
            reasons.append(("story", story.headline or ""))
            score += 4 + (2 if fresh else 0)
        for tag in story.tags:
            if ("tag", tag.key) in followed:
                reasons.append(("tag", tag.label))
                score += 3
        for source_id in sorted(sources_of.get(story.id, frozenset())):
            if ("source", str(source_id)) in followed:
                reasons.append(("source", source_names.get(source_id, str(source_id))))
                score += 2
        if story.category is not None and ("category", story.category) in followed:
            reasons.append(("category", story.category))
            score += 1.5
        for region in story.regions:
            if ("region", region) in followed:
                reasons.append(("region", region))
                score += 1.5
        if not reasons:
            read_tags = [t for t in story.tags if interests.get(t.key)]
            if read_tags and mark is None:
                reasons.append(("read", read_tags[0].label))
                score += 0.5 * min(3, sum(interests[t.key] for t in read_tags))
        if not reasons:
            continue
        if story.id in front_rank:
            score += 1 - front_rank[story.id] / max(1, len(front_rank))
        if not fresh:
            score -= 3
        scored.append((score, order, story, tuple(reasons[:3])))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(story, reasons) for _, _, story, reasons in scored]
