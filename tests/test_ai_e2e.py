"""End to end in Chromium: the AI features of the article and story pages, used as a reader uses them.

A desk on SQLite holds one story told by three publishers (texts written for this test) and is served by the real
app on 127.0.0.1; Playwright for Python drives Debian's Chromium (``executable_path``, no downloaded browser) at
desktop and phone width. Without a language model: the article's panel loads when scrolled to, its ↗ links
(URL text fragments) scroll to the quoted sentence by mouse and by keyboard, questions asked with the keyboard
alone are answered or "not found", and the story's brief names the publishers that agree. With a real one
(``llm_server``: llama.cpp serving SmolLM2-135M): the panel shows "… is writing" and then the model's output
under its name, and the model's other features load on demand. Every page is watched for console errors and
requests off 127.0.0.1, and checked with axe-core for serious or critical violations. Screenshots of the panels go
to ``NEWSDESK_SCREENSHOTS``, else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ArticleEnrichment
from newsdesk.web.server import build_app
from tests.conftest import test_settings
from tests.llm_server import LlmServer
from tests.loopback import serving
from tests.seeding import seed_article
from tests.test_reader_e2e import AXE, DESKTOP, PHONE, Watch

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is in the dev extras")
expect = sync_api.expect

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
STORY = "tram"
ARTICLE = "herald"  # the article whose page the tests read
PANEL_TIMEOUT_MS = 30_000  # the first summary loads the embedding model
MODEL_TIMEOUT_MS = 90_000  # SmolLM2 on one thread of two busy cores: a few seconds each, rarely a minute
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}

# One story, three publishers, written for this test: the opening facts agree, the count of stops differs, and
# the herald's article is long enough that its AI panel starts below the fold and that a sentence near its end
# lies well below the top of the page.
TEXTS: dict[str, tuple[str, str, float, str]] = {
    "herald": (
        "Valley Herald",
        "Northbridge opens its first tram line",
        3,
        "The city of Northbridge opened its first tram line on Saturday, linking the central station with the "
        "university campus.\n"
        "The line is 9 kilometres long and has 14 stops. Mayor Clara Jensen said the trams would carry 30,000 "
        "passengers a day by the end of next year.\n"
        "Building the line took four years and cost 210 million euros, most of it paid by the regional government. "
        "Tickets will be free for the first two weeks, the transport authority said.\n"
        "The trams run every six minutes during the day and every fifteen minutes after nine in the evening. "
        "Each tram has room for 250 passengers and four wheelchairs.\n"
        "Residents of the eastern districts complained that the line does not reach their neighbourhoods. "
        "The council promised a study of an eastern branch before the summer.\n"
        "The old bus routes along the tram line will be cut from January, freeing drivers for new routes in the "
        "suburbs.\n"
        "Engineers tested the trams on the new tracks for six months before the opening. The depot, built on a "
        "former rail yard in the west of the city, houses 24 trams.\n"
        "Cyclists' groups welcomed the bike lanes built beside the tracks, but warned that the rails could be "
        "slippery in the rain.\n"
        "A second line, towards the airport, is planned for 2031.\n",
    ),
    "post": (
        "Northbridge Post",
        "Trams return to Northbridge",
        2,
        "Northbridge opened its first tram line on Saturday, between the central station and the university campus.\n"
        "The line is 9 kilometres long and has 15 stops. Thousands of residents rode the trams on the first "
        "morning, and queues formed at the central station.\n"
        "Tickets will be free for the first two weeks.\n"
        "Shop owners on Market Street said the years of building work had cost them customers.\n",
    ),
    "wire": (
        "Metro Wire",
        "Northbridge tram line opens",
        1,
        "The first tram line of Northbridge opened on Saturday, linking the central station with the university "
        "campus.\n"
        "Mayor Clara Jensen said the trams would carry 30,000 passengers a day by the end of next year.\n"
        "A second line to the airport is planned for 2031, the mayor added.\n",
    ),
}
PUBLISHERS = {publisher for publisher, *_ in TEXTS.values()}

# Where a sentence of the article body is, in page coordinates (each paragraph is one text node).
SENTENCE_BOX = """(sentence) => {
  for (const p of document.querySelectorAll('article .body p')) {
    const at = p.textContent.indexOf(sentence);
    if (at < 0 || !p.firstChild) continue;
    const range = document.createRange();
    range.setStart(p.firstChild, at);
    range.setEnd(p.firstChild, at + sentence.length);
    const r = range.getBoundingClientRect();
    return {top: r.top + scrollY, bottom: r.bottom + scrollY};
  }
  return null;
}"""


def _seed(desk: Newsdesk) -> None:
    """The three articles as their feeds deliver them, then enriched into one story, as an update pass would."""
    storage = desk.storage
    for key, (publisher, title, hours_ago, text) in TEXTS.items():  # the feeds declare their language
        seed_article(desk, key, text, now=NOW, title=title, source_title=publisher, hours_ago=hours_ago, language="en")
    vector = (np.ones(4, dtype=np.float32) / 2).tobytes()
    enriched = [
        ArticleEnrichment(article_id=a.id, story_id=STORY, category="Local", vector_model="test", vector=vector)
        for a in storage.pending_enrichment(10)
    ]
    assert len(enriched) == len(TEXTS)
    storage.apply_enrichment(enriched, [], NOW)
    while storage.index_search():
        pass


@dataclass(frozen=True)
class Site:
    """A served desk: its base URL, and the desk itself, to compare the pages with what it stored."""

    url: str
    desk: Newsdesk


def _site(directory: Path, **changes: object) -> Iterator[Site]:
    """A desk of its own per fixture, so what the model wrote for one never shows up as "kept" in another."""
    settings: Settings = test_settings(directory, db=f"sqlite:///{directory / 'newsdesk.db'}", **changes)
    desk = make_newsdesk(settings, clock=lambda: NOW)
    _seed(desk)
    with serving(build_app(desk, schedule=False)) as url:
        yield Site(url, desk)
    desk.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The story without a language model: the AI features are the extractive ones."""
    yield from _site(tmp_path_factory.mktemp("extractive"))


