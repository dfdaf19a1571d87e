"""Article extraction (pipeline/extract.py) and its process pool (pipeline/extract_pool.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pickle
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from newsdesk.config import Settings
from newsdesk.errors import ExtractError
from newsdesk.model import Extracted
from newsdesk.pipeline.page.extract import declared_language, decode_html, extract_article, is_boilerplate
from newsdesk.tasks.extract_pool import ExtractorPool, extract_in_worker
from tests.html_safety import assert_safe
from tests.loopback import SHARED_BENCH, BenchServer

PARAGRAPHS = [
    "The river authority said on Monday that water levels along the lower valley had fallen for the third "
    "week in a row, leaving barges stranded near the old harbour and forcing the ferry to suspend service.",
    "Engineers have proposed dredging a channel through the shallows, but local fishermen fear that the "
    "work would disturb spawning grounds that have only recently recovered from years of pollution.",
    "The regional council will vote on the plan next month. Until then, the authority has asked farmers "
    "upstream to reduce the water they draw for irrigation, a request several of them described as unfair.",
    "Hydrologists at the university warned that the drought could last well into the autumn unless the "
    "mountains receive more snow this winter than they did in each of the past four years.",
]
BOILERPLATE = [
    "Share on WhatsApp",
    "Share on Facebook",
    "We use cookies",
    "Accept all cookies",
    "Read more",
    "Sign up for our newsletter",
    "Get the best stories in your inbox",
    "Related stories",
    "Mayor opens new bridge",
    "Council elections: the results",
    "Comments",
    "This is outrageous, the council never listens",
    "Follow us on Twitter",
]


def article_page(paragraphs: list[str] = PARAGRAPHS, *, lang: str = "en", extra_head: str = "") -> str:
    """A news page as publishers make them: the article amid every kind of furniture."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>River levels fall for a third week | The Valley Gazette</title>
