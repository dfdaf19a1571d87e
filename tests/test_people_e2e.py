"""A new reader's whole life on the site, in headless Chromium against the real server: sign up, follow a
hashtag, mute a source (its story leaves their front page, not anyone else's), bookmark with a note,
comment, reply to a moderator, report, be moderated, export the data, delete the account (the comment
stays, signed "deleted account"). Passkeys have their own journey in tests/test_passkeys_pages.py."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import CommentTarget, Role
from newsdesk.web.server import build_app
from tests.conftest import test_settings
from tests.loopback import serving
from tests.test_pages import NOW, build

PASSWORD = "correct horse battery staple"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Newsdesk, dict[str, int]]]:
    desk = make_newsdesk(test_settings(tmp_path, registration="open"), clock=lambda: NOW)
    sources = build(desk)
    desk.create_user("mona", PASSWORD, Role.MODERATOR)
    with serving(build_app(desk, schedule=False)) as url:
        yield url, desk, sources
    desk.close()


def _shot(page: Any, folder: Path, name: str) -> None:
    """A screenshot of what the reader sees, for the README when ``NEWSDESK_SCREENSHOTS`` names a folder
    (``make screenshots``), else into the test's own folder."""
    wanted = os.environ.get("NEWSDESK_SCREENSHOTS")
    target = Path(wanted) if wanted else folder
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=False)


def _submit(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def test_a_reader_signs_up_follows_mutes_bookmarks_comments_is_moderated_exports_and_leaves(
    browser: Any, site: tuple[str, Newsdesk, dict[str, int]], tmp_path: Path
) -> None:
    url, desk, sources = site
    mona = desk.user("mona")
    said = desk.post_comment(mona, CommentTarget.ARTICLE, "a1", "Welcome, readers.")
    context = browser.new_context(viewport={"width": 390, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # sign up, from the header's link
    page.goto(url + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Create an account").click()
    page.fill("#name", "zoe")
    page.fill("#password", PASSWORD)
    _submit(page, page.get_by_role("button", name="Create the account"))
    assert page.url.endswith("/account") and page.locator(".viewer-name").inner_text() == "zoe"

    # follow a hashtag
    page.goto(url + "/topics/emmanuelmacron")
    _submit(page, page.get_by_role("button", name="Follow"))
    assert page.get_by_role("button", name="✓ Following").count() == 1
    page.goto(url + "/following")
    assert "#EmmanuelMacron" in page.locator("main").inner_text()

    # mute a source: its story leaves this reader's front page only
    page.goto(url + "/")
    assert "Cup final goes to penalties" in page.locator("main").inner_text()
    page.goto(url + f"/sources/{sources['en']}")
    _submit(page, page.get_by_role("button", name="Mute"))
    page.goto(url + "/")
    assert "Cup final goes to penalties" not in page.locator("main").inner_text()
    assert "Cup final goes to penalties" in httpx.get(url + "/").text  # everyone else still sees it
    page.goto(url + "/following")
    _shot(page, tmp_path, "following.png")

    # bookmark with a note
    page.goto(url + "/articles/a2")
    page.fill("#bookmark-note", "Lire la suite ce soir")
    _submit(page, page.get_by_role("button", name="Bookmark"))
    page.goto(url + "/bookmarks")
    assert "Le conseil adopte le budget" in page.locator("main").inner_text()
    assert page.locator("main textarea").first.input_value() == "Lire la suite ce soir"

    # comment, reply to the moderator, report the moderator's comment
    page.goto(url + "/articles/a1")
    page.fill("#comment-body", "A **fine** budget, <script>window.pwned=1</script>")
    _submit(page, page.get_by_role("button", name="Post comment"))
    mine = page.locator(".comment", has_text="A fine budget")
    assert mine.count() == 1 and mine.locator("strong").inner_text() == "fine"
    assert page.evaluate("window.pwned") is None
    page.locator(f"li:has(> #comment-{said.id}) > details.comment-reply > summary").click()
    page.fill(f"#reply-{said.id}", "Thank you, Mona.")
    _submit(page, page.get_by_role("button", name="Post reply"))
    assert "Thank you, Mona." in page.locator("#comments").inner_text()
    page.locator("#comments").scroll_into_view_if_needed()
    _shot(page, tmp_path, "comments.png")
    page.locator(f"#comment-{said.id} summary", has_text="Report").click()
    page.fill(f"#report-{said.id}", "testing the queue")
    _submit(page, page.locator(f"#comment-{said.id}").get_by_role("button", name="Report to the moderators"))

    # the moderator sees the report in the queue and hides the reader's own comment, with a reason
    moderator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    moderator.goto(url + "/sign-in?next=/moderation")
    moderator.fill("#name", "mona")
    moderator.fill("#password", PASSWORD)
    _submit(moderator, moderator.get_by_role("button", name="Sign in", exact=True))
    assert "testing the queue" in moderator.locator("main").inner_text()
    zoe_comment = next(t.comment for t in desk.comments(CommentTarget.ARTICLE, "a1") if t.comment.author == "zoe")
    moderator.goto(url + "/articles/a1")
    moderator.locator(f"#comment-{zoe_comment.id} summary", has_text="Moderate").click()
    moderator.fill(f"#why-{zoe_comment.id}", "markup test")
    _submit(moderator, moderator.locator(f"#comment-{zoe_comment.id}").get_by_role("button", name="Hide"))
    assert "A fine budget" not in httpx.get(url + "/articles/a1").text  # hidden from everyone at once
    moderator.goto(url + "/moderation")
    assert "markup test" in moderator.locator("main").inner_text()  # the log: who, what, why
    _shot(moderator, tmp_path, "moderation.png")
    moderator.context.close()

    # export the data, then delete the account; the reply stays, signed "deleted account"
    page.goto(url + "/account")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data (JSON)").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["account"]["name"] == "zoe"
    assert {b["note"] for b in data["bookmarks"]} == {"Lire la suite ce soir"}
    assert any(f["kind"] == "tag" and f["mode"] == "follow" for f in data["follows"])
    assert any(f["kind"] == "source" and f["mode"] == "mute" for f in data["follows"])
    assert sorted(c["text"] for c in data["comments"]) == [
        "A **fine** budget, <script>window.pwned=1</script>",
        "Thank you, Mona.",
    ]
    page.get_by_role("link", name="Delete your account").click()
    page.fill("#password", PASSWORD)
    _submit(page, page.get_by_role("button", name="Delete my account"))
    assert 'href="/sign-in' in page.content() and page.locator(".viewer-name").count() == 0
    article = page.goto(url + "/articles/a1")
    assert article is not None and article.status == 200
    assert "Thank you, Mona." in page.locator("#comments").inner_text()
    assert "deleted account" in page.locator("#comments").inner_text()
    assert errors == []
    context.close()