@pytest.fixture(scope="module")
def model_site(tmp_path_factory: pytest.TempPathFactory, llm_server: LlmServer) -> Iterator[Site]:
    """The same story with the real LLM server configured (short answers: the test waits for them)."""
    llm = {"llm_base_url": llm_server.base_url, "llm_model": llm_server.model, "llm_max_tokens": 120}
    yield from _site(tmp_path_factory.mktemp("model"), **llm)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``NEWSDESK_SCREENSHOTS`` to look at them (``make screenshots``), else nowhere kept."""
    wanted = os.environ.get("NEWSDESK_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser: Any, width: str, **options: object) -> tuple[Any, Any, Watch]:
    """A new browser context at ``width`` (a phone is a touch device, as it reports itself), watched."""
    phone = {"is_mobile": True, "has_touch": True} if width == "phone" else {}
    context = browser.new_context(viewport=WIDTHS[width], **phone, **options)
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    return context, page, watch


def _current_url(context: Any, page: Any) -> str:
    """The address of the page's current history entry, as the browser keeps it.

    ``location.href`` (and so Playwright's ``page.url``) never shows a text directive: Chromium strips ``:~:``
    from what scripts can read. The history entry keeps it."""
    cdp = context.new_cdp_session(page)
    try:
        history = cdp.send("Page.getNavigationHistory")
    finally:
        cdp.detach()
    return str(history["entries"][history["currentIndex"]]["url"])


def _scroll_target(page: Any, sentence: str) -> float:
    """Where the page should scroll to show ``sentence`` of the body: centred, as far as the page can scroll."""
    box = page.evaluate(SENTENCE_BOX, sentence)
    assert box is not None, f"not in the article body: {sentence!r}"
    room = page.evaluate("document.scrollingElement.scrollHeight - innerHeight")
    centred = (box["top"] + box["bottom"]) / 2 - page.evaluate("innerHeight") / 2
    return float(min(max(centred, 0.0), room))


def _scrolled_to(page: Any, sentence: str, target: float) -> None:
    """Wait until the page has scrolled to ``target`` (within a line or two) and ``sentence`` is on screen."""
    page.wait_for_function("t => Math.abs(scrollY - t) < 48", arg=target, timeout=5_000)
    box = page.evaluate(SENTENCE_BOX, sentence)
    top, bottom = page.evaluate("[scrollY, scrollY + innerHeight]")
    assert top <= box["top"] and box["bottom"] <= bottom, (box, top, bottom)


def _quotes(panel: Any) -> list[tuple[str, str]]:
    """The ↗ links of a panel: (href, the sentence just before the link)."""
    found: list[list[str]] = panel.locator("a.quote-link").evaluate_all(
        "links => links.map(a => [a.getAttribute('href'), a.previousSibling.textContent.trim()])"
    )
    return [(href, sentence) for href, sentence in found]


def _serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _no_sideways_scrolling(page: Any) -> None:
    """A phone reader never scrolls sideways to read a panel (long model names and links must wrap)."""
    width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"


def _reveal_panel(page: Any, url: str) -> Any:
    """Open the article and scroll to its AI panel, as a reader does; the panel once its summary is in."""
    page.goto(f"{url}/articles/{ARTICLE}")
    page.locator("#ai-h").scroll_into_view_if_needed()
    panel = page.locator("#ai-summary")
    expect(panel.locator("p.ai-summary")).to_be_visible(timeout=PANEL_TIMEOUT_MS)
    return panel


@pytest.mark.parametrize("width", WIDTHS)
def test_the_article_panel_quotes_the_text_and_answers_by_mouse_and_by_keyboard(
    site: Site, browser: Any, shots: Path, width: str
) -> None:
    context, page, watch = _open(browser, width)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if r.url.endswith(f"/articles/{ARTICLE}/summary") else None)
    page.goto(f"{site.url}/articles/{ARTICLE}")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#ai-summary")).not_to_be_in_viewport()
    assert fetched == []  # below the fold: the summary is not computed for a reader who never gets there
    panel = _reveal_panel(page, site.url)
    assert len(fetched) == 1
    expect(panel.locator(".ai-method .badge")).to_have_text("Extractive")
    expect(panel.locator("ul.ai-points li")).not_to_have_count(0)
    assert panel.locator(".model-summary, .model-tools").count() == 0  # no language model configured
    text = TEXTS[ARTICLE][3]
    quotes = _quotes(panel)
    assert len(quotes) >= 3
    for href, sentence in quotes:
        assert href.startswith("#:~:text=") and sentence in text  # word for word from the article

    # the mouse: the ↗ of the sentence lowest in the article; the address gains its text directive, the page
    # scrolls the sentence to the middle of the window (where the browser highlights it)
    targets = {sentence: _scroll_target(page, sentence) for _, sentence in quotes}
    href, sentence = max(quotes, key=lambda q: targets[q[1]])
    assert targets[sentence] > 48  # not the top of the page, where a bare "#" would also scroll
    page.locator(f"#ai-summary a.quote-link[href='{href}']").first.click()
    _scrolled_to(page, sentence, targets[sentence])
    assert _current_url(context, page) == f"{site.url}/articles/{ARTICLE}{href}"

    # the keyboard: Tab onto another ↗ (its focus is visible), Enter
    hrefs = [h for h, _ in quotes]
    index = max(
        (i for i, (_, s) in enumerate(quotes) if abs(targets[s] - targets[sentence]) > 48),
        key=lambda i: targets[quotes[i][1]],
    )
    keyed_href, keyed_sentence = quotes[index]
    neighbour = index - 1 if index > 0 else index + 1
    panel.locator("a.quote-link").nth(neighbour).focus()
    page.keyboard.press("Tab" if neighbour < index else "Shift+Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == keyed_href
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") not in ("", "none")
    before = page.evaluate("scrollY")
    assert targets[keyed_sentence] > 48 and abs(before - targets[keyed_sentence]) > 48  # the move is the link's
    page.keyboard.press("Enter")
    _scrolled_to(page, keyed_sentence, targets[keyed_sentence])
    assert _current_url(context, page) == f"{site.url}/articles/{ARTICLE}{keyed_href}"

    # ask, with the keyboard alone: from the last ↗, Tab reaches the question box
    panel.locator("a.quote-link").nth(len(hrefs) - 1).focus()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "ask-q":
            break
    assert page.evaluate("document.activeElement.id") == "ask-q"
    page.keyboard.type("Where is the depot?")
    page.keyboard.press("Enter")
    answer = page.locator("#answer")
    expect(answer.locator("ol.answer-quotes li").first).to_contain_text("former rail yard in the west")
    expect(answer.locator(".ai-method .badge")).to_have_text("Extractive")
    for quote_href, quote in _quotes(answer):
        assert quote_href.startswith("#:~:text=") and quote in text
    assert page.evaluate("document.activeElement.id") == "ask-q"  # the answer arrives without taking the focus
    _no_sideways_scrolling(page)
    page.locator("section.ai").screenshot(path=str(shots / f"ai-panel-{width}.png"))

    page.keyboard.press("Control+A")
    page.keyboard.type("What is the price of crude oil?")
    page.keyboard.press("Enter")
    expect(answer.locator("p.not-found")).to_have_text(
        "Not found in this article: none of its sentences answers “What is the price of crude oil?” closely enough."
    )
    assert answer.locator("ol.answer-quotes").count() == 0
    watch.assert_clean()
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_story_brief_names_the_publishers_that_agree_and_links_their_sentences(
    site: Site, browser: Any, shots: Path, width: str
) -> None:
    context, page, watch = _open(browser, width)
    page.goto(f"{site.url}/stories/{STORY}")
    page.locator("#brief-h").scroll_into_view_if_needed()
    brief = page.locator("#story-brief")
    expect(brief.locator(".ai-method .badge")).to_have_text("Extractive", timeout=PANEL_TIMEOUT_MS)
    expect(brief.locator(".ai-method")).to_contain_text("from 3 articles by 3 publishers")
    lines: list[dict[str, Any]] = brief.locator("li").evaluate_all(
        """items => items.map(li => ({
            text: li.textContent,
            cites: [...li.querySelectorAll(':scope > .meta a.cite')].map(a => a.textContent.replace('↗', '').trim()),
            hrefs: [...li.querySelectorAll(':scope > .meta a.cite')].map(a => a.getAttribute('href')),
        }))"""
    )
    agreed = [line for line in lines if len(set(line["cites"])) >= 2]
    assert agreed, lines
    opening = next(line for line in agreed if "opened its first tram line on Saturday" in line["text"])
    assert set(opening["cites"]) <= PUBLISHERS and len(set(opening["cites"])) == len(opening["cites"])
    assert f"{len(opening['cites'])} sources:" in opening["text"]
    for line in lines:
        for href in line["hrefs"]:
            assert re.fullmatch(r"/articles/(herald|post|wire)#:~:text=\S+", href), href
    headings = brief.locator("h3").all_inner_texts()
    assert "Where they differ" in headings
    # the Post's alone, "only" beside it, in the summary or else under "Only some report" (never in both)
    alone = brief.locator("ul.ai-points li", has_text="Thousands of residents rode the trams")
    expect(alone).to_have_count(1)
    expect(alone).to_contain_text("only")
    expect(alone).to_contain_text("Northbridge Post")
    # the Wire's airport line is no "only": the Herald says it too, further down its article
    expect(brief.locator("ul.ai-points li", has_text=re.compile(r"airport.*only"))).to_have_count(0)
    agreed_on_stops = brief.locator("ul.ai-points li", has_text=re.compile(r"1[45] stops.*\d sources:"))
    expect(agreed_on_stops).to_have_count(0)  # 14 and 15 stops are a dispute, never "agreed"
    dispute = brief.locator("ul.disputes li").first
    expect(dispute).to_contain_text("On “stops”:")
    expect(dispute).to_contain_text("says 14")
    expect(dispute).to_contain_text("says 15")
    _no_sideways_scrolling(page)
    page.locator("section.brief").screenshot(path=str(shots / f"story-brief-{width}.png"))

    page.locator("#ask-q").focus()
    page.keyboard.type("How many passengers will the trams carry?")
    page.keyboard.press("Enter")
    answer = page.locator("#answer")
    expect(answer.locator("ol.answer-quotes li").first).to_contain_text("30,000 passengers a day")
    cited = {name.replace("↗", "").strip() for name in answer.locator("ol.answer-quotes a.cite").all_inner_texts()}
    assert cited and cited <= PUBLISHERS

    # a citation opens the publisher's article, scrolled to the sentence it quotes
    sentence = "Tickets will be free for the first two weeks, the transport authority said."
    fact = brief.locator("li", has_text="Tickets will be free for the first two weeks").first
    cite = fact.locator(":scope > .meta a.cite", has_text="Valley Herald")
    href = cite.get_attribute("href")
    cite.click()
    page.wait_for_url(re.compile(rf"/articles/{ARTICLE}(#.*)?$"))
    _scrolled_to(page, sentence, _scroll_target(page, sentence))
    assert _current_url(context, page) == site.url + href
    watch.assert_clean()
    context.close()


def test_the_panels_have_no_serious_accessibility_violations(site: Site, browser: Any) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/e2e")
    # axe is injected as a script of its own: the page's CSP refuses it, as it should, so this context bypasses it
    context, page, _ = _open(browser, "desktop", bypass_csp=True)
    found = {}
    _reveal_panel(page, site.url)
    page.locator("#ask-q").fill("How often do the trams run?")
    page.locator("#ask-q").press("Enter")
    expect(page.locator("#answer ol.answer-quotes")).to_be_visible()
    found["article"] = _serious_violations(page)
    page.goto(f"{site.url}/stories/{STORY}")
    page.locator("#brief-h").scroll_into_view_if_needed()
    expect(page.locator("#story-brief .ai-method")).to_be_visible(timeout=PANEL_TIMEOUT_MS)
    found["story"] = _serious_violations(page)
    assert found == {"article": [], "story": []}
    context.close()


def test_with_a_language_model_the_panel_says_it_is_writing_then_shows_checked_output(
    model_site: Site, llm_server: LlmServer, browser: Any, shots: Path
) -> None:
    model = llm_server.model
    context, page, watch = _open(browser, "desktop")
    panel = _reveal_panel(page, model_site.url)  # the extractive summary does not wait for the model
    expect(panel.locator("h3", has_text="Summary, extractive")).to_have_count(1)  # told apart from the model's
    summary = panel.locator(".model-out[data-feature=summary]")
    writing = panel.locator(".model-out[data-feature=summary][aria-busy=true] .writing")  # shown 2 s at least
    expect(writing).to_have_text(f"{model} is writing: summary…", timeout=20_000)
    expect(summary).to_have_attribute("aria-busy", "false", timeout=MODEL_TIMEOUT_MS)
    assert summary.locator(".model-notice").count() == 0, summary.inner_text()
    expect(summary.locator("h3")).to_contain_text("Summary")
    expect(summary.locator("h3 .model-badge")).to_have_text(model)
    state = model_site.desk.model_feature("article", ARTICLE, "summary")
    assert state.state == "ready" and state.output is not None
    _shows(summary, state.output)
    page.locator("section.ai").screenshot(path=str(shots / "ai-model-desktop.png"))

    tools = panel.locator(".model-tools a.button-like")
    expect(tools).to_have_text(["Key points", "Explain simply"])  # no "Translate": the article is in English
    tools.get_by_text("Explain simply").click()
    simple = panel.locator("#model-more .model-out[data-feature=simple]")
    expect(simple).to_have_attribute("aria-busy", "false", timeout=MODEL_TIMEOUT_MS)
    assert simple.locator(".model-notice").count() == 0, simple.inner_text()
    expect(simple.locator("h3")).to_contain_text("Explained simply")
    expect(simple.locator("h3 .model-badge")).to_have_text(model)
    simply = model_site.desk.model_feature("article", ARTICLE, "simple")
    assert simply.state == "ready" and simply.output is not None
    _shows(simple, simply.output)
    assert page.url == f"{model_site.url}/articles/{ARTICLE}"  # htmx loaded it in place
    page.locator("section.ai").screenshot(path=str(shots / "ai-model-simple-desktop.png"))
    watch.assert_clean()
    context.close()

    # on a phone, the summary written is kept and shown at once; key points, asked for with the keyboard
    context, page, watch = _open(browser, "phone")
    panel = _reveal_panel(page, model_site.url)
    expect(panel.locator(".model-out[data-feature=summary] h3 .model-badge")).to_have_text(model)
    panel.locator(".model-tools a.button-like", has_text="Key points").focus()
    page.keyboard.press("Enter")
    points = panel.locator("#model-more .model-out[data-feature=key_points]")
    expect(points).to_have_attribute("aria-busy", "false", timeout=MODEL_TIMEOUT_MS)
    expect(points.locator("h3 .model-badge")).to_have_text(model)
    _no_sideways_scrolling(page)
    page.locator("section.ai").screenshot(path=str(shots / "ai-model-phone.png"))
    watch.assert_clean()
    context.close()


def _shows(out_box: Any, output: Any) -> None:
    """The model's output box shows what was kept, each sentence with its citations, and counts what was not."""
    if output.sentences:
        shown = out_box.inner_text()
        for sentence in output.sentences:
            assert sentence.text in shown
        hrefs = out_box.locator("a.cite-num").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert len(hrefs) >= len(output.sentences) and all(h.startswith("#:~:text=") for h in hrefs)
    else:
        expect(out_box.locator("p.not-found")).to_have_text(
            "Nothing the model wrote could be checked against the articles, so nothing is shown."
        )
    method = out_box.locator(".ai-method").inner_text()
    if output.rejected:
        assert re.search(rf"\b{output.rejected} sentences? the model wrote (was|were) left out", method), method
    else:
        assert "left out" not in method


def test_the_model_panel_has_no_serious_accessibility_violations(
    model_site: Site, llm_server: LlmServer, browser: Any
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/e2e")
    context, page, _ = _open(browser, "desktop", bypass_csp=True)  # (axe: see above)
    panel = _reveal_panel(page, model_site.url)
    summary = panel.locator(".model-out[data-feature=summary]")
    expect(summary).to_have_attribute("aria-busy", "false", timeout=MODEL_TIMEOUT_MS)
    panel.locator(".model-tools a.button-like", has_text="Explain simply").click()
    expect(panel.locator("#model-more .model-out")).to_have_attribute("aria-busy", "false", timeout=MODEL_TIMEOUT_MS)
    assert _serious_violations(page) == []
    context.close()
