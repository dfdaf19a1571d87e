"""The moderators' page (``/moderation``): the queue of held and reported comments, the actions on them
(approve, hide, restore, each with a reason), bans, and the latest lines of the moderation log.

Not found for readers who are not signed in, forbidden for those who are but do not moderate — and the
facade checks again for every action, so the page is not the only lock. Every POST carries the form
token; an action without a reason is refused on the page, in the reader's language.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsdesk.errors import CommentError, ForbiddenError, NotFoundError
from newsdesk.model import MAX_REASON_CHARS, User
from newsdesk.web.deps import CurrentViewer, Desk, Viewer
from newsdesk.web.pages.render import Render
from newsdesk.web.sessions import check_form

router = APIRouter()


def _moderator(viewer: Viewer | None) -> User:
    if viewer is None:
        raise NotFoundError("there is nothing at /moderation")
    if not viewer.user.is_moderator:
        raise ForbiddenError("only moderators may see the moderation queue")
    return viewer.user


async def _page(
    desk: Desk, render: Render, moderator: User, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    queue = await run_in_threadpool(desk.moderation_queue, moderator)
    log = await run_in_threadpool(desk.moderation_log, moderator, 50)
    response = render(
        "moderation/moderation.html", status_code=status, queue=queue, log=log, error=error, max_reason=MAX_REASON_CHARS
    )
    return response


@router.get("/moderation", response_class=HTMLResponse)
async def moderation_page(desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    return await _page(desk, render, _moderator(viewer))


@router.post("/moderation/comments/{comment_id}")
async def moderate_comment(
    request: Request, comment_id: int, desk: Desk, render: Render, viewer: CurrentViewer
) -> Response:
    fields = await check_form(request)
    moderator = _moderator(viewer)
    try:
        await run_in_threadpool(
            desk.moderate_comment, moderator, comment_id, fields.get("action", ""), fields.get("reason", "")
        )
    except CommentError as exc:
        return await _page(desk, render, moderator, error=exc.code, status=400)
    return RedirectResponse(_back(fields.get("back")), status_code=303)


@router.post("/moderation/users/{user_id}")
async def ban_user(request: Request, user_id: int, desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    moderator = _moderator(viewer)
    banned = fields.get("action") == "ban"
    try:
        await run_in_threadpool(desk.set_user_banned, moderator, user_id, banned, fields.get("reason", ""))
    except CommentError as exc:
        return await _page(desk, render, moderator, error=exc.code, status=400)
    return RedirectResponse("/moderation", status_code=303)


def _back(target: str | None) -> str:
    """Back to the page the action came from: this site's article or story pages only, else the queue."""
    if target and target.startswith(("/articles/", "/stories/")) and "//" not in target and "\\" not in target:
        return target[:300]
    return "/moderation"
