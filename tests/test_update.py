"""End-to-end update passes through the facade, against real loopback servers."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ExtractionStatus
from newsdesk.store import open_storage
from tests.loopback import BenchServer, serving_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus-20")


@pytest.fixture(scope="module")
def server(corpus_dir: Path) -> Iterator[BenchServer]:
    with BenchServer(corpus_dir, feeds=20) as srv:
        yield srv


def desk_for(settings: Settings, db_url: str) -> Newsdesk:
    return make_newsdesk(settings, storage=open_storage(db_url))


def test_first_and_second_poll(server: BenchServer, settings: Settings, db_url: str) -> None:
    with desk_for(settings, db_url) as desk:
        desk.add_many([(u, None, "Bench") for u in server.feed_urls])
        report = desk.update(all_sources=True, feeds_only=True)
        assert report.sources_checked == 20 and report.sources_failed == 0
        stats = desk.stats()
        assert stats.articles == server.n_items
        assert report.articles_new + report.duplicates == server.n_items
        sources = desk.sources()
        assert all(s.last_success_at and s.etag and s.title and not s.last_error for s in sources)
        assert all(s.next_check_at and s.next_check_at > s.last_success_at for s in sources)  # type: ignore[operator]
        again = desk.update(all_sources=True, feeds_only=True)
        assert again.sources_not_modified == 20 and again.articles_new == 0
        assert desk.stats().articles == server.n_items
        assert desk.update(feeds_only=True).sources_checked == 0  # nothing is due right after a check
        a = desk.articles(limit=1)[0]
        assert a.title and a.url and a.published_at and a.authors and a.text
        assert a.extraction_status is ExtractionStatus.PENDING  # feeds-only: pages not fetched yet


def test_full_pass_extracts_clean_text(tmp_path: Path, settings: Settings) -> None:
    with BenchServer(tmp_path / "corpus", feeds=2) as srv:
        desk = desk_for(settings, f"sqlite:///{tmp_path / 'db.sqlite'}")
        with desk:
            desk.add_many([(u, None, None) for u in srv.feed_urls])
            report = desk.update(all_sources=True)
            assert report.pages_fetched > 0 and report.pages_failed == 0
            stats = desk.stats()
            assert stats.pending_pages == 0 and stats.articles_with_text == stats.articles - stats.duplicates
            for a in desk.articles(limit=500):
                assert a.extraction_status is ExtractionStatus.EXTRACTED, a.extraction_reason
                assert a.word_count > 100 and a.reading_time_s >= 60 and a.language == "en"
                for junk in ("WhatsApp", "cookie", "Subscribe to our newsletter", "Read more", "Comments"):
                    assert junk.lower() not in (a.text or "").lower(), (junk, a.url)


def test_faults_are_isolated_and_reported(tmp_path: Path, settings: Settings) -> None:
    srv = BenchServer(tmp_path / "corpus", feeds=40, fault_rate=0.35, hold_s=30, slow_s=20, oversize_mb=12)
    with srv:
        fast = settings.replace(feed_max_bytes=5_000_000, read_timeout_s=2.0, total_timeout_s=4.0)
        with desk_for(fast, f"sqlite:///{tmp_path / 'db.sqlite'}") as desk:
            desk.add_many([(u, None, None) for u in srv.feed_urls])
            started = time.monotonic()
            report = desk.update(all_sources=True, feeds_only=True)
            assert time.monotonic() - started < 30
            assert 0 < report.sources_failed < 40 and report.sources_ok + report.sources_failed == 40
            failed = [s for s in desk.sources() if s.last_error]
            assert len(failed) == report.sources_failed
            for s in failed:
                assert s.last_error_at and s.next_check_at and s.error_count == 1 and not s.paused
                assert s.last_error.strip()
            stored = desk.stats().articles
            n_by_url = {srv.base_url + f["path"]: f["n"] for f in srv.plan["feeds"]}
            for s in desk.sources():
                got = len(desk.articles(source_id=s.id, limit=1000, include_duplicates=True))
                if s.last_error:
                    assert got == 0
                else:  # complete, or what could be read of a truncated (malformed) document
                    assert 0 < got <= n_by_url[s.url]
            # Failures never lose what was stored: a second pass keeps every article.
            desk.update(all_sources=True, feeds_only=True)
            assert desk.stats().articles >= stored


def test_a_pass_over_many_chunks_stores_every_article_once(tmp_path: Path, settings: Settings) -> None:
    """Hundreds of feeds go through many write transactions and both worker processes: each article
    of each feed is stored once, every feed's state is written, and the progress callback counts
    every feed exactly once, in order."""
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    seen: list[int] = []
    with BenchServer(tmp_path / "corpus", feeds=300) as srv, desk_for(settings, db) as desk:
        desk.add_many([(u, None, None) for u in srv.feed_urls])
        report = desk.update(all_sources=True, feeds_only=True, progress=lambda _phase, done, _total: seen.append(done))
        assert report.sources_checked == report.sources_ok == 300 and report.sources_failed == 0, report.errors
        assert report.articles_new + report.duplicates == srv.n_items == desk.stats().articles
        assert seen == list(range(1, 301))
        assert all(s.last_success_at and s.etag for s in desk.sources())
        assert desk.update(all_sources=True, feeds_only=True).sources_not_modified == 300


def _rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>http://127.0.0.1/{guid}</link><guid>{guid}</guid>"
        f"<description>{title}: a few words of summary for this entry</description></item>"
        for guid, title in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'.encode()


def test_an_edited_entry_is_updated_on_the_next_poll(settings: Settings, db_url: str) -> None:
    """The first poll of a new source looks up no ids; the next one must still see its articles."""
    rss = "application/rss+xml"
    files = {"/feed.xml": (_rss([("a", "First title"), ("b", "Second")]), rss)}
    with serving_files(files) as base, desk_for(settings, db_url) as desk:
        desk.add_many([(base + "/feed.xml", None, None)])
        first = desk.update(all_sources=True, feeds_only=True)
        assert (first.articles_new, first.articles_updated) == (2, 0)
        files["/feed.xml"] = (
            _rss([("a", "First title, edited"), ("b", "Second"), ("c", "Third")]),
            "application/rss+xml",
        )
        second = desk.update(all_sources=True, feeds_only=True)
        assert (second.articles_new, second.articles_updated) == (1, 1)
        titles = sorted(a.title or "" for a in desk.articles(limit=10))
        assert titles == ["First title, edited", "Second", "Third"]


def test_a_large_pass_in_a_process_with_threads_uses_the_fork_server(tmp_path: Path, settings: Settings) -> None:
    """`newsdesk serve` has threads, so its passes cannot fork: workers come from a fork server,
    and compressed feed bodies are inflated there."""
    import threading

    from newsdesk.tasks import ingest_workers

    stop = threading.Event()
    waiter = threading.Thread(target=stop.wait, daemon=True)  # a second thread, as under uvicorn
    waiter.start()
    try:
        assert not ingest_workers._fork_is_safe()
        n = ingest_workers.MIN_FEEDS_FOR_PROCESSES + 5
        db = f"sqlite:///{tmp_path / 'db.sqlite'}"
        with BenchServer(tmp_path / "corpus", feeds=n) as srv, desk_for(settings, db) as desk:
            desk.add_many([(u, None, None) for u in srv.feed_urls])
            report = desk.update(all_sources=True, feeds_only=True)
            assert report.sources_failed == 0, report.errors
            assert report.articles_new + report.duplicates == srv.n_items == desk.stats().articles
            assert desk.update(all_sources=True, feeds_only=True).sources_not_modified == n
    finally:
        stop.set()


_WORDS = [
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "transit",
    "harbour",
    "election",
    "museum",
    "library",
    "hospital",
    "festival",
    "railway",
    "stadium",
    "orchard",
    "factory",
    "courthouse",
    "market",
    "garden",
    "airport",
    "tunnel",
    "ferry",
    "reservoir",
    "campus",
]


def _prose(seed: int, words: int) -> str:
    """Deterministic article-like text, different for each seed."""
    rng = random.Random(seed)
    out = [rng.choice(_WORDS) for _ in range(words)]
    sentences = [" ".join(out[i : i + 12]).capitalize() + "." for i in range(0, words, 12)]
    return " ".join(sentences)


def _page(title: str, body: str, canonical: str | None) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    paragraphs = "".join(f"<p>{s}.</p>" for s in body.split(". ") if s)
    return (
        f"<!doctype html><html><head><title>{title}</title>{link}</head><body><nav>Home News</nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>© Example</footer></body></html>"
    ).encode()


def test_pages_that_name_or_repeat_an_earlier_article_are_folded_into_it(settings: Settings, db_url: str) -> None:
    """Exact dedup also honours what a page says: its rel=canonical (from any site, as syndicated
    copies name the original) and its full text; a canonical naming a front page, and short text a
    site serves at many addresses (a consent wall), fold nothing."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    story, wall = _prose(1, 240), _prose(2, 40)
    routes: dict[str, tuple[str, bytes]] = {}

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = routes.get(self.path.split("?")[0])
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            kind, data = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    port = httpd.server_address[1]
    origin, other = f"http://127.0.0.1:{port}", f"http://localhost:{port}"  # two sites, one server
    original = f"{origin}/a/original-story"

    def feed(site: str, items: list[tuple[str, str]]) -> bytes:
        entries = "".join(
            f"<item><title>{title}</title><link>{site}{path}</link><guid>{site}{path}</guid>"
            f"<description>{title}, in brief.</description></item>"
            for path, title in items
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{site}</title>{entries}</channel></rss>'.encode()
        )

    html, rss = "text/html; charset=utf-8", "application/rss+xml"
    routes["/a/feed.xml"] = (rss, feed(origin, [("/a/original-story", "The original")]))
    routes["/a/original-story"] = (html, _page("The original", story, original))
    routes["/b/feed.xml"] = (
        rss,
        feed(other, [("/b/syndicated", "A syndicated copy"), ("/b/wire-42", "The wire copy")]),
    )
    routes["/b/syndicated"] = (html, _page("A syndicated copy", _prose(3, 200), original))  # names the original
    routes["/b/wire-42"] = (html, _page("The wire copy", story, None))  # the same text, no canonical
    routes["/c/one"] = (html, _page("First own story", _prose(4, 200), f"{other}/"))  # the front page
    routes["/c/two"] = (html, _page("Second own story", _prose(5, 200), f"{other}/"))
    routes["/c/three"] = (html, _page("Third", wall, None))
    routes["/c/four"] = (html, _page("Fourth", wall, None))
    routes["/c/feed.xml"] = (
        rss,
        feed(
            other,
            [
                ("/c/one", "First own story"),
                ("/c/two", "Second own story"),
                ("/c/three", "Third"),
                ("/c/four", "Fourth"),
            ],
        ),
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with desk_for(settings, db_url) as desk:
            desk.add_many([(f"{origin}/a/feed.xml", None, None)])
            desk.update(all_sources=True)  # the original is stored (and extracted) first
            desk.add_many([(f"{other}/b/feed.xml", None, None), (f"{other}/c/feed.xml", None, None)])
            desk.update(all_sources=True)
            stored = {a.url: a for a in desk.articles(limit=50, include_duplicates=True)}
    finally:
        httpd.shutdown()
        httpd.server_close()

    assert all(a.extraction_status is ExtractionStatus.EXTRACTED for a in stored.values()), stored
    first = stored[original]
    assert first.duplicate_of is None and first.canonical_url == original
    syndicated = stored[f"{other}/b/syndicated"]
    assert syndicated.duplicate_of == first.id and "canonical" in (syndicated.extraction_reason or "")
    assert syndicated.canonical_url == f"{other}/b/syndicated"  # another site's address is not taken over
    wire = stored[f"{other}/b/wire-42"]
    assert wire.duplicate_of == first.id and "text" in (wire.extraction_reason or "")
    for path in ("/c/one", "/c/two", "/c/three", "/c/four"):
        own = stored[f"{other}{path}"]
        assert own.duplicate_of is None, (path, own.extraction_reason)
        assert own.canonical_url == f"{other}{path}"  # a front page is nobody's canonical
