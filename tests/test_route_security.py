"""Every state-changing route of the app, found in its route table (so a route added later is covered without
being listed here), refuses a request without a valid form token: anonymous, signed in, and with a token
of another session. None answers 2xx, 3xx or 5xx, and nothing changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import Role
from newsdesk.web.server import build_app
from tests.conftest import test_settings
from tests.loopback import serving

PASSWORD = "correct horse battery staple"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def state_changing_routes(app: object) -> list[tuple[str, str]]:
    """(method, path with every parameter filled) of each route that changes state, routers included."""
    return [(method, re.sub(r"\{[^}]+\}", "1", path)) for method, path in _routes(getattr(app, "routes", []), "")]


def _routes(routes: list[Any], prefix: str, methods: frozenset[str] = STATE_CHANGING) -> Iterator[tuple[str, str]]:
    """(method, path) of every route answering one of ``methods``, through included routers and mounts."""
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods & methods):
                yield method, prefix + route.path
        elif (included := getattr(route, "include_context", None)) is not None:  # FastAPI >= 0.160: routers kept
            yield from _routes(included.included_router.routes, prefix + included.prefix, methods)
        elif isinstance(getattr(route, "routes", None), list):  # a Mount of routes
            yield from _routes(route.routes, prefix + getattr(route, "path", ""), methods)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Newsdesk]]:
    desk = make_newsdesk(test_settings(tmp_path, registration="open"))
    desk.create_user("ann", PASSWORD, Role.ADMIN)
    desk.create_user("bob", PASSWORD)
    with serving(build_app(desk, schedule=False)) as url:
        yield url, desk
    desk.close()


def _signed_in(url: str, desk: Newsdesk, name: str) -> httpx.Client:
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=20)
    client.cookies.set("newsdesk_session", desk.sign_in(name, PASSWORD, "192.0.2.1").token)
    return client


def test_every_state_changing_route_needs_a_valid_form_token(site: tuple[str, Newsdesk]) -> None:
    url, desk = site
    routes = state_changing_routes(build_app(desk, schedule=False))
    assert ("POST", "/sign-out") in routes and ("POST", "/admin/users/1") in routes  # the table is read
    bob_token = desk.sign_in("bob", PASSWORD, "192.0.2.9").signed_in.csrf_token  # a real token, of another session
    before = [(u.name, u.role, u.disabled) for u in desk.users()]
    anonymous = httpx.Client(base_url=url, follow_redirects=False, timeout=20)
    with anonymous, _signed_in(url, desk, "ann") as admin:
        for method, path in routes:
            for who, client, data in (
                ("anonymous", anonymous, {}),
                ("anonymous, a made-up token", anonymous, {"csrf_token": "made-up"}),
                ("admin, no token", admin, {}),
                ("admin, another session's token", admin, {"csrf_token": bob_token}),
            ):
                body = data | {"name": "eve", "password": PASSWORD, "role": "admin", "disabled": "1"}
                response = client.request(method, path, data=body)
                assert response.status_code == 403, (method, path, who, response.status_code)
    assert [(u.name, u.role, u.disabled) for u in desk.users()] == before  # nothing changed
    assert all(u.name != "eve" for u in desk.users())
