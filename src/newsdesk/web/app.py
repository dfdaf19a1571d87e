"""The FastAPI application: security middleware, error handling, static files and the route table.

Routes are not written here: each resource and page family has its module,
and this file registers them from the two visible lists, :data:`newsdesk.web.api.ROUTERS`
and :data:`newsdesk.web.pages.ROUTERS`. Errors are handled here once: a
:class:`~newsdesk.errors.NewsdeskError` or an invalid request becomes a status
code and, under ``/api/``, the one JSON envelope (an address no route answers too)
``{"error": {"type": …, "message": …}}``; elsewhere the HTML error page. Every response
carries the security headers of :mod:`newsdesk.web.security`, and a request for a host the
site does not answer to is refused there before any route runs. Anonymous readers' pages are
replayed from :mod:`newsdesk.web.pagecache` while fresh.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Lifespan, Receive, Scope, Send

from newsdesk.config import VERSION
from newsdesk.core import Newsdesk
from newsdesk.errors import (
    ConfigError,
    DiscoveryError,
    ForbiddenError,
    NameTakenError,
    NewsdeskError,
    NotFoundError,
    OPMLError,
    SignInError,
    SignInLimitedError,
    SourceExistsError,
    StorageError,
)
from newsdesk.web import api, media, pages
from newsdesk.web.deps import Viewer, get_viewer
from newsdesk.web.pagecache import CachedPages
from newsdesk.web.pages import apidocs, pwa
from newsdesk.web.pages.render import Templates, get_renderer
from newsdesk.web.security import REFUSED_HOST_MESSAGE, HostCheck, SecurityHeaders, allowed_hosts, security_headers

STATIC_DIR = Path(__file__).parent / "static"

# The site's own routes beside the pages: the image proxy, the installable app, the API's docs.
SITE_ROUTERS = [
    media.router,  # /media/{signature}/{encoded_url}
    pwa.router,  # /manifest.webmanifest, /sw.js
    apidocs.router,  # /api (→ /api/docs), /api/docs
]

# The first matching class wins; any other NewsdeskError is the client's mistake (400).
_STATUS: list[tuple[type[NewsdeskError], int]] = [
    (NotFoundError, 404),
    (SignInError, 401),
    (ForbiddenError, 403),
    (NameTakenError, 409),
    (SignInLimitedError, 429),
    (SourceExistsError, 409),
    (DiscoveryError, 422),
    (OPMLError, 422),
    (ConfigError, 500),
    (StorageError, 503),
]


def create_app(desk: Newsdesk, *, lifespan: Lifespan[FastAPI] | None = None, demo_notice: str | None = None) -> FastAPI:
    """The web app over ``desk``; ``lifespan`` runs around serving (the scheduler), ``demo_notice`` tops every page."""
    app = FastAPI(
        title="newsdesk",
        version=VERSION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{api.PREFIX}/openapi.json",
    )
    app.state.desk = desk
    app.state.media = media.MediaProxy.of(desk)
    app.state.templates = Templates(
        clock=desk.clock,
        demo_notice=demo_notice,
        site_url=desk.settings.public_url,
        proxied=app.state.media.signer.proxied,  # {{ url|proxied }}: /media/…
    )

    # Outermost last: every response, the Host check's 400 included, carries the security headers;
    # pages replayed from the anonymous readers' cache (innermost) carry them as fresh ones do.
    app.add_middleware(CachedPages, desk=desk)
    app.add_middleware(HostCheck, allowed=allowed_hosts(desk.settings), refuse=refuse_host)
    app.add_middleware(SecurityHeaders, headers=security_headers(desk.settings))

    app.add_exception_handler(NewsdeskError, error_response)
    app.add_exception_handler(RequestValidationError, error_response)
    app.add_exception_handler(HTTPException, error_response)  # no such route, method or static file

    for router in api.ROUTERS:
        app.include_router(router, prefix=api.PREFIX)
    for router in [*pages.ROUTERS, *SITE_ROUTERS]:
        app.include_router(router, include_in_schema=False)  # the OpenAPI document describes the JSON API only
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _describe(exc: Exception, path: str) -> tuple[int, str, str]:
    """Status code, error type and message of an error a handler raised, FastAPI's validation found, or
    the router met (an address nothing answers)."""
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return 404, "NotFoundError", f"there is nothing at {path}"
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            return 405, "MethodNotAllowedError", f"{path} answers {exc.headers['Allow']} only"
        return exc.status_code, "HTTPError", str(exc.detail)
    if isinstance(exc, RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        return 422, "ValidationError", problems
    if isinstance(exc, NewsdeskError):
        status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 400)
        return status, type(exc).__name__, exc.reason
    raise exc  # registered for the three classes above only


async def refuse_host(scope: Scope, receive: Receive, send: Send) -> None:
    """The Host check's answer: 400 as the error page or the JSON envelope, the host not repeated."""
    request = Request(scope, receive)
    response = await error_response(request, HTTPException(400, REFUSED_HOST_MESSAGE))
    await response(scope, receive, send)


async def _viewer_if_any(request: Request) -> Viewer | None:
    """The signed-in reader, for the error page's header; None when that cannot be told (the database being
    the error, or the request refused before reaching the app): an error page must not fail in turn."""
    try:
        return await get_viewer(request)
    except (NewsdeskError, AttributeError, KeyError):
        return None


async def error_response(request: Request, exc: Exception) -> Response:
    """The one error handler: the JSON envelope under ``/api/``, the HTML error page elsewhere."""
    status, kind, message = _describe(exc, request.url.path)
    headers = exc.headers if isinstance(exc, HTTPException) else None  # 405's Allow
    if request.url.path == "/api" or request.url.path.startswith("/api/"):
        return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message}}, headers=headers)
    render = await get_renderer(request, await _viewer_if_any(request))
    # What the page says first, in the reader's language; the message (English, precise) follows it.
    situation = (
        "no_page"
        if isinstance(exc, HTTPException) and status == 404
        else "invalid"
        if isinstance(exc, RequestValidationError)
        else None
    )
    response = render(
        "errors/error.html",
        status_code=status,
        status=status,
        message=message,
        situation=situation,
        path=request.url.path,
    )
    response.headers.update(headers or {})
    return response
