"""Signing in and out on the real server (uvicorn on loopback, SQLite and PostgreSQL): form tokens, cookie
flags, session fixation, the same answer for every failed sign-in, the limit, registration modes,
one-time links, and signed-in pages kept out of the anonymous page cache."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.errors import NotFoundError
from newsdesk.model import Role
from newsdesk.web.server import build_app
from tests.conftest import fresh_database, test_settings
from tests.loopback import serving

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Site:
    url: str
    desk: Newsdesk


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    yield from _site(request.param, tmp_path)


def _site(kind: str, tmp_path: Path, **settings: object) -> Iterator[Site]:
    changes: dict[str, object] = {"registration": "open", "sign_in_attempts": 3} | settings
    desk = make_newsdesk(test_settings(tmp_path, db=fresh_database(kind, tmp_path), **changes))
    desk.create_user("ann", PASSWORD, Role.ADMIN)
    with serving(build_app(desk, schedule=False)) as url:
        yield Site(url, desk)
    desk.close()


def _client(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.url, follow_redirects=False, timeout=20)


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def _sign_in(client: httpx.Client, name: str = "ann", password: str = PASSWORD, **extra: str) -> httpx.Response:
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"csrf_token": _token(page.text), "name": name, "password": password} | extra)


def _set_cookie(response: httpx.Response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(name + "="))


def test_signing_in_sets_a_safe_cookie_and_pages_show_who_is_reading(site: Site) -> None:
    with _client(site) as client:
        page = client.get("/sign-in")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        form_cookie = _set_cookie(page, "newsdesk_csrf").lower()
        assert "httponly" in form_cookie and "samesite=lax" in form_cookie
        done = client.post(
            "/sign-in",
            data={"csrf_token": _token(page.text), "name": "ANN", "password": PASSWORD, "next": "/sources"},
        )
        assert done.status_code == 303 and done.headers["location"] == "/sources"
        cookie = _set_cookie(done, "newsdesk_session").lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie and "secure" not in cookie
        front = client.get("/")
        assert '<a href="/account" class="viewer-name">ann</a>' in front.text
        assert front.headers["cache-control"] == "private, no-store"
        assert 'action="/sign-out"' in front.text and _token(front.text) != _token(page.text)
        assert client.get("/account").status_code == 200
    anonymous = httpx.get(site.url + "/")  # the signed-in page went to nobody else
    assert "viewer-name" not in anonymous.text and 'href="/sign-in"' in anonymous.text


def test_every_state_change_needs_the_form_token_and_our_origin(site: Site) -> None:
    with _client(site) as client:
        page = client.get("/sign-in")
        token = _token(page.text)
        for data in (
            {"name": "ann", "password": PASSWORD},
            {"csrf_token": "forged", "name": "ann", "password": PASSWORD},
        ):
            refused = client.post("/sign-in", data=data)
            assert refused.status_code == 403 and "newsdesk_session" not in refused.headers.get("set-cookie", "")
        other_site = client.post(
            "/sign-in",
            data={"csrf_token": token, "name": "ann", "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert other_site.status_code == 403 and "another site" in other_site.text
        assert _sign_in(client).status_code == 303
        session = client.cookies["newsdesk_session"]
        assert client.post("/sign-out", data={}).status_code == 403  # signed in: the session's token is needed
        assert client.post("/sign-out", data={"csrf_token": token}).status_code == 403  # the anonymous one is not it
        assert site.desk.signed_in(session) is not None
        out = client.post("/sign-out", data={"csrf_token": _token(client.get("/account").text)})
        assert out.status_code == 303 and site.desk.signed_in(session) is None


def test_a_failed_sign_in_says_the_same_whatever_failed_and_keeps_no_password(site: Site) -> None:
    site.desk.create_user("dora", PASSWORD)
    site.desk.set_user_disabled("dora")
    answers = []
    with _client(site) as client:
        for name, password in (("ann", "not the password"), ("nobody", PASSWORD), ("dora", PASSWORD)):
            failed = _sign_in(client, name, password)
            assert failed.status_code == 401 and "newsdesk_session" not in failed.headers.get("set-cookie", "")
            assert f'value="{name}"' in failed.text and password not in failed.text
            answers.append(re.search(r'<p class="form-error"[^>]*>(.*?)</p>', failed.text, re.S).group(1))  # type: ignore[union-attr]
        assert answers == ["Wrong name or password."] * 3
        limited = _sign_in(client, "ann", PASSWORD)  # three failures from this address: the limit
        assert limited.status_code == 429 and "try again in 15 minutes" in limited.text


def test_signing_in_replaces_a_session_id_planted_before(site: Site) -> None:
    planted = site.desk.sign_in("ann", PASSWORD, "198.51.100.1").token  # e.g. set by an attacker's page
    with _client(site) as client:
        page = client.get("/sign-in")
        client.cookies.set("newsdesk_session", planted)
        done = client.post("/sign-in", data={"csrf_token": _token(page.text), "name": "ann", "password": PASSWORD})
        assert done.status_code == 303
        given = _set_cookie(done, "newsdesk_session").split(";", 1)[0].split("=", 1)[1]
        assert given != planted and site.desk.signed_in(given) is not None
        assert site.desk.signed_in(planted) is None  # the old session ended with the sign-in


def test_after_signing_in_only_local_paths_are_followed(site: Site) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        with _client(site) as client:
            assert _sign_in(client, next=target).headers["location"] == "/"


def test_a_stale_session_cookie_is_cleared_and_pages_are_anonymous(site: Site) -> None:
    with _client(site) as client:
        client.cookies.set("newsdesk_session", "expired-or-made-up")
        page = client.get("/about")
        assert page.status_code == 200 and 'href="/sign-in?next=/about"' in page.text
        assert (
            _set_cookie(page, "newsdesk_session").startswith('newsdesk_session="";')
            or "max-age=0" in _set_cookie(page, "newsdesk_session").lower()
        )


def test_open_registration_creates_and_signs_in(site: Site) -> None:
    with _client(site) as client:
        form = client.get("/sign-up")
        assert form.status_code == 200
        taken = client.post("/sign-up", data={"csrf_token": _token(form.text), "name": "Ann", "password": PASSWORD})
        assert taken.status_code == 400 and "is taken" in taken.text
        short = client.post("/sign-up", data={"csrf_token": _token(form.text), "name": "bea", "password": "short"})
        assert short.status_code == 400 and "at least 10 characters" in short.text
        made = client.post("/sign-up", data={"csrf_token": _token(form.text), "name": "bea", "password": PASSWORD})
        assert made.status_code == 303 and made.headers["location"] == "/account"
        assert "bea" in client.get("/account").text
    assert site.desk.user("bea").role is Role.READER


@pytest.mark.parametrize("mode", ["closed", "invite"])
def test_closed_and_invite_only_registration_take_no_sign_up(mode: str, tmp_path: Path) -> None:
    for site in _site("sqlite", tmp_path, registration=mode):
        with _client(site) as client:
            form = client.get("/sign-up")
            assert form.status_code == 403 and "operator" in form.text and 'action="/sign-up"' not in form.text
            token = _token(client.get("/sign-in").text)
            refused = client.post("/sign-up", data={"csrf_token": token, "name": "eve", "password": PASSWORD})
            assert refused.status_code == 403
        with pytest.raises(NotFoundError, match="no account named"):
            site.desk.user("eve")


def test_a_one_time_link_signs_in_once_and_a_preview_does_not_spend_it(site: Site) -> None:
    site.desk.create_user("ops", None)
    path = site.desk.sign_in_link("ops").split(site.desk.settings.public_url, 1)[1]
    with _client(site) as client:
        page = client.get(path)  # what a chat app's link preview does
        assert page.status_code == 200
        used = client.post(path, data={"csrf_token": _token(client.get(path).text)})
        assert used.status_code == 303 and "ops" in client.get("/account").text
    with _client(site) as client:
        again = client.post(path, data={"csrf_token": _token(client.get(path).text)})
        assert again.status_code == 400 and "used already" in again.text


def test_cookies_are_secure_behind_https(tmp_path: Path) -> None:
    for site in _site("sqlite", tmp_path, site_url="https://news.example.org"):
        with _client(site) as client:  # plain HTTP on loopback: the client keeps Secure cookies to itself
            page = client.get("/sign-in")
            form_cookie = _set_cookie(page, "newsdesk_csrf")
            assert "secure" in form_cookie.lower()
            done = client.post(
                "/sign-in",
                data={"csrf_token": _token(page.text), "name": "ann", "password": PASSWORD},
                headers={"Cookie": form_cookie.split(";", 1)[0]},
            )
            assert done.status_code == 303 and "secure" in _set_cookie(done, "newsdesk_session").lower()


def test_administrators_change_roles_and_disable_accounts_and_nobody_else_can(site: Site) -> None:
    bob = site.desk.create_user("bob", PASSWORD)
    bob_session = site.desk.sign_in("bob", PASSWORD, "198.51.100.2").token
    with _client(site) as anonymous:
        assert anonymous.get("/admin/users").headers["location"] == "/sign-in?next=/admin/users"
    with _client(site) as reader:
        assert _sign_in(reader, "bob").status_code == 303
        forbidden = reader.get("/admin/users")
        assert forbidden.status_code == 403 and "<h1>Not allowed</h1>" in forbidden.text
        token = _token(reader.get("/account").text)
        assert reader.post(f"/admin/users/{bob.id}", data={"csrf_token": token, "role": "admin"}).status_code == 403
    assert site.desk.user("bob").role is Role.READER
    with _client(site) as admin:
        assert _sign_in(admin).status_code == 303
        page = admin.get("/admin/users")
        assert page.status_code == 200 and f'id="user-{bob.id}"' in page.text
        token = _token(page.text)
        assert admin.post(f"/admin/users/{bob.id}", data={"role": "moderator"}).status_code == 403  # no token
        moved = admin.post(f"/admin/users/{bob.id}", data={"csrf_token": token, "role": "moderator"})
        assert moved.status_code == 303 and site.desk.user("bob").role is Role.MODERATOR
        off = admin.post(f"/admin/users/{bob.id}", data={"csrf_token": token, "disabled": "1"})
        assert off.status_code == 303 and site.desk.user("bob").disabled
        assert site.desk.signed_in(bob_session) is None  # disabling ended bob's sessions
        ann = site.desk.user("ann")
        itself = admin.post(f"/admin/users/{ann.id}", data={"csrf_token": token, "disabled": "1"})
        assert itself.status_code == 403 and not site.desk.user("ann").disabled
        assert admin.post("/admin/users/999999", data={"csrf_token": token, "disabled": "1"}).status_code == 404


def test_the_account_page_exports_the_data_and_deletes_the_account(site: Site) -> None:
    site.desk.create_user("bob", PASSWORD)
    with _client(site) as client:
        assert _sign_in(client, "bob").status_code == 303
        export = client.get("/account/export")
        assert export.status_code == 200 and export.headers["content-type"].startswith("application/json")
        assert "attachment" in export.headers["content-disposition"] and export.json()["account"]["name"] == "bob"
        page = client.get("/account/delete")
        token = _token(page.text)
        wrong = client.post("/account/delete", data={"csrf_token": token, "password": "not it at all"})
        assert wrong.status_code == 400 and "password is not right" in wrong.text
        done = client.post("/account/delete", data={"csrf_token": token, "password": PASSWORD})
        assert done.status_code == 303 and done.headers["location"] == "/?account=deleted"
        assert client.get("/account/export").status_code == 303  # signed out: to the sign-in page
    with pytest.raises(NotFoundError):
        site.desk.user("bob")
    assert httpx.get(site.url + "/account/export", follow_redirects=False).status_code == 303


def test_an_administrator_names_the_site_opens_registration_and_sets_its_language(tmp_path: Path) -> None:
    for site in _site("sqlite", tmp_path, registration="closed"):
        anonymous = httpx.Client(base_url=site.url, follow_redirects=False, timeout=20)
        assert '<a class="brand" href="/">newsdesk</a>' in anonymous.get("/").text  # and now cached
        assert anonymous.get("/sign-up").status_code == 403
        with _client(site) as admin:
            assert _sign_in(admin).status_code == 303
            token = _token(admin.get("/admin/site").text)
            bad = admin.post(
                "/admin/site",
                data={"csrf_token": token, "name": "x" * 61, "registration": "open", "default_language": "fr"},
            )
            assert bad.status_code == 400 and "1 to 60 characters" in bad.text
            assert admin.post("/admin/site", data={"name": "Le Canard"}).status_code == 403  # no token
            saved = admin.post(
                "/admin/site",
                data={"csrf_token": token, "name": "Le  Canard", "registration": "open", "default_language": "fr"},
            )
            assert saved.status_code == 303
        front = anonymous.get("/").text  # the cached page went stale with the site's version
        assert '<a class="brand" href="/">Le Canard</a>' in front and '<html lang="fr"' in front
        english = anonymous.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
        assert '<html lang="en"' in english and "Le Canard" in english  # a reader's own language still wins
        assert '<html lang="en"' in anonymous.get("/?lang=en").text
        assert anonymous.get("/sign-up").status_code == 200
        with _client(site) as reader:
            site.desk.create_user("bob", PASSWORD)
            assert _sign_in(reader, "bob").status_code == 303
            assert reader.get("/admin/site").status_code == 403
        anonymous.close()
