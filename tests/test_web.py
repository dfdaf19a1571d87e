"""The JSON API and pages, served by a real uvicorn on loopback."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ArticleDraft, ArticleEnrichment, ArticleUpdate, DraftAction, ExtractionStatus, FeedUpdate
from newsdesk.web.pages import sources
from newsdesk.web.pages.humanize import relative_time
from newsdesk.web.pages.render import safe_url
from newsdesk.web.server import build_app
from tests.loopback import serving

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def seed(desk: Newsdesk) -> str:
    s = desk.storage.add_source("https://news.example/feed", title="Example News", now=NOW)
    d = ArticleDraft(
        id="a1",
        source_id=s.id,
        guid="g1",
        url="javascript:alert(1)",  # hostile feed link: must never become a clickable link
        canonical_url=None,
        title="Council <b>approves</b> budget",
        authors=("Ann",),
        published_at=NOW - timedelta(hours=10),
        updated_at=None,
        summary="<p>Short.</p>",
        content_html="<p>The council approved the budget.</p>",
        text="The council approved the budget.",
        image_url=None,
        categories=(),
        word_count=5,
        content_hash=None,
        entry_hash="h",
    )
    upd = FeedUpdate(
        source_id=s.id, checked_at=NOW, next_check_at=NOW + timedelta(hours=1), check_interval_s=3600, ok=True
    )
    desk.storage.apply_feed_updates(
        [upd], [ArticleUpdate(draft=d, action=DraftAction.INSERT, extraction_status=ExtractionStatus.FEED)], NOW
    )
    return d.id


@pytest.fixture
def base_url(settings: Settings, db_url: str) -> Iterator[str]:
    desk = make_newsdesk(replace(settings, db=db_url), clock=lambda: NOW)
    seed(desk)
    with serving(build_app(desk, schedule=False)) as url:
        yield url
    desk.close()


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = r.read().decode()
            status = r.status
            ctype = r.headers.get("content-type", "")
    except urllib.error.HTTPError as err:
        body, status, ctype = err.read().decode(), err.code, err.headers.get("content-type", "")
    return status, (json.loads(body) if "json" in ctype else body)


def test_api(base_url: str) -> None:
    status, health = get(base_url + "/api/v1/health")
    assert status == 200 and health["status"] == "ok" and health["stats"]["articles"] == 1
    status, data = get(base_url + "/api/v1/sources")
    assert status == 200 and data["sources"][0]["title"] == "Example News"
    status, data = get(base_url + "/api/v1/articles?limit=10")
    assert status == 200 and [a["id"] for a in data["articles"]] == ["a1"]
    assert data["articles"][0]["published_at"] == "2026-11-29T02:00:00Z"
    status, err = get(base_url + "/api/v1/articles/nope")
    assert status == 404 and err == {"error": {"type": "NotFoundError", "message": "no article with id nope"}}
    status, page = get(base_url + "/articles/nope")
    assert status == 404 and "no article with id nope" in page and "<html" in page
    status, err = get(base_url + "/api/v1/sources/999")
    assert status == 404 and err["error"]["type"] == "NotFoundError"
    status, err = get(base_url + "/api/v1/articles?limit=0")
    assert status == 422 and err["error"]["type"] == "ValidationError" and "limit" in err["error"]["message"]
    status, spec = get(base_url + "/api/v1/openapi.json")
    assert status == 200 and "/api/v1/articles" in spec["paths"]


def test_pages_escape_and_show_relative_time(base_url: str) -> None:
    status, html = get(base_url + "/sources/1")  # the article has no story yet: its source's page lists it
    assert status == 200 and "10 hours ago" in html and "Example News" in html
    assert "Council &lt;b&gt;approves&lt;/b&gt; budget" in html  # titles are text, never markup
    status, html = get(base_url + "/articles/a1")
    assert status == 200 and "<p>The council approved the budget.</p>" in html
    assert "javascript:" not in html
    status, html = get(base_url + "/sources")
    assert status == 200 and "https://news.example/feed" in html


def test_relative_time_and_safe_url() -> None:
    assert relative_time(NOW - timedelta(seconds=30), NOW) == "just now"
    assert relative_time(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert relative_time(NOW - timedelta(hours=10, minutes=29), NOW) == "10 hours ago"
    assert relative_time(NOW - timedelta(hours=10), NOW, "fr") == "il y a 10 heures"
    assert relative_time(NOW - timedelta(days=3), NOW) == "3 days ago"
    assert relative_time(NOW + timedelta(hours=2), NOW) == "in 2 hours"
    assert relative_time(None, NOW) == ""
    assert safe_url(" JavaScript:alert(1)") == "" and safe_url("https://x.example/a") == "https://x.example/a"


def test_api_error_envelope_and_health_shape(base_url: str) -> None:
    status, health = get(base_url + "/api/v1/health")
    assert status == 200 and list(health) == ["status", "version", "database", "stats"]
    status, err = get(base_url + "/api/v1/sources/abc")
    assert status == 422 and err == {
        "error": {
            "type": "ValidationError",
            "message": "source_id: Input should be a valid integer, unable to parse string as an integer",
        }
    }
    status, spec = get(base_url + "/api/v1/openapi.json")
    assert not [path for path in spec["paths"] if not path.startswith("/api/v1/")]  # pages are not API


def test_error_pages_are_html(base_url: str) -> None:
    status, page = get(base_url + "/?offset=-1")
    assert status == 422 and "<html" in page and "A value in this address is out of range or malformed" in page
    assert "offset: Input should be greater than or equal to 0" in page.split("<details")[1]  # the precise reason
    status, page = get(base_url + "/sources/999")
    assert status == 404 and "<html" in page and "Not found" in page
    # an address no route answers is a page too, or the API's envelope
    status, page = get(base_url + "/no/such/page")
    assert status == 404 and "<html" in page and "There is no page at /no/such/page." in page
    status, page = get(base_url + "/no/such/page?lang=fr")
    assert status == 404 and "Il n’y a pas de page à l’adresse /no/such/page." in page
    status, page = get(base_url + "/static/missing.css")
    assert status == 404 and "<html" in page
    status, err = get(base_url + "/api/v1/nope")
    assert status == 404 and err == {"error": {"type": "NotFoundError", "message": "there is nothing at /api/v1/nope"}}


def test_pages_use_local_static_files(base_url: str) -> None:
    status, html = get(base_url + "/")
    assert '<link rel="stylesheet" href="/static/newsdesk.css?v=' in html and "<style" not in html
    assert '<script src="/static/htmx.min.js?v=' in html
    head = re.sub(r'<link rel="canonical"[^>]*>', "", html.split("</head>")[0])  # this site's own address
    assert "://" not in head  # no CDN
    assert '<div class="viewer" id="viewer">\n<a href="/sign-in">Sign in</a></div>' in html  # anonymous: sign in
    assert '<a class="skip" href="#main">' in html and '<main id="main"' in html  # keyboard: skip the header
    assert "<title>Top stories — newsdesk</title>" in html
    status, css = get(base_url + "/static/newsdesk.css")
    assert status == 200 and ".card h2" in css
    status, js = get(base_url + "/static/htmx.min.js")
    assert status == 200 and js.startswith("var htmx=")


def test_older_link_is_plain_and_loads_in_place_with_htmx(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "PAGE_SIZE", 1)  # one seeded article fills a page
    status, fragment = get(base_url + "/fragments/sources/1?offset=0")
    assert status == 200 and "<html" not in fragment and '<li class="item"' in fragment  # items only
    assert '<a href="/articles/a1">' in fragment
    status, fragment = get(base_url + "/fragments/sources/1?offset=1")
    assert status == 200 and '<li class="item"' not in fragment and "rel=" not in fragment  # the list ends


def test_empty_pages_say_what_to_do(settings: Settings, tmp_path: Path) -> None:
    """A new install has no sources and no articles: the pages say how to add some, instead of an empty table."""
    desk = make_newsdesk(replace(settings, db=f"sqlite:///{tmp_path / 'empty.db'}"), clock=lambda: NOW)
    try:
        with serving(build_app(desk, schedule=False)) as url:
            status, front_page = get(url + "/")
            assert status == 200 and "No articles yet" in front_page and 'class="card"' not in front_page
            status, sources_page = get(url + "/sources")
            assert status == 200 and "No sources yet" in sources_page and "<table" not in sources_page
    finally:
        desk.close()


OUT_OF_BOUNDS = [  # issue 12 §3: each answered 500 (SQLite) or 503 (PostgreSQL) before the routes bounded them
    "/api/v1/sources/99999999999999999999",
    "/api/v1/sources/2147483648",  # past sources.id, an INTEGER: PostgreSQL failed the query
    "/api/v1/sources/0",
    "/api/v1/articles?source_id=9223372036854775808",
    "/api/v1/articles?offset=9223372036854775808",
    "/api/v1/stories?offset=9223372036854775808",
    "/api/v1/stories?region=" + "x" * 50_000,  # SQLite: LIKE or GLOB pattern too complex
    "/api/v1/stories?category=%00",  # PostgreSQL's text holds no NUL
    "/api/v1/stories?tag=" + "x" * 50_000,
    "/api/v1/frontpage?region=" + "x" * 50_000,
    "/api/v1/articles/%00",
    "/api/v1/articles/%00/related",
    "/api/v1/stories/%00",
    "/api/v1/topics/" + "x" * 50_000,
    "/api/v1/categories/%00",
    "/sources/9223372036854775808",
    "/?offset=9223372036854775808",
    "/fragments/stories?offset=9223372036854775808",
    "/articles/%00",
]


def test_out_of_bounds_input_is_refused_with_422(settings: Settings, db_url: str, tmp_path: Path) -> None:
    """Ids, offsets and text past what the database can take are refused at the edge: a 422 naming the
    parameter, in the API's envelope or on the HTML error page, never a 5xx."""
    desk = make_newsdesk(replace(settings, db=db_url), clock=lambda: NOW)
    try:
        article_id = seed(desk)
        enrichment = ArticleEnrichment(article_id=article_id, story_id="s1", category="Politics", regions=("Europe",))
        desk.storage.apply_enrichment([enrichment], [], NOW)  # a story, so the region's LIKE meets a row
        with serving(build_app(desk, schedule=False)) as url:
            answers = {path: get(url + path) for path in OUT_OF_BOUNDS}
    finally:
        desk.close()
    wrong = {path[:60]: status for path, (status, _) in answers.items() if status != 422}
    assert wrong == {}
    _, err = answers["/api/v1/sources/99999999999999999999"]
    assert err == {
        "error": {"type": "ValidationError", "message": "source_id: Input should be less than or equal to 2147483647"}
    }
    assert answers["/api/v1/stories?category=%00"][1]["error"]["message"] == (
        "category: Value error, must not contain a NUL character"
    )
    _, err = answers["/api/v1/frontpage?region=" + "x" * 50_000]
    assert err["error"]["message"] == "region: String should have at most 200 characters"
    _, page = answers["/?offset=9223372036854775808"]
    assert "<html" in page and "offset: Input should be less than or equal to 9223372036854775807" in page


