"""Personal reading (``people/personal.py``, ``store/personal.py``) through the facade on SQLite and PostgreSQL:
follows and mutes by canonical key, keyword filters, bookmarks scoped to their reader, what a mute hides,
what changed since a story was read, "For you" with its reasons, and the languages a reader reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.errors import NotFoundError, PersonalError
from newsdesk.model import (
    MAX_NOTE_CHARS,
    ArticleEnrichment,
    ExtractionStatus,
    KeywordFilter,
    PersonalFilter,
    RelatedArticle,
)
from newsdesk.people.personal import keyword_action, screen, screen_related
from tests.conftest import fresh_database, test_settings
from tests.test_pages import MACRON, NOW, _draft, build
from tests.test_store import insert, ok_update

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


World = tuple[Newsdesk, dict[str, int], Clock]


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    clock = Clock()
    desk = make_newsdesk(test_settings(tmp_path, db=fresh_database(request.param, tmp_path)), clock)
    sources = build(desk)
    yield desk, sources, clock
    desk.close()


def _users(desk: Newsdesk) -> tuple[int, int]:
    return desk.create_user("ann", PASSWORD).id, desk.create_user("bob", PASSWORD).id


def test_follow_keys_are_resolved_as_pages_name_them_and_unknown_ones_refused(world: World) -> None:
    desk, sources, _ = world
    ann, _bob = _users(desk)
    desk.follow(ann, "tag", "#EmmanuelMacron")
    desk.follow(ann, "category", "politics")
    desk.follow(ann, "region", "europe")
    desk.follow(ann, "source", str(sources["fr"]))
    desk.follow(ann, "story", "story-b", "mute")
    shown = {(f.kind, f.key, f.mode, f.label) for f in desk.follows(ann)}
    assert shown == {
        ("tag", "emmanuelmacron", "follow", "#EmmanuelMacron"),
        ("category", "Politics", "follow", "Politics"),
        ("region", "Europe", "follow", "Europe"),
        ("source", str(sources["fr"]), "follow", "Le Quotidien"),
        ("story", "story-b", "mute", "Telescope finds a new moon"),
    }
    for kind, key in [
        ("tag", "#NoSuchTag"),
        ("category", "nope"),
        ("source", "9999"),
        ("source", "x"),
        ("story", "zz"),
    ]:
        with pytest.raises(NotFoundError):
            desk.follow(ann, kind, key)
    with pytest.raises(NotFoundError):
        desk.follow(ann, "planet", "mars")
    with pytest.raises(PersonalError):
        desk.follow(ann, "tag", "emmanuelmacron", "adore")
    desk.follow(ann, "tag", "emmanuel macron", "mute")  # the same tag in another form: one row, now a mute
    assert [(f.key, f.mode) for f in desk.follows(ann) if f.kind == "tag"] == [("emmanuelmacron", "mute")]
    desk.unfollow(ann, "tag", "#EmmanuelMacron")
    assert not [f for f in desk.follows(ann) if f.kind == "tag"]


def test_muting_a_source_hides_only_stories_all_of_whose_sources_are_muted(world: World) -> None:
    desk, sources, _ = world
    ann, bob = _users(desk)
    cards = desk.story_cards(desk.front_page(limit=10), "en")
    assert {c.story.id for c in cards} == {"story-a", "story-b", "story-c"}
    desk.follow(ann, "source", str(sources["en"]), "mute")
    kept = {c.story.id for c in desk.screen(desk.personal_filter(ann), cards).cards}
    assert kept == {"story-a"}  # story-a was also covered by two other sources; b and c only by "en"
    assert len(desk.screen(desk.personal_filter(bob), cards).cards) == 3  # another reader's mutes are not bob's
    desk.follow(ann, "source", str(sources["fr"]), "mute")
    desk.follow(ann, "source", str(sources["evil"]), "mute")
    assert desk.screen(desk.personal_filter(ann), cards).cards == ()


def test_muted_category_region_tag_and_story_are_hidden(world: World) -> None:
    desk, _, _ = world
    ann, _bob = _users(desk)
    cards = desk.story_cards(desk.front_page(limit=10), "en")

    def kept() -> set[str]:
        return {c.story.id for c in desk.screen(desk.personal_filter(ann), cards).cards}

    desk.follow(ann, "category", "science", "mute")
    assert kept() == {"story-a", "story-c"}
    desk.unfollow(ann, "category", "science")
    desk.follow(ann, "region", "europe", "mute")
    assert kept() == {"story-b", "story-c"}
    desk.unfollow(ann, "region", "europe")
    desk.follow(ann, "tag", "#EmmanuelMacron", "mute")
    assert kept() == {"story-b", "story-c"}
    desk.unfollow(ann, "tag", "emmanuelmacron")
    desk.follow(ann, "story", "story-c", "mute")
    assert kept() == {"story-a", "story-b"}


def test_keyword_filters_hide_or_blur_whole_words_in_one_language_or_all(world: World) -> None:
    desk, _, _ = world
    ann, bob = _users(desk)
    cards = desk.story_cards(desk.front_page(limit=10), "en")
    desk.add_keyword_filter(ann, "  TELESCOPE ", None, "hide")
    desk.add_keyword_filter(ann, "penalties", "en", "blur")
    desk.add_keyword_filter(ann, "cup", "fr", "hide")  # French headlines only: the English one stays
    screened = desk.screen(desk.personal_filter(ann), cards)
    assert {c.story.id for c in screened.cards} == {"story-a", "story-c"} and screened.hidden == 1
    assert screened.blurred == {"story-c"}
    assert [k.phrase for k in desk.keyword_filters(ann)] == ["TELESCOPE", "penalties", "cup"]
    assert desk.keyword_filters(bob) == []
    with pytest.raises(NotFoundError):
        desk.remove_keyword_filter(bob, desk.keyword_filters(ann)[0].id)  # another reader's filter: not found
    with pytest.raises(PersonalError):
        desk.add_keyword_filter(ann, "x", None, "hide")
    with pytest.raises(PersonalError):
        desk.add_keyword_filter(ann, "ok phrase", "french!", "hide")
    with pytest.raises(PersonalError):
        desk.add_keyword_filter(ann, "ok phrase", None, "delete")
    hide = KeywordFilter(1, "war", None, "hide")
    assert keyword_action([hide], "War in the north", "en") == "hide"
    assert keyword_action([hide], "An award for the mayor", "en") is None  # whole words only
    assert screen(PersonalFilter(), cards, {}).cards == tuple(cards)


def test_related_reading_leaves_out_what_the_reader_mutes_or_filters(world: World) -> None:
    desk, sources, _ = world
    ann, bob = _users(desk)

    def item(n: int, source: int, title: str, story: str, category: str | None = None) -> RelatedArticle:
        return RelatedArticle(f"r{n}", title, "Paper", NOW, story, 0.8, source, "en", category)

    items = [
        item(1, sources["en"], "A muted source's report", "s1"),
        item(2, sources["fr"], "Penalties decide the cup", "s2"),
        item(3, sources["fr"], "Election results are in", "s3", "Politics"),
        item(4, sources["fr"], "A muted story's article", "story-c"),
        item(5, sources["fr"], "Rain all week", "s5"),
    ]
    desk.follow(ann, "source", str(sources["en"]), "mute")
    desk.follow(ann, "category", "politics", "mute")
    desk.follow(ann, "story", "story-c", "mute")
    desk.add_keyword_filter(ann, "penalties", None, "blur")  # blurred in a listing, left out of suggestions
    assert [r.id for r in desk.screen_related(desk.personal_filter(ann), items)] == ["r5"]
    assert desk.screen_related(desk.personal_filter(bob), items) == tuple(items)
    assert screen_related(PersonalFilter(), items) == tuple(items)


def test_bookmarks_belong_to_their_reader_and_notes_are_bounded(world: World) -> None:
    desk, _, _ = world
    ann, bob = _users(desk)
    mark = desk.bookmark(ann, "a1", "  read later  ")
    assert (mark.article_id, mark.note, mark.title) == ("a1", "read later", "Council <b>approves</b> budget")
    again = desk.bookmark(ann, "a1", "")  # bookmarking again replaces the note, keeps one bookmark
    assert again.id == mark.id and again.note is None and len(desk.bookmarks(ann)) == 1
    assert desk.bookmarks(bob) == [] and desk.bookmark_of(bob, "a1") is None
    with pytest.raises(NotFoundError):
        desk.set_bookmark_note(bob, mark.id, "mine now")
    with pytest.raises(NotFoundError):
        desk.remove_bookmark(bob, mark.id)
    assert desk.bookmarks(ann)[0].note is None
    with pytest.raises(PersonalError):
        desk.bookmark(ann, "b1", "x" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(NotFoundError):
        desk.bookmark(ann, "no-such-article")
    desk.set_bookmark_note(ann, mark.id, "x" * MAX_NOTE_CHARS)
    assert desk.bookmark_of(ann, "a1").note == "x" * MAX_NOTE_CHARS  # type: ignore[union-attr]
    desk.remove_bookmark(ann, mark.id)
    assert desk.bookmarks(ann) == []


def _add_to_story(desk: Newsdesk, source_id: int, guid: str, story: str, when: datetime) -> None:
    st = desk.storage
    draft = _draft(source_id, guid, 0, title=f"Update {guid}", language="en")
    update = replace(ok_update(source_id, draft), title=desk.source(source_id).title)  # the feed keeps its name
    st.apply_feed_updates([update], [insert(draft, ExtractionStatus.FEED)], when)
    pending = [a for a in st.pending_enrichment(100) if a.id == guid]
    st.apply_enrichment([ArticleEnrichment(article_id=guid, story_id=story, category="Science")], [], when)
    assert pending


def test_what_changed_marks_only_articles_added_since_the_last_visit(world: World) -> None:
    desk, sources, clock = world
    ann, bob = _users(desk)
    assert desk.open_story(ann, desk.story("story-b")) is None  # the first visit: nothing to compare with
    clock.now = NOW + timedelta(hours=1)
    _add_to_story(desk, sources["fr"], "b2", "story-b", clock.now)
    _add_to_story(desk, sources["en"], "b3", "story-b", clock.now)
    clock.now = NOW + timedelta(hours=2)
    change = desk.open_story(ann, desk.story("story-b"))
    assert change is not None and change.read_at == NOW
    assert change.new_articles == {"b2", "b3"} and change.new_sources == 1  # "en" had covered it already
    assert desk.open_story(bob, desk.story("story-b")) is None  # bob had never opened it
    clock.now = NOW + timedelta(hours=3)
    later = desk.open_story(ann, desk.story("story-b"))
    assert later is not None and later.new_articles == frozenset()


def test_followed_stories_with_unseen_updates_come_first(world: World) -> None:
    desk, sources, clock = world
    ann, _bob = _users(desk)
    desk.follow(ann, "story", "story-b")
    desk.follow(ann, "story", "story-c")
    desk.open_story(ann, desk.story("story-b"))
    desk.open_story(ann, desk.story("story-c"))
    assert [f.unseen for f in desk.followed_stories(ann)] == [0, 0]
    clock.now = NOW + timedelta(hours=1)
    _add_to_story(desk, sources["fr"], "b2", "story-b", clock.now)
    followed = desk.followed_stories(ann)
    assert [(f.story.id, f.unseen) for f in followed] == [("story-b", 1), ("story-c", 0)]


def test_for_you_ranks_what_the_reader_follows_and_says_why(world: World) -> None:
    desk, sources, _ = world
    ann, bob = _users(desk)
    assert desk.for_you(ann) == []  # follows nothing, read nothing: nothing to say why
    desk.follow(ann, "tag", MACRON.label)
    desk.follow(ann, "category", "sports")
    picked = desk.for_you(ann, "en")
    assert [p.card.story.id for p in picked] == ["story-a", "story-c"]
    assert picked[0].reasons == (("tag", "#EmmanuelMacron"),) and picked[1].reasons == (("category", "Sports"),)
    desk.add_keyword_filter(ann, "penalties", None, "blur")
    assert [p.blurred for p in desk.for_you(ann, "en")] == [False, True]
    desk.follow(ann, "category", "sports", "mute")  # muting wins over following: it is one choice
    assert [p.card.story.id for p in desk.for_you(ann, "en")] == ["story-a"]
    desk.open_story(bob, desk.story("story-a"))  # bob read a story tagged #EmmanuelMacron, follows nothing
    assert desk.for_you(bob) == []  # he has read the only story with that tag: nothing unread to suggest
    desk.follow(bob, "source", str(sources["fr"]))
    assert [(p.card.story.id, p.reasons) for p in desk.for_you(bob)] == [("story-a", (("source", "Le Quotidien"),))]


def test_languages_a_reader_reads_are_kept_in_order_and_checked(world: World) -> None:
    desk, _, _ = world
    ann, _bob = _users(desk)
    assert desk.set_languages(ann, ["FR", "en", "fr"]) == ("fr", "en")
    assert desk.personal_filter(ann).languages == ("fr", "en")
    assert desk.set_languages(ann, ["en"]) == ("en",)
    assert desk.personal_filter(ann).languages == ("en",)
    with pytest.raises(PersonalError):
        desk.set_languages(ann, ["english!"])
    assert not [f for f in desk.follows(ann) if f.kind == "language"]  # not listed among the follows


def test_everything_personal_goes_with_the_account(world: World) -> None:
    desk, _, _ = world
    ann, _bob = _users(desk)
    desk.follow(ann, "category", "science")
    desk.bookmark(ann, "a1")
    desk.add_keyword_filter(ann, "budget", None, "hide")
    desk.open_story(ann, desk.story("story-a"))
    from sqlalchemy import delete

    from newsdesk.store.schema import users

    with desk.storage.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(delete(users).where(users.c.id == ann))
    assert (desk.follows(ann), desk.bookmarks(ann), desk.keyword_filters(ann)) == ([], [], [])
    assert replace(desk.personal_filter(ann), languages=()).empty


def test_a_kept_filter_is_read_again_after_a_change_made_in_another_process(world: World) -> None:
    """Each web process keeps signed-in readers' filters by the count of their changes read with their session;
    a mute made through another process (another facade on the same database) shows on the next request."""
    desk, sources, clock = world
    ann, _bob = _users(desk)
    token = desk.use_sign_in_link(desk.sign_in_link("ann").rsplit("/", 1)[1]).token
    other = make_newsdesk(desk.settings, clock)  # a second web process
    try:
        first = desk.signed_in(token)
        assert first is not None
        assert desk.personal_filter(ann, first.personal_version).sources == frozenset()
        other.follow(ann, "source", str(sources["en"]), "mute")
        other.add_keyword_filter(ann, "penalties", None, "blur")
        again = desk.signed_in(token)
        assert again is not None and again.personal_version == first.personal_version + 2
        kept = desk.personal_filter(ann, again.personal_version)
        assert kept.sources == {sources["en"]} and [k.phrase for k in kept.keywords] == ["penalties"]
        other.unfollow(ann, "source", str(sources["en"]))
        third = desk.signed_in(token)
        assert third is not None and desk.personal_filter(ann, third.personal_version).sources == frozenset()
        other.unfollow(ann, "source", str(sources["en"]))  # nothing left to remove: no change counted
        fourth = desk.signed_in(token)
        assert fourth is not None and fourth.personal_version == third.personal_version
    finally:
        other.close()


def test_a_reader_who_mutes_still_gets_full_pages_that_neither_overlap_nor_skip(tmp_path: Path) -> None:
    """40 stories, every other one from a source the reader mutes: each page shows 24 stories they keep (not the
    14 left of 24 after the mutes), and the next page starts after the last story looked at."""
    from newsdesk.web.pages.front import PAGE_SIZE, story_listing
    from tests.test_store import draft

    desk = make_newsdesk(test_settings(tmp_path, db=fresh_database("sqlite", tmp_path)), Clock())
    try:
        kept_source = desk.storage.add_source("https://kept.example/feed", title="Kept", now=NOW)
        muted_source = desk.storage.add_source("https://muted.example/feed", title="Muted", now=NOW)
        for i in range(80):
            source = kept_source if i % 2 else muted_source
            d = draft(source.id, f"g{i}", title=f"Story {i}", published_at=NOW - timedelta(minutes=i))
            desk.storage.apply_feed_updates([ok_update(source.id, d)], [insert(d, ExtractionStatus.FEED)], NOW)
        batch = desk.storage.pending_enrichment(100)
        desk.storage.apply_enrichment([ArticleEnrichment(a.id, f"s-{a.id}", category="World") for a in batch], [], NOW)
        desk.create_user("ann", PASSWORD)
        token = desk.use_sign_in_link(desk.sign_in_link("ann").rsplit("/", 1)[1]).token
        desk.follow(desk.user("ann").id, "source", str(muted_source.id), "mute")
        viewer = desk.signed_in(token)
        assert viewer is not None
        everyone = story_listing(desk, "/", "latest", None, None, 0, "en")
        assert len(everyone.cards) == PAGE_SIZE and everyone.muted == 0

        seen: list[str] = []
        offset, pages = 0, 0
        while True:
            page = story_listing(desk, "/", "latest", None, None, offset, "en", viewer)
            seen += [c.story.id for c in page.cards]
            pages += 1
            if page.pager.older is None:
                break
            assert len(page.cards) == PAGE_SIZE and page.muted > 0
            offset = int(page.pager.older.rsplit("offset=", 1)[1])
        kept_ids = {f"s-{a.id}" for a in batch if a.source_id == kept_source.id}
        assert len(seen) == len(set(seen)) == len(kept_ids) == 40 and set(seen) == kept_ids
        assert pages == 2
    finally:
        desk.close()