<meta property="og:title" content="River levels fall for a third week">
<meta property="og:image" content="/images/river.jpg">
<meta property="og:url" content="https://gazette.example/news/river-levels">
<meta name="description" content="Barges are stranded and the ferry has stopped.">
<meta property="article:published_time" content="2024-05-06T08:30:00+02:00">
<link rel="canonical" href="/news/river-levels">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "River levels fall for a third week",
 "author": [{{"@type": "Person", "name": "Maria Lindqvist"}}, {{"@type": "Person", "name": "Tom Okafor"}}]}}</script>
{extra_head}
</head><body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience.</p>
<button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
</ul></nav></header>
<main><article>
<h1>River levels fall for a third week</h1>
<div class="share-bar"><a href="#">Share on WhatsApp</a> <a href="#">Share on Facebook</a></div>
{body}
<p><a href="/more">Read more</a></p>
<div class="newsletter-box"><h3>Sign up for our newsletter</h3><p>Get the best stories in your inbox.</p>
<input type="email"><button>Subscribe</button></div>
<p>Follow us on Twitter</p>
</article>
<section class="related"><h2>Related stories</h2><ul>
<li><a href="/a">Mayor opens new bridge</a></li><li><a href="/b">Council elections: the results</a></li></ul></section>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>This is outrageous, the council never listens to anyone.</p></div></section>
</main><footer><p>© 2024 The Valley Gazette</p></footer></body></html>"""


def squash(text: str) -> str:
    return " ".join(text.split())


# --- text ---------------------------------------------------------------------------------------


def test_article_text_is_kept_and_boilerplate_dropped() -> None:
    result = extract_article(article_page(), "https://gazette.example/news/river-levels?utm=x")
    text = squash(result.text)
    for paragraph in PARAGRAPHS:
        assert paragraph in text
    for furniture in BOILERPLATE:
        assert furniture not in text, furniture


def test_headline_is_not_repeated_in_the_text() -> None:
    result = extract_article(article_page(), "https://gazette.example/news/river-levels")
    assert result.title == "River levels fall for a third week"
    assert not result.text.startswith("River levels fall")


def test_html_is_the_same_content_sanitized() -> None:
    page = article_page([*PARAGRAPHS, "<b onclick='steal()'>Bold</b> claims need evidence, the minister said."])
    result = extract_article(page, "https://gazette.example/news/river-levels")
    assert result.html is not None
    assert "onclick" not in result.html and "<script" not in result.html
    html_text = squash(lxml_html.fromstring(f"<div>{result.html}</div>").text_content())
    for paragraph in PARAGRAPHS:
        assert paragraph in html_text
    assert "Share on WhatsApp" not in html_text


@pytest.mark.parametrize(
    "line",
    [
        "Read more: Mayor opens new bridge",
        "READ MORE",
        "Lesen Sie auch: Der Stadtrat tagt",
        "Lea también: El alcalde inaugura un puente",
        "À lire aussi : le maire inaugure un pont",
        "Czytaj też: Burmistrz otwiera most",
        "Related stories",
        "Sign up for our daily newsletter",
        "Subscribe now to read the full story",
        "Share on WhatsApp",
        "Photo: Reuters/John Smith",
        "(Credit: Clayton Aldern / Grist)",
        "© Getty Images",
        "Pick Six Newsletter",
        "Never miss the latest news by signing up to our newsletter today!",
        "Zum Newsletter anmelden",
        "Follow us on Twitter @example and on Facebook.",
        "CLICK HERE TO GET THE APP",
        "We use cookies to give you the best experience.",
        "Comments",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        PARAGRAPHS[0],
        "The newsletter, first printed in 1893, was the town's only source of news for decades and is now "
        "kept in the regional archive, where historians consult it about the great flood and its aftermath.",
        "More than 200 people attended the meeting.",
        "Related research published last year reached the same conclusion about the river.",
        "Photographs taken by the residents show the water reaching the first floor of the town hall.",
        "Copyright law reform passed the parliament today.",
        "Source code for the model is available on request.",
        "The bakery sold 500 cookies on Sunday.",
        "The company's newsletter reported a loss in March.",
        "Register offices will close early on Friday.",
    ],
)
def test_prose_is_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


# --- metadata -----------------------------------------------------------------------------------


def test_metadata() -> None:
    result = extract_article(article_page(), "https://gazette.example/news/river-levels?utm=x")
    assert result.title == "River levels fall for a third week"
    assert result.authors == ("Maria Lindqvist", "Tom Okafor")
    assert result.published == datetime(2024, 5, 6, 6, 30, tzinfo=UTC)
    assert result.image_url == "https://gazette.example/images/river.jpg"
    assert result.description == "Barges are stranded and the ferry has stopped."
    assert result.canonical_url == "https://gazette.example/news/river-levels"
    assert result.language == "en"
    assert result.method == "trafilatura"


def test_language_comes_from_the_text_not_the_template() -> None:
    german = [
        "Der Wasserstand im unteren Tal ist die dritte Woche in Folge gesunken, teilte die Flussbehörde am "
        "Montag mit. Mehrere Lastkähne liegen nahe dem alten Hafen fest, und die Fähre hat ihren Betrieb "
        "eingestellt, bis die Pegel wieder steigen.",
        "Ingenieure schlagen vor, eine Fahrrinne durch die Untiefen auszubaggern. Fischer fürchten jedoch, "
        "dass die Arbeiten Laichgründe stören, die sich erst vor kurzem von jahrelanger Verschmutzung erholt haben.",
    ]
    result = extract_article(article_page(german, lang="en"), "https://gazette.example/de")
    assert result.language == "de"


@pytest.mark.parametrize(
    ("page", "language"),
    [
        ('<html lang="pt-BR"><body></body></html>', "pt"),
        ('<html><head><meta http-equiv="Content-Language" content="de"></head><body></body></html>', "de"),
        ('<html><head><meta property="og:locale" content="fr_FR"></head><body></body></html>', "fr"),
        ('<html lang="not a language"><body></body></html>', None),
        ("<html><body></body></html>", None),
    ],
)
def test_declared_language(page: str, language: str | None) -> None:
    assert declared_language(lxml_html.document_fromstring(page)) == language


def test_canonical_url_is_none_when_the_page_names_none() -> None:
    page = re.sub(r'<link rel="canonical"[^>]*>|<meta property="og:url"[^>]*>', "", article_page())
    assert extract_article(page, "https://gazette.example/x").canonical_url is None


# --- charsets -----------------------------------------------------------------------------------

WINDOWS_1252_TEXT = "Café owners in Zürich say “the crisis” hit them hard — prices rose by 20 % this year. " * 4
SHIFT_JIS_TEXT = "東京都は月曜日、新しい公共交通計画を発表した。市民の通勤時間を短縮することが目的だという。" * 4


def page_with(text: str, meta: str) -> str:
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(3))
    return f"<html><head>{meta}<title>t</title></head><body><article>{paragraphs}</article></body></html>"


@pytest.mark.parametrize(
    "meta", ['<meta charset="windows-1252">', '<meta charset="iso-8859-1">', "<meta charset='latin1'>"]
)
def test_windows_1252_declared_in_meta(meta: str) -> None:
    body = page_with(WINDOWS_1252_TEXT, meta).encode("cp1252")
    assert WINDOWS_1252_TEXT.strip() in squash(extract_article(body, "https://x.example/a").text)


def test_shift_jis_declared_in_http_equiv() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    body = page_with(SHIFT_JIS_TEXT, meta).encode("shift_jis")
    result = extract_article(body, "https://x.example/a")
    assert SHIFT_JIS_TEXT in result.text.replace("\n", "")
    assert result.language == "ja"


def test_http_charset_outranks_the_meta_tag() -> None:
    body = page_with(WINDOWS_1252_TEXT, '<meta charset="utf-8">').encode("cp1252")
    assert WINDOWS_1252_TEXT.strip() in squash(extract_article(body, "https://x.example/a", charset="cp1252").text)


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("naïve café".encode(), None, "naïve café"),
        (b"\xef\xbb\xbf" + "naïve".encode(), None, "naïve"),
        ('<meta charset="iso-8859-1">naïve'.encode(), None, '<meta charset="iso-8859-1">naïve'),  # UTF-8 wins
        ('<meta charset="utf-8">naïve'.encode("cp1252"), None, '<meta charset="utf-8">na\ufffdve'),
        ("naïve".encode("cp1252"), "windows-1252", "naïve"),
    ],
)
def test_decode_html(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_html(data, declared) == expected


@pytest.mark.parametrize("declared", [None, "no-such-charset"])
def test_undeclared_legacy_encoding_is_guessed(declared: str | None) -> None:
    text = "Der Bürgermeister eröffnete die Brücke über den Fluss, während die Bürger jubelten. " * 20
    assert decode_html(text.encode("cp1252"), declared) == text


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        b"",
        "",
        b"\x00\x01\x02\xff\xfe\xfd" * 50,
        "just some words, no markup at all",
        "<html></html>",
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>",
        b"\x1f\x8b\x08\x00garbage-that-looks-gzipped",
        "<html><body>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "</body></html>",
    ],
)
def test_nothing_usable_raises_extract_error(page: bytes | str) -> None:
    with pytest.raises(ExtractError) as info:
        extract_article(page, "https://x.example/a")
    assert info.value.url == "https://x.example/a"
    assert info.value.reason


HTML_PIECES = st.sampled_from(
    [
        *("<html>", "<body>", "<p>", "</p>", "<article>", "<div class='share'>", "</div>", "<script>", "<td>"),
        *("<meta charset='shift_jis'>", "<meta charset='bogus'>", "<h1>", "<li>", "<!--", "-->", "&amp;", "&#0;"),
        *("\x00", "<?xml version='1.0' encoding='utf-8'?>", "<table><tr>", "<br/>", "\ufeff"),
    ]
)
HTML_SOUP = st.lists(st.one_of(HTML_PIECES, st.text(max_size=40)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, database=None)
@given(page=st.one_of(st.binary(max_size=2000), st.text(max_size=2000), HTML_SOUP, HTML_SOUP.map(str.encode)))
def test_any_input_gives_an_article_or_extract_error(page: bytes | str) -> None:
    try:
        result = extract_article(page, "https://x.example/a")
    except ExtractError:
        return
    assert isinstance(result, Extracted) and result.text
    if result.html is not None:
        assert_safe(result.html)
    for url in (result.image_url, result.canonical_url):
        assert url is None or url.startswith(("http://", "https://"))


# --- pages of the shared bench server -----------------------------------------------------------


@pytest.fixture(scope="module")
def bench_pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    corpus = SHARED_BENCH / "corpus.py"
    if not corpus.exists():
        pytest.skip(f"shared bench corpus generator not found: {corpus}")
    out = tmp_path_factory.mktemp("corpus")
    args = [sys.executable, str(corpus), "--feeds", "3", "--out", str(out), "--dump-articles", "5"]
    subprocess.run(args, check=True, capture_output=True)
    return sorted((out / "articles").glob("*.html"))


# Fixed strings of the generated pages' furniture (nav sections, widgets, footer).
BENCH_FURNITURE = [
    *("We use cookies", "Accept all", "Manage preferences", "Subscribe", "Sign in", "Advertisement"),
    *("Share", "Post", "Email", "Topics:", "Trending", "Get the morning briefing", "Sign up", "Related stories"),
    *("Comments", "Load more comments", "Reply", "Like (", "About us", "Privacy policy", "All rights reserved"),
]


def bench_page_parts(path: Path) -> tuple[list[str], list[str]]:
    """(article-body paragraphs, texts of the page's other blocks) of one generated page."""
    tree = lxml_html.fromstring(path.read_bytes())
    body = [squash(p.text_content()) for p in tree.xpath("//div[@class='article-body']/p")]
    noise_xpath = "//div[@class='comment']/p | //section[@class='related']//a | //aside//a | //nav//a"
    noise = [squash(el.text_content()) for el in tree.xpath(noise_xpath)]
    return body, noise


def test_bench_pages_are_clean(bench_pages: list[Path]) -> None:
    assert len(bench_pages) == 5
    for path in bench_pages:
        body, noise = bench_page_parts(path)
        text = squash(extract_article(path.read_bytes(), "http://127.0.0.1:8765/a/page.html").text)
        for paragraph in body:
            assert paragraph in text, path.name
        for furniture in BENCH_FURNITURE + noise:
            assert not re.search(rf"\b{re.escape(furniture)}", text), (path.name, furniture)


def test_pages_served_by_the_bench_server_are_clean_through_the_pool(tmp_path: Path) -> None:
    with BenchServer(tmp_path / "corpus", feeds=2) as server, ExtractorPool(Settings(), workers=1) as pool:
        feed = server.plan["feeds"][0]["id"]
        for j in range(2):
            url = f"{server.base_url}/a/{feed}/{j}-page.html"
            with urllib.request.urlopen(url, timeout=10) as response:
                page = response.read()
            tmp_page = tmp_path / f"{j}.html"
            tmp_page.write_bytes(page)
            body, noise = bench_page_parts(tmp_page)
            result = asyncio.run(pool.extract(page, url))
            text = squash(result.text)
            assert all(paragraph in text for paragraph in body)
            assert not any(furniture in text for furniture in ["We use cookies", "Load more comments", *noise])
            assert result.title and result.published and result.authors and result.language == "en"


# --- the process pool ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractorPool]:
    with ExtractorPool(Settings(page_max_bytes=200_000), workers=2) as p:
        yield p


def test_extracted_pickles() -> None:
    result = extract_article(article_page(), "https://gazette.example/news/river-levels")
    assert pickle.loads(pickle.dumps(result)) == result


def test_pool_extracts_without_blocking_the_loop(pool: ExtractorPool) -> None:
    pages = [article_page().encode()] * 8

    async def scenario() -> tuple[list[Extracted], float]:
        worst = 0.0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal worst
            loop = asyncio.get_running_loop()
            while not done.is_set():
                before = loop.time()
                await asyncio.sleep(0.005)
                worst = max(worst, loop.time() - before - 0.005)

        tick = asyncio.create_task(ticker())
        results = await asyncio.gather(*(pool.extract(p, "https://gazette.example/news/a") for p in pages))
        done.set()
        await tick
        return list(results), worst

    results, worst_lag = asyncio.run(scenario())
    assert all(r.title == "River levels fall for a third week" for r in results)
    assert worst_lag < 0.25  # one page takes ~50 ms of CPU; a blocked loop would lag for all 8


def test_pool_refuses_pages_over_the_size_cap(pool: ExtractorPool) -> None:
    with pytest.raises(ExtractError, match="too large"):
        asyncio.run(pool.extract(b"<html>" + b"x" * 200_001, "https://x.example/big"))


def test_pool_reports_pages_without_text_as_extract_error(pool: ExtractorPool) -> None:
    with pytest.raises(ExtractError) as info:
        asyncio.run(pool.extract(b"<html><body></body></html>", "https://x.example/empty"))
    assert info.value.url == "https://x.example/empty"


def test_cpu_budget_fails_only_the_slow_page() -> None:
    # 1.3 MB of distinct paragraphs: ≈0.25 s of CPU in a warm worker, five times the budget
    slow_page = article_page([f"Report {i}: {p}" for i in range(1500) for p in PARAGRAPHS]).encode()
    with ExtractorPool(Settings(), workers=1, cpu_limit_s=0.05) as slow_pool:
        with pytest.raises(ExtractError, match="CPU"):
            asyncio.run(slow_pool.extract(slow_page, "https://x.example/slow"))
        # the worker survived its timer and the next page gets a fresh budget
        result = asyncio.run(slow_pool.extract(article_page().encode(), "https://x.example/fast"))
        assert result.title


CRASH_MARKER = b"<!-- crash the worker -->"


def crashing_task(body: bytes, url: str, cpu_limit_s: float) -> Extracted | str:
    """A worker task that dies like a segfaulting C extension on marked pages."""
    if CRASH_MARKER in body:
        time.sleep(0.2)  # let the other pages reach the workers first
        os._exit(70)
    return extract_in_worker(body, url, cpu_limit_s)


@pytest.mark.slow  # kills and replaces pool workers: seconds of process starts
def test_a_crashing_page_fails_alone() -> None:
    good = article_page().encode()
    bad = good + CRASH_MARKER

    async def scenario(crash_pool: ExtractorPool) -> list[Extracted | BaseException]:
        pages = [good, good, bad, good, good]
        jobs = (crash_pool.extract(p, f"https://x.example/{i}") for i, p in enumerate(pages))
        return list(await asyncio.gather(*jobs, return_exceptions=True))

    with ExtractorPool(Settings(), workers=2, task=crashing_task) as crash_pool:
        outcomes = asyncio.run(scenario(crash_pool))
        assert [type(o) for o in outcomes] == [Extracted, Extracted, ExtractError, Extracted, Extracted]
        failure = outcomes[2]
        assert isinstance(failure, ExtractError) and "crashed" in failure.reason
        assert failure.url == "https://x.example/2"
        # the pool was replaced and keeps working
        assert isinstance(asyncio.run(crash_pool.extract(good, "https://x.example/after")), Extracted)


def test_pool_starts_lazily_without_start() -> None:
    lazy = ExtractorPool(Settings(), workers=1)
    try:
        result = asyncio.run(lazy.extract(article_page().encode(), "https://x.example/lazy"))
        assert json.dumps(result.authors) == '["Maria Lindqvist", "Tom Okafor"]'
    finally:
        lazy.close()


def test_truncated_page_still_yields_its_first_paragraphs() -> None:
    page = article_page().encode()
    cut = page.index(PARAGRAPHS[2].encode()) + 40  # mid-paragraph, as a size cap would cut it
    result = extract_article(page[:cut], "https://gazette.example/news/river-levels")
    assert PARAGRAPHS[0] in squash(result.text) and PARAGRAPHS[1] in squash(result.text)


@settings(max_examples=100, deadline=None, database=None)
@given(cut=st.integers(min_value=0, max_value=len(article_page().encode())))
def test_any_truncation_gives_an_article_or_extract_error(cut: int) -> None:
    with contextlib.suppress(ExtractError):
        extract_article(article_page().encode()[:cut], "https://x.example/a")
