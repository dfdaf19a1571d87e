"""Personal reading on the real server (uvicorn on loopback, SQLite and PostgreSQL): follow and mute forms,
mutes applied to one reader's front page, topic pages and search while others still see everything, keyword
filters, bookmarks that are their reader's only, form tokens on every POST, and "new since you read it"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.web.server import build_app
from tests.conftest import fresh_database, test_settings
from tests.loopback import serving
from tests.test_pages import NOW, build
from tests.test_personal import PASSWORD, Clock, _add_to_story


@dataclass(frozen=True)
class Site:
    url: str
    desk: Newsdesk
    sources: dict[str, int]
    clock: Clock


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    clock = Clock()
    desk = make_newsdesk(test_settings(tmp_path, db=fresh_database(request.param, tmp_path)), clock)
    sources = build(desk)
    for name in ("ann", "bob"):
        desk.create_user(name, PASSWORD)
    with serving(build_app(desk, schedule=False)) as url:
        yield Site(url, desk, sources, clock)
    desk.close()


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


@contextmanager
def _reader(site: Site, name: str) -> Iterator[httpx.Client]:
    """A signed-in reader's browser (its cookies), closed at the end."""
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=20) as client:
        page = client.get("/sign-in")
        done = client.post("/sign-in", data={"csrf_token": _token(page.text), "name": name, "password": PASSWORD})
        assert done.status_code == 303
        yield client


