"""The operator's pages: ``/admin/users`` (every account: change a role, disable or enable), ``/admin/site``
(the site's name, who may create an account, the pages' default language) and ``/admin/ai`` (the language
model's use per day: calls, tokens against the budget, cache hits, fallbacks, sentences kept and rejected).

Only administrators see them: an anonymous reader is sent to sign in, anyone else gets the 403 page.
The rule itself is the use case's (``people/accounts.py: Accounts.administer``); the page checks it
first only to answer with the page instead of a form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsdesk.errors import AccountError, ForbiddenError
from newsdesk.model import MAX_SOURCE_ID, Role, SiteSettings
from newsdesk.web.deps import CurrentViewer, Desk, Viewer
from newsdesk.web.pages.i18n import LOCALES
from newsdesk.web.pages.render import Render
from newsdesk.web.sessions import check_form

router = APIRouter()

UserId = Annotated[int, Path(ge=1, le=MAX_SOURCE_ID)]


def _admin(viewer: Viewer | None) -> Viewer:
    if viewer is None or not viewer.user.is_admin:
        raise ForbiddenError("only an administrator may open this page")
    return viewer


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(desk: Desk, render: Render, viewer: CurrentViewer, changed: str = "") -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in?next=/admin/users", status_code=303)
    _admin(viewer)
    users = await run_in_threadpool(desk.users)
    response = render("admin/users.html", users=users, roles=[r.value for r in Role], changed=changed[:50])
    return response


@router.post("/admin/users/{user_id}")
async def change_user(request: Request, user_id: UserId, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    actor = _admin(viewer).user
    role = Role(fields["role"]) if fields.get("role") in {r.value for r in Role} else None
    disabled = {"1": True, "0": False}.get(fields.get("disabled", ""))
    if role is None and disabled is None:
        raise ForbiddenError("nothing to change: choose a role, or disable or enable the account")
    user = await run_in_threadpool(lambda: desk.administer_user(actor, user_id, role=role, disabled=disabled))
    return RedirectResponse(f"/admin/users?changed={user.id}#user-{user.id}", status_code=303)


@router.get("/admin/site", response_class=HTMLResponse)
async def site_page(render: Render, viewer: CurrentViewer, saved: str = "") -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in?next=/admin/site", status_code=303)
    _admin(viewer)
    return render("admin/site.html", values=render.site, error=None, saved=bool(saved), languages=LOCALES)


@router.post("/admin/site", response_class=HTMLResponse)
async def change_site(request: Request, desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    actor = _admin(viewer).user
    values = {k: fields.get(k, "")[:200] for k in ("name", "registration", "default_language")}
    try:
        await run_in_threadpool(lambda: desk.change_site(actor, LOCALES, **values))
    except AccountError as exc:
        shown = SiteSettings(**values)
        return render(
            "admin/site.html", status_code=400, values=shown, error=exc.reason, saved=False, languages=LOCALES
        )
    return RedirectResponse("/admin/site?saved=1", status_code=303)


@router.get("/admin/ai", response_class=HTMLResponse)
async def ai_page(desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in?next=/admin/ai", status_code=303)
    _admin(viewer)
    days = await run_in_threadpool(desk.ai_usage, 30)
    return render(
        "admin/ai.html",
        days=days,
        model=desk.model_name,
        budget=desk.settings.llm_daily_tokens,
        concurrency=desk.settings.llm_concurrency,
    )
