"""Feed parsing: every format mapped onto ParsedFeed, hostile input turned away.

Fixtures are small inline documents, one feature each; the agreement with
feedparser over its whole test suite is ``test_parse_corpus.py``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import fastfeedparser.main
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.errors import ParseError
from newsdesk.pipeline.feed import dates
from newsdesk.pipeline.feed.parse import parse_feed, sniff
from tests.html_safety import assert_safe

URL = "https://news.example/feeds/main.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
  <title>The  Example &amp;amp; Co.</title>
  <link>/</link>
  <description>All the &lt;b&gt;news&lt;/b&gt;</description>
  <language>de-DE</language>
  <ttl>45</ttl>
  <skipHours><hour>0</hour><hour>23</hour><hour>24</hour></skipHours>
  <skipDays><day>Saturday</day><day>sunday</day></skipDays>
  <sy:updatePeriod>hourly</sy:updatePeriod>
  <sy:updateFrequency>4</sy:updateFrequency>
  <item>
    <title>  Budget
      passes &lt;i&gt;at last&lt;/i&gt; </title>
    <link>/2024/06/budget.html</link>
    <guid isPermaLink="false">urn:example:1</guid>
    <pubDate>Tue, 04 Jun 2024 18:30:00 +0200</pubDate>
    <author>desk@news.example (Jo Doe)</author>
    <category>Politics</category><category>Money</category><category>Politics</category>
    <description>Short &lt;b&gt;summary&lt;/b&gt;</description>
    <content:encoded><![CDATA[<p onclick="steal()">Full <a href="more.html">story</a></p>
      <script>alert(1)</script><img src="/img/chart.png" alt="chart">]]></content:encoded>
  </item>
  <item>
    <title>Picture</title>
    <link>https://news.example/2024/06/picture.html</link>
    <pubDate>Monday</pubDate>
    <media:content url="https://cdn.news.example/p.jpg" medium="image"/>
    <description>Look</description>
  </item>
  <item>
    <title>Podcast</title>
    <guid>https://news.example/pod/1</guid>
    <enclosure url="https://cdn.news.example/ep1.mp3" type="audio/mpeg" length="1"/>
    <enclosure url="https://cdn.news.example/ep1.jpg" type="image/jpeg" length="1"/>
  </item>
  <item>
    <title>Hostile</title>
    <link>javascript:alert(1)</link>
    <description>&lt;img src=x onerror=alert(1)&gt;text</description>
  </item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
  <title type="html">Atom &amp;amp; Eve</title>
  <subtitle>Sub</subtitle>
  <link rel="self" href="https://news.example/atom.xml"/>
  <link rel="alternate" type="text/html" href="https://news.example/"/>
  <id>tag:news.example,2024:feed</id>
  <updated>2024-06-04T10:00:00Z</updated>
  <entry>
    <title>First</title>
    <link rel="enclosure" type="audio/mpeg" href="https://cdn.news.example/a.mp3"/>
    <link rel="alternate" type="text/html" href="https://news.example/first"/>
    <id>tag:news.example,2024:1</id>
    <published>2024-06-04T08:00:00-05:00</published>
    <updated>2024-06-04T09:00:00Z</updated>
    <author><name>Ann</name></author>
    <category term="tech" label="Technology"/>
    <content type="html">&lt;p&gt;Body with &lt;em&gt;emphasis&lt;/em&gt; and words enough.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Only an enclosure</title>
    <link rel="enclosure" href="https://cdn.news.example/b.mp3"/>
    <id>tag:news.example,2024:2</id>
    <updated>2024-06-04T09:00:00Z</updated>
    <summary type="text">a &lt;b&gt; is not bold here</summary>
  </entry>
</feed>"""


def test_rss_channel() -> None:
    feed = parse_feed(RSS, URL, "application/rss+xml")
    assert feed.format == "rss20"
    assert feed.title == "The Example & Co."
    assert feed.site_url == "https://news.example/"
    assert feed.description == "All the news"
    assert feed.language == "de-DE"
    assert feed.ttl_minutes == 45
    assert feed.skip_hours == {0, 23}
    assert feed.skip_days == {5, 6}
    assert feed.update_period_s == 900.0


def test_rss_item() -> None:
    entry = parse_feed(RSS, URL).entries[0]
    assert entry.guid == "urn:example:1"
    assert entry.url == "https://news.example/2024/06/budget.html"
    assert entry.title == "Budget passes at last"
    assert entry.authors == ("Jo Doe",)
    assert entry.published == datetime(2024, 6, 4, 16, 30, tzinfo=UTC)
    assert entry.categories == ("Politics", "Money")
    assert entry.summary_html == "Short <b>summary</b>"
    content = entry.content_html or ""
    assert "onclick" not in content and "<script" not in content and "alert" not in content
    assert '<a href="https://news.example/2024/06/more.html"' in content  # relative to the entry's page
    assert entry.image_url == "https://news.example/img/chart.png"  # the first <img> of the content