def _post(client: httpx.Client, path: str, page: str = "/account", **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": _token(client.get(page).text)} | data)


def _stories(html: str) -> set[str]:
    return set(re.findall(r'<h2[^>]*><a href="/stories/([^"]+)"', html))


def test_muting_a_source_hides_its_stories_from_that_reader_only(site: Site) -> None:
    fr, en = site.sources["fr"], site.sources["en"]
    with _reader(site, "ann") as ann, _reader(site, "bob") as bob:
        page = ann.get(f"/sources/{en}")
        assert 'action="/follow"' in page.text and 'value="mute"' in page.text
        muted = ann.post(
            "/follow",
            data={"csrf_token": _token(page.text), "kind": "source", "key": str(en), "mode": "mute", "next": "/"},
        )
        assert muted.status_code == 303 and muted.headers["location"] == "/"
        assert _stories(ann.get("/").text) == {"story-a"}  # b and c came from "en" only; a has other sources
        assert "Muted: unmute" in ann.get(f"/sources/{en}").text
        assert _stories(bob.get("/").text) == {"story-a", "story-b", "story-c"}
        assert _stories(httpx.get(site.url + "/").text) == {"story-a", "story-b", "story-c"}  # anonymous
        assert _stories(httpx.get(site.url + "/").text) == {"story-a", "story-b", "story-c"}  # and from the cache
        hits = ann.get("/search?q=telescope").text
        assert "/articles/b1" not in hits and "/articles/b1" in bob.get("/search?q=telescope").text
        # the JSON API answers a signed-in reader under their mutes too
        api = ann.get("/api/v1/frontpage").json()
        assert {s["id"] for s in api["stories"]} == {"story-a"} and api["muted"] == 2
        assert {s["id"] for s in bob.get("/api/v1/frontpage").json()["stories"]} == {"story-a", "story-b", "story-c"}
        assert {s["id"] for s in ann.get("/api/v1/stories").json()["stories"]} == {"story-a"}
        assert "b1" not in {h["article_id"] for h in ann.get("/api/v1/search?q=telescope").json()["hits"]}
        assert "b1" in {h["article_id"] for h in httpx.get(site.url + "/api/v1/search?q=telescope").json()["hits"]}
        # a muted hashtag: its stories and articles leave the reader's other pages, the topic's page says so
        _post(ann, "/follow", kind="source", key=str(en), mode="remove")
        _post(ann, "/follow", kind="tag", key="#EmmanuelMacron", mode="mute")
        assert _stories(ann.get("/").text) == {"story-b", "story-c"}
        topic = ann.get("/topics/emmanuelmacron").text
        assert "You mute this hashtag" in topic and "/articles/a2" not in topic
        assert "/articles/a2" in bob.get("/topics/emmanuelmacron").text
        assert _stories(ann.get(f"/sources/{fr}").text) == set()  # a source page lists articles, not stories
        following = ann.get("/following").text
        assert "#EmmanuelMacron" in following and "You mute" in following


def test_a_hide_keyword_drops_stories_and_a_blur_keyword_blurs_them(site: Site) -> None:
    with _reader(site, "ann") as ann:
        added = _post(ann, "/keyword-filters", page="/following", phrase="telescope", action="hide")
        assert added.status_code == 303 and added.headers["location"] == "/following"
        _post(ann, "/keyword-filters", page="/following", phrase="Penalties", action="blur")
        front = ann.get("/").text
        assert _stories(front) == {"story-a", "story-c"}
        assert re.search(r'<li class="card blurred" data-nav>\s*<p class="blur-note">', front)
        assert 'class="card blurred"' not in httpx.get(site.url + "/").text
        bad = _post(ann, "/keyword-filters", page="/following", phrase="x", action="hide")
        assert bad.status_code == 400 and "2 to 100" in bad.text
        following = ann.get("/following").text
        ids = re.findall(r'action="/keyword-filters/(\d+)/delete"', following)
        assert len(ids) == 2
        removed = _post(ann, f"/keyword-filters/{ids[0]}/delete", page="/following")
        assert removed.status_code == 303
        assert _stories(ann.get("/").text) == {"story-a", "story-b", "story-c"}


def test_bookmarks_are_their_readers_own_and_others_ids_are_not_found(site: Site) -> None:
    with _reader(site, "ann") as ann, _reader(site, "bob") as bob:
        article = ann.get("/articles/a1").text
        assert 'action="/bookmarks"' in article and "Note (optional)" in article
        saved = ann.post(
            "/bookmarks",
            data={
                "csrf_token": _token(article),
                "article_id": "a1",
                "note": "<b>ask</b> the mayor",
                "next": "/articles/a1",
            },
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/articles/a1"
        with_mark = ann.get("/articles/a1").text
        assert "Bookmarked. Your note" in with_mark and re.search(r'action="/bookmarks/\d+/delete"', with_mark)
        mine = ann.get("/bookmarks").text
        assert "&lt;b&gt;ask&lt;/b&gt; the mayor" in mine and "<b>ask</b>" not in mine
        bookmark_id = re.search(r'action="/bookmarks/(\d+)"', mine).group(1)  # type: ignore[union-attr]
        assert "/articles/a1" not in bob.get("/bookmarks").text
        assert _post(bob, f"/bookmarks/{bookmark_id}", note="taken over").status_code == 404
        assert _post(bob, f"/bookmarks/{bookmark_id}/delete").status_code == 404
        assert "the mayor" in ann.get("/bookmarks").text
        edited = _post(ann, f"/bookmarks/{bookmark_id}", page="/bookmarks", note="call back")
        assert edited.status_code == 303 and "call back" in ann.get("/bookmarks").text
        too_long = _post(ann, f"/bookmarks/{bookmark_id}", page="/bookmarks", note="x" * 2001)
        assert too_long.status_code == 400 and "2000" in too_long.text
        assert _post(ann, f"/bookmarks/{bookmark_id}/delete", page="/bookmarks").status_code == 303
        assert "/articles/a1" not in ann.get("/bookmarks").text
        assert ann.get("/bookmarks").headers["cache-control"] == "private, no-store"
    anonymous = httpx.get(site.url + "/bookmarks")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")


def test_personal_posts_without_the_form_token_or_from_another_site_are_refused(site: Site) -> None:
    en = str(site.sources["en"])
    with _reader(site, "ann") as ann:
        token = _token(ann.get("/account").text)
        forms = [
            ("/follow", {"kind": "source", "key": en, "mode": "mute"}),
            ("/keyword-filters", {"phrase": "budget", "action": "hide"}),
            ("/bookmarks", {"article_id": "a1"}),
            ("/languages", {"languages": "fr"}),
        ]
        for path, data in forms:
            assert ann.post(path, data=data).status_code == 403
            assert ann.post(path, data=data | {"csrf_token": "forged"}).status_code == 403
            other = ann.post(path, data=data | {"csrf_token": token}, headers={"Origin": "https://evil.example"})
            assert other.status_code == 403
        assert site.desk.follows(1) == [] and site.desk.bookmarks(1) == [] and site.desk.keyword_filters(1) == []
        assert _post(ann, "/follow", kind="source", key="99999", mode="follow").status_code == 404
        assert _post(ann, "/follow", kind="source", key=en, mode="adore").status_code == 400


def test_a_story_page_marks_what_came_since_the_reader_last_read_it(site: Site) -> None:
    with _reader(site, "ann") as ann:
        first = ann.get("/stories/story-b").text
        assert "since you read it" not in first and "new-badge" not in first
        follow = _post(ann, "/follow", page="/stories/story-b", kind="story", key="story-b", mode="follow")
        assert follow.status_code == 303
        site.clock.now = NOW + timedelta(hours=1)
        _add_to_story(site.desk, site.sources["fr"], "b2", "story-b", site.clock.now)
        following = ann.get("/following").text
        assert re.search(r'href="/stories/story-b"[^<]*</a>\s*<span class="new-badge">1 new article</span>', following)
        site.clock.now = NOW + timedelta(hours=2)
        page = ann.get("/stories/story-b").text
        assert "1 new article from 1 new source since you read it" in page
        new_items = re.findall(
            r'<li data-nav class="is-new"><span class="new-badge">new</span> <a href="/articles/([^"]+)"', page
        )
        assert new_items == ["b2"]  # b1, read before, is not marked
        assert "/articles/b1" in page
        again = ann.get("/stories/story-b").text
        assert "Nothing new since you read it" in again and 'class="is-new"' not in again
    assert "since you read it" not in httpx.get(site.url + "/stories/story-b").text


def test_for_you_says_why_each_story_is_there(site: Site) -> None:
    with _reader(site, "ann") as ann:
        empty = ann.get("/for-you")
        assert empty.status_code == 200 and "Nothing for you yet" in empty.text
        _post(ann, "/follow", kind="tag", key="#EmmanuelMacron", mode="follow")
        _post(ann, "/follow", kind="category", key="sports", mode="follow")
        page = ann.get("/for-you").text
        assert _stories(page) == {"story-a", "story-c"}
        assert "because you follow #EmmanuelMacron" in page and "because you follow Sports" in page
        french = ann.get("/for-you?lang=fr").text
        assert "parce que vous suivez #EmmanuelMacron" in french
    assert httpx.get(site.url + "/for-you").status_code == 303


def test_languages_i_read_filter_and_order_a_storys_coverage(site: Site) -> None:
    with _reader(site, "ann") as ann:
        assert _post(ann, "/languages", page="/following", languages="fr").status_code == 303
        assert 'value="fr"' in ann.get("/following").text
        page = ann.get("/stories/story-a").text
        coverage = page.split('id="coverage-h"')[1].split("</section>")[0]
        assert "/articles/a2" in coverage and "/articles/a1" not in coverage
        assert "2 articles in other languages are left out" in coverage
        _post(ann, "/languages", page="/following", languages="")
        assert "/articles/a1" in ann.get("/stories/story-a").text.split('id="coverage-h"')[1]


def test_personal_pages_in_french_leave_no_english_ui_text(site: Site) -> None:
    from tests.test_pages import _template_messages

    english = {m for m in _template_messages() if len(m) > 3 and " " in m}
    with _reader(site, "ann") as ann:
        _post(ann, "/follow", kind="tag", key="#EmmanuelMacron", mode="follow")
        _post(ann, "/follow", kind="story", key="story-b", mode="follow")
        _post(ann, "/follow", kind="source", key=str(site.sources["en"]), mode="mute")
        _post(ann, "/keyword-filters", page="/following", phrase="penalties", action="blur", language="en")
        _post(ann, "/bookmarks", page="/articles/a1", article_id="a1", note="une note")
        ann.get("/stories/story-b")
        for path in (
            "/for-you",
            "/following",
            "/bookmarks",
            "/stories/story-b",
            "/articles/a1",
            "/topics/emmanuelmacron",
        ):
            html = ann.get(path + "?lang=fr").text
            shown = re.sub(r"<[^>]+>", "\n", html)
            assert [m for m in english if m in shown] == [], path
            assert 'lang="fr"' in html
