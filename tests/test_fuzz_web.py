"""No request gets a 5xx: the web app fuzzed on a real database with stories, tags and vectors in it.

Two fuzzers, both deterministic (a fixed number of examples per operation, ``derandomize``), against
the real app under uvicorn on loopback, on SQLite and on PostgreSQL:

- schemathesis generates requests from the JSON API's OpenAPI document as the app serves it, and
  from one FastAPI writes the same way for the HTML pages (the served one leaves them out): valid
  requests, and requests that break the schema, which must be refused with a 4xx;
- a hypothesis strategy of hostile path segments and query values (integers past 32 and 64 bits,
  50k characters, NUL bytes, LIKE wildcards, …) is sent to every GET route of both documents and to
  the static files; each parameter also meets each fixed hostile value in a sweep.

The routes come from the app, so a new route or page is fuzzed the day it is added. Every 5xx is
collected (not only the first), so a failure lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from starlette.routing import Mount

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ArticleEnrichment, ExtractionStatus, Tag
from newsdesk.web import pages
from newsdesk.web.server import build_app
from tests.conftest import fresh_database, test_settings
from tests.loopback import serving
from tests.test_store import NOW, draft, insert, ok_update

pytestmark = pytest.mark.slow  # two thousand requests on each database: a minute or so on each

# Examples per operation (schemathesis): a request that breaks the schema costs ten times as much to make
# (about 0.1 s), and it only has to be refused with a 422.
API_EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 15}
ROUTE_EXAMPLES = 40  # per GET route (hostile strategy)

FUZZ_SETTINGS = settings(
    derandomize=True,  # the same requests on every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def seed(desk: Newsdesk) -> None:
    """Three sources with three articles each, in two stories with categories, regions, a tag and vectors:
    every query the routes run has rows to look at, so a LIKE or a join is really evaluated."""
    storage = desk.storage
    model = desk.settings.embedding_model
    rng = np.random.default_rng(7)
    enrichments = []
    for i in range(3):
        source = storage.add_source(f"https://s{i}.example/feed", title=f"Source {i}", category="World", now=NOW)
        drafts = [
            draft(source.id, f"g{i}-{k}", published_at=NOW - timedelta(hours=i + k), text=f"text {i} {k}")
            for k in range(3)
        ]
        storage.apply_feed_updates(
            [ok_update(source.id, *drafts)], [insert(d, ExtractionStatus.FEED) for d in drafts], NOW
        )
        for k, d in enumerate(drafts):
            vector = rng.standard_normal(16).astype(np.float32)
            enrichments.append(
                ArticleEnrichment(
                    article_id=d.id,
                    story_id="story-a" if k < 2 else "story-b",
                    category="Politics" if k < 2 else "Sports",
                    regions=("Europe", "Asia") if k < 2 else ("Africa",),
                    tags=(Tag("emmanuelmacron", "#EmmanuelMacron", "person", 1.0),) if k == 0 else (),
                    vector_model=model,
                    vector=(vector / np.linalg.norm(vector)).tobytes(),
                    signature=b"sig",
                )
            )
    storage.apply_enrichment(enrichments, [], NOW)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FastAPI]]:
    """The app over a seeded database of each kind, served on loopback: (base URL, app)."""
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    settings_ = replace(test_settings(directory), db=fresh_database(request.param, directory))
    desk = make_newsdesk(settings_, clock=lambda: NOW)
    try:
        seed(desk)
        app = build_app(desk, schedule=False)
        # Room for a request head of a few megabytes: h11 refuses one over 16 KB that arrives in more
        # than one read (the connection is reset), so the 50k-character values would reach the app only
        # when the kernel delivered them in one piece.
        with serving(app, h11_max_incomplete_event_size=4 << 20) as url:
            yield url, app
    finally:
        desk.close()


@dataclass
class ServerErrors:
    """The 5xx answers (and dropped connections) met, one example kept per route and status."""

    sent: int = 0
    count: int = 0
    examples: dict[tuple[str, str], str] = field(default_factory=dict)

    def send(self, route: str, description: str, request: Callable[[], requests.Response]) -> None:
        """Make the request; count it if it is answered 5xx, or not at all."""
        self.sent += 1
        try:
            response = request()
        except requests.ConnectionError as exc:
            status, answer = "no answer", str(exc)
        else:
            if response.status_code < 500:
                return
            status, answer = str(response.status_code), response.text
        self.count += 1
        self.examples.setdefault((route, status), f"{description[:300]} -> {answer[:200]!r}")

    def report(self) -> str:
        lines = [f"{self.count} of {self.sent} requests answered 5xx or not at all:"]
        lines += [f"  {status} {route}: {example}" for (route, status), example in sorted(self.examples.items())]
        return "\n".join(lines)


def run_examples(strategy: st.SearchStrategy[Any], examples: int, body: Callable[[Any], None]) -> None:
    """``body`` on ``examples`` deterministic examples of ``strategy``; ``body`` records, it never fails."""

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(strategy)
    def run(example: Any) -> None:
        body(example)

    run()


def openapi_documents(base_url: str) -> dict[str, dict[str, Any]]:
    """The API's OpenAPI document as it is served, and one FastAPI writes for the pages (which the served
    one leaves out): the pages' parameters are declared the same way, so both can be generated from."""
    api_doc = requests.get(base_url + "/api/v1/openapi.json", timeout=10).json()
    page_routes = [route for router in pages.ROUTERS for route in router.routes]
    pages_doc = get_openapi(title="newsdesk pages", version="0", routes=page_routes)
    return {"api": api_doc, "pages": pages_doc}


