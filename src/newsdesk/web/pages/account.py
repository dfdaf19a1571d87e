"""Signing in and out, creating an account, one-time sign-in links, and the reader's own account page.

``/sign-in``, ``/sign-up``, ``/sign-out`` (POST), ``/sign-in/link/{token}`` (a page with a button: the
link is spent by the POST, so a chat app's link preview cannot spend it) and ``/account``. Every
POST carries the form token (``web/sessions.py``); a failed sign-in re-renders the form with the one
message for every cause, keeping the name typed, never the password.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsdesk.errors import AccountError, SignInLimitedError
from newsdesk.model import (
    MAX_NAME_CHARS,
    MAX_PASSKEY_NAME_CHARS,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    NewSession,
    SignedIn,
)
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.render import Render
from newsdesk.web.sessions import (
    SESSION_COOKIE,
    anonymous_csrf_token,
    begin_session,
    check_form,
    end_session,
    keep_csrf_cookie,
)

router = APIRouter()

Next = Annotated[str, Query(max_length=500)]


def local_path(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//other.example`` or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form_page(
    render: Render, request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    response = render(
        template,
        status_code=status_code,
        csrf_token=anonymous_csrf_token(request),
        max_name=MAX_NAME_CHARS,
        min_password=MIN_PASSWORD_CHARS,
        max_password=MAX_PASSWORD_CHARS,
        registration=render.site.registration,
        passkeys_available=request.app.state.desk.passkeys_available,
        **context,
    )
    keep_csrf_cookie(request, response, request.app.state.desk)
    response.headers["Cache-Control"] = "no-store"
    return response


def _signed_in(request: Request, new: NewSession, desk: Desk, target: str) -> Response:
    """Go on signed in: the old session (if any) ended, the new one's cookie set (no session fixation)."""
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        desk.sign_out(old)
    response = RedirectResponse(local_path(target), status_code=303)
    begin_session(response, new, desk)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, render: Render, viewer: CurrentViewer, next: Next = "/") -> Response:
    if viewer is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return _form_page(render, request, "account/sign_in.html", next=local_path(next), user_name="", error=None)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, desk: Desk, render: Render) -> Response:
    fields = await check_form(request, before_sign_in=True)
    name, password = fields.get("name", "")[: MAX_NAME_CHARS * 2], fields.get("password", "")
    target = local_path(fields.get("next"))
    address = request.client.host if request.client else "unknown"
    try:
        new = await run_in_threadpool(desk.sign_in, name, password, address)
    except SignInLimitedError:
        minutes = max(1, round(desk.settings.sign_in_window_s / 60))
        page = "account/sign_in.html"
        return _form_page(
            render, request, page, status_code=429, next=target, user_name=name, error="limited", minutes=minutes
        )
    except AccountError:  # SignInError: one message whatever went wrong
        page = "account/sign_in.html"
        return _form_page(render, request, page, status_code=401, next=target, user_name=name, error="wrong")
    return await run_in_threadpool(_signed_in, request, new, desk, target)


@router.get("/sign-up", response_class=HTMLResponse)
async def sign_up_page(request: Request, desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    if viewer is not None:
        return RedirectResponse("/account", status_code=303)
    mode = render.site.registration
    status = 200 if mode == "open" else 403
    return _form_page(render, request, "account/sign_up.html", status_code=status, mode=mode, user_name="", error=None)


@router.post("/sign-up", response_class=HTMLResponse)
async def sign_up(request: Request, desk: Desk, render: Render) -> Response:
    fields = await check_form(request, before_sign_in=True)
    mode = render.site.registration
    if mode != "open":
        return _form_page(render, request, "account/sign_up.html", status_code=403, mode=mode, user_name="", error=None)
    name, password = fields.get("name", "")[: MAX_NAME_CHARS * 2], fields.get("password", "")
    try:
        await run_in_threadpool(desk.create_user, name, password)
        address = request.client.host if request.client else "unknown"
        new = await run_in_threadpool(desk.sign_in, name, password, address)
    except AccountError as exc:
        page = "account/sign_up.html"
        return _form_page(render, request, page, status_code=400, mode=mode, user_name=name, error=exc.reason)
    return await run_in_threadpool(_signed_in, request, new, desk, "/account")


@router.post("/sign-out")
async def sign_out(request: Request, desk: Desk) -> Response:
    await check_form(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(desk.sign_out, token)
    response = RedirectResponse("/", status_code=303)
    end_session(response, desk)
    return response


@router.get("/sign-in/link/{token}", response_class=HTMLResponse)
async def link_page(request: Request, token: str, render: Render) -> Response:
    return _form_page(render, request, "account/link.html", token=token[:100], error=None)


@router.post("/sign-in/link/{token}", response_class=HTMLResponse)
async def use_link(request: Request, token: str, desk: Desk, render: Render) -> Response:
    await check_form(request, before_sign_in=True)
    try:
        new = await run_in_threadpool(desk.use_sign_in_link, token[:200])
    except AccountError:
        page = "account/link.html"
        return _form_page(render, request, page, status_code=400, token=token[:100], error="invalid")
    return await run_in_threadpool(_signed_in, request, new, desk, "/account")


@router.get("/account", response_class=HTMLResponse)
async def account_page(render: Render, desk: Desk, viewer: CurrentViewer) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in?next=/account", status_code=303)
    return await render_account(render, desk, viewer)


async def render_account(
    render: Render, desk: Desk, viewer: SignedIn, *, passkey_error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """The account page (``passkey_error``: why the last change to the passkeys was refused)."""
    passkeys = await run_in_threadpool(desk.passkeys, viewer.user.id)
    return render(
        "account/account.html",
        status_code=status_code,
        user=viewer.user,
        passkeys=passkeys,
        passkeys_available=desk.passkeys_available,
        max_passkey_name=MAX_PASSKEY_NAME_CHARS,
        passkey_error=passkey_error,
    )


@router.get("/account/export")
async def export_account(desk: Desk, viewer: CurrentViewer) -> Response:
    """The reader's data as a JSON file to download."""
    if viewer is None:
        return RedirectResponse("/sign-in?next=/account", status_code=303)
    data = await run_in_threadpool(desk.export_account, viewer.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    headers = {
        "Content-Disposition": f'attachment; filename="newsdesk-{viewer.user.id}.json"',
        "Cache-Control": "private, no-store",
    }
    return Response(body, media_type="application/json", headers=headers)


@router.get("/account/delete", response_class=HTMLResponse)
async def delete_page(render: Render, viewer: CurrentViewer) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in?next=/account/delete", status_code=303)
    return render("account/delete.html", user=viewer.user, error=None)


@router.post("/account/delete", response_class=HTMLResponse)
async def delete_account(request: Request, desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    if viewer is None:
        return RedirectResponse("/sign-in?next=/account/delete", status_code=303)
    try:
        keep = fields.get("comments", "keep") != "remove"
        await run_in_threadpool(
            lambda: desk.delete_account(viewer.user, fields.get("password", ""), keep_comments=keep)
        )
    except AccountError as exc:
        return render("account/delete.html", status_code=400, user=viewer.user, error=exc.reason)
    response = RedirectResponse("/?account=deleted", status_code=303)
    end_session(response, desk)
    return response
