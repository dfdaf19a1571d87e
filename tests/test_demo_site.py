"""The offline demo site: bundled corpus, feeds, article pages, OPML, robots.txt, conditional GETs.

Everything is fetched over real loopback HTTP from :func:`running_demo_site`,
with plain urllib (no proxy), so these tests need none of the pipeline.
"""

from __future__ import annotations

import html
import itertools
import subprocess
import sys
import unicodedata
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from newsdesk.demo import DemoArticle, DemoSite, load_demo_articles, running_demo_site
from newsdesk.demo.articles import publication_times, short_summary
from newsdesk.demo.edition import make_edition
from newsdesk.demo.render import render_site
from newsdesk.pipeline.page.extract import extract_article
from tests.conftest import REPO, SHARED_DATA, require_shared

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:  # urllib raises for 304 and 404
        with err:
            return err.code, dict(err.headers), err.read()


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with running_demo_site(now=NOW) as running:
        yield running


def test_bundled_corpus() -> None:
    articles = load_demo_articles()
    by_set = Counter(a.collection for a in articles)
    assert by_set["itn"] >= 200 and by_set["wikinews"] >= 200, by_set
    assert len({a.id for a in articles}) == len({a.url for a in articles}) == len(articles)  # one article per address
    for a in articles:
        host = "en.wikinews.org" if a.collection == "wikinews" else f"{a.language}.wikipedia.org"
        assert a.url.startswith(f"https://{host}/wiki/"), a.url
        assert a.title and a.paragraphs and a.license
    itn = [a for a in articles if a.collection == "itn"]
    assert len({a.language for a in itn}) >= 15
    assert all(a.event and a.kicker and a.license == "CC BY-SA 3.0" and "Wikipedia" in a.attribution for a in itn)
    wikinews = [a for a in articles if a.collection == "wikinews"]
    assert all(a.license == "CC BY 2.5" and "Wikinews" in a.attribution for a in wikinews)
    assert all(len(a.text.split()) >= 100 for a in wikinews)


def test_attribution_lists_every_set_and_article() -> None:
    notice = resources.files("newsdesk.demo").joinpath("data", "ATTRIBUTION.md").read_text(encoding="utf-8")
    for needle in ("Wikipedia contributors", "Wikinews contributors", "CC BY-SA 3.0", "CC BY 2.5",
                   "https://creativecommons.org/licenses/by-sa/3.0/", "https://creativecommons.org/licenses/by/2.5/",
                   "shizhao/ITN-corpus", "vanatteveldt/wikinews"):  # fmt: skip
        assert needle in notice, needle
    assert all(a.url in notice for a in load_demo_articles())


def test_events_keep_their_spacing_in_the_last_days() -> None:
    articles = load_demo_articles()
    times = publication_times(articles, NOW)
    assert all(NOW - timedelta(days=5) < t < NOW for t in times.values())
    assert publication_times(articles, NOW) == times  # deterministic
    events: dict[str, list[DemoArticle]] = {}
    for a in articles:
        if a.event:
            events.setdefault(a.event, []).append(a)
    spans = []
    for group in events.values():
        group.sort(key=lambda a: (a.published, a.id))
        shifted = [times[a.id] for a in group]
        assert shifted == sorted(shifted)  # order kept
        spans.append(shifted[-1] - shifted[0])
        if group[0].collection == "itn":  # within 60 h: the spacing itself is kept, to the minute
            for a, b in itertools.pairwise(group):
                gap = (times[b.id] - times[a.id]) - (b.published - a.published)
                assert abs(gap) <= timedelta(minutes=1)
    assert max(spans) >= timedelta(days=2)  # some story grows over days
    assert max(t for t in times.values()) > NOW - timedelta(hours=1)


def test_summary_is_a_short_teaser() -> None:
    for a in load_demo_articles():
        summary = short_summary(a)
        if a.collection == "itn":
            assert summary == a.text  # a blurb is its own teaser
        else:
            assert 3 <= len(summary.split()) <= 46


def test_rendering_is_deterministic_given_now() -> None:
    articles = load_demo_articles()
    first = render_site(make_edition(articles, NOW), "http://127.0.0.1:1")
    second = render_site(make_edition(articles, NOW), "http://127.0.0.1:1")
    assert first == second
    sources = len({(a.collection, a.language) for a in articles})
    assert len(first) == 3 + 2 * sources + len(articles)  # index, OPML, robots; feed + section page per source


def _visible(text: str) -> str:
    """Words without format controls (the sanitizer drops right-to-left marks and joiners)."""
    return " ".join("".join(ch for ch in text if unicodedata.category(ch) != "Cf").split())


def test_a_blurb_page_extracts_to_the_blurb_alone() -> None:
    """A one-sentence page must come out as that sentence: no notice, byline or share bar."""
    articles = [a for a in load_demo_articles() if a.collection == "itn"][:40]
    edition = make_edition(articles, NOW)
    site = render_site(edition, "http://127.0.0.1:1")
    for story in edition.stories:
        extracted = extract_article(site[story.path].body, "http://127.0.0.1:1" + story.path)
        assert _visible(extracted.text) == _visible(story.article.text), story.article.id
        assert extracted.canonical_url == story.article.url


