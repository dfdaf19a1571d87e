"""Hostile feeds in a real browser: markup in titles, summaries, tags, authors and source names never runs.

A loopback server serves a feed whose every field a publisher controls carries script in the forms
that get past naive escaping (``<script>``, event handlers, ``javascript:`` links, SVG, broken-out
attributes); a real update and enrichment store it, ``newsdesk serve`` (the real app under uvicorn)
shows it, and Chromium opens every page that shows any of it. Each payload would set
``window.__xss`` or open a dialog if it ran; the DOM holds no script but newsdesk's own files and no
event-handler attribute. The server-side twin of this test is tests/test_pages.py (escaping in the HTML).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.web.server import build_app
from tests.conftest import test_settings
from tests.loopback import serving, serving_files

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PAYLOADS = (
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"></svg>",
    "\"><script>window.__xss='attribute'</script>",
    "</title><script>window.__xss='title'</script>",
    "<a href=\"javascript:window.__xss='link'\">x</a>",
    "{{7*7}}<iframe srcdoc=\"<script>parent.__xss='frame'</script>\"></iframe>",
)


def _escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hostile_feed(base: str) -> bytes:
    items = []
    for i, payload in enumerate(PAYLOADS):
        text = f"Flood defences fail in the river town {payload} as water rises for the {i}th day running."
        items.append(
            f"<item><title>{_escape_xml('River flood ' + payload)}</title>"
            f"<link>{base}/story-{i}</link><guid>hostile-{i}</guid>"
            f"<author>{_escape_xml(payload)}</author>"
            f"<category>{_escape_xml(payload)}</category><category>{_escape_xml('#' + payload)}</category>"
            f"<description>{_escape_xml('<p>' + text + ' ' + payload + '</p>')}</description>"
            f"<pubDate>Mon, 30 Nov 2026 0{i}:00:00 GMT</pubDate></item>"
        )
    channel = _escape_xml("Evil Gazette " + PAYLOADS[1])
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{channel}</title><link>{base}/</link>'
        f"<description>{_escape_xml(PAYLOADS[0])}</description>{''.join(items)}</channel></rss>"
    ).encode()


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[str]:
    files: dict[str, tuple[bytes, str]] = {}
    with serving_files(files) as base:
        files["/feed.xml"] = (hostile_feed(base), "application/rss+xml")
        yield base + "/feed.xml"


@pytest.fixture(scope="module")
def desk(hostile_site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsdesk]:
    desk = make_newsdesk(test_settings(tmp_path_factory.mktemp("hostile")))

    def ingest() -> None:  # on a thread of its own: Playwright's sync API keeps an event loop on this one
        desk.add_source(hostile_site, fetch_pages=False, discover=False)
        desk.update(all_sources=True)
        desk.enrich()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(ingest).result()
    try:
        yield desk
    finally:
        desk.close()


def test_hostile_strings_never_run_in_chromium(desk: Newsdesk, browser: Any) -> None:
    articles = desk.articles(limit=50)
    assert len(articles) == len(PAYLOADS)
    stories = desk.stories(limit=50)
    tagged = [t for a in (desk.article(x.id) for x in articles) for t in a.tags]
    paths = ["/", "/?tab=latest", "/sources", f"/sources/{articles[0].source_id}", "/search?q=flood"]
    paths += [f"/articles/{a.id}" for a in articles] + [f"/stories/{s.id}" for s in stories]
    paths += [f"/topics/{quote(t.key, safe='')}" for t in tagged[:5]]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serving(build_app(desk, schedule=False)) as base:
        for path in paths:
            response = page.goto(base + path)
            assert response is not None and response.status == 200, path
            assert page.evaluate("typeof window.__xss") == "undefined", path
            scripts = page.evaluate("[...document.scripts].map(s => s.getAttribute('src') || 'INLINE')")
            assert all(src.startswith("/static/") for src in scripts), (path, scripts)
            handlers = page.evaluate(
                "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
                ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
            )
            assert handlers == [], (path, handlers)
            assert page.locator("iframe, object, embed").count() == 0, path
            assert page.locator("a[href^='javascript:' i]").count() == 0, path
    assert dialogs == []
    context.close()
