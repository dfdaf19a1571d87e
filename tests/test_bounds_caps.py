"""Stored titles and bodies are cut to sizes a reader can use (issue 12 §5).

Before, a feed's 1 MB title was stored and shown whole: the front page grew to 1 MB. Both stages
now cut at a word boundary and mark the cut with "…" (``pipeline/sanitize.py``: ``MAX_TITLE_CHARS``,
``MAX_SUMMARY_CHARS``, ``MAX_BODY_CHARS``; ``docs/architecture.md`` lists them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from xml.sax.saxutils import escape

import pytest

from newsdesk.model import ParsedFeed
from newsdesk.pipeline.feed.fields import MAX_LANGUAGE_CHARS, MAX_NAME_CHARS, MAX_NAMES
from newsdesk.pipeline.feed.parse import parse_feed
from newsdesk.pipeline.page.extract import extract_article
from newsdesk.pipeline.sanitize import (
    ELLIPSIS,
    MAX_BODY_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    html_to_text,
    sanitize_html,
    shorten,
    shorten_html,
)
from tests.html_safety import assert_safe

URL = "https://news.example/feed"
WORDS = " ".join(f"word{i}" for i in range(200_000))  # 1.3 MB of distinct words


def assert_cut_at_a_word(text: str, limit: int) -> None:
    assert len(text) <= limit
    assert text.endswith(ELLIPSIS)
    kept = text.removesuffix(ELLIPSIS).split()
    assert kept == WORDS.split()[: len(kept)]  # whole words, from the start
    assert len(" ".join(kept)) > limit - 20  # and not much shorter than the limit


# --- the helpers ----------------------------------------------------------------------------------


def test_short_text_is_left_alone() -> None:
    assert shorten("A headline", MAX_TITLE_CHARS) == "A headline"
    assert shorten_html("<p>A summary</p>", MAX_SUMMARY_CHARS) == "<p>A summary</p>"


def test_text_is_cut_at_a_word() -> None:
    assert_cut_at_a_word(shorten(WORDS, MAX_TITLE_CHARS), MAX_TITLE_CHARS)
    assert shorten("x" * 1_000, 10) == "x" * 9 + ELLIPSIS  # one endless word is cut inside it


def test_html_is_cut_outside_tags_at_a_word() -> None:
    html = "".join(f'<p>{word} <a href="https://example.com/{word}">{word}</a></p>' for word in WORDS.split()[:5_000])
    for limit in range(1_000, 1_100):
        cut = shorten_html(html, limit)
        assert len(cut) <= limit
        assert cut.endswith(ELLIPSIS)
        body = cut.removesuffix(ELLIPSIS)
        assert body.rfind("<") < body.rfind(">") or "<" not in body  # no tag cut in two
        assert html.startswith(body)
        cleaned = sanitize_html(cut, URL)
        assert_safe(cleaned)
        assert html_to_text(cleaned).endswith(ELLIPSIS)


# --- the feed stage -------------------------------------------------------------------------------


def rss_feed(title: str, description: str, content: str | None = None, *, language: str = "en") -> bytes:
    encoded = f"<content:encoded>{escape(content)}</content:encoded>" if content is not None else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link><language>{escape(language)}</language>"
        f"<item><title>{escape(title)}</title><link>https://news.example/1</link>"
        f"<description>{escape(description)}</description>{encoded}</item></channel></rss>"
    ).encode()


def atom_feed(title: str, summary: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:feed</id>"
        f'<entry><title>{escape(title)}</title><id>urn:1</id><link href="https://news.example/1"/>'
        f'<summary type="html">{escape(summary)}</summary></entry></feed>'
    ).encode()


def json_feed(title: str, summary: str) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "items": [{"id": "1", "url": "https://news.example/1", "title": title, "content_html": summary}],
        }
    ).encode()


FORMATS: dict[str, Callable[[str, str], bytes]] = {"rss": rss_feed, "atom": atom_feed, "json": json_feed}


@pytest.mark.parametrize("kind", FORMATS)
def test_a_megabyte_title_is_cut_to_a_headline(kind: str) -> None:
    feed = parse_feed(FORMATS[kind](WORDS, "<p>Short.</p>"), URL)
    assert feed.title is not None
    assert_cut_at_a_word(feed.title, MAX_TITLE_CHARS)
    (entry,) = feed.entries
    assert entry.title is not None
    assert_cut_at_a_word(entry.title, MAX_TITLE_CHARS)


def body_text(feed: ParsedFeed) -> tuple[str, str]:
    (entry,) = feed.entries
    return html_to_text(entry.summary_html or ""), html_to_text(entry.content_html or "")


@pytest.mark.parametrize("kind", FORMATS)
def test_a_summary_that_is_the_whole_text_is_cut_at_the_body_size(kind: str) -> None:
    summary, content = body_text(parse_feed(FORMATS[kind]("Title", f"<p>{WORDS}</p>"), URL))
    text = summary or content  # JSON Feed's content_html is the body
    assert_cut_at_a_word(text, MAX_BODY_CHARS)


def test_content_is_cut_at_the_body_size_and_a_summary_beside_it_shorter() -> None:
    summary, content = body_text(parse_feed(rss_feed("Title", WORDS, f"<p>{WORDS}</p>"), URL))
    assert_cut_at_a_word(summary, MAX_SUMMARY_CHARS)
    assert_cut_at_a_word(content, MAX_BODY_CHARS)


def test_names_and_categories_are_cut_and_counted() -> None:
    authors = "".join(f"<author>jo{i}@news.example (Jo {i} {WORDS[:1_000]})</author>" for i in range(2))
    categories = "".join(f"<category>Topic {i}</category>" for i in range(500)) + f"<category>{WORDS}</category>"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://news.example/</link>'
        f"<item><title>x</title><link>https://news.example/1</link>{authors}{categories}</item></channel></rss>"
    ).encode()
    (entry,) = parse_feed(body, URL).entries
    assert all(len(name) <= MAX_NAME_CHARS for name in (*entry.authors, *entry.categories))
    assert len(entry.categories) == MAX_NAMES
    assert entry.categories[0] == "Topic 0"


@pytest.mark.parametrize(
    ("language", "kept"), [("de-DE", True), ("x" * (MAX_LANGUAGE_CHARS + 1), False), (WORDS, False)]
)
def test_a_language_that_is_no_language_tag_is_dropped(language: str, kept: bool) -> None:
    """RSS and Atom languages are read by a pattern of language tags; JSON Feed's is any string."""
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "language": language, "items": []}).encode()
    assert parse_feed(body, URL).language == (language if kept else None)


# --- the page stage -------------------------------------------------------------------------------


def test_a_page_s_title_and_description_are_cut_as_the_feed_s() -> None:
    paragraphs = "".join(f"<p>{' '.join(WORDS.split()[i * 40 : (i + 1) * 40])}.</p>" for i in range(30))
    page = (
        f"<html><head><title>{WORDS[:100_000]}</title>"
        f'<meta name="description" content="{WORDS[:100_000]}"></head>'
        f"<body><article><h1>{WORDS[:100_000]}</h1>{paragraphs}</article></body></html>"
    )
    extracted = extract_article(page, "https://news.example/1")
    assert extracted.title is not None
    assert_cut_at_a_word(extracted.title, MAX_TITLE_CHARS)
    assert extracted.description is not None  # trafilatura cuts it first, at 10,000 characters, inside a word
    assert len(extracted.description) <= MAX_SUMMARY_CHARS
