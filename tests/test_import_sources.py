"""Subscribing to many feeds at once (OPML import, the catalog) and to one (``sources add``).

URLs the fetcher could not request are refused when they are added, with the reason and
the OPML line that lists them, instead of failing at the next update; the rest are written
in bulk, a few transactions for any number of sources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from newsdesk.config import Settings
from newsdesk.core import IMPORT_CHUNK, Newsdesk, RefusedSource, make_newsdesk
from newsdesk.errors import DiscoveryError
from newsdesk.sources.feed_url import MAX_FEED_URL_LENGTH, refused_feed_url
from newsdesk.store import open_storage

LONG_URL = "https://long.example/" + "a" * 200_000

# One outline a line, so each line number is the outline's: (title, URL, refused because).
OUTLINES = [
    ("Good", "https://good.example/feed", None),
    ("IPv6", "http://[::1", "not a valid URL (the brackets around an IPv6 address do not match)"),
    ("Port", "http://port.example:99999/feed", "not a valid URL (the port must be a number from 1 to 65535)"),
    ("Long", LONG_URL, f"not a valid URL (longer than {MAX_FEED_URL_LENGTH} characters)"),
    ("Zero", "http://zero.example:0/feed", "not a valid URL (the port must be a number from 1 to 65535)"),
    ("Space", "http://space.example/my feed", "not a valid URL (it contains a space or a control character)"),
    ("Also good", "https://good.example/other", None),
]
FIRST_LINE = 3  # after the XML declaration and <opml><body>


def opml(*, broken: bool = False) -> bytes:
    """The OUTLINES as an OPML document; ``broken``: with a stray quote, so the tag scanner reads it."""
    title = 'The "Good" one' if broken else "Good"
    body = "\n".join(f'<outline text="{title if t == "Good" else t}" xmlUrl="{u}"/>' for t, u, _ in OUTLINES)
    return f'<?xml version="1.0"?>\n<opml version="2.0"><body>\n{body}\n</body></opml>\n'.encode()


@pytest.fixture
def desk(settings: Settings, db_url: str) -> Iterator[Newsdesk]:
    with make_newsdesk(settings, storage=open_storage(db_url)) as d:
        yield d


@pytest.mark.parametrize("broken", [False, True], ids=["well-formed", "broken"])
def test_unusable_urls_are_refused_at_import_with_reason_and_line(desk: Newsdesk, broken: bool) -> None:
    report = desk.import_opml(opml(broken=broken))
    good = [u for _, u, why in OUTLINES if why is None]
    assert [s.url for s in report.added] == good
    assert report.failed == tuple(
        RefusedSource(u, why, FIRST_LINE + i) for i, (_, u, why) in enumerate(OUTLINES) if why is not None
    )
    assert [s.url for s in desk.sources()] == good


@pytest.mark.parametrize("url", [u for _, u, why in OUTLINES if why is not None])
@pytest.mark.parametrize("discover", [False, True])
def test_sources_add_refuses_an_unusable_url(desk: Newsdesk, url: str, discover: bool) -> None:
    with pytest.raises(DiscoveryError) as refused:
        desk.add_source(url, discover=discover)  # refused before anything is fetched
    assert refused.value.reason.startswith("not a valid URL (")
    assert desk.sources() == []


def test_add_many_refuses_too_and_adds_the_rest(desk: Newsdesk) -> None:
    report = desk.add_many([("https://a.example/feed", None, "World"), ("http://b.example:70000/", None, "World")])
    assert [s.url for s in report.added] == ["https://a.example/feed"]
    assert [(r.url, r.line) for r in report.failed] == [("http://b.example:70000/", None)]


def test_import_writes_titles_categories_and_site_urls_and_is_idempotent(desk: Newsdesk) -> None:
    data = b"""<?xml version="1.0"?><opml version="2.0"><body>
<outline text="News"><outline text="World">
  <outline text="A" xmlUrl="https://a.example/feed" htmlUrl="https://a.example/"/>