def test_api_and_pages_from_their_openapi_documents(served: tuple[str, FastAPI]) -> None:
    base_url, _app = served
    errors = ServerErrors()

    def call(route: str, case: schemathesis.Case) -> None:
        description = f"{case.method} {case.formatted_path} {case.query or ''}"
        errors.send(route, description, lambda: case.call(base_url=base_url, timeout=30))

    documents = openapi_documents(base_url)
    operations = [
        result.ok() for doc in documents.values() for result in schemathesis.openapi.from_dict(doc).get_all_operations()
    ]
    assert len(operations) >= 16  # every route of the API and every page
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategy = operation.as_strategy(generation_mode=mode)
                run_examples(strategy, API_EXAMPLES[mode], partial(call, operation.label))
            except Unsatisfiable:  # no parameters, or only strings of any length: nothing to break
                assert mode is GenerationMode.NEGATIVE
    assert errors.count == 0, errors.report()


# -- every GET route, pages and static files included, with hostile input -------------------------------

HOSTILE_INTEGERS = [
    str(2**31),  # one past PostgreSQL's INTEGER (sources.id)
    str(2**63),  # one past SQLite's INTEGER and PostgreSQL's BIGINT
    str(2**63 - 1),
    "99999999999999999999",
    str(-(2**63) - 1),
    "-1",
    "0",
    "1e309",
    "NaN",
    "0x10",
    " 1",
]
HOSTILE_TEXT = ["", " ", "%", "_", "%_%", "\\", '"', "'", "\x00", "a\x00b", "#tag", "../../etc/passwd", "é", "\ufffd"]


def hostile_values() -> st.SearchStrategy[str]:
    long = st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["x", "%", "9", "é", "\x00", '"', "ab_"]),
        st.sampled_from([300, 5_000, 50_000]),
    )
    printable = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # any unicode but surrogates
    return st.one_of(
        st.sampled_from(HOSTILE_INTEGERS), st.sampled_from(HOSTILE_TEXT), long, printable, st.integers().map(str)
    )


@dataclass(frozen=True)
class Route:
    """A GET address of the app: its path template, the names in it, and the query parameters it reads."""

    template: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]


def get_routes(base_url: str, app: FastAPI) -> list[Route]:
    """Every GET route: the operations of both OpenAPI documents, and the app's mounts (static files)."""
    routes = []
    for doc in openapi_documents(base_url).values():
        for template, operations in doc["paths"].items():
            if "get" in operations:
                params = operations["get"].get("parameters", [])
                names = {kind: tuple(p["name"] for p in params if p["in"] == kind) for kind in ("path", "query")}
                routes.append(Route(template, names["path"], names["query"]))
    routes += [Route(m.path + "/{path}", ("path",), ()) for m in app.routes if isinstance(m, Mount)]
    return routes


def requests_to(route: Route) -> st.SearchStrategy[tuple[str, list[tuple[str, str]]]]:
    """(path, query) for ``route``: hostile path segments, and hostile values of its query parameters and
    of a few it does not read, sometimes repeated."""
    names = st.sampled_from([*route.query_params, "x", "source_id", "offset"])
    query = st.lists(st.tuples(names, hostile_values()), max_size=4)
    segments = st.fixed_dictionaries({name: hostile_values() for name in route.path_params})
    return st.tuples(segments.map(partial(fill, route)), query)


def fill(route: Route, values: dict[str, str]) -> str:
    """``route``'s path with ``values`` in its segments, percent-encoded."""
    path = route.template
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


LONG_VALUES = ["x" * 50_000, "%" * 50_000, "\x00" * 50_000]


def sweep(route: Route) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Every fixed hostile value in each path segment and each query parameter of ``route`` in turn
    (the other segments ``1``): each parameter meets every value, whatever the random examples draw."""
    values = [*HOSTILE_INTEGERS, *HOSTILE_TEXT, *LONG_VALUES]
    plain = dict.fromkeys(route.path_params, "1")
    for name in route.path_params:
        for value in values:
            yield fill(route, plain | {name: value}), []
    for name in route.query_params:
        for value in values:
            yield fill(route, plain), [(name, value)]


def test_every_get_route_with_hostile_input(served: tuple[str, FastAPI]) -> None:
    base_url, app = served
    routes = get_routes(base_url, app)
    templates = {r.template for r in routes}
    assert {"/", "/articles/{article_id}", "/sources", "/api/v1/stories", "/static/{path}"} <= templates
    errors = ServerErrors()

    def call(route: Route, request: tuple[str, list[tuple[str, str]]]) -> None:
        path, query = request
        description = f"GET {path[:120]} {[(k, v[:40]) for k, v in query]}"
        errors.send(route.template, description, lambda: requests.get(base_url + path, params=query, timeout=30))

    for route in routes:
        for request in sweep(route):
            call(route, request)
        run_examples(requests_to(route), ROUTE_EXAMPLES, partial(call, route))
    assert errors.count == 0, errors.report()
