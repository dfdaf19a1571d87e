"""The reader's pages, served by a real uvicorn on loopback over real SQLite and PostgreSQL databases.

The data is built through the storage's own intents (feed updates, enrichment with stories, tags
and vectors), as an update and an enrichment pass would write it: two stories in three languages,
a wire copy, hashtags, and a source whose name, titles and tags are hostile markup.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ArticleDraft, ArticleEnrichment, ExtractionStatus, Tag
from newsdesk.web.server import build_app
from tests.loopback import serving
from tests.test_store import insert, ok_update

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
IMAGE = "https://img.publisher.example/photo.jpg"

MACRON = Tag("emmanuelmacron", "#EmmanuelMacron", "person", 1.0)
EVIL_TAG = Tag("xsstag", "#" + HOSTILE, "phrase", 0.5)
BUDGET_TEXT = (
    "The council approved the city budget on Monday after a long debate. "
    "The vote was twelve to three, with two abstentions. "
    "Emmanuel Macron praised the budget in a statement on Tuesday. "
    "Parks and libraries get more money than last year. "
    "Critics said the plan leaves the transport deficit untouched for another year."
)


def _draft(source_id: int, guid: str, hours_ago: float, **kw: object) -> ArticleDraft:
    base = ArticleDraft(
        id=guid,
        source_id=source_id,
        guid=guid,
        url=f"https://site{source_id}.example/{guid}",
        canonical_url=None,
        title=f"Title {guid}",
        authors=("Ann Author",),
        published_at=NOW - timedelta(hours=hours_ago),
        updated_at=None,
        summary=None,
        content_html=None,
        text=BUDGET_TEXT,
        image_url=IMAGE,
        categories=(),
        word_count=60,
        content_hash=None,
        entry_hash=f"h-{guid}",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Site:
    url: str
    desk: Newsdesk
    sources: dict[str, int]


def _vector(*values: float) -> bytes:
    v = np.array(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).tobytes()


def build(desk: Newsdesk) -> dict[str, int]:
    """Three sources; story-a (Politics, Europe) covered in English and French with a wire copy, and
    story-b (Science) close to it in meaning, story-c far from both."""
    st = desk.storage
    ids = {}
    for key, url, title, lang in [
        ("en", "https://site1.example/feed", "Example News", "en"),
        ("fr", "https://site2.example/feed", "Le Quotidien", "fr"),
        ("evil", "https://site3.example/feed", HOSTILE, "en"),
    ]:
        s = st.add_source(url, title=title, now=NOW)
        ids[key] = s.id
        drafts = {
            "en": [
                _draft(s.id, "a1", 10, title="Council <b>approves</b> budget", language="en"),
                _draft(s.id, "b1", 3, title="Telescope finds a new moon", language="en"),
                _draft(s.id, "c1", 2, title="Cup final goes to penalties", language="en"),
            ],
            "fr": [
                _draft(
                    s.id,
                    "a2",
                    8,
                    title="Le conseil adopte le budget",
                    language="fr",
                    text="Le conseil municipal a adopté le budget lundi soir après un long débat animé.",
                    url="https://site2.example/a2",
                    canonical_url="https://origin.example/le-budget",
                )
            ],
            "evil": [_draft(s.id, "a3", 7, title=HOSTILE, language="en", url="javascript:alert(1)")],
        }[key]
        update = replace(ok_update(s.id, *drafts), title=title, language=lang)
        st.apply_feed_updates([update], [insert(d, ExtractionStatus.FEED) for d in drafts], NOW)
    near, far = _vector(1, 0.2, 0), _vector(0, 0, 1)
    plan = {
        "a1": ("story-a", "Politics", ("Europe",), (MACRON, EVIL_TAG), _vector(1, 0, 0), None),
        "a2": ("story-a", "Politics", ("Europe",), (MACRON,), _vector(1, 0.05, 0), None),
        "a3": ("story-a", "Politics", ("Europe",), (), _vector(1, 0, 0), "a1"),
        "b1": ("story-b", "Science", (), (), near, None),
        "c1": ("story-c", "Sports", (), (), far, None),
    }
    batch = st.pending_enrichment(100)
    results = []
    for a in batch:
        story, category, regions, tags, vector, copy = plan[a.id]
        results.append(
            ArticleEnrichment(
                article_id=a.id,
                story_id=story,
                near_duplicate_of=copy,
                category=category,
                regions=regions,
                tags=tags,
                vector_model="test-model",
                vector=vector,
            )
        )
    st.apply_enrichment(results, [], NOW)
    return ids


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from tests.conftest import fresh_database, test_settings

    directory = tmp_path_factory.mktemp(request.param)
    settings: Settings = test_settings(directory, db=fresh_database(request.param, directory))
    desk = make_newsdesk(settings, clock=lambda: NOW)
    sources = build(desk)
    with serving(build_app(desk, schedule=False)) as url:
        yield Site(url, desk, sources)
    desk.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_smoke(site: Site) -> None:
    for path in [
        "/",
        "/?tab=latest",
        "/stories/story-a",
        "/articles/a1",
        "/articles/a2",
        "/topics/emmanuelmacron",
        "/categories/politics",
        "/regions/europe",
        "/sources",
        "/sources/1",
        "/about",
        "/?lang=fr",
        "/articles/a1?lang=fr",
        "/categories/nope",
        "/nope",
    ]:
        status, html = get(site.url + path)
        print(path, status, len(html))
        Path("/tmp/pages-shots/" + path.replace("/", "_") + ".html").write_text(html)