def test_every_api_address_and_method_answers_json_never_a_bare_detail(base_url: str) -> None:
    """Issue 13: each route of the OpenAPI document, with its trailing-slash variant and with every method it
    does not answer, and addresses no route answers: JSON, and a failure is the ``{"error": …}`` envelope."""

    def call(method: str, path: str) -> tuple[int, Any, str]:
        request = urllib.request.Request(base_url + path, method=method, data=b"{}" if method != "GET" else None)
        try:
            with urllib.request.urlopen(request, timeout=5) as r:  # follows a GET's redirect (…/ to …)
                status, body, headers = r.status, r.read(), r.headers
        except urllib.error.HTTPError as err:
            status, body, headers = err.code, err.read(), err.headers
        assert headers.get("content-type") == "application/json", (method, path, body[:200])
        answer = json.loads(body)
        assert "detail" not in answer, (method, path, answer)
        if status >= 400:
            assert set(answer) == {"error"} and set(answer["error"]) == {"type", "message"}, (method, path, answer)
        return status, answer, headers.get("allow", "")

    _, spec, _ = call("GET", "/api/v1/openapi.json")
    values = {
        "source_id": "1",
        "article_id": "a1",
        "story_id": "a1",
        "tag": "x",
        "name": "science",
        "feature": "summary",
    }
    for template in spec["paths"]:
        path = template.format(**values).removesuffix(":path")
        for variant in (path, path + "/"):
            status, _, _ = call("GET", variant)
            assert status in (200, 404, 422), (variant, status)  # found, "no story with id a1", or "q: required"
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            status, answer, allow = call(method, path)
            assert status == 405 and allow == "GET", (method, path)
            assert answer["error"] == {"type": "MethodNotAllowedError", "message": f"{path} answers GET only"}
    for nowhere in ("/api/v1", "/api/v1/", "/api/v2/stories", "/api/v1/nothing/", "/api/docs/nothing"):
        status, answer, _ = call("GET", nowhere)
        assert status == 404 and answer["error"]["type"] == "NotFoundError", nowhere
