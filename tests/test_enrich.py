"""Story intelligence end to end: the offline demo's real news through update, then the facade's queries.

The demo site (bundled Wikinews articles in English and French, served on loopback)
is ingested by the real pipeline; ``update`` then runs enrichment (embed, fold,
cluster, tag, categorize) with the default embedding model, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.demo import DemoSite, running_demo_site
from newsdesk.pipeline.stories.categorize import CATEGORIES
from tests.conftest import fresh_database, test_settings

pytestmark = pytest.mark.slow  # the demo's whole news through update and enrichment: an end-to-end run

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with running_demo_site(now=NOW) as running:
        yield running


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, site: DemoSite
) -> Iterator[Newsdesk]:
    """The demo's news, updated and enriched once per database; the tests below read it and leave it as it was."""
    tmp = tmp_path_factory.mktemp(f"enrich-{request.param}")
    d = make_newsdesk(test_settings(tmp, db=fresh_database(request.param, tmp)), clock=lambda: NOW)
    d.add_many([(f.url, f.title, f.section) for f in site.feeds])
    report = d.update(all_sources=True)
    assert report.articles_new >= 190 and report.articles_enriched > 150
    yield d
    d.close()


def test_update_enriches_the_demo_news(desk: Newsdesk) -> None:
    counts = desk.storage.enrichment_counts()
    assert counts.waiting == 0 and counts.enriched >= 190
    done = counts.enriched
    stories = desk.stories(limit=1000)
    multi = [s for s in stories if s.article_count >= 2]
    assert multi, "some demo events are covered by several articles"
    assert len(stories) < done  # folded: fewer stories than articles
    for s in stories:
        assert s.headline and s.first_seen_at and s.last_seen_at and s.first_seen_at <= s.last_seen_at
        assert s.category in CATEGORIES
        assert sum(s.languages.values()) == s.article_count
    detail = desk.story(multi[0].id)
    times = [a.published_at for a in detail.articles]
    assert times == sorted(times) and len(detail.articles) == multi[0].article_count
    # enrichment is idempotent: nothing left, nothing changes
    assert desk.enrich().articles == 0
    assert [s.id for s in desk.stories(limit=1000)] == [s.id for s in stories]


def test_front_page_topics_related_and_categories(desk: Newsdesk) -> None:
    front = desk.front_page(limit=10)
    assert front and all(s.score is not None for s in front)
    assert [s.score for s in front] == sorted((s.score or 0.0 for s in front), reverse=True)
    assert len({s.category for s in front}) >= 3  # balanced across sections
    category = front[0].category
    assert category is not None
    assert all(s.category == category for s in desk.category(category))
    # every article has hashtags; a hashtag shared by several articles leads to its topic page
    article = desk.article(desk.story(front[0].id).articles[0].id)
    assert article.tags and article.category and article.story_id == front[0].id
    tag_counts: dict[str, int] = {}
    for s in desk.stories(limit=1000):
        for t in s.tags:
            tag_counts[t.key] = tag_counts.get(t.key, 0) + 1
    busiest = max(tag_counts, key=lambda t: (tag_counts[t], t))
    topic = desk.topic("#" + busiest)
    assert topic.tag == busiest and topic.articles and topic.stories
    assert all(busiest in {t.key for t in desk.article(a.id).tags} for a in topic.articles[:5])
    # related reading: never below the floor, never the article itself or its own story
    related = desk.related(article.id)
    assert all(r.similarity >= desk.settings.related_min_similarity for r in related.other_stories)
    assert all(r.story_id != article.story_id and r.id != article.id for r in related.other_stories)
    assert all(r.id != article.id for r in related.same_story)


