"""Comments and moderation (``people/comments.py``, ``store/comments.py``) through the facade on SQLite and
PostgreSQL: replies one level deep, the edit window, own comments only, one report per reader, the rate
limit, the first-post hold, bans, who may moderate, the log of every moderator action, and the data
version that keeps anonymous readers' cached pages current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.errors import CommentError, CommentLimitedError, ForbiddenError, NotFoundError
from newsdesk.model import MAX_COMMENT_CHARS, CommentStatus, CommentTarget, Role, User
from newsdesk.people.comment_markup import render_comment
from newsdesk.store import SqlStorage
from tests.conftest import test_settings
from tests.html_safety import assert_safe
from tests.test_comment_pages import HOSTILE_COMMENTS
from tests.test_pages import NOW, build

ARTICLE = CommentTarget.ARTICLE
STORY = CommentTarget.STORY


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _desk(storage: SqlStorage, tmp_path: Path, clock: Clock, **changes: object) -> Newsdesk:
    settings = test_settings(
        tmp_path, db=storage.url, comments_per_minute=3, comments_per_day=6, comment_edit_window_s=600.0, **changes
    )
    desk = make_newsdesk(settings, clock, storage=storage)
    build(desk)
    return desk


@pytest.fixture
def desk(storage: SqlStorage, tmp_path: Path, clock: Clock) -> Newsdesk:
    return _desk(storage, tmp_path, clock)


def _people(desk: Newsdesk) -> tuple[User, User, User]:
    return (
        desk.create_user("reader1", None),
        desk.create_user("reader2", None),
        desk.create_user("mod1", None, Role.MODERATOR),
    )


def test_comments_and_replies_one_level_deep_on_articles_and_stories(desk: Newsdesk, clock: Clock) -> None:
    ann, bob, _ = _people(desk)
    top = desk.post_comment(ann, ARTICLE, "a1", "  Hello *there*  ")
    assert (top.body, top.html, top.status, top.author) == (
        "Hello *there*",
        "<p>Hello <em>there</em></p>",
        CommentStatus.VISIBLE,
        "reader1",
    )
    clock.tick(30)
    reply = desk.post_comment(bob, ARTICLE, "a1", "an answer", reply_to=top.id)
    deeper = desk.post_comment(ann, ARTICLE, "a1", "an answer to the answer", reply_to=reply.id)
    assert reply.parent_id == top.id and deeper.parent_id == top.id  # attached to the top comment
    on_story = desk.post_comment(bob, STORY, "story-a", "on the story")
    threads = desk.comments(ARTICLE, "a1")
    assert [(t.comment.id, [r.id for r in t.replies]) for t in threads] == [(top.id, [reply.id, deeper.id])]
    assert [t.comment.id for t in desk.comments(STORY, "story-a")] == [on_story.id]
    with pytest.raises(CommentError) as bad_parent:  # a reply must be to a comment on the same page
        desk.post_comment(ann, STORY, "story-a", "x", reply_to=top.id)
    assert bad_parent.value.code == "bad_parent"
    with pytest.raises(NotFoundError):
        desk.post_comment(ann, ARTICLE, "no-such-article", "x")


def test_text_is_bounded_and_rendered_safely(desk: Newsdesk) -> None:
    ann, _, _ = _people(desk)
    for text, code in (("   \n\t ", "empty"), ("x" * (MAX_COMMENT_CHARS + 1), "too_long")):
        with pytest.raises(CommentError) as err:
            desk.post_comment(ann, ARTICLE, "a1", text)
        assert err.value.code == code
    assert desk.post_comment(ann, ARTICLE, "a1", "x" * MAX_COMMENT_CHARS).body == "x" * MAX_COMMENT_CHARS
    assert render_comment("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert "<img" not in render_comment("<img src=x onerror=alert(1)>")
    assert "href" not in render_comment("[x](javascript:alert(1))") and "href" not in render_comment("[x](/moderation)")
    assert "href" not in render_comment("[x](data:text/html;base64,PHNjcmlwdD4=)")
    link = render_comment("[site](https://example.org/a?b=1)")
    assert link == '<p><a href="https://example.org/a?b=1" rel="nofollow ugc noopener">site</a></p>'
    assert "<h1>" not in render_comment("# big") and "<img" not in render_comment("![i](https://e.org/i.png)")
    for hostile in HOSTILE_COMMENTS:
        assert_safe(render_comment(hostile))
    nested = render_comment(">" * 2500 + " deep\n" + "- " * 1200 + "x")  # nesting past 20 levels is dropped
    assert nested.count("<blockquote>") <= 20 and nested.count("<ul>") <= 20 and len(nested) < 2000


def test_only_the_author_edits_within_the_window_and_deletes(desk: Newsdesk, clock: Clock) -> None:
    ann, bob, mod = _people(desk)
    mine = desk.post_comment(ann, ARTICLE, "a1", "first")
    for other in (bob, mod):  # a moderator hides; it does not rewrite or delete someone's words
        with pytest.raises(ForbiddenError):
            desk.edit_comment(other, mine.id, "changed by someone else")
        with pytest.raises(ForbiddenError):
            desk.delete_comment(other, mine.id)
    clock.tick(599)
    edited = desk.edit_comment(ann, mine.id, "first, **edited**")
    assert edited.html == "<p>first, <strong>edited</strong></p>" and edited.edited_at == clock.now
    clock.tick(2)
    with pytest.raises(CommentError) as late:
        desk.edit_comment(ann, mine.id, "too late")
    assert late.value.code == "edit_window"
    alone = desk.post_comment(ann, ARTICLE, "a1", "no replies")
    desk.post_comment(bob, ARTICLE, "a1", "a reply", reply_to=mine.id)
    desk.delete_comment(ann, mine.id)
    desk.delete_comment(ann, alone.id)
    threads = desk.comments(ARTICLE, "a1")
    assert [t.comment.id for t in threads] == [mine.id]  # with replies: a placeholder; without: gone
    assert threads[0].comment.status is CommentStatus.DELETED and threads[0].comment.body == ""
    assert len(threads[0].replies) == 1
    with pytest.raises(ForbiddenError):
        desk.delete_comment(ann, mine.id)  # once


def test_a_reader_reports_a_comment_once_and_it_goes_to_the_queue(desk: Newsdesk) -> None:
    ann, bob, mod = _people(desk)
    c = desk.post_comment(ann, ARTICLE, "a1", "rude words")
    with pytest.raises(CommentError):
        desk.report_comment(ann, c.id, "my own")
    desk.report_comment(bob, c.id, "  insulting\n  people ")
    with pytest.raises(CommentError) as again:
        desk.report_comment(bob, c.id, "again")
    assert again.value.code == "reported"
    queue = desk.moderation_queue(mod)
    assert [(i.comment.id, i.reasons, i.comment.reports) for i in queue] == [(c.id, ("insulting people",), 1)]


def test_the_rate_limit_per_minute_and_per_day(desk: Newsdesk, clock: Clock) -> None:
    ann, _, _ = _people(desk)
    for i in range(3):
        desk.post_comment(ann, ARTICLE, "a1", f"c{i}")
    with pytest.raises(CommentLimitedError):
        desk.post_comment(ann, ARTICLE, "a1", "one too many this minute")
    clock.tick(61)
    for i in range(3):
        desk.delete_comment(ann, desk.post_comment(ann, ARTICLE, "a1", f"d{i}").id)  # deleting buys no new post
    clock.tick(61)
    with pytest.raises(CommentLimitedError):
        desk.post_comment(ann, ARTICLE, "a1", "one too many today")
    clock.tick(86400)
    assert desk.post_comment(ann, ARTICLE, "a1", "a new day").status is CommentStatus.VISIBLE


def test_the_first_comments_of_a_new_account_wait_for_a_moderator(
    storage: SqlStorage, tmp_path: Path, clock: Clock
) -> None:
    desk = _desk(storage, tmp_path, clock, hold_first_comments=2)
    ann, bob, mod = _people(desk)
    first = desk.post_comment(ann, ARTICLE, "a1", "first")
    second = desk.post_comment(ann, ARTICLE, "a1", "second")
    third = desk.post_comment(ann, ARTICLE, "a1", "third")
    assert [c.status for c in (first, second, third)] == [CommentStatus.HELD, CommentStatus.HELD, CommentStatus.VISIBLE]
    assert desk.post_comment(mod, ARTICLE, "a1", "staff").status is CommentStatus.VISIBLE
    anonymous = [t.comment.id for t in desk.comments(ARTICLE, "a1")]
    assert first.id not in anonymous and third.id in anonymous
    assert first.id not in [t.comment.id for t in desk.comments(ARTICLE, "a1", bob)]
    assert first.id in [t.comment.id for t in desk.comments(ARTICLE, "a1", ann)]  # its author sees it waiting
    assert {i.comment.id for i in desk.moderation_queue(mod)} == {first.id, second.id}
    desk.moderate_comment(mod, first.id, "approve", "fine")
    assert first.id in [t.comment.id for t in desk.comments(ARTICLE, "a1")]
    assert [(e.action, e.comment_id, e.reason) for e in desk.moderation_log(mod)] == [("approve", first.id, "fine")]
    assert {i.comment.id for i in desk.moderation_queue(mod)} == {second.id}


def test_a_reader_cannot_moderate(desk: Newsdesk) -> None:
    ann, bob, _ = _people(desk)
    c = desk.post_comment(ann, ARTICLE, "a1", "text")
    with pytest.raises(ForbiddenError):
        desk.moderation_queue(bob)
    with pytest.raises(ForbiddenError):
        desk.moderation_log(bob)
    with pytest.raises(ForbiddenError):
        desk.moderate_comment(bob, c.id, "hide", "I do not like it")
    with pytest.raises(ForbiddenError):
        desk.set_user_banned(bob, ann.id, True, "I do not like her")
    stale = desk.create_user("wasmod", None, Role.MODERATOR)
    desk.set_user_role("wasmod", Role.READER)  # the session's copy still says moderator: the stored role decides
    with pytest.raises(ForbiddenError):
        desk.moderate_comment(stale, c.id, "hide", "still a moderator?")
    assert desk.comment(c.id).status is CommentStatus.VISIBLE and not desk.user("reader1").banned


def test_every_moderator_action_is_logged_with_who_what_when_and_why(desk: Newsdesk, clock: Clock) -> None:
    ann, bob, mod = _people(desk)
    c = desk.post_comment(ann, ARTICLE, "a1", "spam spam")
    desk.report_comment(bob, c.id, "spam")
    clock.tick(10)
    hidden = desk.moderate_comment(mod, c.id, "hide", "advertising")
    assert hidden.status is CommentStatus.HIDDEN and hidden.reports == 0  # its reports resolved
    assert desk.moderation_queue(mod) == []
    assert [t.comment.id for t in desk.comments(ARTICLE, "a1")] == []  # hidden from readers
    moderator_view = desk.comments(ARTICLE, "a1", mod)
    assert [t.comment.status for t in moderator_view] == [CommentStatus.HIDDEN]
    clock.tick(10)
    desk.moderate_comment(mod, c.id, "restore", "a mistake")
    clock.tick(10)
    desk.set_user_banned(mod, ann.id, True, "repeated spam")
    clock.tick(10)
    desk.set_user_banned(mod, ann.id, False, "appeal granted")
    with pytest.raises(CommentError):
        desk.moderate_comment(mod, c.id, "hide", "   ")  # no reason, no action
    with pytest.raises(CommentError):
        desk.moderate_comment(mod, c.id, "delete", "not an action")
    with pytest.raises(ForbiddenError):
        desk.set_user_banned(mod, mod.id, True, "moderators are not banned here")
    log = desk.moderation_log(mod)
    start = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert [(e.moderator, e.action, e.comment_id, e.user_id, e.reason, e.at) for e in reversed(log)] == [
        ("mod1", "hide", c.id, None, "advertising", start + timedelta(seconds=10)),
        ("mod1", "restore", c.id, None, "a mistake", start + timedelta(seconds=20)),
        ("mod1", "ban", None, ann.id, "repeated spam", start + timedelta(seconds=30)),
        ("mod1", "unban", None, ann.id, "appeal granted", start + timedelta(seconds=40)),
    ]


def test_a_banned_account_cannot_post_edit_or_reply(desk: Newsdesk) -> None:
    ann, bob, mod = _people(desk)
    c = desk.post_comment(ann, ARTICLE, "a1", "before the ban")
    desk.set_user_banned(mod, ann.id, True, "abuse")
    assert desk.user("reader1").banned and desk.signed_in  # banned, not disabled: still reads and signs in
    for attempt in (
        lambda: desk.post_comment(ann, ARTICLE, "a1", "after the ban"),
        lambda: desk.post_comment(ann, ARTICLE, "a1", "a reply", reply_to=c.id),
        lambda: desk.edit_comment(ann, c.id, "edited after the ban"),
    ):
        with pytest.raises(CommentError) as err:
            attempt()
        assert err.value.code == "banned"
    assert desk.post_comment(bob, ARTICLE, "a1", "others still can").status is CommentStatus.VISIBLE


def test_every_comment_write_bumps_the_comments_data_version(desk: Newsdesk) -> None:
    ann, _, mod = _people(desk)

    def version() -> int:
        return dict(desk.data_versions()).get("comments", 0)

    seen = [version()]
    c = desk.post_comment(ann, ARTICLE, "a1", "one")
    seen.append(version())
    desk.edit_comment(ann, c.id, "two")
    seen.append(version())
    desk.moderate_comment(mod, c.id, "hide", "why")
    seen.append(version())
    desk.set_user_banned(mod, ann.id, True, "why")
    seen.append(version())
    desk.delete_comment(ann, c.id)
    seen.append(version())
    assert seen == sorted(set(seen)) and len(seen) == 6  # every write a new version


def test_when_stories_merge_their_comments_follows_and_read_marks_go_to_the_story_that_remains(
    desk: Newsdesk,
) -> None:
    """A story folded into another leaves no reader behind: its comments show under the surviving story, a
    follow or mute of it applies to that story (once, where a reader had both), and so does a read mark."""
    from newsdesk.model import StoryMerge

    ann, bob, _ = _people(desk)
    on_b = desk.post_comment(ann, STORY, "story-b", "on b")
    on_c = desk.post_comment(bob, STORY, "story-c", "on c")
    desk.follow(ann.id, "story", "story-c", "mute")
    desk.follow(bob.id, "story", "story-c")
    desk.follow(bob.id, "story", "story-b")
    desk.open_story(ann.id, desk.story("story-c"))
    desk.storage.apply_enrichment([], [StoryMerge(merged="story-c", into="story-b")], NOW)
    assert [t.comment.id for t in desk.comments(STORY, "story-b")] == [on_b.id, on_c.id]
    assert desk.comments(STORY, "story-c") == []
    assert [(f.kind, f.key, f.mode) for f in desk.follows(ann.id)] == [("story", "story-b", "mute")]
    assert [(f.kind, f.key, f.mode) for f in desk.follows(bob.id)] == [("story", "story-b", "follow")]
    assert "story-b" in desk.personal_filter(ann.id).stories
    assert set(desk.storage.read_marks(ann.id, "story")) == {"story-b"}


def test_parallel_posts_of_one_author_cannot_all_pass_the_rate_limit(desk: Newsdesk) -> None:
    """Ten posts of one reader at once, three a minute allowed: three are stored, seven refused (the count is
    taken with the author's row locked, in the transaction that writes)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    ann, _, _ = _people(desk)
    start = threading.Barrier(10)

    def post(i: int) -> str:
        start.wait()
        try:
            desk.post_comment(ann, ARTICLE, "a1", f"parallel {i}")
            return "stored"
        except CommentError as exc:
            return exc.code

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(post, range(10)))
    assert sorted(outcomes) == ["limited"] * 7 + ["stored"] * 3
    assert len([t for t in desk.comments(ARTICLE, "a1") if t.comment.author == "reader1"]) == 3
