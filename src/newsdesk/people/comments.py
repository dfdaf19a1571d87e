"""Comments on articles and stories, and their moderation: the rules.

- **Who may write**: a signed-in account not banned, on an article or story that exists. The text is
  1 to :data:`~newsdesk.model.MAX_COMMENT_CHARS` characters (after trimming), rendered once as
  "markdown-lite" and sanitized (``comment_markup.py``).
- **Replies** are one level deep: a reply to a reply attaches to its top comment, so a thread is a
  comment and a flat list of answers.
- **Rate limit**: at most ``comments_per_minute`` in a minute and ``comments_per_day`` in a day per
  account (deleted comments count: deleting does not buy another post); past it,
  :class:`CommentLimitedError`.
- **First-post hold**: with ``hold_first_comments = N``, the first N comments an account writes are held
  until a moderator approves them; only their author (and the moderators) see them meanwhile.
- **Own comments**: the author may edit within ``comment_edit_window_s`` of posting and delete any
  time; a deleted comment loses its text and shows as "[deleted]" while it has replies, otherwise
  not at all. Nobody else may do either (an id in a form proves nothing: the rule is checked here).
- **Reports**: once per reader and comment, not of one's own; a reported comment goes to the queue.
- **Moderation**: only moderators and admins (:attr:`User.is_moderator`, checked here, not only by the
  page) hide, restore, approve and ban; each action needs a reason and writes its line of the
  moderation log (who, what, when, why) in the same transaction as the action.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta

from newsdesk.config import Settings
from newsdesk.errors import CommentError, CommentLimitedError, ForbiddenError, NotFoundError
from newsdesk.model import (
    MAX_COMMENT_CHARS,
    MAX_REASON_CHARS,
    Clock,
    Comment,
    CommentStatus,
    CommentTarget,
    CommentThread,
    ModerationAction,
    ModerationItem,
    User,
)
from newsdesk.people.comment_markup import render_comment
from newsdesk.store import Storage
from newsdesk.store.port import LogLine

log = logging.getLogger(__name__)

MODERATION_ACTIONS = {"hide": CommentStatus.HIDDEN, "restore": CommentStatus.VISIBLE, "approve": CommentStatus.VISIBLE}


def checked_body(text: str) -> str:
    """The comment's text as kept: line ends made ``\\n``, control characters dropped, trimmed; or a
    :class:`CommentError` when nothing is left or it is too long."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()
    if not text:
        raise CommentError("a comment needs some text", "empty")
    if len(text) > MAX_COMMENT_CHARS:
        raise CommentError(f"a comment has at most {MAX_COMMENT_CHARS} characters", "too_long")
    return text


def checked_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise CommentError("give a reason", "no_reason")
    return reason[:MAX_REASON_CHARS]


