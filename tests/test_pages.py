"""The reader's pages, served by a real uvicorn on loopback over real SQLite and PostgreSQL databases.

The data is built through the storage's own intents (feed updates, enrichment with stories, tags
and vectors), as an update and an enrichment pass would write it: two stories in three languages,
a wire copy, hashtags, and a source whose name, titles and tags are hostile markup.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import ArticleDraft, ArticleEnrichment, ExtractionStatus, Tag
from newsdesk.web.pages import front
from newsdesk.web.server import build_app
from tests.loopback import serving
from tests.test_store import insert, ok_update

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
IMAGE = "https://img.publisher.example/photo.jpg"

MACRON = Tag("emmanuelmacron", "#EmmanuelMacron", "person", 1.0)
EVIL_TAG = Tag("xsstag", "#" + HOSTILE, "phrase", 0.5)
BUDGET_TEXT = (
    "The council approved the city budget on Monday after a long debate. "
    "The vote was twelve to three, with two abstentions. "
    "Emmanuel Macron praised the budget in a statement on Tuesday. "
    "Parks and libraries get more money than last year. "
    "Critics said the plan leaves the transport deficit untouched for another year."
)


def _draft(source_id: int, guid: str, hours_ago: float, **kw: object) -> ArticleDraft:
    base = ArticleDraft(
        id=guid,
        source_id=source_id,
        guid=guid,
        url=f"https://site{source_id}.example/{guid}",
        canonical_url=None,
        title=f"Title {guid}",
        authors=("Ann Author",),
        published_at=NOW - timedelta(hours=hours_ago),
        updated_at=None,
        summary=None,
        content_html=None,
        text=BUDGET_TEXT,
        image_url=IMAGE,
        categories=(),
        word_count=60,
        content_hash=None,
        entry_hash=f"h-{guid}",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Site:
    url: str
    desk: Newsdesk
    sources: dict[str, int]


def _vector(*values: float) -> bytes:
    v = np.array(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).tobytes()


def build(desk: Newsdesk) -> dict[str, int]:
    """Three sources; story-a (Politics, Europe) covered in English and French with a wire copy, and
    story-b (Science) close to it in meaning, story-c far from both."""
    st = desk.storage
    ids = {}
    for key, url, title, lang in [
        ("en", "https://site1.example/feed", "Example News", "en"),
        ("fr", "https://site2.example/feed", "Le Quotidien", "fr"),
        ("evil", "https://site3.example/feed", HOSTILE, "en"),
    ]:
        s = st.add_source(url, title=title, now=NOW)
        ids[key] = s.id
        drafts = {
            "en": [
                _draft(s.id, "a1", 10, title="Council <b>approves</b> budget", language="en"),
                _draft(s.id, "b1", 3, title="Telescope finds a new moon", language="en"),
                _draft(s.id, "c1", 2, title="Cup final goes to penalties", language="en"),
            ],
            "fr": [
                _draft(
                    s.id,
                    "a2",
                    8,
                    title="Le conseil adopte le budget",
                    language="fr",
                    text="Le conseil municipal a adopté le budget lundi soir après un long débat animé.",
                    url="https://site2.example/a2",
                    canonical_url="https://origin.example/le-budget",
                )
            ],
            "evil": [_draft(s.id, "a3", 7, title=HOSTILE, language="en", url="javascript:alert(1)")],
        }[key]
        update = replace(ok_update(s.id, *drafts), title=title, language=lang)
        st.apply_feed_updates([update], [insert(d, ExtractionStatus.FEED) for d in drafts], NOW)
    near, far = _vector(1, 0.2, 0), _vector(0, 0, 1)
    plan = {
        "a1": ("story-a", "Politics", ("Europe",), (MACRON, EVIL_TAG), _vector(1, 0, 0), None),
        "a2": ("story-a", "Politics", ("Europe",), (MACRON,), _vector(1, 0.05, 0), None),
        "a3": ("story-a", "Politics", ("Europe",), (), _vector(1, 0, 0), "a1"),
        "b1": ("story-b", "Science", (), (), near, None),
        "c1": ("story-c", "Sports", (), (), far, None),
    }
    batch = st.pending_enrichment(100)
    results = []
    for a in batch:
        story, category, regions, tags, vector, copy = plan[a.id]
        results.append(
            ArticleEnrichment(
                article_id=a.id,
                story_id=story,
                near_duplicate_of=copy,
                category=category,
                regions=regions,
                tags=tags,
                vector_model="test-model",
                vector=vector,
            )
        )
    st.apply_enrichment(results, [], NOW)
    while st.index_search():  # what the update pass does after its feed and page phases
        pass
    return ids


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from tests.conftest import fresh_database, test_settings

    directory = tmp_path_factory.mktemp(request.param)
    settings: Settings = test_settings(directory, db=fresh_database(request.param, directory))
    desk = make_newsdesk(settings, clock=lambda: NOW)
    sources = build(desk)
    with serving(build_app(desk, schedule=False)) as url:
        yield Site(url, desk, sources)
    desk.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


PAGES = [
    "/",
    "/?tab=latest",
    "/?category=politics",
    "/stories/story-a",
    "/stories/story-b",
    "/articles/a1",
    "/articles/a2",
    "/articles/a3",
    "/topics/emmanuelmacron",
    "/topics/xsstag",
    "/categories/politics",
    "/categories/climate-environment",
    "/regions/europe",
    "/sources",
    "/about",
    "/?offset=5000",
    "/search",
    "/search?q=budget",
    "/search?q=budget&language=fr&since=2026-01-01",
    "/search?q=nothing+matches+this",
    "/search?q=budget&offset=40",
    "/api/docs",
    "/categories/nope",
    "/no/such/page",
]


def all_pages(site: Site) -> dict[str, str]:
    paths = [*PAGES, *(f"/sources/{i}" for i in site.sources.values())]
    pages = {}
    for path in paths:
        for lang in ("en", "fr"):
            _, html = get(site.url + path + ("&" if "?" in path else "?") + "lang=" + lang)
            pages[f"{path} [{lang}]"] = html
    return pages


def test_front_page_shows_story_cards_with_coverage_and_tabs(site: Site) -> None:
    status, html = get(site.url + "/")
    assert status == 200
    assert html.count('<li class="card"') == 3
    assert '<a href="/stories/story-a">Council &lt;b&gt;approves&lt;/b&gt; budget</a>' in html
    assert "3 sources · 2 languages" in html and "Example News" in html and "Le Quotidien" in html
    assert '<a href="/categories/climate-environment">Climate/Environment</a>' in html  # every category's tab
    assert '<a href="/regions/latin-america">Latin America</a>' in html
    assert 'href="/api/docs"' in html and "openapi.json" not in html
    assert re.search(r'<time datetime="2026-11-29T05:00:00\+00:00" title="[^"]*2026[^"]*">7 hours ago</time>', html)
    status, latest = get(site.url + "/?tab=latest")
    assert status == 200 and latest.count('<li class="card"') == 3 and "<h1>Latest stories</h1>" in latest


def test_category_and_region_pages_accept_names_as_readers_type_them(site: Site) -> None:
    for path in ["/categories/politics", "/categories/POLITICS", "/?category=Politics"]:
        status, html = get(site.url + path)
        assert status == 200 and "<h1>Politics</h1>" in html and html.count('<li class="card"') == 1, path
    status, html = get(site.url + "/categories/Climate/Environment")
    assert status == 200 and "<h1>Climate/Environment</h1>" in html and "No stories here" in html
    status, html = get(site.url + "/regions/europe")
    assert status == 200 and "<h1>Europe</h1>" in html and "/stories/story-a" in html
    status, html = get(site.url + "/categories/sciense")
    assert status == 404 and "<html" in html and "Politics, Business" in html and "&#39;sciense&#39;" in html
    status, html = get(site.url + "/regions/atlantis")
    assert status == 404 and "Latin America" in html


def test_paging_has_newer_and_older_and_says_when_past_the_end(
    site: Site, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setattr(front, "PAGE_SIZE", 1)
    # Pages rendered with another page size are kept (no data changed to say otherwise): drop them
    # now, and this test's own at its end.
    site.desk.pages.clear()
    request.addfinalizer(site.desk.pages.clear)
    _, first = get(site.url + "/")
    assert 'rel="next" hx-get="/fragments/stories?offset=1"' in first and 'href="/?offset=1"' in first
    assert 'rel="prev"' not in first
    _, second = get(site.url + "/?offset=1")
    assert 'href="/" rel="prev"' in second and 'href="/?offset=2"' in second
    status, fragment = get(site.url + "/fragments/stories?offset=1")
    assert status == 200 and "<html" not in fragment and fragment.count('<li class="card"') == 1
    assert 'rel="prev"' not in fragment  # appended below the first page: no way "newer" from there
    _, category = get(site.url + "/categories/politics?tab=latest")
    assert category.count('<li class="card"') == 1
    status, past = get(site.url + "/?offset=5000")
    assert status == 200 and "There is nothing this far down the list." in past and "No articles yet" not in past
    assert '<a href="/">Back to the first page</a>' in past and 'href="/?offset=4999" rel="prev"' in past
    _, latest_past = get(site.url + "/?tab=latest&offset=5000")
    assert '<a href="/?tab=latest">Back to the first page</a>' in latest_past


def test_article_page_has_the_story_copies_tags_summary_related_and_comments(site: Site) -> None:
    status, html = get(site.url + "/articles/a1")
    assert status == 200
    assert "<h1>Council &lt;b&gt;approves&lt;/b&gt; budget</h1>" in html
    assert '<a class="publisher" href="/sources/1">Example News</a>' in html and "10 hours ago" in html
    also = html.split('id="also-h"')[1].split("</section>")[0]
    assert '<a href="/articles/a3">&lt;script&gt;' in also  # the wire copy, by its (hostile) publisher's name
    story = html.split('id="story-h"')[1].split("</section>")[0]
    assert '<a href="/stories/story-a">' in story and "3 sources · 2 languages" in story
    assert '<a href="/topics/emmanuelmacron" rel="tag" dir="auto">#EmmanuelMacron</a>' in html
    panel = html.split('id="ai-h"')[1].split("</section>")[0]
    assert 'hx-get="/articles/a1/summary" hx-trigger="revealed"' in panel  # loaded when scrolled to
    assert '<a class="load-ai" href="/articles/a1/summary#ai-h">' in panel  # without JavaScript: a link
    assert 'hx-get="/articles/a1/ask"' in panel and 'action="/articles/a1/ask#ask-h"' in panel
    status, fragment = get(site.url + "/articles/a1/summary", {"HX-Request": "true"})
    assert status == 200 and "<html" not in fragment
    assert '<span class="badge">Extractive</span>' in fragment  # says what kind of AI wrote it
    assert 'class="ai-summary"' in fragment and "The council approved the city budget on Monday" in fragment
    assert 'href="#:~:text=The%20council%20approved%20the,after%20a%20long%20debate."' in fragment  # its place
    status, whole = get(site.url + "/articles/a1/summary")
    assert status == 200 and "<html" in whole and 'class="ai-summary"' in whole and "load-ai" not in whole
    related = html.split('id="related-h"')[1].split("</section>")[0]
    assert '<a href="/articles/b1"' in related and "/articles/c1" not in related  # close, not filler
    assert '<a href="/articles/a2"' in related  # more of its own story, apart
    assert "No comments yet." in html
    public = site.desk.settings.public_url  # the configured site address, never the request's Host
    assert '<link rel="canonical" href="' + public + '/articles/a1">' in html
    assert '<meta property="og:type" content="article">' in html and 'name="twitter:card"' in html
    assert 'data-share-url="' + public + '/articles/a1"' in html


def test_asking_about_an_article_quotes_its_sentences_or_says_not_found(site: Site) -> None:
    status, page = get(site.url + "/articles/a1/ask?q=" + quote("When did the council approve the budget?"))
    assert status == 200 and "<html" in page  # without JavaScript: the whole page, the answer in place
    answer = page.split('id="answer"')[1].split("</div>")[0]
    assert "From the article:" in answer and "The council approved the city budget on Monday" in answer
    assert 'value="When did the council approve the budget?"' in page
    status, fragment = get(
        site.url + "/articles/a1/ask?q=" + quote("What is the price of crude oil in Texas?"), {"HX-Request": "true"}
    )
    assert status == 200 and "<html" not in fragment  # htmx: the answer alone
    assert "Not found in this article" in fragment and "From the article" not in fragment
    status, _ = get(site.url + "/articles/no-such-article/ask?q=why", {"HX-Request": "true"})
    assert status == 404
    status, _ = get(site.url + "/articles/a1/ask?q=" + "x" * 400)
    assert status == 422  # a question is a sentence or two, not a document


def test_the_story_brief_quotes_each_publisher_and_answers_from_the_articles(site: Site) -> None:
    _, page = get(site.url + "/stories/story-a")
    brief = page.split('id="brief-h"')[1].split("</section>")[0]
    assert 'hx-get="/stories/story-a/brief" hx-trigger="revealed"' in brief
    assert '<a class="load-ai" href="/stories/story-a/brief#brief-h">' in brief
    status, fragment = get(site.url + "/stories/story-a/brief", {"HX-Request": "true"})
    assert status == 200 and "<html" not in fragment and '<span class="badge">Extractive</span>' in fragment
    # the English and the French report agree (the wire copy is not a second publisher): both cited
    assert "2 sources" in fragment
    assert 'href="/articles/a1#:~:text=The%20council%20approved%20the' in fragment
    assert 'href="/articles/a2#:~:text=Le%20conseil%20municipal%20a' in fragment
    assert "/articles/a3" not in fragment
    assert "from 2 articles" in fragment and "by 2 publishers" in fragment
    status, whole = get(site.url + "/stories/story-a/brief")
    assert status == 200 and "<html" in whole and "load-ai" not in whole and "2 sources" in whole
    _, french = get(site.url + "/stories/story-a/brief?lang=fr", {"HX-Request": "true"})
    assert "Le conseil municipal a adopté le budget" in french.split("</ul>")[0]  # the reader's language first
    status, answer = get(
        site.url + "/stories/story-a/ask?q=" + quote("When was the budget approved?"), {"HX-Request": "true"}
    )
    assert status == 200 and "From the articles:" in answer and "Monday" in answer
    _, absent = get(site.url + "/stories/story-a/ask?q=" + quote("Who won the cup final?"), {"HX-Request": "true"})
    assert "Not found in these articles" in absent
    assert get(site.url + "/stories/nope/brief", {"HX-Request": "true"})[0] == 404


def test_read_at_the_source_leads_to_the_original_and_says_it_is_external(site: Site) -> None:
    _, html = get(site.url + "/articles/a2")  # its canonical address is on another host than its feed link
    assert '<a class="external" href="https://origin.example/le-budget" rel="noopener noreferrer external">' in html
    assert "(external site)" in html
    _, hostile = get(site.url + "/articles/a3")  # a javascript: link is no link
    assert "javascript:" not in hostile and 'class="external"' not in hostile


def test_search_page_lists_hits_as_the_other_lists_do_in_either_language(site: Site) -> None:
    _, english = get(site.url + "/search?q=budget")
    hits = re.findall(r'<li class="item search-hit" data-nav>.*?</li>', english, re.S)
    assert len(hits) >= 2 and '<ol class="items" data-nav-list>' in english  # j/k/o walk them
    french_hit = next(h for h in hits if "/articles/a2" in h)
    assert (
        '<h3 lang="fr" dir="auto"><a href="/articles/a2">Le conseil adopte le <mark>budget</mark></a></h3>'
        in french_hit
    )
    assert '<p class="teaser search-snippet" lang="fr" dir="auto">' in french_hit and "search-lang" in french_hit
    assert re.search(r'<time datetime="2026-11-29T04:00:00\+00:00" title="[^"]+">8 hours ago</time>', french_hit)
    assert f'<a href="/sources/{site.sources["fr"]}" dir="auto">Le Quotidien</a>' in french_hit
    assert '<a href="/categories/politics">Politics</a>' in french_hit
    _, french = get(site.url + "/search?q=budget&lang=fr")
    assert "<h1>Rechercher</h1>" in french and "Filtres" in french and "il y a 8 heures" in french
    assert '<h3><a href="/articles/a2">Le conseil adopte le <mark>budget</mark></a></h3>' in french  # its own language
    assert '<a href="/categories/politics">Politique</a>' in french
    _, filtered = get(site.url + "/search?q=budget&language=fr")
    assert '<details class="search-filters" open>' in filtered and filtered.count('class="item search-hit"') == 1


def test_story_page_groups_coverage_by_publisher_with_a_timeline(site: Site) -> None:
    status, html = get(site.url + "/stories/story-a")
    assert status == 200 and "3 articles" in html and "3 sources · 2 languages" in html
    coverage = html.split('id="coverage-h"')[1].split("</section>")[0]
    assert coverage.count("<h3>") == 3 and '<a href="/sources/2">Le Quotidien</a>' in coverage
    assert '<a href="/articles/a2" lang="fr" dir="auto">Le conseil adopte le budget</a>' in coverage
    timeline = html.split('id="timeline-h"')[1].split("</section>")[0]
    assert timeline.index("/articles/a1") < timeline.index("/articles/a2") < timeline.index("/articles/a3")
    assert "English" in html and "French" in html and "#EmmanuelMacron" in html
    assert '<a href="/categories/politics">Politics</a>' in html and '<a href="/regions/europe">Europe</a>' in html
    related = html.split('id="related-h"')[1].split("</section>")[0]
    assert '<a href="/stories/story-b"' in related and "story-c" not in related


def test_topic_pages_take_the_tag_in_any_form_shown(site: Site) -> None:
    for path in ["/topics/emmanuelmacron", "/topics/%23EmmanuelMacron", "/topics/Emmanuel%20Macron"]:
        status, html = get(site.url + path)
        assert status == 200 and "<h1>Latest news with #EmmanuelMacron</h1>" in html, path
        assert '<a href="/stories/story-a">' in html and '<a href="/articles/a2"' in html
    status, html = get(site.url + "/topics/nosuchtag")
    assert status == 404 and "nosuchtag" in html


def test_source_page_shows_health_and_what_it_publishes(site: Site) -> None:
    status, html = get(site.url + f"/sources/{site.sources['en']}")
    assert status == 200 and '<h1 dir="auto">Example News</h1>' in html
    assert "Last success" in html and "Next check" in html and "https://site1.example/feed" in html
    assert html.count('<li class="item"') == 3
    status, html = get(site.url + "/sources/999")
    assert status == 404 and "<html" in html
    _, listing = get(site.url + "/sources")
    assert f'<a href="/sources/{site.sources["fr"]}" dir="auto">Le Quotidien</a>' in listing


def test_french_pages_translate_the_ui_and_mark_english_text(site: Site) -> None:
    status, html = get(site.url + "/articles/a1?lang=fr")
    assert status == 200 and '<html lang="fr" dir="ltr">' in html
    assert '<h1 lang="en" dir="auto">' in html and '<div class="body" lang="en" dir="auto">' in html
    assert "il y a 10 heures" in html and "Également publié par" in html and "Articles liés" in html
    assert "dimanche 29 novembre 2026" in html  # the absolute time on hover, in French
    # the choice sticks (cookie), and Accept-Language picks French too
    _, by_header = get(site.url + "/", {"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr"' in by_header and "À la une" in by_header
    _, by_cookie = get(site.url + "/sources", {"Cookie": "lang=fr", "Accept-Language": "en"})
    assert '<html lang="fr"' in by_cookie
    _, english = get(site.url + "/articles/a2")
    assert '<h1 lang="fr" dir="auto">Le conseil adopte le budget</h1>' in english and '<html lang="en"' in english
    _, french = get(site.url + "/articles/a2?lang=fr")
    assert "<h1>Le conseil adopte le budget</h1>" in french  # the page's own language needs no mark


def test_a_story_told_in_the_readers_language_is_headlined_in_it(site: Site) -> None:
    english_card = '<h2 lang="en" dir="auto"><a href="/stories/story-a">Council &lt;b&gt;approves&lt;/b&gt; budget</a>'
    french_card = '<h2><a href="/stories/story-a">Le conseil adopte le budget</a></h2>'
    for path in ("/", "/categories/politics", "/topics/emmanuelmacron"):
        _, english = get(site.url + path)
        _, french = get(site.url + path + "?lang=fr")
        english_link = '<a href="/stories/story-a">Council &lt;b&gt;approves&lt;/b&gt; budget</a>'
        assert english_link in english, path
        assert french_card in french and english_link not in french, path
    _, story = get(site.url + "/stories/story-a?lang=fr")
    assert "<h1>Le conseil adopte le budget</h1>" in story and "<title>Le conseil adopte le budget" in story
    assert '<p class="standfirst">Le conseil municipal a adopté le budget' in story
    _, french = get(site.url + "/?lang=fr")
    assert '<a href="/stories/story-b">Telescope finds a new moon</a>' in french  # no French article: as told
    assert english_card not in french


def test_french_pages_have_no_english_ui_text_left(site: Site) -> None:
    english = {m for m in _template_messages() if len(m) > 3 and " " in m}  # sentences, not "API" or "ok"
    for name, html in all_pages(site).items():
        if name.endswith("[fr]"):
            if name.startswith("/api/docs"):  # endpoints and schemas: the OpenAPI document's own English text
                assert "Points d’accès" in html and "<caption>Paramètres</caption>" in html
                html_ = re.sub(r"<li>.*?</li>|<section\b.*?</section>", "", html, flags=re.S)
            else:
                html_ = html
            shown = re.sub(r"<[^>]+>", "\n", html_)
            left = [m for m in english if m in shown]
            assert left == [], name


def test_every_ui_message_has_a_french_translation() -> None:
    from babel.messages.pofile import read_po

    from newsdesk.web.pages.i18n import catalogue_path

    with catalogue_path("fr").open("rb") as f:
        catalog = read_po(f, locale="fr")
    translated = {}
    for message in catalog:
        if message.id:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            translated[key] = all(strings) and not message.fuzzy
    wanted = _template_messages()
    assert len(wanted) > 100
    assert sorted(m for m in wanted if not translated.get(m)) == []


def test_taxonomy_names_are_all_marked_for_translation(site: Site) -> None:
    from newsdesk.core import taxonomy
    from newsdesk.web.pages.names import CATEGORY_NAMES, REGION_NAMES

    assert tuple(e.name for e in taxonomy("category")) == CATEGORY_NAMES
    assert tuple(e.name for e in taxonomy("region")) == REGION_NAMES


def _template_messages() -> set[str]:
    """Every message the templates and the pages' Python mark for translation, found as pybabel finds them."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[1]
    method_map = [("src/newsdesk/web/pages/**.py", "python"), ("src/newsdesk/web/templates/**.html", "jinja2")]
    options = {"src/newsdesk/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _, _, message, _, _ in extract_from_dir(root, method_map, options):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_page_is_free_of_inline_script_style_and_publisher_images(site: Site) -> None:
    pages = all_pages(site)
    assert len(pages) >= 40
    for name, html in pages.items():
        assert "<html" in html, name
        tags = re.findall(r"<[a-zA-Z][^>]*>", html)  # the markup itself: escaped text has no "<"
        bare = [re.sub(r'"[^"]*"', '""', t) for t in tags]  # attribute names, not (escaped) values
        assert not [t for t in bare if re.search(r"\s(style|on[a-z]+)\s*=", t, re.I)], name
        assert "<style" not in html, name
        for script in re.findall(r"<script\b[^>]*>", html):
            assert re.fullmatch(r'<script src="/static/[a-z.-]+\.js\?v=[^"]+"( defer)?>', script), (name, script)
        assert "<script>" not in html and HOSTILE not in html, name  # hostile names and tags are escaped
        assert "publisher.example" not in html, name  # images only ever through the media proxy
        assert html.count("<h1") == 1, name
        assert '<a class="skip" href="#main">' in html and '<main id="main"' in html, name


def test_unknown_pages_and_ids_render_the_error_page(site: Site) -> None:
    for path in ["/no/such/page", "/articles/nope", "/stories/nope", "/sources/424242"]:
        status, html = get(site.url + path)
        assert status == 404 and "<h1>Not found</h1>" in html and 'href="/api/docs"' in html, path
    status, html = get(site.url + "/stories/nope?lang=fr")
    assert status == 404 and "<h1>Page introuvable</h1>" in html


def test_merged_story_ids_redirect_to_the_story_they_joined(site: Site) -> None:
    from newsdesk.model import StoryMerge

    site.desk.storage.apply_enrichment([], [StoryMerge(merged="story-c", into="story-b")], NOW)
    request = urllib.request.Request(site.url + "/stories/story-c")
    opener = urllib.request.build_opener(_NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(request, timeout=10)
    caught.value.close()
    assert caught.value.code == 301 and caught.value.headers["Location"] == "/stories/story-b"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
