"""Categories, regions and hashtags as a reader types and reads them, in the JSON API (issue 13).

``science``, ``climate-environment`` and ``Climate/Environment`` (slash and all, in the path) name one
category; an unknown name is a 404 that lists the names; a story's tags are its labels
(``#BarackObama``) beside their keys, nothing else. On SQLite and PostgreSQL, through a real server.
(tests/test_cli.py runs the same names through the ``newsdesk`` command.)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ArticleEnrichment, ExtractionStatus, Tag
from newsdesk.web.server import build_app
from tests.loopback import serving
from tests.test_store import draft, insert, ok_update

CATEGORY_NAMES = [
    "World",
    "Politics",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Sports",
    "Entertainment",
    "Climate/Environment",
]
OBAMA = Tag("barackobama", "#BarackObama", "person", 1.0)


@dataclass(frozen=True)
class Seeded:
    """The stories :func:`seed_stories` made, by the category each is filed under."""

    climate: str  # Climate/Environment, Asia, tagged #BarackObama: two articles from two sources
    science: str  # Science, Latin America: one article
    world: str  # World, Europe: one article, the newest


def seed_stories(desk: Newsdesk, now: datetime) -> Seeded:
    """Three stories of the last hours, enriched as the enrichment pass writes them."""
    storage = desk.storage
    plan = [  # (source, guid, hours ago, story, category, regions, tags)
        (0, "melt", 5, "climate", "Climate/Environment", ("Asia",), (OBAMA,)),
        (1, "melt2", 4, "climate", "Climate/Environment", ("Asia",), (OBAMA,)),
        (1, "probe", 3, "science", "Science", ("Latin America",), ()),
        (2, "summit", 1, "world", "World", ("Europe",), ()),
    ]
    sources = [storage.add_source(f"https://s{i}.example/feed", title=f"Source {i}", now=now).id for i in range(3)]
    story_of: dict[str, str] = {}
    results = []
    for source, guid, hours, story, category, regions, tags in plan:
        d = draft(sources[source], guid, published_at=now - timedelta(hours=hours), title=f"Title {guid}")
        storage.apply_feed_updates([ok_update(d.source_id, d)], [insert(d, ExtractionStatus.FEED)], now)
        story_id = story_of.setdefault(story, d.id)
        results.append(ArticleEnrichment(d.id, story_id, category=category, regions=regions, tags=tags))
    storage.apply_enrichment(results, [], now)
    return Seeded(story_of["climate"], story_of["science"], story_of["world"])


@pytest.fixture
def served(settings: Settings, db_url: str) -> Iterator[tuple[str, Seeded]]:
    now = datetime.now(UTC)
    desk = make_newsdesk(replace(settings, db=db_url), clock=lambda: now)
    seeded = seed_stories(desk, now)
    with serving(build_app(desk, schedule=False)) as url:
        yield url + "/api/v1", seeded
    desk.close()


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def story_ids(answer: dict[str, Any]) -> list[str]:
    return [s["id"] for s in answer["stories"]]


def test_categories_are_listed_with_their_slugs(served: tuple[str, Seeded]) -> None:
    api, _ = served
    for path in ("/categories", "/categories/"):
        status, answer = get(api + path)
        assert status == 200 and [c["name"] for c in answer["categories"]] == CATEGORY_NAMES
    assert {"name": "Climate/Environment", "slug": "climate-environment"} in answer["categories"]
    status, answer = get(api + "/regions")
    assert status == 200 and {"name": "Latin America", "slug": "latin-america"} in answer["regions"]
    assert len(answer["regions"]) == 7


def test_a_category_is_reached_by_any_spelling_and_its_path(served: tuple[str, Seeded]) -> None:
    api, seeded = served
    spellings = ["Climate/Environment", "climate-environment", "CLIMATE/environment", "Climate%2FEnvironment"]
    for name in spellings:
        status, answer = get(f"{api}/categories/{name}")
        assert status == 200, (name, answer)
        assert answer["category"] == "Climate/Environment" and answer["slug"] == "climate-environment"
        assert story_ids(answer) == [seeded.climate], name
    status, answer = get(api + "/categories/science")
    assert status == 200 and answer["category"] == "Science" and story_ids(answer) == [seeded.science]
    status, answer = get(api + "/regions/latin%20america")
    assert status == 200 and answer["region"] == "Latin America" and story_ids(answer) == [seeded.science]
    status, answer = get(api + "/regions/asia")
    assert status == 200 and story_ids(answer) == [seeded.climate]
    status, answer = get(api + "/stories?category=science&region=LATIN-AMERICA")
    assert status == 200 and story_ids(answer) == [seeded.science]


def test_an_unknown_name_is_a_404_listing_the_names(served: tuple[str, Seeded]) -> None:
    api, _ = served
    for path in ("/categories/asia", "/frontpage?category=asia", "/stories?category=asia"):
        status, answer = get(api + path)
        assert status == 404, path
        assert answer["error"]["type"] == "NotFoundError"
        message = answer["error"]["message"]
        assert message.startswith("there is no category 'asia'") and all(n in message for n in CATEGORY_NAMES)
    status, answer = get(api + "/regions/science")
    assert status == 404 and "Latin America" in answer["error"]["message"]
    status, answer = get(api + "/frontpage?region=" + urllib.parse.quote("Middle Earth"))
    assert status == 404 and answer["error"]["message"].startswith("there is no region 'Middle Earth'")


def test_the_front_page_pages_with_an_offset(served: tuple[str, Seeded]) -> None:
    api, _ = served
    status, whole = get(api + "/frontpage")
    assert status == 200 and len(whole["stories"]) == 3 and whole["offset"] == 0
    status, rest = get(api + "/frontpage?offset=1&limit=5")
    assert status == 200 and (rest["offset"], rest["limit"]) == (1, 5)
    assert story_ids(rest) == story_ids(whole)[1:]
    status, named = get(api + "/frontpage?category=science")
    assert status == 200 and named["category"] == "Science" and named["region"] is None  # the canonical name
    status, answer = get(api + "/categories/climate-environment?offset=1")
    assert status == 200 and answer["stories"] == [] and answer["offset"] == 1


def test_story_tags_are_labels_beside_keys_and_article_tags_are_listed(served: tuple[str, Seeded]) -> None:
    api, seeded = served
    status, answer = get(f"{api}/stories/{seeded.climate}")
    assert status == 200
    assert answer["story"]["story"]["tags"] == [{"key": "barackobama", "label": "#BarackObama"}]
    status, answer = get(api + "/stories?tag=%23BarackObama")
    assert status == 200 and answer["stories"][0]["tags"] == [{"key": "barackobama", "label": "#BarackObama"}]
    status, answer = get(api + "/articles?limit=10")
    tagged = [a for a in answer["articles"] if a["story_id"] == seeded.climate]
    assert len(tagged) == 2 and all(a["tags"][0]["label"] == "#BarackObama" for a in tagged)
    status, answer = get(api + "/topics/barackobama")
    assert status == 200 and answer["topic"]["label"] == "#BarackObama"
    assert all(a["tags"][0]["label"] == "#BarackObama" for a in answer["topic"]["articles"])