class Comments:
    """The comment rules over the storage (the facade builds one; see the module docstring)."""

    def __init__(self, storage: Storage, clock: Clock, settings: Settings) -> None:
        self.storage = storage
        self.clock = clock
        self.settings = settings

    # -- reading -------------------------------------------------------------------------------

    def thread(self, target: CommentTarget, target_id: str, viewer: User | None) -> list[CommentThread]:
        """What the page shows under the article or story, oldest first: visible comments; held ones
        to their author and the moderators; hidden ones to the moderators (marked); deleted or hidden
        ones with replies as a placeholder; replies hidden from the reader dropped."""
        every = self.storage.comments_on(target, target_id)
        shown = [c for c in every if self._shows(c, viewer)]
        shown_ids = {c.id for c in shown}
        replies: dict[int, list[Comment]] = {}
        for c in shown:
            if c.parent_id is not None:
                replies.setdefault(c.parent_id, []).append(c)
        threads = []
        for c in every:
            if c.parent_id is not None:
                continue
            answers = tuple(replies.get(c.id, ()))
            if c.id in shown_ids or (answers and c.status in (CommentStatus.DELETED, CommentStatus.HIDDEN)):
                threads.append(CommentThread(c, answers))
        return threads

    @staticmethod
    def _shows(c: Comment, viewer: User | None) -> bool:
        if c.status is CommentStatus.VISIBLE:
            return True
        if c.status is CommentStatus.DELETED:
            return False
        if viewer is None:
            return False
        return viewer.is_moderator or (c.status is CommentStatus.HELD and c.user_id == viewer.id)

    # -- writing -------------------------------------------------------------------------------

    def post(
        self, author: User, target: CommentTarget, target_id: str, text: str, reply_to: int | None = None
    ) -> Comment:
        """A new comment (or a reply to ``reply_to``); see the module docstring for what is refused."""
        author = self.storage.user(author.id)  # the account as it is now: banned a second ago counts
        if author.banned:
            raise CommentError("this account may not comment", "banned")
        body = checked_body(text)
        parent_id = None
        if reply_to is not None:
            parent = self.comment(reply_to)
            if parent.target != target or parent.target_id != target_id or parent.status is CommentStatus.DELETED:
                raise CommentError("there is no such comment to reply to here", "bad_parent")
            parent_id = parent.parent_id or parent.id  # one level deep: a reply to a reply joins its thread
        elif not self.storage.comment_target_exists(target, target_id):
            raise NotFoundError(f"no {target.value} {target_id!r}")
        now = self.clock()
        s = self.settings
        held = False
        if not author.is_moderator and s.hold_first_comments:
            held = self.storage.comments_by(author.id) < s.hold_first_comments
        status = CommentStatus.HELD if held else CommentStatus.VISIBLE
        limits = ((now - timedelta(minutes=1), s.comments_per_minute), (now - timedelta(days=1), s.comments_per_day))
        comment = self.storage.add_comment(
            target, target_id, author.id, parent_id, body, render_comment(body), status, now, limits
        )
        if comment is None:  # counted with the author's row locked: parallel posts cannot all pass
            log.info("comment.limited user=%d", author.id)
            raise CommentLimitedError("too many comments lately: wait a little", "limited")
        log.info("comment.posted id=%d user=%d status=%s", comment.id, author.id, status.value)
        return comment

    def edit(self, author: User, comment_id: int, text: str) -> Comment:
        """The author's new text, within the edit window."""
        comment = self._own(author, comment_id)
        if self.clock() - comment.created_at > timedelta(seconds=self.settings.comment_edit_window_s):
            raise CommentError("the time to edit this comment has passed", "edit_window")
        if self.storage.user(author.id).banned:
            raise CommentError("this account may not comment", "banned")
        body = checked_body(text)
        return self.storage.edit_comment(comment_id, body, render_comment(body), self.clock())

    def delete(self, author: User, comment_id: int) -> None:
        """The author's deletion (see :meth:`thread` for how it shows)."""
        self._own(author, comment_id)
        self.storage.delete_comment(comment_id, self.clock())
        log.info("comment.deleted id=%d user=%d", comment_id, author.id)

    def report(self, reporter: User, comment_id: int, reason: str) -> None:
        """A reader's report, once per reader and comment."""
        comment = self.comment(comment_id)
        if comment.status is not CommentStatus.VISIBLE or comment.user_id == reporter.id:
            raise CommentError("this comment cannot be reported", "not_reportable")
        reason = " ".join(reason.split())[:MAX_REASON_CHARS] or "-"
        if not self.storage.report_comment(comment_id, reporter.id, reason, self.clock()):
            raise CommentError("you reported this comment already", "reported")
        log.info("comment.reported id=%d by=%d", comment_id, reporter.id)

    def comment(self, comment_id: int) -> Comment:
        return self.storage.comment(comment_id)

    def _own(self, author: User, comment_id: int) -> Comment:
        comment = self.comment(comment_id)
        if comment.user_id != author.id or comment.status is CommentStatus.DELETED:
            raise ForbiddenError("only its author may change a comment")
        return comment

    # -- moderating ----------------------------------------------------------------------------

    def queue(self, moderator: User) -> list[ModerationItem]:
        self._check_moderator(moderator)
        return self.storage.moderation_queue()

    def log(self, moderator: User, limit: int = 100) -> list[ModerationAction]:
        self._check_moderator(moderator)
        return self.storage.moderation_log(limit)

    def moderate(self, moderator: User, comment_id: int, action: str, reason: str) -> Comment:
        """Hide, restore or approve a comment, with the reason, logged in the same transaction."""
        self._check_moderator(moderator)
        status = MODERATION_ACTIONS.get(action)
        if status is None:
            raise CommentError(f"unknown moderation action {action!r}", "bad_action")
        comment = self.comment(comment_id)
        if comment.status is CommentStatus.DELETED:
            raise CommentError("its author deleted this comment", "deleted")
        line = LogLine(moderator.id, action, checked_reason(reason))
        done = self.storage.moderate_comment(comment_id, status, line, self.clock())
        log.info("comment.moderated id=%d action=%s by=%d", comment_id, action, moderator.id)
        return done

    def set_banned(self, moderator: User, user_id: int, banned: bool, reason: str) -> None:
        """Ban an account from commenting (or lift the ban), logged in the same transaction.
        Moderators cannot ban moderators: that is the admin's ``newsdesk users`` work."""
        self._check_moderator(moderator)
        target = self.storage.user(user_id)
        if target.is_moderator:
            raise ForbiddenError("moderators and admins cannot be banned")
        line = LogLine(moderator.id, "ban" if banned else "unban", checked_reason(reason))
        self.storage.set_banned(user_id, banned, line, self.clock())
        log.info("account.%s user=%d by=%d", line.action, user_id, moderator.id)

    def _check_moderator(self, user: User) -> None:
        current = self.storage.user(user.id)  # the role as it is now, not as the session read it
        if not current.is_moderator or current.disabled:
            raise ForbiddenError("only moderators may moderate comments")
