"""Passkeys on the real server: the JSON endpoints over HTTP (a software authenticator answering), and
the whole thing in headless Chromium with its virtual authenticator (DevTools protocol, ``WebAuthn``
domain): sign in with a password, add a passkey on /account, sign out, sign in with the passkey; a
replayed answer and a disabled account refused; screenshots of both pages at desktop and phone width."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import Role
from newsdesk.web.server import build_app
from tests.conftest import fresh_database, test_settings
from tests.loopback import free_port
from tests.test_passkeys import SoftAuthenticator

PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Site:
    url: str  # http://localhost:PORT: WebAuthn takes domain names, not IP addresses
    desk: Newsdesk


def _serve(kind: str, tmp_path: Path) -> Iterator[Site]:
    import uvicorn

    port = free_port()
    url = f"http://localhost:{port}"
    desk = make_newsdesk(test_settings(tmp_path, db=fresh_database(kind, tmp_path), site_url=url))
    desk.create_user("ann", PASSWORD, Role.ADMIN)
    server = uvicorn.Server(
        uvicorn.Config(build_app(desk, schedule=False), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield Site(url, desk)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        desk.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    yield from _serve(request.param, tmp_path)


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    yield from _serve("sqlite", tmp_path)


def _client(site: Site) -> httpx.Client:
    # To 127.0.0.1 (where the server listens), naming the site's host as a browser at localhost would.
    port = site.url.rsplit(":", 1)[1]
    return httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Host": f"localhost:{port}"}, follow_redirects=False, timeout=20
    )


def _attr(html: str, element_id: str, name: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*?{name}="([^"]+)"', html, re.S)
    assert found, f"no {name} on #{element_id}"
    return found.group(1)


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _post(client: httpx.Client, path: str, token: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return client.post(path, json=body, headers={"X-CSRF-Token": token} | headers)


def _cookie(response: httpx.Response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(name + "="))


def test_adding_a_passkey_then_signing_in_with_it_over_http(site: Site) -> None:
    auth = SoftAuthenticator(origin=site.url)
    with _client(site) as client:
        page = client.get("/sign-in")
        client.post("/sign-in", data={"csrf_token": _token(page.text), "name": "ann", "password": PASSWORD})
        account = client.get("/account")
        assert "No passkeys yet." in account.text and 'src="/static/passkeys.js' in account.text
        token = _attr(account.text, "passkey-add", "data-csrf")

        assert _post(client, "/account/passkeys/options", "wrong", {}).json() == {"error": "forbidden"}
        foreign = _post(client, "/account/passkeys/options", token, {}, Origin="http://evil.example")
        assert foreign.status_code == 403
        options = _post(client, "/account/passkeys/options", token, {})
        assert options.status_code == 200 and options.headers["cache-control"] == "no-store"
        ceremony = _cookie(options, "newsdesk_webauthn").lower()
        assert "httponly" in ceremony and "samesite=strict" in ceremony and "path=/account/passkeys" in ceremony
        added = _post(client, "/account/passkeys", token, {"credential": auth.create(options.text), "name": "<b>Phone"})
        assert added.status_code == 200 and added.json()["name"] == "<b>Phone"
        account = client.get("/account")
        assert "&lt;b&gt;Phone" in account.text and "<b>Phone" not in account.text
        # the ceremony's cookie is gone: the same answer cannot add it again
        again = _post(client, "/account/passkeys", token, {"credential": auth.create(options.text)})
        assert again.status_code == 400 and again.json() == {"error": "expired"}

        client.post("/sign-out", data={"csrf_token": _token(account.text)})
        page = client.get("/sign-in")
        assert 'id="passkey-sign-in"' in page.text
        anonymous = _attr(page.text, "passkey-sign-in", "data-csrf")
        options = _post(client, "/sign-in/passkey/options", anonymous, {"name": ""})
        answer = auth.get(options.text)
        done = _post(client, "/sign-in/passkey", anonymous, {"credential": answer, "next": "//evil.example"})
        assert done.status_code == 200 and done.json() == {"next": "/"}
        session = _cookie(done, "newsdesk_session").lower()
        assert "httponly" in session and "samesite=lax" in session
        assert '<a href="/account" class="viewer-name">ann</a>' in client.get("/").text

        # the form token before signing in is spent with its cookie; a new page's, then the answer replayed
        assert _post(client, "/sign-in/passkey", anonymous, {"credential": answer}).status_code == 403
        front = client.get("/")
        client.post("/sign-out", data={"csrf_token": _token(front.text)})
        anonymous = _attr(client.get("/sign-in").text, "passkey-sign-in", "data-csrf")
        replayed = _post(client, "/sign-in/passkey", anonymous, {"credential": answer})
        assert replayed.status_code == 400 and replayed.json() == {"error": "expired"}
        bad = client.post("/sign-in/passkey", content=b"[1,2", headers={"X-CSRF-Token": anonymous})
        assert bad.status_code == 400 and bad.json() == {"error": "invalid"}
        huge = _post(client, "/sign-in/passkey", anonymous, {"credential": {"id": "x" * 70_000}})
        assert huge.status_code == 400 and huge.json() == {"error": "invalid"}


def test_removing_a_passkey_takes_the_form_token(sqlite_site: Site) -> None:
    site = sqlite_site
    ann = site.desk.user("ann")
    ceremony = site.desk.passkey_registration_options(ann)
    passkey = site.desk.add_passkey(
        ann, ceremony.token, SoftAuthenticator(origin=site.url).create(ceremony.options_json)
    )
    with _client(site) as client:
        page = client.get("/sign-in")
        client.post("/sign-in", data={"csrf_token": _token(page.text), "name": "ann", "password": PASSWORD})
        refused = client.post(f"/account/passkeys/{passkey.id}/remove", data={"csrf_token": "nope"})
        assert refused.status_code == 403 and len(site.desk.passkeys(ann.id)) == 1
        token = _token(client.get("/account").text)
        done = client.post(f"/account/passkeys/{passkey.id}/remove", data={"csrf_token": token})
        assert done.status_code == 303 and site.desk.passkeys(ann.id) == []


# -- in Chromium -------------------------------------------------------------------------------


def _shots(tmp_path: Path) -> Path:
    wanted = os.environ.get("NEWSDESK_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page_with_authenticator(browser: Any, viewport: dict[str, int], **options: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return context, page, problems


def test_a_reader_adds_a_passkey_and_signs_in_with_it_in_chromium(
    sqlite_site: Site, browser: Any, tmp_path: Path
) -> None:
    site, shots = sqlite_site, _shots(tmp_path)
    context, page, problems = _page_with_authenticator(browser, DESKTOP)
    page.goto(site.url + "/sign-in?next=/account")
    page.fill("#name", "ann")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(site.url + "/account")
    assert page.is_visible("#passkey-add-button") and not page.is_visible("#passkey-unsupported")
    page.fill("#passkey-name", "Laptop")
    page.click("#passkey-add-button")
    page.wait_for_selector(".passkey-name")
    assert page.inner_text(".passkey-name") == "Laptop"
    assert "never used" in page.inner_text(".passkey .meta")
    page.screenshot(path=str(shots / "passkeys-account-desktop.png"), full_page=True)

    page.click("header .sign-out button")
    page.goto(site.url + "/sign-in")
    assert page.is_visible("#passkey-sign-in-button")
    page.screenshot(path=str(shots / "passkeys-sign-in-desktop.png"), full_page=True)
    answers: list[Any] = []
    page.on("request", lambda r: answers.append(r.post_data_json) if r.url.endswith("/sign-in/passkey") else None)
    page.click("#passkey-sign-in-button")  # no name typed: the discoverable passkey is offered
    page.wait_for_url(site.url + "/")
    assert page.inner_text("header .viewer-name") == "ann"
    assert site.desk.passkeys(site.desk.user("ann").id)[0].last_used_at is not None

    # the answer the browser just sent, replayed under a new challenge, is refused
    page.click("header .sign-out button")
    page.goto(site.url + "/sign-in")
    token = page.get_attribute("#passkey-sign-in", "data-csrf")
    headers = {"X-CSRF-Token": token or "", "Content-Type": "application/json"}
    page.request.post(site.url + "/sign-in/passkey/options", data={"name": ""}, headers=headers)
    replay = page.request.post(site.url + "/sign-in/passkey", data=answers[0], headers=headers)
    assert replay.status == 401 and replay.json() == {"error": "refused"}

    # a disabled account cannot sign in with its passkey: the page says so
    site.desk.set_user_disabled("ann")
    page.goto(site.url + "/sign-in")
    page.click("#passkey-sign-in-button")
    status = page.locator("#passkey-status")
    status.filter(has_text="not accepted").wait_for()
    assert "form-error" in (status.get_attribute("class") or "")
    assert page.inner_text("header .viewer").strip() == "Sign in"
    site.desk.set_user_disabled("ann", False)
    assert not [p for p in problems if "401" not in p], problems
    context.close()

    # the phone-width pages, in French too
    context, phone, _ = _page_with_authenticator(browser, PHONE, locale="fr-FR", color_scheme="dark")
    phone.goto(site.url + "/sign-in?lang=fr")
    assert phone.inner_text("#passkey-sign-in-button") == "Se connecter avec une clé d’accès"
    phone.screenshot(path=str(shots / "passkeys-sign-in-phone.png"), full_page=True)
    phone.fill("#name", "ann")
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.goto(site.url + "/account")
    phone.screenshot(path=str(shots / "passkeys-account-phone.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the account page scrolls sideways at 390 px ({width})"
    context.close()


def test_the_last_passkey_of_an_account_without_a_password_is_kept_with_a_message(sqlite_site: Site) -> None:
    site = sqlite_site
    cat = site.desk.create_user("cat", None)
    ceremony = site.desk.passkey_registration_options(cat)
    passkey = site.desk.add_passkey(
        cat, ceremony.token, SoftAuthenticator(origin=site.url).create(ceremony.options_json)
    )
    link = site.desk.sign_in_link("cat").removeprefix(site.url)
    with _client(site) as client:
        page = client.get(link)
        assert client.post(link, data={"csrf_token": _token(page.text)}).status_code == 303
        token = _token(client.get("/account").text)
        kept = client.post(f"/account/passkeys/{passkey.id}/remove", data={"csrf_token": token})
        assert kept.status_code == 409 and "only way to sign in" in kept.text
        assert [p.id for p in site.desk.passkeys(cat.id)] == [passkey.id]
