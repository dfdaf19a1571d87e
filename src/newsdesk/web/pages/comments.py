"""Comments under articles and stories: the thread the pages show, and the forms that post, reply, edit,
delete and report (``POST /comments``, ``POST /comments/{id}/edit|delete|report``).

Every form works without JavaScript: a plain POST carrying the form token (``check_form``), answered
with a redirect back to the page at ``#comment-ID``. Where it goes back to comes from the comment's own
target, never from the form, so no form can send a reader elsewhere. What is refused (empty, too long,
too many lately, banned, past the edit window) is said on a page of its own, in the reader's language,
with the text typed kept in the form. Who may do what is the facade's to decide (an id in a form proves
nothing); this module only asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsdesk.core import Newsdesk
from newsdesk.errors import CommentError, CommentLimitedError, ForbiddenError
from newsdesk.model import (
    MAX_COMMENT_CHARS,
    MAX_REASON_CHARS,
    Comment,
    CommentStatus,
    CommentTarget,
    CommentThread,
    User,
)
from newsdesk.web.deps import CurrentViewer, Desk, Viewer
from newsdesk.web.pages.render import Render, get_renderer
from newsdesk.web.sessions import check_form

router = APIRouter()

PATHS = {CommentTarget.ARTICLE: "/articles/", CommentTarget.STORY: "/stories/"}


@dataclass(frozen=True, slots=True)
class CommentSection:
    """What the comment section of a page shows: the threads, and what the viewer may do to which comment."""

    target: CommentTarget
    target_id: str
    threads: tuple[CommentThread, ...]
    editable: frozenset[int]  # the viewer's own comments still inside the edit window
    max_chars: int = MAX_COMMENT_CHARS
    max_reason: int = MAX_REASON_CHARS

    @property
    def count(self) -> int:
        """The comments shown with their text (a "[deleted]" placeholder is not one)."""
        return sum(_live(c) for t in self.threads for c in (t.comment, *t.replies))


def comment_section(desk: Newsdesk, target: CommentTarget, target_id: str, viewer: User | None) -> CommentSection:
    """The section for a page (run on the thread pool with the page's other reads)."""
    threads = tuple(desk.comments(target, target_id, viewer))
    editable: frozenset[int] = frozenset()
    if viewer is not None:
        since = desk.clock() - timedelta(seconds=desk.settings.comment_edit_window_s)
        mine = (c for t in threads for c in (t.comment, *t.replies) if c.user_id == viewer.id)
        editable = frozenset(c.id for c in mine if _live(c) and c.created_at >= since)
    return CommentSection(target, target_id, threads, editable)


def _live(c: Comment) -> bool:
    return c.status in (CommentStatus.VISIBLE, CommentStatus.HELD)


def page_of(comment: Comment) -> str:
    return f"{PATHS[comment.target]}{comment.target_id}#comment-{comment.id}"


def _signed_in(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise ForbiddenError("sign in to comment")
    return viewer


def _refused(
    render: Render, exc: CommentError, *, action: str, back: str, body: str = "", **fields: object
) -> HTMLResponse:
    """The page saying why a comment was refused, with the form again and the text typed kept."""
    status = 429 if isinstance(exc, CommentLimitedError) else 400
    response = render(
        "comments/refused.html",
        status_code=status,
        error=exc.code,
        action=action,
        back=back,
        body=body[: MAX_COMMENT_CHARS * 2],
        fields=fields,
        max_chars=MAX_COMMENT_CHARS,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@router.post("/comments")
async def post_comment(request: Request, desk: Desk, viewer: CurrentViewer) -> Response:
    """Post a comment or reply. The renderer (the site's settings, a read) is made only for a refusal's page:
    a posted comment is answered with a redirect."""
    fields = await check_form(request)
    author = _signed_in(viewer).user
    try:
        target = CommentTarget(fields.get("target", ""))
    except ValueError:
        raise CommentError("comments are on articles and stories", "no_target") from None
    target_id, body, reply_to = fields.get("target_id", "")[:64], fields.get("body", ""), _int(fields.get("parent"))
    back = f"{PATHS[target]}{target_id}#comments"
    try:
        comment = await run_in_threadpool(desk.post_comment, author, target, target_id, body, reply_to)
    except CommentError as exc:
        keep = {"target": target.value, "target_id": target_id, "parent": str(reply_to or "")}
        render = await get_renderer(request, viewer)
        return _refused(render, exc, action="/comments", back=back, body=body, **keep)
    return RedirectResponse(page_of(comment), status_code=303)


@router.post("/comments/{comment_id}/edit")
async def edit_comment(
    request: Request, comment_id: int, desk: Desk, render: Render, viewer: CurrentViewer
) -> Response:
    fields = await check_form(request)
    author = _signed_in(viewer).user
    body = fields.get("body", "")
    try:
        comment = await run_in_threadpool(desk.edit_comment, author, comment_id, body)
    except CommentError as exc:
        back = page_of(await run_in_threadpool(desk.comment, comment_id))
        return _refused(render, exc, action=f"/comments/{comment_id}/edit", back=back, body=body)
    return RedirectResponse(page_of(comment), status_code=303)


@router.post("/comments/{comment_id}/delete")
async def delete_comment(request: Request, comment_id: int, desk: Desk, viewer: CurrentViewer) -> Response:
    await check_form(request)
    author = _signed_in(viewer).user
    comment = await run_in_threadpool(desk.comment, comment_id)
    await run_in_threadpool(desk.delete_comment, author, comment_id)
    return RedirectResponse(f"{PATHS[comment.target]}{comment.target_id}#comments", status_code=303)


@router.post("/comments/{comment_id}/report")
async def report_comment(
    request: Request, comment_id: int, desk: Desk, render: Render, viewer: CurrentViewer
) -> Response:
    fields = await check_form(request)
    reporter = _signed_in(viewer).user
    comment = await run_in_threadpool(desk.comment, comment_id)
    try:
        await run_in_threadpool(desk.report_comment, reporter, comment_id, fields.get("reason", ""))
    except CommentError as exc:
        return _refused(render, exc, action="", back=page_of(comment))
    where = f"{PATHS[comment.target]}{comment.target_id}?reported={comment.id}#comment-{comment.id}"
    return RedirectResponse(where, status_code=303)
