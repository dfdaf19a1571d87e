"""End to end in Chromium: a new reader's walk through newsdesk's pages on the running demo.

One ``newsdesk demo`` (the real CLI in a subprocess, as ``make run`` starts it) serves the module;
Playwright for Python drives Debian's Chromium (``executable_path``, no downloaded browser) through
front page → story → article → hashtag → search → source page, by clicks and by keys, at desktop
and phone width, light and dark. Every page is checked for console errors, for requests that
leave 127.0.0.1, and with axe-core (the npm package in ``tests/e2e``) for serious or critical
accessibility violations. Screenshots go to ``NEWSDESK_SCREENSHOTS`` (``make screenshots`` sets it
to ``docs/screenshots``), else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_demo_e2e import Demo, running_demo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

AXE = Path(__file__).parent / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is in the dev extras")


def _get_json(url: str) -> dict[str, object]:
    with _opener.open(url, timeout=10) as response:
        data: dict[str, object] = json.load(response)
    return data


@dataclass
class Watch:
    """What a page did that a reader should never see: console errors, page errors, requests off this machine."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def attach(self, page: sync_api.Page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", self._request)

    def _request(self, request: sync_api.Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            self.foreign_requests.append(request.url)

    def assert_clean(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.foreign_requests == [], self.foreign_requests


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    wanted = os.environ.get("NEWSDESK_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _context(
    browser: sync_api.Browser, viewport: dict[str, int], **options: object
) -> tuple[sync_api.BrowserContext, sync_api.Page, Watch]:
    context = browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    return context, page, watch


def _big_story(base: str) -> dict[str, object]:
    stories = _get_json(f"{base}/api/v1/frontpage?limit=100")["stories"]
    assert isinstance(stories, list) and stories
    return max(stories, key=lambda s: (s["source_count"], s["article_count"]))


def test_a_reader_walks_front_story_article_hashtag_search_source(
    demo: Demo, browser: sync_api.Browser, shots: Path
) -> None:
    context, page, watch = _context(browser, DESKTOP)
    page.goto(demo.base_url + "/")
    assert page.locator("h1").first.inner_text().strip() != ""
    cards = page.locator("[data-nav]")
    assert cards.count() >= 5
    page.screenshot(path=str(shots / "front.png"), full_page=False)

    story = _big_story(demo.base_url)
    page.goto(f"{demo.base_url}/stories/{story['id']}")
    assert page.locator("h1").inner_text().strip()
    page.screenshot(path=str(shots / "story.png"), full_page=False)

    first_article = page.locator("main a[href^='/articles/']").first
    first_article.click()
    page.wait_for_url("**/articles/**")
    article_url = page.url
    page.screenshot(path=str(shots / "article.png"), full_page=False)

    tag = page.locator("main a[href^='/topics/']").first
    if tag.count():
        label = tag.inner_text().strip()
        tag.click()
        page.wait_for_url("**/topics/**")
        assert label.lstrip("#")[:3].casefold() in page.locator("h1").inner_text().casefold()

    page.goto(article_url)
    word = next(w for w in page.locator("h1").inner_text().split() if len(w) > 4 and w.isalpha())
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.keyboard.type(word)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?**")
    assert page.locator("main mark").count() >= 1
    page.screenshot(path=str(shots / "search.png"), full_page=False)

    page.goto(article_url)
    page.locator("main a[href^='/sources/']").first.click()
    page.wait_for_url("**/sources/**")
    assert page.locator("h1").inner_text().strip()
    watch.assert_clean()
    context.close()


def test_keyboard_moves_and_opens_items_and_focus_is_visible(demo: Demo, browser: sync_api.Browser) -> None:
    context, page, watch = _context(browser, DESKTOP)
    page.goto(demo.base_url + "/")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    current = page.locator("[data-nav].is-current")
    assert current.count() == 1
    assert page.evaluate("document.querySelectorAll('[data-nav]')[0].classList.contains('is-current')")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # the focused link shows where the reader is
    page.keyboard.press("o")
    page.wait_for_url("**/stories/**")
    page.keyboard.press("Tab")  # the first Tab reaches the skip link
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    watch.assert_clean()
    context.close()


def test_copy_link_puts_the_canonical_address_on_the_clipboard(demo: Demo, browser: sync_api.Browser) -> None:
    context, page, watch = _context(browser, DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo.base_url)
    story = _big_story(demo.base_url)
    page.goto(f"{demo.base_url}/stories/{story['id']}")
    page.get_by_role("button", name="Copy").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("link[rel=canonical]").get_attribute("href")
    assert copied.endswith(f"/stories/{story['id']}")
    sync_api.expect(page.locator("#announce")).to_have_text(re.compile(r"\S"))  # "Link copied", read out
    watch.assert_clean()
    context.close()


def test_dark_mode_follows_the_system_and_the_toggle_sticks(demo: Demo, browser: sync_api.Browser, shots: Path) -> None:
    context, page, watch = _context(browser, DESKTOP, color_scheme="dark")
    page.goto(demo.base_url + "/")
    dark_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.screenshot(path=str(shots / "front-dark.png"), full_page=False)
    page.locator("#theme-toggle").click()  # system → light
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    light_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light_background != dark_background
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"  # remembered, applied before paint
    watch.assert_clean()
    context.close()


@pytest.mark.parametrize("path", ["/", "story", "article"])
def test_phone_width_has_no_sideways_scrolling(demo: Demo, browser: sync_api.Browser, shots: Path, path: str) -> None:
    context, page, watch = _context(browser, PHONE, is_mobile=True, has_touch=True)
    story = _big_story(demo.base_url)
    url = {
        "/": demo.base_url + "/",
        "story": f"{demo.base_url}/stories/{story['id']}",
        "article": f"{demo.base_url}/articles/{story['representative_id']}",
    }[path]
    page.goto(url)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(shots / f"phone-{path.strip('/') or 'front'}.png"), full_page=False)
    watch.assert_clean()
    context.close()


def test_no_serious_accessibility_violations(demo: Demo, browser: sync_api.Browser) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/e2e")
    # axe is injected as a script of its own: the page's CSP refuses it, as it should, so this context bypasses it
    context, page, _ = _context(browser, DESKTOP, bypass_csp=True)
    story = _big_story(demo.base_url)
    word = str(story["headline"]).split()[0]
    paths = [
        "/",
        "/?tab=latest",
        f"/stories/{story['id']}",
        f"/articles/{story['representative_id']}",
        f"/search?q={word}",
        "/sources",
        "/categories/world",
        "/nothing-here",
        "/api/docs",
    ]
    found = {}
    for path in paths:
        page.goto(demo.base_url + path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[path] = serious
    assert found == {}
    context.close()


def test_pages_already_opened_read_offline_and_others_say_offline(demo: Demo, browser: sync_api.Browser) -> None:
    context, page, watch = _context(browser, DESKTOP)
    story = _big_story(demo.base_url)
    story_url = f"{demo.base_url}/stories/{story['id']}"
    page.goto(demo.base_url + "/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active !== null)")  # installed and active
    page.goto(story_url)  # now controlled: the worker keeps this page
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    headline = page.locator("h1").inner_text()
    context.set_offline(True)
    page.reload()
    assert page.locator("h1").inner_text() == headline  # read from the worker's copy
    page.goto(f"{demo.base_url}/articles/{story['representative_id']}x")  # never opened
    assert "offline" in page.locator("body").inner_text().casefold()
    context.set_offline(False)
    assert watch.foreign_requests == [] and watch.page_errors == []  # offline fetches log console errors: expected
    context.close()


def test_chromium_finds_the_site_installable(demo: Demo, browser: sync_api.Browser) -> None:
    context, page, watch = _context(browser, PHONE, is_mobile=True, has_touch=True)
    page.goto(demo.base_url + "/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/manifest.webmanifest")
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    assert [e for e in errors if e != "in-incognito"] == []  # (a test browser's context is incognito, not the site)
    assert page.locator("#install-app").count() == 1  # shown when the browser offers the install
    watch.assert_clean()
    context.close()
