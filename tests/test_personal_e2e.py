"""Personal reading in headless Chromium, keyboard only: sign in, follow a hashtag with the Tab and Enter keys,
come back to the same page with the button pressed, and find the story on "For you" saying why; mute a source
and see its story leave the front page. No JavaScript is needed for any of it (the forms are plain POSTs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsdesk.core import make_newsdesk
from newsdesk.web.server import build_app
from tests.conftest import fresh_database, test_settings
from tests.loopback import serving
from tests.test_pages import build
from tests.test_personal import PASSWORD, Clock


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    desk = make_newsdesk(test_settings(tmp_path, db=fresh_database("sqlite", tmp_path)), Clock())
    sources = build(desk)
    desk.create_user("ann", PASSWORD)
    with serving(build_app(desk, schedule=False)) as url:
        yield url, sources
    desk.close()


def _press_until_focused(page: Any, selector: str, limit: int = 60) -> None:
    """Tab through the page until ``selector`` has the focus (what a keyboard reader does)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"the keyboard never reached {selector}")


@pytest.mark.parametrize("javascript", [True, False])
def test_a_keyboard_reader_follows_a_hashtag_and_mutes_a_source(
    browser: Any, site: tuple[str, dict[str, int]], javascript: bool
) -> None:
    url, sources = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(url + "/sign-in")
    page.fill("input[name=name]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/")
    page.goto(url + "/topics/emmanuelmacron")
    _press_until_focused(page, "form.follow-form button[value=follow]")
    with page.expect_navigation():  # the POST, then the redirect back
        page.keyboard.press("Enter")
    assert page.url == url + "/topics/emmanuelmacron"
    assert page.locator("form.follow-form button[aria-pressed=true]").inner_text().endswith("Following")
    page.goto(url + "/for-you")
    assert page.locator("ol.for-you .reasons").first.inner_text() == "because you follow #EmmanuelMacron"
    page.goto(url + f"/sources/{sources['en']}")
    _press_until_focused(page, "form.follow-form button[value=mute]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("form.follow-form button[aria-pressed=true]").inner_text() == "Muted: unmute"
    page.goto(url + "/")
    headlines = page.locator("ol.cards h2 a").all_inner_texts()
    assert headlines == ["Council <b>approves</b> budget"]  # only the story other sources covered too
    context.close()