def test_cluster_command_groups_translations(tmp_path: Path) -> None:
    """`newsdesk cluster`: a stream in, one story per line out; translations of one report share a story."""
    items = [
        (
            "en1",
            "Volcano erupts on remote island, villagers evacuated",
            "A volcano on the island of Tanna erupted on Tuesday, forcing authorities to evacuate 3,000 villagers "
            "as ash clouds drifted over the capital Port Vila and flights were cancelled.",
        ),
        (
            "fr1",
            "Un volcan entre en éruption sur une île isolée, des villageois évacués",
            "Un volcan de l'île de Tanna est entré en éruption mardi, obligeant les autorités à évacuer 3 000 "
            "villageois tandis que des nuages de cendres dérivaient vers la capitale Port-Vila et que des vols "
            "étaient annulés.",
        ),
        (
            "en2",
            "Central bank raises interest rates to fight inflation",
            "The central bank raised its main interest rate by half a point on Thursday, the fourth increase this "
            "year, saying inflation remained far above its target despite slowing growth.",
        ),
        (
            "fr2",
            "La banque centrale relève ses taux pour lutter contre l'inflation",
            "La banque centrale a relevé jeudi son principal taux d'intérêt d'un demi-point, la quatrième hausse "
            "cette année, estimant que l'inflation restait bien au-dessus de son objectif malgré le ralentissement.",
        ),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": i, "title": t, "text": x, "language": i[:2], "published": "2026-03-14T09:00:00Z"})
            for i, t, x in items
        ),
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "--data-dir", str(tmp_path / "d"), "cluster", str(path), "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    story = {row["id"]: row["story"] for row in map(json.loads, out.splitlines())}
    assert list(story) == ["en1", "fr1", "en2", "fr2"]
    assert story["en1"] == story["fr1"] and story["en2"] == story["fr2"] and story["en1"] != story["en2"]


def test_story_api(desk: Newsdesk) -> None:
    """The JSON endpoints over the same enriched database, through a real server on loopback."""
    import threading
    import time

    import uvicorn

    from newsdesk.web.server import build_app
    from tests.loopback import free_port
    from tests.test_web import get

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(desk, schedule=False), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        status, front = get(base + "/frontpage?limit=5")
        assert status == 200 and 0 < len(front["stories"]) <= 5 and front["stories"][0]["score"] is not None
        story_id = front["stories"][0]["id"]
        status, story = get(base + f"/stories/{story_id}")
        assert status == 200 and story["story"]["story"]["id"] == story_id and story["story"]["articles"]
        first_article = story["story"]["articles"][0]["id"]
        status, related = get(base + f"/articles/{first_article}/related")
        assert status == 200 and related["related"]["article_id"] == first_article
        status, article = get(base + f"/articles/{first_article}")
        assert status == 200 and article["article"]["tags"] and article["article"]["story_id"] == story_id
        tag = article["article"]["tags"][0]["key"]
        status, topic = get(base + f"/topics/{quote(tag, safe='')}")  # a key may be in any script
        assert status == 200 and first_article in [a["id"] for a in topic["topic"]["articles"]]
        category = front["stories"][0]["category"]
        status, listing = get(base + f"/categories/{category}")
        assert status == 200 and all(s["category"] == category for s in listing["stories"])
        status, listing = get(base + "/stories?limit=3")
        assert status == 200 and len(listing["stories"]) == 3
        status, err = get(base + "/stories/nope")
        assert status == 404 and err["error"]["type"] == "NotFoundError"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_model_change_reembeds_the_window(desk: Newsdesk) -> None:
    from sqlalchemy import func, select, update

    from newsdesk.store.schema import article_vectors

    engine = desk.storage.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        current = conn.execute(select(article_vectors.c.model).limit(1)).scalar_one()
        changed = conn.execute(update(article_vectors).values(model="an-older-model")).rowcount
    report = desk.enrich()
    assert report.articles == 0 and 0 < report.reembedded <= changed
    with engine.connect() as conn:
        models = dict(
            conn.execute(select(article_vectors.c.model, func.count()).group_by(article_vectors.c.model)).all()
        )
    assert models.get(current) == report.reembedded  # the window's primaries, now with the current model
    assert desk.enrich().reembedded == 0  # nothing left to do


def test_story_cli_listings(desk: Newsdesk, tmp_path: Path) -> None:
    """`stories list|show`, `topic` and `articles related`, each with --json, over the enriched database."""

    def cli(*args: str) -> list[dict[str, object]]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsdesk.cli",
                "--data-dir",
                str(tmp_path),
                "--db",
                desk.settings.db,
                *args,
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return [json.loads(line) for line in out.splitlines()]

    # the demo's news is of March 2026 (the fixture's clock); the CLI's clock is today's, so its
    # front page is empty (all older than front_page_window_h) and the latest stories are listed instead
    assert cli("stories", "list", "--limit", "5") == []
    latest = cli("stories", "list", "--latest", "--limit", "3")
    assert len(latest) == 3 and all(s["score"] is None for s in latest)
    (detail,) = cli("stories", "show", str(latest[0]["id"]))
    articles = detail["articles"]
    assert isinstance(articles, list) and articles
    first = articles[0]["id"]
    (related,) = cli("articles", "related", first)
    assert related["article_id"] == first
    tag = str(desk.article(first).tags[0].key)
    (topic,) = cli("topic", "#" + tag)
    assert topic["tag"] == tag and topic["articles"]
