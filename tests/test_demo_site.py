"""The offline demo site: bundled corpus, feeds, article pages, OPML, robots.txt, conditional GETs.

Everything is fetched over real loopback HTTP from :func:`running_demo_site`,
with plain urllib (no proxy), so these tests need none of the pipeline.
"""

from __future__ import annotations

import html
import subprocess
import sys
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from newsdesk.demo import DemoSite, load_demo_articles, running_demo_site
from newsdesk.demo.articles import publication_times, short_summary
from newsdesk.demo.edition import make_edition
from newsdesk.demo.render import render_site
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
    assert Counter(a.language for a in articles) == {"en": 93, "fr": 100}
    assert len({a.id for a in articles}) == len({a.url for a in articles}) == 193
    for a in articles:
        assert a.url.startswith(f"https://{a.language}.wikinews.org/wiki/")
        assert "Wikinews" in a.attribution and a.license
        assert a.title and a.paragraphs and len(a.text.split()) >= 40
        assert not any(p.startswith(("{", "|", "&", "'''")) for p in a.paragraphs)  # wiki leftovers cleaned
    notice = resources.files("newsdesk.demo").joinpath("data", "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY 2.5 / public domain" in notice
    assert all(a.url in notice for a in articles)


def test_dates_fall_in_the_last_three_days_in_original_order() -> None:
    articles = load_demo_articles()
    times = publication_times(articles, NOW)
    assert all(NOW - timedelta(days=3) < t < NOW for t in times.values())
    for language in ("en", "fr"):
        dated = sorted((a.published, times[a.id]) for a in articles if a.language == language and a.published)
        shifted = [t for _, t in dated]
        assert shifted == sorted(shifted)
    assert publication_times(articles, NOW) == times  # deterministic


def test_summary_is_a_short_teaser() -> None:
    for a in load_demo_articles():
        summary = short_summary(a)
        assert 3 <= len(summary.split()) <= 46
        assert not summary.startswith(("22 mai", "1er"))  # French datelines stripped


def test_rendering_is_deterministic_given_now() -> None:
    articles = load_demo_articles()
    first = render_site(make_edition(articles, NOW), "http://127.0.0.1:1")
    second = render_site(make_edition(articles, NOW), "http://127.0.0.1:1")
    assert first == second
    assert len(first) == 3 + 2 * 7 + 193  # index, OPML, robots; feed + section page per source; articles


def test_opml_lists_every_feed(site: DemoSite) -> None:
    status, headers, body = get(site.opml_url)
    assert status == 200 and "opml" in headers["Content-Type"]
    urls = etree.fromstring(body).xpath("//outline/@xmlUrl")
    assert sorted(urls) == sorted(f.url for f in site.feeds)
    assert 5 <= len(site.feeds) <= 8
    assert {f.language for f in site.feeds} == {"en", "fr"}


def test_feeds_carry_recent_teasers(site: DemoSite) -> None:
    versions, links = set(), []
    for feed in site.feeds:
        status, _, body = get(feed.url)
        assert status == 200
        etree.fromstring(body)  # well-formed XML
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.feed.title == feed.title
        assert len(parsed.entries) >= 5
        versions.add(parsed.version)
        for entry in parsed.entries:
            published = datetime(*entry.published_parsed[:6], tzinfo=UTC)
            assert NOW - timedelta(days=3) <= published <= NOW
            assert len(entry.summary.split()) < 60  # a teaser: newsdesk must fetch the page
            assert "[Demo: Wikinews, " in entry.summary
            links.append(entry.link)
    assert versions == {"rss20", "atom10"}
    assert len(links) == len(set(links)) == 193


def test_article_page_has_text_and_boilerplate(site: DemoSite) -> None:
    articles = load_demo_articles()
    for article in (articles[0], articles[-1]):
        status, headers, body = get(site.url_of(article))
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        page = body.decode("utf-8")
        doc = etree.HTML(body)
        body_text = " ".join(doc.xpath("//article//div[@class='story-body']")[0].itertext())
        for paragraph in article.paragraphs:
            assert paragraph in body_text
        assert doc.xpath("//article//h1/text()") == [article.title]
        assert doc.xpath("//article//time/@datetime")
        assert doc.xpath("//link[@rel='canonical']/@href") == [site.url_of(article)]
        assert doc.xpath("//meta[@property='og:title']/@content") == [article.title]
        for chrome in ("cookie-banner", "main-nav", "share-bar", "newsletter", "related", "comments", "site-footer"):
            assert f'class="{chrome}"' in page, chrome
        assert html.escape(article.url) in page
        notice = " ".join(doc.xpath("//p[@class='demo-notice']//text()"))
        assert article.published is None or article.published.isoformat() in notice
    first_page = get(site.url_of(articles[0]))[2].decode()
    assert "Share on WhatsApp" in first_page
    assert "Originally published on Wikinews on 2004-11-13. Demo: dates shifted." in first_page


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
    require_shared(shared / "wikinews-fr-keyphrases" / "documents")
    script = REPO / "scripts" / "build_demo_data.py"
    subprocess.run([sys.executable, script, "--shared", shared, "--out", tmp_path], check=True, capture_output=True)
    data = resources.files("newsdesk.demo").joinpath("data")
    for name in ("articles.jsonl.gz", "ATTRIBUTION.md"):
        assert (tmp_path / name).read_bytes() == data.joinpath(name).read_bytes(), name


def test_original_dates_are_kept() -> None:
    by_id = {a.id: a for a in load_demo_articles()}
    assert by_id["enwn-4e343b91b068"].published == date(2004, 11, 13)
    assert by_id["frwn-43971"].published == date(2012, 5, 22)
    assert sum(a.published is None for a in by_id.values()) == 38 + 1
