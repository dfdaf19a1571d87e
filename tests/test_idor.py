"""One reader cannot read or change another's things, over every route of the app (found in its route table,
so a new route is covered or this test names it): reader B, signed in with a valid form token, aims every
state-changing route that takes an id at reader A's comment, bookmark, keyword filter, passkey and account,
and requests every page; afterwards A's things are as they were, and no page B sees shows A's private data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import CommentTarget, Role
from newsdesk.store.port import NewPasskey
from newsdesk.web.server import build_app
from tests.conftest import test_settings
from tests.loopback import serving
from tests.test_pages import NOW, build
from tests.test_route_security import _routes

PASSWORD = "correct horse battery staple"
SECRET_NOTE = "a-private-note-of-ann"
SECRET_PHRASE = "anns-private-filter"

# What each id in a state-changing route names, so the test aims it at reader A's. A route whose parameter is
# not here fails the test: decide what it addresses, and add it.
IDS = {"comment_id": "comment", "bookmark_id": "bookmark", "filter_id": "filter", "passkey_id": "passkey",
       "user_id": "user"}  # fmt: skip
# Routes where reader B acting on A's thing is allowed by design, and why.
ALLOWED = {
    "/comments/{comment_id}/report": "any reader may report a comment",
    "/sign-in/link/{token}": "the link's token is itself the credential (a bearer link the operator hands out)",
}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Newsdesk]]:
    desk = make_newsdesk(test_settings(tmp_path, registration="open"), clock=lambda: NOW)
    build(desk)
    with serving(build_app(desk, schedule=False)) as url:
        yield url, desk
    desk.close()


def test_a_reader_cannot_reach_another_readers_things_through_any_route(site: tuple[str, Newsdesk]) -> None:
    url, desk = site
    ann, bob = desk.create_user("ann", PASSWORD), desk.create_user("bob", PASSWORD)
    things = {
        "comment": desk.post_comment(ann, CommentTarget.ARTICLE, "a1", "Ann's comment.").id,
        "bookmark": desk.bookmark(ann.id, "a2", SECRET_NOTE).id,
        "filter": desk.add_keyword_filter(ann.id, SECRET_PHRASE, None, "hide").id,
        "passkey": desk.storage.add_passkey(
            NewPasskey(ann.id, "Y3JlZA", "aGFuZGxl", b"not-a-real-key", 0, ("internal",), "Ann's phone"), NOW
        ).id,
        "user": ann.id,
    }

    def ann_state() -> tuple[object, ...]:
        (thread,) = [t for t in desk.comments(CommentTarget.ARTICLE, "a1", ann) if t.comment.author == "ann"]
        user = desk.user("ann")
        return (
            thread.comment.body,
            thread.comment.status,
            [(b.id, b.note) for b in desk.storage.bookmarks(ann.id)],
            [(k.id, k.phrase) for k in desk.storage.keyword_filters(ann.id)],
            [p.passkey.id for p in desk.storage.passkeys(ann.id)],
            (user.role, user.disabled, user.banned),
        )

    before = ann_state()
    session = desk.sign_in("bob", PASSWORD, "192.0.2.7")
    app = build_app(desk, schedule=False)
    routes = list(_routes(app.routes, ""))
    aimed = 0
    with httpx.Client(base_url=url, follow_redirects=False, timeout=20) as client:
        client.cookies.set("newsdesk_session", session.token)
        form = {"csrf_token": session.signed_in.csrf_token, "body": "Bob was here.", "note": "Bob's note",
                "reason": "because", "action": "hide", "role": "admin", "disabled": "1"}  # fmt: skip
        for method, path in routes:
            params = re.findall(r"\{(\w+)(?::\w+)?\}", path)
            if not params or path in ALLOWED:
                continue
            unknown = [p for p in params if p not in IDS]
            assert not unknown, f"{method} {path}: what does {unknown} name? add it to IDS or ALLOWED"
            filled = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(things[IDS[m.group(1)]]), path)
            headers = {"X-CSRF-Token": session.signed_in.csrf_token}
            response = client.request(method, filled, data=form, headers=headers)
            assert response.status_code in (400, 401, 403, 404, 422), (method, filled, response.status_code)
            aimed += 1
        assert aimed >= 8  # the comment, bookmark, filter, passkey, admin and moderation routes
        pages = [path for _, path in _routes(app.routes, "", frozenset({"GET"})) if "{" not in path]
        assert "/bookmarks" in pages and "/following" in pages and "/account/export" in pages
        for path in pages:
            body = client.get(path).text
            assert SECRET_NOTE not in body and SECRET_PHRASE not in body, path
    assert ann_state() == before
    assert bob.role is Role.READER and desk.user("bob").role is Role.READER
