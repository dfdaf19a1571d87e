"""URL canonicalization, stable ids and hashes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.model import ParsedEntry
from newsdesk.pipeline.feed.normalize import entry_guid
from newsdesk.pipeline.keys import MIN_HASH_WORDS, article_id, content_hash, count_words, words_and_hash, words_of
from newsdesk.pipeline.urls import canonicalize_url, page_canonical_url, same_site


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.COM/a/b?utm_source=x&id=3#frag", "https://example.com/a/b?id=3"),
        ("http://example.com:80/x?fbclid=1&gclid=2", "http://example.com/x"),
        ("https://example.com:8443/x?b=2&a=1", "https://example.com:8443/x?b=2&a=1"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/x?UTM_Campaign=y&mc_eid=1&keep=", "https://example.com/x?keep="),
        ("javascript:alert(1)", None),
        ("ftp://example.com/file", None),
        ("https://user:pw@example.com/x", None),
        ("not a url", None),
        ("", None),
        (None, None),
        ("https://[::1]:99999/x", None),
    ],
)
def test_canonicalize_url(url: str | None, expected: str | None) -> None:
    assert canonicalize_url(url) == expected


def test_article_id_is_stable_and_distinct() -> None:
    assert article_id(1, "guid") == article_id(1, "guid")
    assert article_id(1, "guid") != article_id(2, "guid")
    assert len(article_id(1, "guid")) == 32 and article_id(1, "guid").startswith("000001")
    assert article_id(0x1234567, "guid").startswith("1234567")


def test_content_hash_ignores_case_and_punctuation_but_not_words() -> None:
    text = "The council approved the budget on Tuesday after a long debate about schools and roads."
    assert content_hash(text) == content_hash(text.upper().replace(".", "!"))
    assert content_hash(text) != content_hash(text.replace("Tuesday", "Monday"))
    assert content_hash("Too short to trust.") is None


def test_content_hash_ignores_spacing_and_paragraphs() -> None:
    text = "The council approved the budget on Tuesday, after a long debate about schools and roads."
    assert content_hash(text) == content_hash(text.replace(" ", "\n\n", 3).replace(", ", " , "))
    assert content_hash(text) == content_hash("\u201c" + text + "\u201d")  # curly quotes: the non-ASCII path


def _by_definition(text: str) -> tuple[int, str | None]:
    """Word count and content hash as documented, with a list of words (the slow, obvious way)."""
    words = words_of(text)
    if len(words) < MIN_HASH_WORDS:
        return len(words), None
    return len(words), hashlib.blake2b("".join(words).encode("utf-8"), digest_size=16).hexdigest()[:16]


_TEXTISH = st.text(
    alphabet=st.sampled_from([*"abcXYZ019 .,;:!?'\"-()[]\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f", "\u00e9", "\u2019", "\u00a0"]),
    max_size=300,
)


@settings(max_examples=400, deadline=None)
@given(_TEXTISH)
def test_fast_word_count_and_hash_match_the_definition(text: str) -> None:
    assert words_and_hash(text) == _by_definition(text)
    assert count_words(text) == len(words_of(text))


def test_entry_guid_fallbacks() -> None:
    assert entry_guid(ParsedEntry(guid=" g ", url="u", title="t")) == "g"
    assert entry_guid(ParsedEntry(guid=None, url="https://x/1", title="t")) == "https://x/1"
    by_title = entry_guid(ParsedEntry(guid=None, url=None, title="A title"))
    assert by_title is not None and by_title.startswith("title:")
    assert entry_guid(ParsedEntry(guid=None, url=None, title=None)) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a/b.html",
        "http://127.0.0.1:8765/a/f1/2-slug.html",
        "http://example.com:80/x",
        "https://example.com:443/x",
        "https://EXAMPLE.com/x",
        "https://example.com/x?utm_source=a",
        "https://example.com/x#frag",
        "https://example.com/%7Euser",
        "https://example.com:099999/x",
    ],
)
def test_fast_path_agrees_with_full_parse(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        assert canonicalize_url(url) is None
        return
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = parts.hostname if port in (None, default) else f"{parts.hostname}:{port}"
    expected_query = "" if "utm_" in parts.query else parts.query
    expected = f"{parts.scheme}://{netloc}{parts.path}" + (f"?{expected_query}" if expected_query else "")
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://www.example.com/a", "https://example.com/b", True),
        ("https://m.example.com/a", "https://www.example.com/a", True),
        ("https://news.example.com/a", "https://example.com/a", True),
        ("https://example.com/a", "https://example.org/a", False),
        ("https://notexample.com/a", "https://example.com/a", False),
        ("http://127.0.0.1:8000/a", "http://localhost:8000/a", False),
        ("not a url", "https://example.com/", False),
    ],
)
def test_same_site(a: str, b: str, same: bool) -> None:
    assert same_site(a, b) is same and same_site(b, a) is same


def test_a_page_canonical_is_canonicalized_and_never_a_front_page() -> None:
    assert page_canonical_url("https://E.com/story?utm_source=x#top") == "https://e.com/story"
    assert page_canonical_url("https://e.com/") is None
    assert page_canonical_url("https://e.com") is None
    assert page_canonical_url("https://e.com/?p=12") == "https://e.com/?p=12"  # WordPress article addresses
    assert page_canonical_url("javascript:alert(1)") is None