def test_opml_lists_every_feed(site: DemoSite) -> None:
    status, headers, body = get(site.opml_url)
    assert status == 200 and "opml" in headers["Content-Type"]
    urls = etree.fromstring(body).xpath("//outline/@xmlUrl")
    assert sorted(urls) == sorted(f.url for f in site.feeds)
    assert len(site.feeds) >= 15
    assert len({f.language for f in site.feeds}) == len(site.feeds) - 1  # an edition per language, and Wikinews


def test_feeds_carry_recent_teasers(site: DemoSite) -> None:
    versions, links = set(), []
    for feed in site.feeds:
        status, _, body = get(feed.url)
        assert status == 200
        etree.fromstring(body)  # well-formed XML
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.feed.title == feed.title
        assert parsed.entries
        versions.add(parsed.version)
        for entry in parsed.entries:
            published = datetime(*entry.published_parsed[:6], tzinfo=UTC)
            assert NOW - timedelta(days=5) <= published <= NOW
            assert len(entry.summary.split()) < 70  # a teaser: newsdesk must fetch the page
            assert "; date shifted]" in entry.summary
            links.append(entry.link)
    assert versions == {"rss20", "atom10"}
    assert len(links) == len(set(links)) == len(load_demo_articles())


def test_article_page_has_text_and_boilerplate(site: DemoSite) -> None:
    articles = load_demo_articles()
    wikinews = [a for a in articles if a.collection == "wikinews"]
    blurb = next(a for a in articles if a.collection == "itn")
    for article in (wikinews[0], wikinews[-1], blurb):
        status, headers, body = get(site.url_of(article))
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        page = body.decode("utf-8")
        doc = etree.HTML(body)
        body_text = " ".join(doc.xpath("//article")[0].itertext())
        for paragraph in article.paragraphs:
            assert paragraph in body_text
        # the real address of the original: canonical link, og:url and a visible link
        assert doc.xpath("//link[@rel='canonical']/@href") == [article.url]
        assert doc.xpath("//meta[@property='og:url']/@content") == [article.url]
        assert html.escape(article.url) in page
        notice = " ".join(doc.xpath("//p[@class='demo-notice']//text()"))
        assert article.published.date().isoformat() in notice and "Demo: dates shifted." in notice
        if article.collection == "wikinews":
            assert doc.xpath("//article//h1/text()") == [article.title]
            assert doc.xpath("//article//time/@datetime")
            for chrome in ("cookie-banner", "main-nav", "share-bar", "newsletter", "related", "comments"):
                assert f'class="{chrome}"' in page, chrome
        else:
            assert doc.xpath("//meta[@property='og:title']/@content") == [article.kicker]
            assert "Wikipedia contributors" in page and "CC BY-SA 3.0" in page
    assert "Share on WhatsApp" in get(site.url_of(wikinews[0]))[2].decode()


def test_index_links_every_feed_for_autodiscovery(site: DemoSite) -> None:
    status, _, body = get(site.base_url + "/")
    assert status == 200
    alternates = etree.HTML(body).xpath("//head/link[@rel='alternate']/@href")
    assert sorted(alternates) == sorted(f.url for f in site.feeds)
    section = get(site.feeds[0].html_url)[2]
    assert etree.HTML(section).xpath("//head/link[@rel='alternate']/@href") == [site.feeds[0].url]


def test_robots_txt_allows_everything(site: DemoSite) -> None:
    status, _, body = get(site.base_url + "/robots.txt")
    assert status == 200
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(body.decode().splitlines())
    assert robots.can_fetch("newsdesk", site.url_of(load_demo_articles()[5]))


def test_conditional_requests_get_304(site: DemoSite) -> None:
    feed = site.feeds[0].url
    status, headers, body = get(feed)
    assert status == 200 and body
    etag, last_modified = headers["Etag"], headers["Last-Modified"]
    assert get(feed, {"If-None-Match": etag})[0] == 304
    assert get(feed, {"If-None-Match": f'"other", W/{etag}'})[0] == 304
    status, _, body = get(feed, {"If-Modified-Since": last_modified})
    assert (status, body) == (304, b"")
    assert get(feed, {"If-None-Match": '"stale"', "If-Modified-Since": last_modified})[0] == 200
    older = (datetime(2000, 1, 1, tzinfo=UTC)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert get(feed, {"If-Modified-Since": older})[0] == 200


def test_gzip_and_unknown_paths(site: DemoSite) -> None:
    _, headers, _ = get(site.feeds[0].url, {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip"
    assert get(site.base_url + "/no/such/page")[0] == 404


def test_site_stops_cleanly() -> None:
    with running_demo_site(now=NOW) as running:
        url = running.opml_url
        assert get(url)[0] == 200
    with pytest.raises(urllib.error.URLError):
        get(url)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DemoSite(now=datetime(2026, 1, 1))  # naive on purpose


def test_build_is_deterministic(tmp_path: Path) -> None:
    shared = require_shared(SHARED_DATA)
    require_shared(shared / "demo-news" / "itn-multilingual-2022-2023.jsonl")
    script = REPO / "scripts" / "build_demo_data.py"
    subprocess.run([sys.executable, script, "--shared", shared, "--out", tmp_path], check=True, capture_output=True)
    data = resources.files("newsdesk.demo").joinpath("data")
    for name in ("articles.jsonl.gz", "ATTRIBUTION.md"):
        assert (tmp_path / name).read_bytes() == data.joinpath(name).read_bytes(), name
