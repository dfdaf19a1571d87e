"""Passkeys on the site: the JSON endpoints ``static/passkeys.js`` calls, and removing a passkey.

- ``POST /account/passkeys/options`` then ``POST /account/passkeys``: a signed-in reader adds a passkey
  (the options for ``navigator.credentials.create``, then its answer with the label typed);
- ``POST /account/passkeys/{id}/remove``: a plain form (the account page lists the passkeys);
- ``POST /sign-in/passkey/options`` then ``POST /sign-in/passkey``: signing in, with a name typed or not;
  the answer sets the new session's cookie, ending the session the browser brought (as signing in with
  a password does), and says where to go.

Each ceremony's challenge stays in the database; the browser holds only the token naming it, in an
HttpOnly, SameSite=Strict cookie scoped to these paths for the few minutes a ceremony may take. Every
POST carries the page's form token (``web/sessions.check_json``, ``check_form``). Errors answer
``{"error": code}``, which the script turns into the page's translated message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from newsdesk.errors import AccountError, ForbiddenError, NotFoundError, PasskeyError
from newsdesk.model import MAX_NAME_CHARS
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.account import local_path, render_account
from newsdesk.web.pages.render import Render
from newsdesk.web.sessions import SESSION_COOKIE, begin_session, check_form, check_json, secure_cookies

router = APIRouter()

CEREMONY_COOKIE = "newsdesk_webauthn"
CEREMONY_SECONDS = 300


async def _answer(work: Callable[[], Awaitable[Response]]) -> Response:
    """``work``'s response, or ``{"error": code}`` with its status for what the page's script can say."""
    try:
        return await work()
    except ForbiddenError:
        return _error("forbidden", 403)
    except PasskeyError as exc:
        status = {"duplicate": 409, "refused": 401, "limited": 429}.get(exc.code, 400)
        return _error(exc.code, status)
    except AccountError:
        return _error("invalid", 400)


def _error(code: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status, headers={"Cache-Control": "no-store"})


def _options(desk: Desk, token: str, options_json: str, path: str) -> Response:
    response = Response(options_json, media_type="application/json", headers={"Cache-Control": "no-store"})
    response.set_cookie(
        CEREMONY_COOKIE,
        token,
        max_age=CEREMONY_SECONDS,
        path=path,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(desk),
    )
    return response


def _credential(body: dict[str, Any]) -> dict[str, Any]:
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise AccountError("no credential in this request")
    return credential


def _text(body: dict[str, Any], key: str, limit: int) -> str:
    value = body.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


@router.post("/account/passkeys/options")
async def registration_options(request: Request, desk: Desk, viewer: CurrentViewer) -> Response:
    async def work() -> Response:
        await check_json(request)
        if viewer is None:
            raise ForbiddenError("sign in first")
        ceremony = await run_in_threadpool(desk.passkey_registration_options, viewer.user)
        return _options(desk, ceremony.token, ceremony.options_json, "/account/passkeys")

    return await _answer(work)


@router.post("/account/passkeys")
async def add_passkey(request: Request, desk: Desk, viewer: CurrentViewer) -> Response:
    async def work() -> Response:
        body = await check_json(request)
        if viewer is None:
            raise ForbiddenError("sign in first")
        token = request.cookies.get(CEREMONY_COOKIE, "")
        name = _text(body, "name", 200)
        passkey = await run_in_threadpool(desk.add_passkey, viewer.user, token, _credential(body), name)
        response = JSONResponse({"id": passkey.id, "name": passkey.name}, headers={"Cache-Control": "no-store"})
        response.delete_cookie(CEREMONY_COOKIE, path="/account/passkeys")
        return response

    return await _answer(work)


@router.post("/account/passkeys/{passkey_id}/remove")
async def remove_passkey(
    request: Request, desk: Desk, render: Render, viewer: CurrentViewer, passkey_id: int = Path(ge=1, le=2**31 - 1)
) -> Response:
    await check_form(request)
    if viewer is None:
        return RedirectResponse("/sign-in?next=/account", status_code=303)
    try:
        removed = await run_in_threadpool(desk.remove_passkey, viewer.user.id, passkey_id)
    except PasskeyError as exc:  # the last way in of an account without a password
        return await render_account(render, desk, viewer, passkey_error=exc.code, status_code=409)
    if not removed:  # not one of this reader's passkeys: as if it did not exist
        raise NotFoundError(f"no passkey {passkey_id} on this account")
    return RedirectResponse("/account", status_code=303)


@router.post("/sign-in/passkey/options")
async def sign_in_options(request: Request, desk: Desk) -> Response:
    async def work() -> Response:
        body = await check_json(request, before_sign_in=True)
        name = _text(body, "name", MAX_NAME_CHARS * 2)
        address = request.client.host if request.client else "unknown"
        ceremony = await run_in_threadpool(desk.passkey_sign_in_options, name or None, address)
        return _options(desk, ceremony.token, ceremony.options_json, "/sign-in/passkey")

    return await _answer(work)


@router.post("/sign-in/passkey")
async def sign_in(request: Request, desk: Desk) -> Response:
    async def work() -> Response:
        body = await check_json(request, before_sign_in=True)
        token = request.cookies.get(CEREMONY_COOKIE, "")
        new = await run_in_threadpool(desk.sign_in_with_passkey, token, _credential(body))
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await run_in_threadpool(desk.sign_out, old)
        target = local_path(_text(body, "next", 500))
        response = JSONResponse({"next": target}, headers={"Cache-Control": "no-store"})
        begin_session(response, new, desk)
        response.delete_cookie(CEREMONY_COOKIE, path="/sign-in/passkey")
        return response

    return await _answer(work)
