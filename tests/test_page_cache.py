"""The rendered-page cache of anonymous readers (``queries/cache.py``'s PageStore, ``web/pagecache.py``):
the data versions every write a page shows bumps (SQLite and PostgreSQL), the freshness rule (a page
is replayed only while no such write committed and for at most ``MAX_AGE`` by the facade's clock),
its bounds, and what it never keeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import update

from newsdesk.core import make_newsdesk
from newsdesk.model import ArticleEnrichment, ExtractionStatus, PageResult
from newsdesk.queries.cache import MAX_AGE, PageStore
from newsdesk.store import SqlStorage
from newsdesk.store.schema import articles
from newsdesk.web.server import build_app
from tests.conftest import test_settings
from tests.test_store import draft, insert, ok_update
from tests.test_stories import NOW, seed

V1 = (("stories", 1),)
V2 = (("stories", 2),)


def _version(storage: SqlStorage, name: str) -> int:
    return dict(storage.data_versions()).get(name, 0)


def test_every_write_a_page_shows_bumps_its_data_version(storage: SqlStorage) -> None:
    def versions() -> dict[str, int]:
        return dict(storage.data_versions())

    before = versions()
    ids = seed(storage)  # sources, then their articles
    after_seed = versions()
    assert after_seed["sources"] > before.get("sources", 0)
    assert after_seed["articles"] > before.get("articles", 0)
    assert after_seed.get("stories", 0) == before.get("stories", 0)  # no story yet

    batch = storage.pending_enrichment(100)
    storage.apply_enrichment([ArticleEnrichment(a.id, "story-a", category="World") for a in batch], [], NOW)
    assert _version(storage, "stories") == after_seed.get("stories", 0) + 1

    now = versions()
    storage.apply_page_results([PageResult(batch[0].id, ExtractionStatus.FAILED, reason="gone")])
    assert _version(storage, "articles") == now["articles"] + 1

    now = versions()
    assert storage.index_search(100) > 0  # the articles seeded were queued
    assert _version(storage, "search") == now.get("search", 0) + 1
    now = versions()
    assert storage.index_search(100) == 0  # nothing indexed: nothing counted
    assert versions() == now

    storage.set_paused(ids[0], True, "test", NOW)
    assert _version(storage, "sources") == now["sources"] + 1

    now = versions()
    storage.remove_source(ids[1])
    assert all(versions()[name] == now[name] + 1 for name in ("stories", "articles", "sources"))
    assert versions()["search"] == now["search"]


def test_a_page_is_kept_while_its_versions_hold_and_for_at_most_max_age() -> None:
    clock = [NOW]
    store = PageStore(lambda: clock[0])
    assert store.get("k", V1) is None
    store.put("k", 200, [(b"content-type", b"text/html")], b"<p>one</p>", V1, NOW)
    page = store.get("k", V1)
    assert page is not None and page.body == b"<p>one</p>"
    assert store.get("k", V2) is None  # a write committed: rendered again
    assert store.get("k", V1) is None  # and the stale page is gone
    store.put("k", 200, [], b"two", V2, NOW)
    clock[0] = NOW + MAX_AGE - timedelta(seconds=1)
    assert store.get("k", V2) is not None
    clock[0] = NOW + MAX_AGE
    assert store.get("k", V2) is None  # a minute old: relative times have moved on
    store.put("k", 200, [], b"three", V2, NOW + timedelta(hours=1))
    clock[0] = NOW  # the clock set back: the page is from the future, so expired
    assert store.get("k", V2) is None


def test_pages_are_bounded_by_count_and_bytes_least_recently_used_first() -> None:
    store = PageStore(lambda: NOW, max_entries=3, max_bytes=1000)
    for key in "abc":
        assert store.put(key, 200, [], b"x" * 100, V1, NOW)
    assert store.get("a", V1) is not None  # a is now the most recently used
    store.put("d", 200, [], b"x" * 100, V1, NOW)
    assert len(store) == 3 and store.get("b", V1) is None  # b was the least recently used
    assert store.put("big", 200, [], b"y" * 700, V1, NOW)  # 300 + 700 fits; then more than 1000 must go
    assert store.size_bytes <= 1000
    assert store.get("big", V1) is not None
    assert not store.put("huge", 200, [], b"z" * 1001, V1, NOW)  # larger than the whole store: not kept
    assert store.get("huge", V1) is None and store.size_bytes <= 1000
    store.put("big", 200, [], b"small", V1, NOW)  # replacing a page counts its bytes once
    assert store.size_bytes == sum(len(p.body) for p in store._pages.values())


def _get(app: object, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def test_a_write_shows_on_the_next_request_and_nothing_else_does(storage: SqlStorage, tmp_path: Path) -> None:
    clock = [NOW]
    desk = make_newsdesk(test_settings(tmp_path, db=storage.url), lambda: clock[0], storage=storage)
    app = build_app(desk, schedule=False)
    seed(storage)
    batch = storage.pending_enrichment(100)
    storage.apply_enrichment([ArticleEnrichment(a.id, "story-a", category="World") for a in batch], [], NOW)
    article = batch[0].id
    page = f"/articles/{article}"

    first = _get(app, page)
    assert first.status_code == 200
    assert len(desk.pages) == 1
    # Changed behind the store's back (no version bumped): the page kept is replayed, with every header.
    with storage.engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.id == article).values(title="Quietly renamed"))
    again = _get(app, page)
    assert again.text == first.text and "Quietly renamed" not in again.text
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert again.headers["content-language"] == "en"
    # Another language is another page.
    french = _get(app, page, **{"accept-language": "fr"})
    assert french.headers["content-language"] == "fr" and "Quietly renamed" in french.text
    # A minute later the page is rendered again.
    clock[0] = NOW + MAX_AGE
    assert "Quietly renamed" in _get(app, page).text
    # A write through the store shows on the very next request.
    with storage.engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.id == article).values(title="Openly renamed"))
    assert "Openly renamed" not in _get(app, page).text  # still behind the store's back
    s = storage.add_source("https://late.example/feed", title="Late Desk", now=NOW)
    assert "Openly renamed" in _get(app, page).text  # a new source: the sources version moved
    with storage.engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.id == article).values(title="Renamed again"))
    assert "Renamed again" not in _get(app, page).text
    late = draft(s.id, "late", published_at=NOW, title="Late news", url="https://late.example/a")
    storage.apply_feed_updates([ok_update(s.id, late)], [insert(late, ExtractionStatus.FEED)], NOW)
    assert "Renamed again" in _get(app, page).text  # a new article: the articles version moved


def test_what_the_cache_never_keeps(storage: SqlStorage, tmp_path: Path) -> None:
    desk = make_newsdesk(test_settings(tmp_path, db=storage.url), lambda: NOW, storage=storage)
    app = build_app(desk, schedule=False)
    seed(storage)
    assert _get(app, "/articles/no-such-article").status_code == 404
    assert _get(app, "/about?lang=fr").headers.get("set-cookie")  # the switcher's cookie: not replayed to others
    assert _get(app, "/api/v1/health").status_code == 200
    assert _get(app, "/static/newsdesk.css").status_code == 200
    assert len(desk.pages) == 0
    assert _get(app, "/about").status_code == 200
    assert len(desk.pages) == 1


def test_a_zero_budget_renders_every_request(storage: SqlStorage, tmp_path: Path) -> None:
    desk = make_newsdesk(test_settings(tmp_path, db=storage.url, page_cache_max_bytes=0), lambda: NOW, storage=storage)
    app = build_app(desk, schedule=False)
    assert _get(app, "/about").status_code == 200
    assert len(desk.pages) == 0


def test_readers_missing_together_wait_for_one_rendering(storage: SqlStorage, tmp_path: Path) -> None:
    desk = make_newsdesk(test_settings(tmp_path, db=storage.url), lambda: NOW, storage=storage)
    app = build_app(desk, schedule=False)
    seed(storage)
    article = storage.pending_enrichment(1)[0].id
    rendered = []

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await asyncio.gather(*(client.get(f"/articles/{article}") for _ in range(8)))

    original = desk.pages.put

    def counting_put(*args: object, **kw: object) -> bool:
        rendered.append(args[0])
        return original(*args, **kw)  # type: ignore[arg-type]

    desk.pages.put = counting_put  # type: ignore[method-assign]
    responses = asyncio.run(go())
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert rendered == [(f"/articles/{article}", b"", "en", False)]  # path, query, language, not htmx


def test_renderings_take_turns_in_a_few_slots_and_replays_do_not_wait_for_them(
    storage: SqlStorage, tmp_path: Path
) -> None:
    """Twelve different pages missed at once render RENDER_SLOTS at a time, while a cached page is
    replayed meanwhile (the event loop is not held by the renderings)."""
    import threading
    import time

    from newsdesk.web.pagecache import RENDER_SLOTS

    desk = make_newsdesk(test_settings(tmp_path, db=storage.url), lambda: NOW, storage=storage)
    app = build_app(desk, schedule=False)
    seed(storage)
    article = storage.pending_enrichment(1)[0].id
    assert _get(app, "/about").status_code == 200  # kept
    lock, active, most = threading.Lock(), [0], [0]
    original = desk.article

    def slow_article(article_id: str) -> object:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.1)  # a rendering's database wait, during which another could run
        with lock:
            active[0] -= 1
        return original(article_id)

    desk.article = slow_article  # type: ignore[method-assign]

    async def go() -> tuple[list[httpx.Response], float, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            started = time.monotonic()
            pages = [asyncio.ensure_future(client.get(f"/articles/{article}?n={i}")) for i in range(12)]
            await asyncio.sleep(0.05)
            replayed = await client.get("/about")
            replay_s = time.monotonic() - started
            done = await asyncio.gather(*pages)
            assert replayed.status_code == 200
            return done, replay_s, time.monotonic() - started

    responses, replay_s, all_s = asyncio.run(go())
    assert {r.status_code for r in responses} == {200}
    assert most[0] == RENDER_SLOTS  # all the slots were used, never more
    assert all_s >= 12 / RENDER_SLOTS * 0.1  # the renderings took turns
    assert replay_s < 0.5 * all_s  # the cached page did not queue behind them


def test_version_reads_are_shared_by_the_requests_waiting_together_and_begin_after_each() -> None:
    from newsdesk.web.versions import VersionReader

    writes = [0]
    reads: list[int] = []

    def read() -> tuple[tuple[str, int], ...]:
        reads.append(writes[0])
        return (("stories", writes[0]),)

    async def go() -> None:
        reader = VersionReader(read)
        first = await asyncio.gather(*(reader.current() for _ in range(20)))
        assert set(first) == {(("stories", 0),)} and len(reads) == 1  # twenty requests, one read
        writes[0] = 1  # a write commits: every request arriving after it sees it
        assert await reader.current() == (("stories", 1),)
        # A request arriving while a read runs waits for the next one, which begins after it arrived.
        running = asyncio.ensure_future(reader.current())
        await asyncio.sleep(0)  # the read has started
        writes[0] = 2
        late = asyncio.ensure_future(reader.current())
        assert await running in ((("stories", 1),), (("stories", 2),))
        assert await late == (("stories", 2),)

    asyncio.run(go())