</outline></outline>
<outline text="B" xmlUrl="https://b.example/feed"/>
</body></opml>"""
    first = desk.import_opml(data)
    assert [(s.url, s.title, s.category, s.site_url) for s in first.added] == [
        ("https://a.example/feed", "A", "News/World", "https://a.example/"),
        ("https://b.example/feed", "B", None, None),
    ]
    assert all(s.next_check_at is not None and not s.paused and s.error_count == 0 for s in first.added)
    assert desk.sources() == list(first.added)
    again = desk.import_opml(data)
    assert (again.added, again.existing, again.failed) == ((), ("https://a.example/feed", "https://b.example/feed"), ())
    twice = desk.add_many([("https://c.example/feed", None, None), ("https://c.example/feed", "C", None)])
    assert ([s.url for s in twice.added], twice.existing) == (["https://c.example/feed"], ("https://c.example/feed",))


def test_an_import_is_a_few_transactions_whatever_its_size(settings: Settings, tmp_path: Path) -> None:
    """A transaction per source made 100k sources take minutes; a chunk of thousands per transaction, seconds."""
    with make_newsdesk(settings, storage=open_storage(f"sqlite:///{tmp_path / 'bulk.db'}")) as desk:
        commits = []
        event.listen(desk.storage.engine, "commit", lambda _conn: commits.append(1))  # type: ignore[attr-defined]
        n = IMPORT_CHUNK + 10
        report = desk.add_many([(f"https://s{i}.example/feed", None, "Bulk") for i in range(n)])
        assert len(report.added) == n
        assert len(commits) <= 4  # the category, and one per chunk


def test_import_progress_goes_a_chunk_at_a_time(desk: Newsdesk) -> None:
    steps: list[tuple[str, int, int]] = []
    n = IMPORT_CHUNK + 10
    feeds = [(f"https://s{i}.example/feed", None, None) for i in range(n)]
    desk.add_many(feeds, progress=lambda phase, done, total: steps.append((phase, done, total)))
    assert steps == [("sources", IMPORT_CHUNK, n), ("sources", n, n)]


def test_the_cli_reports_each_skipped_line(tmp_path: Path) -> None:
    file = tmp_path / "subs.opml"
    hostile = 'http://esc.example:0/\x1b[2J"'  # an escape sequence from the file must not reach the terminal raw
    data = opml(broken=True).replace(b"</body>", f'<outline xmlUrl="{hostile[:-1]}&#27;x"/>\n</body>'.encode())
    file.write_bytes(data)
    out = _cli(tmp_path, "sources", "import", str(file))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "imported 2 sources, 0 already subscribed, 6 skipped\n"
    skipped = [line for line in out.stderr.splitlines() if line.startswith("  skipped")]
    assert (
        skipped[0]
        == "  skipped line 4: http://[::1 — not a valid URL (the brackets around an IPv6 address do not match)"
    )
    assert skipped[2].startswith("  skipped line 6: https://long.example/aaa") and len(skipped[2]) < 300
    assert "\x1b" not in out.stderr and "\\u001b" in skipped[5]
    as_json = json.loads(_cli(tmp_path, "sources", "import", str(file), "--json").stdout)
    assert len(as_json["existing"]) == 2
    assert as_json["failed"][0] == {"url": "http://[::1", "reason": OUTLINES[1][2], "line": 4}


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSDESK_DB"} | {"NEWSDESK_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", "--data-dir", str(data / "data"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/feed.xml",
        "HTTP://EXAMPLE.COM/RSS",
        "http://127.0.0.1:8080/feed.xml",  # which addresses may be fetched is the fetcher's guard's call
        "http://[::1]:8080/feed",
        "https://user:secret@private.example/feed",
        "https://xn--exmple-cua.com/feed",
        "https://exämple.com/feed",
        "https://news.example/rss?q=a%20b&lang=en#top",
        "https://my_blog.example./feed",
        "https://example.com:443/feed",
        "https://example.com/" + "a" * (MAX_FEED_URL_LENGTH - 20),
    ],
)
def test_usable_urls_pass(url: str) -> None:
    assert refused_feed_url(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/feed", "only http:// and https:// URLs can be subscribed"),
        ("example.com/feed", "only http:// and https:// URLs can be subscribed"),
        ("http://", "it has no host"),
        ("http:///feed", "it has no host"),
        ("http://user@/feed", "it has no host"),
        ("http://[::1/feed", "the brackets around an IPv6 address do not match"),
        ("http://[::1]x/feed", "the brackets around an IPv6 address do not match"),
        ("http://[zz::1]/feed", "the host is not a valid IPv6 address"),
        ("http://[v1.future]/feed", "the host is not a valid IPv6 address"),
        ("http://example.com:65536/", "the port must be a number from 1 to 65535"),
        ("http://example.com:0/", "the port must be a number from 1 to 65535"),
        ("http://example.com:http/", "the port must be a number from 1 to 65535"),
        ("http://example.com:80:80/", "the port must be a number from 1 to 65535"),
        ("http://256.1.1.1/feed", "the host is not a valid IPv4 address"),
        ("http://1.2.3.4.5/feed", "the host is not a valid IPv4 address"),
        ("http://a..example/feed", "the host name has an empty part between dots"),
        ("http://.example/feed", "the host name has an empty part between dots"),
        ("http://" + "a" * 64 + ".example/", "a part of the host name is longer than 63 characters"),
        ("http://" + "a." * 130 + "example/", "the host name is longer than 253 characters"),
        ("http://exa%41mple.com/", "the host contains a character a host name cannot have"),
        ("http://a\u200bb.example/", "the host contains a character a host name cannot have"),
        ("http://xn--.example/", "the host is not a valid international domain name"),
        ("http://a b.example/", "it contains a space or a control character"),
        ("http://example.com/\x1b[2J", "it contains a space or a control character"),
        ("http://example.com/\u2028", "it contains a space or a control character"),
        ("http://example.com\\evil/", "it cannot be read as a URL"),
        ("https://example.com/" + "a" * MAX_FEED_URL_LENGTH, f"longer than {MAX_FEED_URL_LENGTH} characters"),
    ],
)
def test_unusable_urls_are_refused_with_our_own_words(url: str, reason: str) -> None:
    assert refused_feed_url(url) in (reason, f"not a valid URL ({reason})")