def test_rss_images_dates_and_hostile_links() -> None:
    _, picture, podcast, hostile = parse_feed(RSS, URL).entries
    assert picture.image_url == "https://cdn.news.example/p.jpg"
    assert picture.published is None  # "Monday" names no date
    assert podcast.url == "https://news.example/pod/1"  # a guid that is a web address is the link
    assert podcast.image_url == "https://cdn.news.example/ep1.jpg"
    assert hostile.url is None
    assert hostile.summary_html == '<img src="https://news.example/feeds/x" loading="lazy">text'


def test_atom() -> None:
    feed = parse_feed(ATOM, URL, "application/atom+xml")
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "atom10",
        "Atom & Eve",
        "https://news.example/",
        "en-GB",
    )
    first, second = feed.entries
    assert first.url == "https://news.example/first"  # the alternate link, not the enclosure
    assert first.published == datetime(2024, 6, 4, 13, 0, tzinfo=UTC)
    assert first.updated == datetime(2024, 6, 4, 9, 0, tzinfo=UTC)
    assert first.authors == ("Ann",)
    assert first.categories == ("Technology",)
    assert first.content_html == "<p>Body with <em>emphasis</em> and words enough.</p>"
    assert first.summary_html is None  # fastfeedparser's synthesized summary only repeats the content
    assert second.url is None
    assert second.guid == "tag:news.example,2024:2"


def test_atom_xhtml_title_and_xml_base_go_through_feedparser() -> None:
    doc = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/blog/">
      <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">The <b>Blog</b></div></title>
      <entry><title>E</title><id>e1</id><link href="posts/1"/>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><a href="x.html">x</a></div></content>
      </entry></feed>"""
    feed = parse_feed(doc, URL)
    assert feed.title == "The Blog"
    assert feed.entries[0].url == "https://news.example/blog/posts/1"
    assert 'href="https://news.example/blog/x.html"' in (feed.entries[0].content_html or "")


def test_media_groups_give_picture_and_summary() -> None:
    doc = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
      <title>Channel</title><entry><id>yt:video:abc</id><title>Video</title>
      <link rel="alternate" href="https://video.example/watch?v=abc"/><updated>2024-06-02T10:00:00+00:00</updated>
      <media:group><media:title>Video</media:title>
        <media:content url="https://video.example/v/abc" type="application/x-shockwave-flash"/>
        <media:thumbnail url="https://img.video.example/abc.jpg" width="480" height="360"/>
        <media:description>What it shows</media:description></media:group></entry></feed>"""
    entry = parse_feed(doc, URL).entries[0]
    assert entry.image_url == "https://img.video.example/abc.jpg"
    assert entry.summary_html == "What it shows"


@pytest.mark.parametrize(
    ("doc", "fmt"),
    [
        (b'<rss version="0.91"><channel><title>t</title><item><title>i</title></item></channel></rss>', "rss091"),
        (b'<rss version="0.92"><channel><title>t</title><item><title>i</title></item></channel></rss>', "rss092"),
        (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
            b'<channel rdf:about="https://x.example/"><title>t</title><link>https://x.example/</link></channel>'
            b'<item rdf:about="https://x.example/1"><title>i</title><link>https://x.example/1</link></item></rdf:RDF>',
            "rss10",
        ),
        (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            b' xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>t</title></channel>'
            b"<item><title>i</title><link>https://x.example/1</link></item></rdf:RDF>",
            "rss090",
        ),
        (
            b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title>'
            b'<entry><title>i</title><id>1</id><link rel="alternate" href="https://x.example/1"/></entry></feed>',
            "atom03",
        ),
    ],
)
def test_older_formats(doc: bytes, fmt: str) -> None:
    feed = parse_feed(doc, URL)
    assert feed.format == fmt
    assert feed.title == "t"
    assert [e.title for e in feed.entries] == ["i"]


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON &amp; Co",
    "home_page_url": "https://json.example/",
    "language": "fr",
    "items": [
        {
            "id": 42,
            "url": "/posts/42",
            "title": "Forty-two",
            "content_text": "Line one\nline two\n\nSecond <para>",
            "summary": "A <summary>",
            "date_published": "2024-06-04T10:00:00+02:00",
            "authors": [{"name": "Bo"}, {"url": "no name"}],
            "tags": ["a", "b", 3],
            "image": "https://json.example/42.png",
        },
        {"id": "x", "content_html": "<p>hi<script>x()</script></p>", "author": {"name": "Old Style"}},
        "not an item",
        {"id": True, "title": ["not", "text"], "date_published": "yesterday"},
    ],
}


