"""Who is reading: the session cookie, and the form tokens that keep other sites from acting for a reader.

- **The session cookie** (``newsdesk_session``) holds a random token; the database holds its hash
  (``people/accounts.py``). HttpOnly (no script reads it), SameSite=Lax (another site's form cannot
  send it with a POST), Path=/, Secure when the site is served over HTTPS (``site_url``), and it
  lasts as long as the session. Signing in always begins a new session and ends the one the
  browser brought, so a session id planted before sign-in is worth nothing (session fixation).
- **Form tokens (CSRF)**: every state-changing request carries ``csrf_token`` (a form field, or the
  ``X-CSRF-Token`` header for htmx). A signed-in reader's token is their session's; before signing
  in (the sign-in and sign-up forms) it is the ``newsdesk_csrf`` cookie's random value, which the
  form must repeat (double submit). A request whose ``Origin`` is another site's is refused too.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from newsdesk.core import Newsdesk
from newsdesk.errors import AccountError, ForbiddenError
from newsdesk.model import NewSession, SignedIn

SESSION_COOKIE = "newsdesk_session"
CSRF_COOKIE = "newsdesk_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_UNSET = object()


def has_session_cookie(request: Request) -> bool:
    return bool(request.cookies.get(SESSION_COOKIE))


async def viewer_of(request: Request) -> SignedIn | None:
    """The signed-in reader of this request (read once per request), or None."""
    known: Any = getattr(request.state, "viewer", _UNSET)
    if known is not _UNSET:
        return known  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE, "")
    viewer = None
    if token:
        desk: Newsdesk = request.app.state.desk
        viewer = await run_in_threadpool(desk.signed_in, token)
    request.state.viewer = viewer
    return viewer


def secure_cookies(desk: Newsdesk) -> bool:
    return desk.settings.public_url.startswith("https://")


def begin_session(response: Response, new: NewSession, desk: Newsdesk) -> None:
    """Give the browser its new session's cookie (and drop the anonymous form token it no longer needs)."""
    max_age = int((new.signed_in.expires_at - desk.clock()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(desk),
    )
    response.delete_cookie(CSRF_COOKIE, path="/")


def end_session(response: Response, desk: Newsdesk) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(desk))


def anonymous_csrf_token(request: Request) -> str:
    """The form token of a reader not signed in: the cookie's, or a new one (see :func:`keep_csrf_cookie`)."""
    known: str | None = getattr(request.state, "anonymous_csrf", None)
    if known is None:
        known = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.anonymous_csrf = known
    return known


def keep_csrf_cookie(request: Request, response: Response, desk: Newsdesk) -> None:
    """Set the anonymous form token's cookie when the page just made one (a form page only)."""
    token = getattr(request.state, "anonymous_csrf", None)
    if token and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, path="/", httponly=True, samesite="lax", secure=secure_cookies(desk), max_age=86400
        )


async def check_form(request: Request, *, before_sign_in: bool = False) -> dict[str, str]:
    """The submitted form's text fields, after checking its token and origin; ForbiddenError otherwise.

    ``before_sign_in``: a form shown to readers not signed in (sign in, sign up, a sign-in link), whose
    token is the anonymous cookie's even if the browser now brings a session too."""
    _check_origin(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    given = fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    viewer = None if before_sign_in else await viewer_of(request)
    expected = viewer.csrf_token if viewer is not None else request.cookies.get(CSRF_COOKIE, "")
    if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ForbiddenError("this form has expired or did not come from this site: reload the page and try again")
    return fields


MAX_JSON_BYTES = 64 * 1024
"""The largest JSON body a page's script sends (a WebAuthn answer is a few kilobytes)."""


async def check_json(request: Request, *, before_sign_in: bool = False) -> dict[str, Any]:
    """A page script's JSON object, after the checks :func:`check_form` makes (the token in the
    ``X-CSRF-Token`` header, the origin); ForbiddenError, or AccountError for a body that is not one.

    A JSON body (``Content-Type: application/json``) cannot come from another site's plain form, and
    another site's script cannot send it without CORS, which this site never grants: the token and
    the origin are checked anyway, as for every state-changing request."""
    _check_origin(request)
    given = request.headers.get(CSRF_HEADER, "")
    viewer = None if before_sign_in else await viewer_of(request)
    expected = viewer.csrf_token if viewer is not None else request.cookies.get(CSRF_COOKIE, "")
    if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ForbiddenError("this page has expired or did not come from this site: reload the page and try again")
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise AccountError("this request needs a JSON body")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise AccountError("this request is too large")
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise AccountError("this request is not valid JSON") from exc
    if not isinstance(value, dict):
        raise AccountError("this request needs a JSON object")
    return value


def _check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is None or (origin == "null" and request.headers.get("sec-fetch-site") == "same-origin"):
        return
    ours = f"{request.url.scheme}://{request.headers.get('host', '')}"
    desk: Newsdesk = request.app.state.desk
    if origin not in (ours, desk.settings.public_url):
        raise ForbiddenError("this form was sent from another site")
