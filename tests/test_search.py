"""Full-text search: the storage contract on SQLite and PostgreSQL, the index kept by a real update pass,
and search through the API, the page and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ArticleDraft, SearchQuery
from newsdesk.queries.search import search
from newsdesk.store import SqlStorage, open_storage
from newsdesk.store.schema import articles, sources
from newsdesk.store.search import RANK_CAP, fts5_match, parse_query, search_text
from newsdesk.web.pages.search import RANKED_MATCHES
from newsdesk.web.server import build_app
from tests.loopback import serving, serving_files
from tests.test_store import NOW, draft, insert, ok_update
from tests.test_web import get

HOSTILE = '<script>alert("x")</script> </mark><mark> & climate'


def store(storage: SqlStorage, source_id: int, *drafts: ArticleDraft) -> None:
    storage.apply_feed_updates([ok_update(source_id, *drafts)], [insert(d) for d in drafts], NOW)


def index_all(storage: SqlStorage) -> None:
    while storage.index_search(2):  # small batches: the loop over several is part of the contract
        pass
    assert storage.search_backlog() == 0


@pytest.fixture
def corpus(storage: SqlStorage) -> tuple[SqlStorage, int, int]:
    """Two sources, articles in three languages, one duplicate, indexed."""
    a = storage.add_source("https://a.example/feed", now=NOW).id
    b = storage.add_source("https://b.example/feed", now=NOW).id
    store(
        storage,
        a,
        draft(
            a, "summit", title="Climate summit opens", text="Leaders gather to discuss climate policy.", language="en"
        ),
        draft(
            a,
            "oil",
            title="Oil prices fall",
            text="Markets react as oil falls; climate change is mentioned once.",
            language="en",
            published_at=NOW - timedelta(days=3),
        ),
        draft(a, "cafe", title="Le café du village", text="Un café ouvre ses portes à Lyon.", language="fr"),
        draft(a, "tokyo", title="東京都知事選", text="東京都で知事選挙が行われた。", language="ja"),
        draft(a, "hostile", title="Hostile <b>title</b>", text=HOSTILE, language="en"),
    )
    store(
        storage,
        b,
        draft(b, "copy", title="Climate summit opens", text="Leaders gather to discuss climate policy.", language="en"),
        draft(b, "other", title="Football results", text="A climate of tension at the stadium.", language="en-GB"),
    )
    with storage.engine.begin() as conn:  # the copy of a's summit article, as dedup stores it
        conn.exec_driver_sql(f"UPDATE articles SET duplicate_of = '{a}-summit' WHERE id = '{b}-copy'")
    index_all(storage)
    return storage, a, b


def ids(storage: SqlStorage, text: str, **filters: object) -> list[str]:
    return [r.article_id for r in storage.search(SearchQuery(text, **filters))]  # type: ignore[arg-type]


def test_ranked_matches_without_copies(corpus: tuple[SqlStorage, int, int]) -> None:
    storage, a, b = corpus
    found = ids(storage, "climate")
    # the copy is left out; the article with "climate" in its title ranks first
    assert f"{b}-copy" not in found
    assert found[0] == f"{a}-summit"
    assert set(found) == {f"{a}-summit", f"{a}-oil", f"{a}-hostile", f"{b}-other"}
    rows = storage.search(SearchQuery("climate"))
    assert [r.rank for r in rows] == sorted((r.rank for r in rows), reverse=True)


def test_query_language(corpus: tuple[SqlStorage, int, int]) -> None:
    storage, a, b = corpus
    assert ids(storage, '"climate change"') == [f"{a}-oil"]
    assert f"{a}-oil" not in ids(storage, "climate -oil")
    assert set(ids(storage, "football OR café")) == {f"{b}-other", f"{a}-cafe"}
    assert ids(storage, "cafe") == [f"{a}-cafe"]  # accents do not matter
    assert ids(storage, "東京") == [f"{a}-tokyo"]  # a CJK word inside a longer run
    assert ids(storage, "知事") == [f"{a}-tokyo"]
    assert ids(storage, "-climate") == []  # nothing wanted, nothing found


def test_filters(corpus: tuple[SqlStorage, int, int]) -> None:
    storage, a, b = corpus
    assert set(ids(storage, "climate", source_id=b)) == {f"{b}-other"}
    assert set(ids(storage, "climate", language="en")) == {f"{a}-summit", f"{a}-oil", f"{a}-hostile", f"{b}-other"}
    assert ids(storage, "climate", language="en-gb") == [f"{b}-other"]
    assert ids(storage, "café", language="de") == []
    assert ids(storage, "climate", since=NOW - timedelta(days=4), until=NOW - timedelta(days=2)) == [f"{a}-oil"]
    assert f"{a}-oil" not in ids(storage, "climate", since=NOW - timedelta(days=2))
    # enrichment sets an article's category and tags (its own tests cover how); here, directly
    with storage.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE articles SET category = 'Business' WHERE id = '{a}-oil'")
        conn.exec_driver_sql(
            "INSERT INTO article_tags (article_id, tag, label, kind, score)"
            f" VALUES ('{a}-summit', 'climatesummit', '#ClimateSummit', 'phrase', 1.0)"
        )
    assert ids(storage, "climate", category="business") == [f"{a}-oil"]
    assert ids(storage, "climate", tag="climatesummit") == [f"{a}-summit"]


def test_paging(corpus: tuple[SqlStorage, int, int]) -> None:
    storage, _, _ = corpus
    every = ids(storage, "climate")
    pages = ids(storage, "climate", limit=2) + ids(storage, "climate", limit=2, offset=2)
    assert pages == every
    results = search(storage, SearchQuery("climate", limit=3))
    assert len(results.hits) == 3 and results.more
    assert not search(storage, SearchQuery("climate", limit=4)).more


# -- the capped ranking: of a query with more matches than the cap, the newest are ranked ---------------------


@pytest.fixture
def dated(storage: SqlStorage) -> Iterator[tuple[SqlStorage, int, list[str]]]:
    """Eight articles with "harbour" and "quay" at hours 1..8 before NOW ("quay" in the title of the fifth
    only), written and queued in an order unlike their times, with ids unlike it too (as a migrated
    database's backlog is); their ids newest first."""
    source = storage.add_source("https://c.example/feed", now=NOW).id
    hours = [5, 2, 8, 1, 7, 3, 6, 4]
    drafts = [
        draft(
            source,
            f"g{(h * 37) % 11:02d}",
            title=f"{'Quay' if h == 5 else 'Harbour'} report {h}",
            text=" ".join(["harbour"] * h + ["quay"] * (10 - h)),  # the oldest say "harbour" most: ranked first
            published_at=NOW - timedelta(hours=h),
        )
        for h in hours
    ]
    store(storage, source, *drafts)
    index_all(storage)  # two at a time: oldest first across batches too
    newest_first = [d.id for d in sorted(drafts, key=lambda d: d.published_at or NOW, reverse=True)]
    yield storage, source, newest_first
    storage.rank_cap = RANK_CAP


def test_the_newest_matches_are_ranked_when_more_match_than_the_cap(
    dated: tuple[SqlStorage, int, list[str]],
) -> None:
    storage, _, newest = dated
    storage.rank_cap = None
    every = ids(storage, "harbour")
    assert set(every) == set(newest) and every[0] != newest[0]  # uncapped, relevance puts an older one first
    storage.rank_cap = 3
    assert ids(storage, "harbour") == newest[:3]  # the three newest matches, and only they, newest first
    assert ids(storage, "harbour", limit=2) + ids(storage, "harbour", limit=2, offset=2) == newest[:3]
    assert ids(storage, "harbour", offset=3) == []  # no page goes past the cap
    storage.rank_cap = 6
    rows = storage.search(SearchQuery("quay"))  # of the newest six, the one with "quay" in its title first
    assert [r.article_id for r in rows] == [newest[4], *newest[:4], newest[5]]
    assert [r.rank for r in rows] == [1.0] + [0.0] * 5
    storage.rank_cap = len(newest)
    assert ids(storage, "harbour") == every  # no more matches than the cap: ranked as uncapped


def test_the_cap_counts_only_matches_the_filters_keep(dated: tuple[SqlStorage, int, list[str]]) -> None:
    storage, source, newest = dated
    storage.rank_cap = 2
    window = {"since": NOW - timedelta(hours=6, minutes=30), "until": NOW - timedelta(hours=3, minutes=30)}
    assert set(ids(storage, "harbour", **window)) == set(newest[3:5])  # hours 4 and 5, not 1 and 2
    one_source = set(ids(storage, "harbour", source_id=source))
    # SQLite ranks every match of one source (cheaper than walking the whole index newest first)
    assert one_source == set(newest if storage.dialect == "sqlite" else newest[:2])
    with storage.engine.begin() as conn:  # copies are never results, so they take no place under the cap
        conn.exec_driver_sql(f"UPDATE articles SET duplicate_of = '{newest[5]}' WHERE id = '{newest[0]}'")
    assert set(ids(storage, "harbour")) == set(newest[1:3])
    assert ids(storage, "harbour -report") == []


def test_snippets_are_escaped_and_marked(corpus: tuple[SqlStorage, int, int]) -> None:
    storage, a, _ = corpus
    both = search(storage, SearchQuery("climate title")).hits  # one word in the title, one in the text
    assert [h.article_id for h in both] == [f"{a}-hostile"]
    assert both[0].title_html == "Hostile &lt;b&gt;<mark>title</mark>&lt;/b&gt;"
    hit = search(storage, SearchQuery("climate", source_id=a, language="en", limit=10)).hits
    hostile = next(h for h in hit if h.article_id == f"{a}-hostile")
    assert hostile.title_html == "Hostile &lt;b&gt;title&lt;/b&gt;"
    assert "<script" not in hostile.snippet_html and "&lt;script&gt;" in hostile.snippet_html
    assert hostile.snippet_html.count("<mark>") == 1 and hostile.snippet_html.count("</mark>") == 1
    assert "&lt;/mark&gt;&lt;mark&gt;" in hostile.snippet_html and "<mark>climate</mark>" in hostile.snippet_html
    cafe = search(storage, SearchQuery("cafe")).hits[0]
    assert cafe.title_html == "Le <mark>café</mark> du village"
    tokyo = search(storage, SearchQuery("東京")).hits[0]
    assert tokyo.title_html == "<mark>東京</mark>都知事選"


@pytest.mark.parametrize(
    "text",
    [
        'NEAR(a b) "unterminated',
        "title:climate OR",
        "climate*",
        "^climate",
        '"" "" AND OR NOT',
        "clim\x00ate",
        "'; DROP TABLE articles; --",
        "a" * 5000,
        " ".join(f"w{i}" for i in range(500)),
        "(((",
        "-",
        "\\",
        "%_",
    ],
)
def test_hostile_queries_never_fail(corpus: tuple[SqlStorage, int, int], text: str) -> None:
    storage, _, _ = corpus
    search(storage, SearchQuery(text))  # no StorageError: the text never reaches a database as syntax
    search(storage, SearchQuery("climate", language=text[:200], category=text[:200], tag=text[:120]))


def test_query_parsing() -> None:
    assert fts5_match(parse_query('"Climate Change" -oil OR-gas')) == '"climate change" AND "or gas" NOT "oil"'
    assert fts5_match(parse_query("a OR b c")) == '("a" OR "b") AND "c"'
    assert len(parse_query(" ".join(f"w{i}" for i in range(100))).groups) == 32
    assert search_text("Jae-myung's CAFÉ 東京都") == "jae myung s cafe 東 京 都"


def test_the_index_follows_changes_and_removals(corpus: tuple[SqlStorage, int, int]) -> None:
    storage, a, b = corpus
    store(storage, a, draft(a, "late", title="Volcano erupts", text="Lava."))
    assert ids(storage, "volcano") == []  # written, not indexed yet: the ingest only queues it
    assert storage.search_backlog() == 1
    index_all(storage)
    assert ids(storage, "volcano") == [f"{a}-late"]
    storage.remove_source(b)
    assert f"{b}-other" not in ids(storage, "climate")
    with storage.engine.connect() as conn:
        left = conn.exec_driver_sql(
            "SELECT count(*) FROM search_docs" if storage.dialect == "sqlite" else "SELECT count(*) FROM article_search"
        ).scalar()
    assert left == 6  # a's six articles; b's are gone from the index too


# -- through a real update pass ----------------------------------------------------------------------


RSS = "application/rss+xml"


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>http://127.0.0.1/{g}</link><description>{d}</description>"
        "<pubDate>Sat, 28 Nov 2026 10:00:00 GMT</pubDate></item>"
        for g, t, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'.encode()


@pytest.fixture
def feed_server() -> Iterator[tuple[str, dict[str, tuple[bytes, str]]]]:
    files = {"/feed.xml": (_rss([("a", "Glacier melt accelerates", "Scientists measured the glacier.")]), RSS)}
    with serving_files(files) as base:
        yield base + "/feed.xml", files


def test_an_update_pass_keeps_the_index(
    settings: Settings, db_url: str, feed_server: tuple[str, dict[str, tuple[bytes, str]]]
) -> None:
    url, files = feed_server
    settings = replace(settings, enrich=False)
    with make_newsdesk(settings, storage=open_storage(db_url)) as desk:
        desk.add_many([(url, None, None)])
        desk.update(all_sources=True, feeds_only=True)
        assert desk.search("glacier").hits == ()  # feeds only: the index waits for a full pass
        desk.update(all_sources=True)
        assert [h.title for h in desk.search("glacier").hits] == ["Glacier melt accelerates"]
        files["/feed.xml"] = (
            _rss(
                [
                    ("a", "Glacier melt slows", "Scientists measured the glacier again."),
                    ("b", "Heatwave in Europe", "Temperatures rise."),
                ]
            ),
            RSS,
        )
        desk.update(all_sources=True)
        assert [h.title for h in desk.search("glacier").hits] == ["Glacier melt slows"]
        assert desk.search("accelerates").hits == ()
        assert [h.title for h in desk.search("heatwave").hits] == ["Heatwave in Europe"]
        assert desk.storage.search_backlog() == 0
        desk.remove_source(desk.sources()[0].id)
        assert desk.search("glacier").hits == ()


# -- the interfaces --------------------------------------------------------------------------------------


@pytest.fixture
def desk(settings: Settings, db_url: str) -> Iterator[Newsdesk]:
    desk = make_newsdesk(replace(settings, db=db_url), clock=lambda: NOW)
    source = desk.storage.add_source("https://a.example/feed", title="A <i>source</i>", now=NOW).id
    store(
        desk.storage,  # type: ignore[arg-type]
        source,
        *(draft(source, f"n{i}", title=f"Election night {i}", text=f"Votes counted. {HOSTILE}") for i in range(25)),
    )
    with desk.storage.engine.begin() as conn:  # type: ignore[attr-defined]  # as a hostile feed would title itself
        conn.exec_driver_sql("UPDATE sources SET title = 'A <i>source</i>'")
    desk.storage.index_search()
    yield desk
    desk.close()


def test_api(desk: Newsdesk) -> None:
    with serving(build_app(desk, schedule=False)) as base:
        status, body = get(base + "/api/v1/search?q=election&limit=20")
        assert status == 200 and len(body["hits"]) == 20 and body["more"] is True
        hit = body["hits"][0]
        assert set(hit) >= {"article_id", "title", "title_html", "snippet_html", "source_title", "published_at", "rank"}
        assert "<mark>Election</mark>" in hit["title_html"] and "&lt;script&gt;" in hit["snippet_html"]
        status, body = get(base + "/api/v1/search?q=election&offset=20")
        assert status == 200 and len(body["hits"]) == 5 and body["more"] is False
        status, body = get(base + "/api/v1/search?q=election&since=2026-11-29&until=2026-11-29")
        assert status == 200 and len(body["hits"]) == 20
        status, body = get(base + "/api/v1/search?q=election&until=2026-11-01")
        assert status == 200 and body["hits"] == []
        status, body = get(base + "/api/v1/search?q=election&since=0001-01-01&until=9999-12-31")  # the calendar's ends
        assert status == 200 and len(body["hits"]) == 20
        for q in ['"', "NEAR(", "a" * 500, "x OR", "*"]:
            status, _ = get(base + "/api/v1/search?" + urllib.parse.urlencode({"q": q}))
            assert status == 200, q
        for bad in ({"q": "a" * 501}, {"q": "a\x00b"}, {"q": "a", "since": "yesterday"}):
            status, _ = get(base + "/api/v1/search?" + urllib.parse.urlencode(bad))
            assert status == 422, bad


def test_page(desk: Newsdesk) -> None:
    with serving(build_app(desk, schedule=False)) as base:
        status, page = get(base + "/search")
        assert status == 200 and "Type words to search" in page and 'name="q"' in page
        assert "the newest 1,000 are shown" in page  # the rule of the capped ranking, stated where one searches
        status, page = get(base + "/search?q=election&source_id=&language=&category=&tag=&since=&until=")
        assert status == 200 and page.count('<li class="item search-hit" data-nav>') == 20
        assert "<mark>Election</mark> night" in page and "<script>alert" not in page
        assert "A &lt;i&gt;source&lt;/i&gt;" in page and 'href="/articles/' in page
        assert "style=" not in page.split("<main", 1)[1] and "<script" not in page.split("<main", 1)[1]
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids))  # the page's search box is not the header's
        more = page.split('<a href="/search?', 1)[1].split('"', 1)[0]
        status, second = get(base + "/search?" + more.replace("&amp;", "&"))
        assert status == 200 and second.count('class="item search-hit"') == 5 and 'rel="next"' not in second
        status, fragment = get(base + "/fragments/search?q=election&offset=20")
        assert status == 200 and fragment.count('class="item search-hit"') == 5 and "<html" not in fragment
        assert fragment.lstrip().startswith("<li")  # items of the page's list, which htmx puts in place of the link
        status, page = get(base + "/search?q=" + urllib.parse.quote('"<b>nothing</b>'))
        assert status == 200 and "No results for “&#34;&lt;b&gt;nothing&lt;/b&gt;”" in page
        status, page = get(base + "/search?q=" + urllib.parse.quote("NEAR( * ^ -"))
        assert status == 200
        status, page = get(base + "/search?q=election&offset=500")
        assert status == 200 and "No more results for" in page and 'href="/search?q=election"' in page
        status, page = get(base + "/search?q=election&language=de&lang=fr")
        assert status == 200 and "Aucun résultat pour « election » avec ces filtres." in page
        assert (
            'href="/search?q=election">Effacer les filtres' in page and "les 1\u202f000 plus récents" in page
        )  # grouped as French writes numbers