def test_json_feed() -> None:
    feed = parse_feed(json.dumps(JSON_FEED).encode(), URL, "application/feed+json")
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "json11",
        "JSON & Co",
        "https://json.example/",
        "fr",
    )
    first, second, third = feed.entries
    assert (first.guid, first.url, first.title) == ("42", "https://news.example/posts/42", "Forty-two")
    assert first.content_html == "<p>Line one<br>line two</p><p>Second &lt;para&gt;</p>"
    assert first.summary_html == "<p>A &lt;summary&gt;</p>"
    assert first.published == datetime(2024, 6, 4, 8, 0, tzinfo=UTC)
    assert first.authors == ("Bo",)
    assert first.categories == ("a", "b")
    assert first.image_url == "https://json.example/42.png"
    assert second.content_html == "<p>hi</p>"
    assert second.authors == ("Old Style",)
    assert (third.guid, third.title, third.published) == (None, None, None)


def test_json_feed_is_recognised_without_a_content_type_and_version_1_0() -> None:
    doc = {"version": "https://jsonfeed.org/version/1", "title": "t", "items": []}
    assert parse_feed(b"  \n" + json.dumps(doc).encode(), URL, None).format == "json10"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", None, "not a feed: empty document"),
        (b" \n\t", "application/rss+xml", "not a feed: empty document"),
        (
            b"<!DOCTYPE html><html><head><title>Hi</title></head><body></body></html>",
            "application/rss+xml",
            "HTML page",
        ),
        (b"<html><body><p>hello</p></body></html>", None, "HTML page"),
        (b"\n<div>fragment</div>", None, "HTML page"),
        (b'<?xml version="1.0"?><config><a/></config>', None, "root element <config>"),
        (b"plain words, no markup", None, "neither XML nor JSON"),
        (b"{broken json", "application/json", "malformed JSON"),
        (b'{"some": "object"}', None, "not a JSON Feed"),
        (b"\xff\xfe\x00garbage", None, "not a feed"),
        (b'<rss version="2.0"><channel><title>Cut off', None, "malformed XML"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"', None, "malformed XML"),
    ],
)
def test_what_is_not_a_feed_says_why(body: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_feed(body, URL, content_type)
    assert reason in raised.value.reason
    assert raised.value.url == URL


def test_an_empty_but_valid_feed_is_a_feed() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', URL)
    assert (feed.title, feed.entries, feed.format) == ("Quiet", (), "rss20")
    assert parse_feed(b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', URL).format == "atom10"


def test_a_feed_served_as_html_is_still_a_feed() -> None:
    assert parse_feed(RSS, URL, "text/html; charset=utf-8").title == "The Example & Co."


def test_utf16_and_latin1_feeds() -> None:
    doc = '<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><title>Café</title></channel></rss>'
    assert parse_feed(doc.encode("utf-16"), URL).title == "Café"
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Café</title>'
    latin += "<item><title>Crème</title></item></channel></rss>"
    feed = parse_feed(latin.encode("latin-1"), URL)
    assert (feed.title, feed.entries[0].title) == ("Café", "Crème")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-06-04T10:00:00Z", datetime(2024, 6, 4, 10, 0, tzinfo=UTC)),
        ("Tue, 04 Jun 2024 10:00:00 EST", datetime(2024, 6, 4, 15, 0, tzinfo=UTC)),
        ("Tue, 04 Jun 24 10:00:00 GMT", datetime(2024, 6, 4, 10, 0, tzinfo=UTC)),
        ("2024-06", datetime(2024, 6, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("yesterday", None),
        ("3 hours ago", None),
        ("10:00", None),
        ("Monday", None),
        ("1700000000", None),
        ("Tue, 31 Feb 2024 10:00:00 GMT", None),
        ("9999-99-99T99:99:99Z", None),
        ("x" * 10_000, None),
        ("", None),
    ],
)
def test_dates_are_aware_utc_or_none(raw: str, expected: datetime | None) -> None:
    item = f"<item><title>i</title><pubDate>{raw}</pubDate></item>"
    doc = f'<rss version="2.0"><channel><title>t</title>{item}</channel></rss>'
    entry = parse_feed(doc.encode(), URL).entries[0]
    assert entry.published == expected


@given(
    st.from_regex(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} .{0,12}|\d{4}-\d{2}-\d{2}.{0,12}", fullmatch=True)
    | st.text(max_size=40)
)
def test_the_date_guards_shortcut_only_admits_what_the_full_pattern_admits(value: str) -> None:
    if dates._COMMON_FULL_DATE_RE.match(value) is not None:
        assert dates._FULL_DATE_RE.search(value) is not None


def test_fastfeedparser_date_hook_is_guarded() -> None:
    """The guard wraps a private fastfeedparser function; fail loudly if it moves."""
    assert fastfeedparser.main._parse_date is dates.parse_full_date


def test_feed_in_an_unusual_namespace_gets_its_title_from_feedparser() -> None:
    doc = b"""<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>Namespaced</title>
        <item><title>i</title><link>https://x.example/1</link></item></channel></rss>"""
    feed = parse_feed(doc, URL)
    assert feed.title == "Namespaced"
    assert [e.url for e in feed.entries] == ["https://x.example/1"]


def test_cdf_is_read_by_feedparser() -> None:
    assert parse_feed(b"<CHANNEL><TITLE>Old</TITLE></CHANNEL>", URL).title == "Old"


def test_external_entities_are_not_resolved() -> None:
    doc = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title><item><title>x &xxe;</title></item></channel></rss>"""
    try:
        feed = parse_feed(doc, URL)
    except ParseError:
        return
    assert "root:" not in (feed.title or "")
    assert all("root:" not in (e.title or "") for e in feed.entries)


def test_billion_laughs_does_not_expand() -> None:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    doc = f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">{lol}]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>"""
    start = time.perf_counter()
    with pytest.raises(ParseError, match="XML bomb"):
        parse_feed(doc.encode(), URL)
    assert time.perf_counter() - start < 0.1


def test_entities_for_characters_are_still_fine() -> None:
    doc = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY mdash '&#8212;'>]>
<rss version="2.0"><channel><title>A&nbsp;B</title><item><title>x</title></item></channel></rss>"""
    assert parse_feed(doc, URL).title == "A B"


def test_html_entities_in_xml_do_not_cut_text() -> None:
    doc = b"""<rss version="2.0"><channel><title>It&rsquo;s&nbsp;here</title>
    <item><title>Caf&eacute; &amp; cr&egrave;me &hellip;</title><description>a&nbsp;<b>b</b></description></item>
    <item><title><![CDATA[Tom &amp; Jerry&nbsp;&mdash; again]]></title></item></channel></rss>"""
    feed = parse_feed(doc, URL)
    assert feed.title == "It\u2019s here"
    assert [e.title for e in feed.entries] == ["Caf\u00e9 & cr\u00e8me \u2026", "Tom & Jerry \u2014 again"]


def test_sniff() -> None:
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?><!-- c --><rss>", None).root == "rss"
    assert sniff(b"<!DOCTYPE rss [<!ENTITY a 'b'>]><rdf:RDF>", None).root == "rdf"
    assert sniff(b'<feed xmlns="http://www.w3.org/2005/Atom">', None).kind == "xml"
    assert sniff(b"<!doctype HTML>", None).kind == "html"
    assert sniff(b'[{"a": 1}]', "application/json").kind == "json"


# --- properties: whatever the bytes, only ParseError -------------------------------------

SNIPPETS = [
    b"<script>alert(1)</script>",
    b"<![CDATA[",
    b"]]>",
    b"&amp;",
    b"&#0;",
    b"&bogus;",
    b"<item>",
    b"</item>",
    b"<entry>",
    b"<title>",
    b"\xff\xfe",
    b"\x00",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"xml:base='javascript:x'",
    b'<link href="javascript:alert(1)"/>',
    b"<pubDate>0000-00-00</pubDate>",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
]


def _check_outcome(body: bytes) -> None:
    try:
        feed = parse_feed(body, URL, None)
    except ParseError as exc:
        assert exc.reason
        return
    for entry in feed.entries:
        for fragment in (entry.summary_html, entry.content_html):
            if fragment is not None:
                assert_safe(fragment)
        for url in (entry.url, entry.image_url):
            assert url is None or url.startswith(("http://", "https://"))
        for moment in (entry.published, entry.updated):
            assert moment is None or moment.tzinfo is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_parse_error(body: bytes) -> None:
    _check_outcome(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([RSS, ATOM, json.dumps(JSON_FEED).encode()]),
    st.lists(
        st.tuples(
            st.integers(min_value=0), st.sampled_from(["cut", "flip", "insert", "drop"]), st.sampled_from(SNIPPETS)
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_feeds_only_raise_parse_error(doc: bytes, mutations: list[tuple[int, str, bytes]]) -> None:
    body = bytearray(doc)
    for position, kind, snippet in mutations:
        at = position % (len(body) + 1)
        if kind == "cut":
            del body[at:]
        elif kind == "flip" and at < len(body):
            body[at] ^= 0xFF
        elif kind == "insert":
            body[at:at] = snippet
        elif kind == "drop":
            del body[at : at + len(snippet)]
    _check_outcome(bytes(body))
