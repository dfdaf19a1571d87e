"""Comments and moderation on the real server (uvicorn on loopback, SQLite and PostgreSQL): posting, replying,
editing, deleting and reporting through plain forms, errors said on the page in the reader's language, the
moderation page, no change to another reader's comment by its id, no state change without the form token,
anonymous readers' cached pages current at once — and, in headless Chromium, hostile comments that
execute nothing and cannot pass for a moderator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import CommentStatus, CommentTarget, Role, User
from newsdesk.web.server import build_app
from tests.conftest import fresh_database, test_settings
from tests.loopback import serving
from tests.test_pages import build

PASSWORD = "correct horse battery staple"
SHOTS = Path("/tmp/shots-comments")


@dataclass(frozen=True)
class Site:
    url: str
    desk: Newsdesk
    ann: User
    bob: User
    mod: User


def _site(kind: str, tmp_path: Path, **settings: object) -> Iterator[Site]:
    changes: dict[str, object] = {"comments_per_minute": 5, "comment_edit_window_s": 600.0} | settings
    desk = make_newsdesk(test_settings(tmp_path, db=fresh_database(kind, tmp_path), **changes))
    build(desk)
    ann = desk.create_user("ann", PASSWORD)
    bob = desk.create_user("bob", PASSWORD)
    mod = desk.create_user("maud", PASSWORD, Role.MODERATOR)
    with serving(build_app(desk, schedule=False)) as url:
        yield Site(url, desk, ann, bob, mod)
    desk.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    yield from _site(request.param, tmp_path)


def _client(site: Site, user: User | None = None) -> httpx.Client:
    client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=20)
    if user is not None:
        client.cookies.set("newsdesk_session", site.desk.sign_in(user.name, PASSWORD, "127.0.0.1").token)
    return client


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def _post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    token = _token(client.get("/articles/a1").text)
    return client.post(path, data={"csrf_token": token} | fields)


def _comment_id(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.search(r"#comment-(\d+)$", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def test_anonymous_readers_see_the_thread_and_a_way_to_sign_in_and_new_comments_at_once(site: Site) -> None:
    with _client(site) as anonymous, _client(site, site.ann) as ann:
        before = anonymous.get("/articles/a1")
        assert (
            "No comments yet." in before.text and 'href="/sign-in?next=/articles/a1">Sign in to comment' in before.text
        )
        assert 'action="/comments"' not in before.text
        assert len(site.desk.pages) >= 1 and anonymous.get("/articles/a1").text == before.text  # kept and replayed
        story = anonymous.get("/stories/story-a").text
        assert 'id="comments-h"' in story and "Sign in to comment" in story
        page = ann.get("/articles/a1")
        assert 'action="/comments"' in page.text and page.headers["cache-control"] == "private, no-store"
        posted = ann.post(
            "/comments",
            data={"csrf_token": _token(page.text), "target": "article", "target_id": "a1", "body": "First *post*"},
        )
        cid = _comment_id(posted)
        assert posted.headers["location"] == f"/articles/a1#comment-{cid}"
        after = anonymous.get("/articles/a1").text  # the cached page was invalidated by the comment
        assert f'id="comment-{cid}"' in after and "<p>First <em>post</em></p>" in after
        on_story = ann.post(
            "/comments",
            data={"csrf_token": _token(page.text), "target": "story", "target_id": "story-a", "body": "on the story"},
        )
        assert on_story.headers["location"].startswith("/stories/story-a#comment-")
        assert "on the story" in anonymous.get("/stories/story-a").text


def test_reply_edit_delete_and_report_through_the_forms(site: Site) -> None:
    with _client(site, site.ann) as ann, _client(site, site.bob) as bob:
        top = _comment_id(_post(ann, "/comments", target="article", target_id="a1", body="top"))
        reply = _comment_id(_post(bob, "/comments", target="article", target_id="a1", body="reply", parent=str(top)))
        deeper = _comment_id(
            _post(ann, "/comments", target="article", target_id="a1", body="deeper", parent=str(reply))
        )
        assert site.desk.comment(deeper).parent_id == top  # one level deep
        page = ann.get("/articles/a1").text
        assert f'action="/comments/{top}/edit"' in page and f'action="/comments/{reply}/edit"' not in page
        assert f'action="/comments/{reply}/report"' in page and f'action="/comments/{top}/report"' not in page
        edited = _post(ann, f"/comments/{top}/edit", body="top, **edited**")
        assert edited.status_code == 303 and edited.headers["location"] == f"/articles/a1#comment-{top}"
        assert "<p>top, <strong>edited</strong></p>" in ann.get("/articles/a1").text and "edited" in page + "edited"
        reported = _post(bob, f"/comments/{top}/report", reason="off topic")
        assert reported.status_code == 303 and f"?reported={top}#comment-{top}" in reported.headers["location"]
        assert "Reported: thank you." in bob.get(reported.headers["location"]).text
        again = _post(bob, f"/comments/{top}/report", reason="off topic")
        assert again.status_code == 400 and "You have reported this comment already." in again.text
        assert _post(ann, f"/comments/{top}/delete").status_code == 303
        page = bob.get("/articles/a1").text
        assert "[deleted]" in page and "top, " not in page and "reply" in page  # its replies stay


def test_another_readers_comment_cannot_be_changed_by_its_id(site: Site) -> None:
    with _client(site, site.ann) as ann, _client(site, site.bob) as bob:
        cid = _comment_id(_post(ann, "/comments", target="article", target_id="a1", body="mine"))
        assert _post(bob, f"/comments/{cid}/edit", body="hijacked").status_code == 403
        assert _post(bob, f"/comments/{cid}/delete").status_code == 403
        assert _post(bob, f"/moderation/comments/{cid}", action="hide", reason="mine now").status_code == 403
        assert _post(bob, f"/moderation/users/{site.ann.id}", action="ban", reason="x").status_code == 403
        kept = site.desk.comment(cid)
        assert (kept.body, kept.status) == ("mine", CommentStatus.VISIBLE) and not site.desk.user("ann").banned
        assert _post(bob, "/comments/999999/edit", body="x").status_code == 404


def test_every_post_needs_the_form_token(site: Site) -> None:
    cid = site.desk.post_comment(site.ann, CommentTarget.ARTICLE, "a1", "target of forgeries").id
    forms = {
        "/comments": {"target": "article", "target_id": "a1", "body": "forged"},
        f"/comments/{cid}/edit": {"body": "forged"},
        f"/comments/{cid}/delete": {},
        f"/comments/{cid}/report": {"reason": "forged"},
        f"/moderation/comments/{cid}": {"action": "hide", "reason": "forged"},
        f"/moderation/users/{site.ann.id}": {"action": "ban", "reason": "forged"},
    }
    with _client(site, site.ann) as ann, _client(site, site.mod) as mod, _client(site) as anonymous:
        for client in (ann, mod, anonymous):
            for path, fields in forms.items():
                for token in ({}, {"csrf_token": "forged"}):
                    assert client.post(path, data=fields | token).status_code == 403, (path, token)
        cross = ann.post(
            "/comments",
            data=forms["/comments"] | {"csrf_token": _token(ann.get("/articles/a1").text)},
            headers={"Origin": "https://evil.example"},
        )
        assert cross.status_code == 403
    assert site.desk.comment(cid).body == "target of forgeries" and site.desk.comment(cid).reports == 0
    assert [t.comment.id for t in site.desk.comments(CommentTarget.ARTICLE, "a1")] == [cid]
    assert site.desk.moderation_log(site.mod) == []


def test_refusals_are_said_on_the_page_in_the_readers_language(site: Site) -> None:
    with _client(site, site.ann) as ann:
        empty = _post(ann, "/comments", target="article", target_id="a1", body="   ")
        assert empty.status_code == 400 and "A comment needs some text." in empty.text
        long = _post(ann, "/comments", target="article", target_id="a1", body="y" * 5001)
        assert long.status_code == 400 and "at most 5000 characters" in long.text
        assert "y" * 5001 in long.text  # the text typed is kept in the form
        ann.cookies.set("lang", "fr")
        french = _post(ann, "/comments", target="article", target_id="a1", body="")
        assert french.status_code == 400 and "Un commentaire a besoin d’un texte." in french.text
        ann.cookies.delete("lang")
        for i in range(5):
            _comment_id(_post(ann, "/comments", target="article", target_id="a1", body=f"c{i}"))
        limited = _post(ann, "/comments", target="article", target_id="a1", body="one more")
        assert limited.status_code == 429 and "Wait a little" in limited.text and "one more" in limited.text
        assert _post(ann, "/comments", target="nothing", target_id="a1", body="x").status_code == 400
        assert _post(ann, "/comments", target="article", target_id="zz", body="x").status_code == 404


def test_the_moderation_page_is_for_moderators_and_every_action_is_logged(site: Site) -> None:
    cid = site.desk.post_comment(site.ann, CommentTarget.ARTICLE, "a1", "buy cheap watches").id
    site.desk.report_comment(site.bob, cid, "spam <b>obviously</b>")
    with _client(site) as anonymous, _client(site, site.bob) as bob, _client(site, site.mod) as mod:
        assert anonymous.get("/moderation").status_code == 404
        assert bob.get("/moderation").status_code == 403
        page = mod.get("/moderation")
        assert page.status_code == 200 and "buy cheap watches" in page.text
        assert "buy cheap watches" in anonymous.get("/articles/a1").text  # kept in the anonymous readers' cache
        assert "spam &lt;b&gt;obviously&lt;/b&gt;" in page.text  # a reason is the reader's text: escaped
        token = _token(page.text)
        no_reason = mod.post(f"/moderation/comments/{cid}", data={"csrf_token": token, "action": "hide", "reason": " "})
        assert no_reason.status_code == 400 and "Give a reason" in no_reason.text
        hidden = mod.post(f"/moderation/comments/{cid}", data={"csrf_token": token, "action": "hide", "reason": "spam"})
        assert hidden.status_code == 303 and hidden.headers["location"] == "/moderation"
        assert "buy cheap watches" not in anonymous.get("/articles/a1").text
        assert "Hidden by a moderator" in mod.get("/articles/a1").text  # moderators still see it, marked
        other = site.desk.post_comment(site.bob, CommentTarget.ARTICLE, "a1", "hide me from the page").id
        article = mod.get("/articles/a1").text
        assert f'action="/moderation/comments/{other}"' in article  # moderators act from the page too
        back = f"/articles/a1#comment-{other}"
        on_page = {"csrf_token": token, "action": "hide", "reason": "off topic"}
        assert mod.post(f"/moderation/comments/{other}", data=on_page | {"back": back}).headers["location"] == back
        elsewhere = on_page | {"action": "restore", "back": "https://evil.example/"}
        assert mod.post(f"/moderation/comments/{other}", data=elsewhere).headers["location"] == "/moderation"
        ban = mod.post(
            f"/moderation/users/{site.ann.id}", data={"csrf_token": token, "action": "ban", "reason": "spammer"}
        )
        assert ban.status_code == 303
        log = mod.get("/moderation").text
        assert "Nothing to moderate" in log and "hid comment" in log and "banned account" in log and "spammer" in log
    with _client(site, site.ann) as ann:
        page = ann.get("/articles/a1").text
        assert "A moderator has stopped this account from commenting." in page and 'id="comment-form"' not in page
        refused = _post(ann, "/comments", target="article", target_id="a1", body="still here")
        assert refused.status_code == 400 and "stopped this account" in refused.text
    entries = site.desk.moderation_log(site.mod)
    assert [(e.moderator, e.action, e.reason) for e in entries] == [
        ("maud", "ban", "spammer"),
        ("maud", "restore", "off topic"),
        ("maud", "hide", "off topic"),
        ("maud", "hide", "spam"),
    ]


HOSTILE_COMMENTS = (
    "<script>window.pwned = 'script'</script>",
    "<img src=x onerror=\"window.pwned='img'\">",
    "[click me](javascript:window.pwned='link')",
    "[click me](JAVASCRIPT:window.pwned='upper')",
    "[click me](java\tscript:window.pwned='tab')",
    "[click me](&#106;avascript:window.pwned='entity')",
    "<a href=\"javascript:window.pwned='raw'\">raw link</a>",
    "[x](https://ok.example \"title\" onmouseover=window.pwned='attr')",
    "<svg onload=\"window.pwned='svg'\"></svg>",
    "[x](data:text/html,<script>window.pwned='data'</script>)",
    '**[Moderator]** <span class="role-badge">Moderator</span> this comment is official',
    "<details open ontoggle=\"window.pwned='toggle'\">x</details>",
)


@pytest.mark.parametrize("kind", ["sqlite"])
def test_hostile_comments_execute_nothing_and_cannot_pass_for_a_moderator(
    kind: str, tmp_path: Path, browser: Any
) -> None:
    for site in _site(kind, tmp_path, comments_per_minute=100):
        for body in HOSTILE_COMMENTS:
            site.desk.post_comment(site.ann, CommentTarget.ARTICLE, "a1", body)
        site.desk.post_comment(site.mod, CommentTarget.ARTICLE, "a1", "A real moderator speaking.")
        token = site.desk.sign_in("bob", PASSWORD, "127.0.0.1").token
        for signed_in in (False, True):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            if signed_in:
                context.add_cookies([{"name": "newsdesk_session", "value": token, "url": site.url}])
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
            page.goto(site.url + "/articles/a1")
            for link in page.locator(".comment-body a").all():
                link.hover()
                href = link.get_attribute("href")
                assert href is None or href.startswith(("https://", "http://", "mailto:")), href
                if href is None:
                    link.click()
            for opener in page.locator(".comment-body details").all():
                opener.click()
            page.wait_for_timeout(300)
            assert page.evaluate("window.pwned") is None and dialogs == []
            assert page.locator(".comment").count() == len(HOSTILE_COMMENTS) + 1
            badges = page.locator(".role-badge")
            assert badges.count() == 1  # the real moderator's, not the one a comment typed
            assert badges.first.evaluate("b => b.closest('.comment').textContent").count("A real moderator") == 1
            assert (
                page.locator(".comment-body script, .comment-body img, .comment-body svg, .comment-body span").count()
                == 0
            )
            context.close()


@pytest.mark.parametrize("kind", ["sqlite"])
def test_screenshots_of_a_thread_and_the_moderation_page(kind: str, tmp_path: Path, browser: Any) -> None:
    for site in _site(kind, tmp_path, comments_per_minute=100):
        desk = site.desk
        top = desk.post_comment(
            site.ann, CommentTarget.ARTICLE, "a1", "The vote was closer than the *headline* says.\n\n> twelve to three"
        )
        desk.post_comment(
            site.mod,
            CommentTarget.ARTICLE,
            "a1",
            "Thanks: see [the minutes](https://council.example/minutes).",
            reply_to=top.id,
        )
        bad = desk.post_comment(site.bob, CommentTarget.ARTICLE, "a1", "Buy cheap watches at **example**!")
        desk.report_comment(site.ann, bad.id, "spam")
        worse = desk.post_comment(site.bob, CommentTarget.ARTICLE, "a1", "An insult.")
        desk.moderate_comment(site.mod, worse.id, "hide", "insults another reader")
        SHOTS.mkdir(parents=True, exist_ok=True)
        for user, path, name in (
            (site.ann, "/articles/a1#comments", "article"),
            (site.mod, "/moderation", "moderation"),
        ):
            token = desk.sign_in(user.name, PASSWORD, "127.0.0.1").token
            for width, label in ((1280, "desktop"), (390, "phone")):
                for scheme in ("light", "dark"):
                    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
                    context.add_cookies([{"name": "newsdesk_session", "value": token, "url": site.url}])
                    page = context.new_page()
                    page.goto(site.url + path)
                    target = page.locator("#comments") if name == "article" else page.locator("main")
                    target.screenshot(path=str(SHOTS / f"{name}-{label}-{scheme}.png"))
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, (name, label)
                    if name == "article" and scheme == "light":  # and the page that says why a comment was refused
                        page.fill("#comment-body", "   ")
                        page.click("#comment-form button[type=submit]")
                        assert page.locator(".form-error").inner_text() == "A comment needs some text."
                        page.screenshot(path=str(SHOTS / f"refused-{label}.png"))
                    context.close()


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_forms_work_without_javascript_and_from_the_keyboard(kind: str, tmp_path: Path, browser: Any) -> None:
    for site in _site(kind, tmp_path):
        token = site.desk.sign_in("ann", PASSWORD, "127.0.0.1").token
        context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
        context.add_cookies([{"name": "newsdesk_session", "value": token, "url": site.url}])
        page = context.new_page()
        page.goto(site.url + "/articles/a1")
        page.fill("#comment-body", "Posted with **no script** at all.")
        page.click("#comment-form button[type=submit]")
        page.wait_for_url(re.compile(r"/articles/a1#comment-\d+$"))
        top = int(page.url.rsplit("-", 1)[1])
        assert "no script" in page.locator(f"#comment-{top}").inner_text()
        page.click(f"#comment-{top} ~ details.comment-reply summary")
        page.fill(f"#reply-{top}", "A reply, still no script.")
        page.click(f"#reply-{top} ~ button")
        page.wait_for_url(re.compile(r"#comment-\d+$"))
        assert [t.replies[0].body for t in site.desk.comments(CommentTarget.ARTICLE, "a1")] == [
            "A reply, still no script."
        ]
        context.close()

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "newsdesk_session", "value": token, "url": site.url}])
        page = context.new_page()
        page.goto(site.url + "/articles/a1")
        page.focus("#comment-body")
        page.keyboard.type("Typed from the keyboard.")
        page.keyboard.press("Tab")  # past the help text, to the button
        assert page.evaluate("document.activeElement.textContent") == "Post comment"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"#comment-\d+$"))
        assert "Typed from the keyboard." in page.locator(".comment-list").inner_text()
        context.close()