def test_the_page_states_the_storage_rank_cap() -> None:
    assert RANKED_MATCHES == RANK_CAP


def test_cli(desk: Newsdesk, db_url: str, tmp_path: Path) -> None:
    env = os.environ | {"NEWSDESK_DB": db_url, "NEWSDESK_DATA_DIR": str(tmp_path / "data")}

    def newsdesk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "newsdesk", *args], check=False, env=env, capture_output=True, text=True, timeout=60
        )

    done = newsdesk("search", "election", "--json", "--limit", "3")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 3 and all("<mark>Election</mark>" in hit["title_html"] for hit in lines)
    done = newsdesk("search", "election", "--source", "1", "--since", "2026-11-01", "--until", "2026-11-30")
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 20
    article_id = done.stdout.splitlines()[0].rsplit("(", 1)[1].rstrip(")")
    shown = newsdesk("articles", "show", article_id)
    assert shown.returncode == 0 and "Election night" in shown.stdout
    assert newsdesk("search", 'NEAR( "').returncode == 0
    assert newsdesk("search", "x" * 501).returncode == 2
    assert newsdesk("search", "election", "--since", "soon").returncode == 2


def test_migration_queues_existing_articles(tmp_path: Path) -> None:
    """A database of the revision before search is indexed whole by its first pass after the upgrade."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = SqlStorage(url)
    old.migrate("0009")
    with old.engine.begin() as conn:  # as that revision's code wrote them (today's would queue it)
        source = conn.execute(
            sources.insert().values(url="https://a.example/feed", created_at=NOW, error_count=0, paused=False)
        ).inserted_primary_key[0]
        conn.execute(
            articles.insert().values(
                id=f"{source}-x",
                source_id=source,
                guid="x",
                title="Before search existed",
                fetched_at=NOW,
                entry_hash="h",
                extraction_status="feed",
            )
        )
    old.close()
    storage = open_storage(url)
    assert storage.search_backlog() == 1
    index_all(storage)
    assert ids(storage, "existed") == [f"{source}-x"]
    storage.close()
