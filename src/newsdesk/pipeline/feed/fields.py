"""The helpers every parser adapter maps onto: one way to make each ParsedFeed/ParsedEntry field.

Each parser's dict is mapped by its own small function (in ``fastfeed.py``,
``feedparser_fallback.py``, ``jsonfeed.py``) onto these helpers (:func:`bodies`
sanitizes, :func:`line` makes plain text, :func:`absolute_url` vets links, …),
so every path normalizes identically.

Everything a feed says is untrusted: links are made absolute and kept only
with an ``http(s)`` scheme, titles become plain text, and every HTML fragment
goes through :func:`~newsdesk.pipeline.sanitize.sanitize_html`.

Every field is also cut to a size a reader can use (``MAX_TITLE_CHARS`` and the
others in ``pipeline/sanitize.py``), at a word boundary and marked with "…", and
so is the work an entry can cost: fragments are cut before they are sanitized,
and at most ``MAX_NAMES`` authors and categories are read. :func:`build_feed`
maps entries until the feed's :class:`~newsdesk.pipeline.feed.budget.Deadline`
expires.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urljoin

from newsdesk.model import ParsedEntry, ParsedFeed
from newsdesk.pipeline.feed.budget import Deadline
from newsdesk.pipeline.feed.hints import ChannelHints
from newsdesk.pipeline.sanitize import (
    MAX_BODY_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    html_to_text,
    sanitize_html,
    shorten,
    shorten_html,
    text_line,
)

__all__ = [
    "TEXT_TYPES",
    "absolute_url",
    "bodies",
    "build_feed",
    "first_image",
    "guid_link",
    "has_img",
    "is_image",
    "line",
    "names",
    "short_reason",
    "tag_names",
    "title",
]

MAX_LINE_CHARS = 1_000  # other one-line fields: a feed's description
MAX_NAME_CHARS = 200  # an author's or a category's name
MAX_NAMES = 50  # authors, and categories, read per entry
MAX_LANGUAGE_CHARS = 35  # a language tag (BCP 47) longer than this is no language tag


def build_feed(
    url: str,
    hints: ChannelHints,
    *,
    title: object,
    site_link: object,
    description: object,
    language: object,
    format: str,  # the ParsedFeed field's name, shadowing the builtin on purpose
    entries: Iterable[ParsedEntry],
    deadline: Deadline,
) -> ParsedFeed:
    """The feed, with the entries mapped before ``deadline`` expired (all of them, unless it did)."""
    return ParsedFeed(
        title=line(title, MAX_TITLE_CHARS),
        site_url=absolute_url(site_link, url),
        entries=_in_time(entries, deadline),
        description=line(description),
        language=_language(language or hints.language),  # the parser's, else the channel header's
        format=format,
        ttl_minutes=hints.ttl_minutes,
        skip_hours=hints.skip_hours,
        skip_days=hints.skip_days,
        update_period_s=hints.update_period_s,
    )


def _language(value: object) -> str | None:
    tag = line(value)
    return tag if tag is not None and len(tag) <= MAX_LANGUAGE_CHARS else None


def _in_time(entries: Iterable[ParsedEntry], deadline: Deadline) -> tuple[ParsedEntry, ...]:
    """The entries mapped (lazily, by the parser adapter's generator) before ``deadline`` expired."""
    done: list[ParsedEntry] = []
    mapped = iter(entries)
    while not deadline.expired() and (entry := next(mapped, None)) is not None:
        done.append(entry)
    return tuple(done)


# --- bodies: sanitized HTML ----------------------------------------------------------------


def bodies(
    summary: str | None, summary_is_text: bool, content: str | None, content_is_text: bool, base: str
) -> tuple[str | None, str | None]:
    """Sanitized (summary_html, content_html); a summary that only repeats the
    start of the content (fastfeedparser synthesizes one) is dropped.

    The content is cut to ``MAX_BODY_CHARS``; so is the summary when it is all the entry has
    (it is then the article's text), else to ``MAX_SUMMARY_CHARS``.
    """
    content_html = _fragment(content, content_is_text, base, MAX_BODY_CHARS)
    summary_html = _fragment(summary, summary_is_text, base, MAX_SUMMARY_CHARS if content_html else MAX_BODY_CHARS)
    if summary_html and content_html and _repeats_content(summary_html, content_html):
        summary_html = None
    return summary_html, content_html


TEXT_TYPES = frozenset({"text", "text/plain"})  # content types that mean plain text, not HTML


def _fragment(value: str | None, is_text: bool, base: str, limit: int) -> str | None:
    if not value:
        return None
    value = _text_to_html(shorten(value, limit)) if is_text else shorten_html(value, limit)
    cleaned = sanitize_html(value, base).strip()
    return cleaned or None


_BLANK_LINE_RE = re.compile(r"\n\s*\n")


def _text_to_html(text: str) -> str:
    """Plain text (Atom type="text", JSON Feed content_text) as paragraphs of escaped HTML."""
    paragraphs = (p.strip() for p in _BLANK_LINE_RE.split(text))
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p)


def _repeats_content(summary_html: str, content_html: str) -> bool:
    """Is the summary plain text that the content's text starts with (ignoring whitespace)?"""
    if "<" in summary_html or len(summary_html) > 1024:
        return False
    summary = "".join(html_to_text(summary_html).split())
    return bool(summary) and "".join(html_to_text(content_html).split()).startswith(summary)


# --- plain text: titles, authors, categories ------------------------------------------------


def line(value: object, limit: int = MAX_LINE_CHARS) -> str | None:
    """Plain one-line text of a title-like field, at most ``limit`` characters; None when empty."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) > limit:
        value = value[: _RAW_PER_CHAR * limit]  # markup and references around the words, not more
        return shorten(text_line(value), limit) or None
    return text_line(value) or None  # text_line returns quickly for text without markup


_RAW_PER_CHAR = 16  # characters of a raw title-like field read for each one kept
_RAW_NAME_CHARS = _RAW_PER_CHAR * MAX_NAME_CHARS  # a raw name, cut before it is a cache key below


def title(value: object) -> str | None:
    """An entry's or a feed's title: plain text, at most ``MAX_TITLE_CHARS``."""
    return line(value, MAX_TITLE_CHARS)


_EMAIL_NAME_RE = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")  # RSS <author>: "jo@example.com (Jo Doe)"
_NAME_EMAIL_RE = re.compile(r"^\s*(.+?)\s*<\S+@\S+>\s*$")  # "Jo Doe <jo@example.com>"
_MAX_AUTHOR_WITH_EMAIL = 320  # the two patterns above backtrack; real author fields are far shorter


def names(authors: Sequence[object]) -> tuple[str, ...]:
    """Author names, without the e-mail addresses RSS wraps them in; de-duplicated."""
    if len(authors) == 1:  # the usual case, and all fastfeedparser reports
        author = authors[0]
        name = _author_name(author[:_RAW_NAME_CHARS]) if isinstance(author, str) and author else None
        return (name,) if name else ()
    return tuple(
        dict.fromkeys(
            n for a in authors[:MAX_NAMES] if isinstance(a, str) and a and (n := _author_name(a[:_RAW_NAME_CHARS]))
        )
    )


# Names and categories repeat from entry to entry and from feed to feed: cache their text.
@functools.lru_cache(maxsize=4096)
def _author_name(author: str) -> str | None:
    if "@" in author and len(author) <= _MAX_AUTHOR_WITH_EMAIL:
        match = _EMAIL_NAME_RE.match(author) or _NAME_EMAIL_RE.match(author)
        if match:
            return line(match.group(1), MAX_NAME_CHARS)
    return line(author, MAX_NAME_CHARS)


def tag_names(tags: object) -> tuple[str, ...]:
    """Category names: a tag's human label when it has one, else its term; de-duplicated."""
    if not isinstance(tags, list) or not tags:
        return ()
    if len(tags) == 1:
        name = _tag_name(tags[0])
        return (name,) if name else ()
    return tuple(dict.fromkeys(name for tag in tags[:MAX_NAMES] if (name := _tag_name(tag))))


def _tag_name(tag: object) -> str | None:
    if not isinstance(tag, dict):  # both parsers' tags are dicts
        return None
    value = tag.get("label") or tag.get("term")
    return _category_name(value[:_RAW_NAME_CHARS]) if isinstance(value, str) and value else None


@functools.lru_cache(maxsize=4096)
def _category_name(value: str) -> str | None:
    return line(value, MAX_NAME_CHARS)


# --- links and images -----------------------------------------------------------------------


def absolute_url(href: object, base: str) -> str | None:
    """``href`` made absolute against ``base``; None unless the result is http(s).

    Feeds are untrusted: a ``javascript:`` or ``data:`` link must never reach a
    page as an article or site URL.
    """
    if not isinstance(href, str):
        return None
    href = href.strip()
    if not href:
        return None
    if not href.startswith(("http://", "https://")):
        try:
            href = urljoin(base, href)
        except ValueError:
            return None
        if not href[:8].lower().startswith(("http://", "https://")):
            return None
    return href


def guid_link(guid: object, base: str) -> str | None:
    """An entry without a link is read at its id when that is a web address
    (RSS says a guid is a permalink unless marked otherwise)."""
    if isinstance(guid, str) and guid.lstrip()[:8].lower().startswith(("http://", "https://")):
        return absolute_url(guid, base)
    return None


_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_IMG_SRC_RE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def is_image(medium: object, mime: object, url: object) -> bool:
    if medium == "image" or (isinstance(mime, str) and mime.startswith("image/")):
        return True
    if medium or mime or not isinstance(url, str):
        return False
    return url.split("?", 1)[0].lower().endswith(_IMAGE_EXTENSIONS)


def has_img(fragment: str | None) -> bool:
    return fragment is not None and "<img" in fragment


def first_image(candidates: Iterable[str], html_fragment: str | None, base: str) -> str | None:
    """The entry's picture: media/enclosure images first, else the first <img> of its HTML."""
    for candidate in candidates:
        if url := absolute_url(candidate, base):
            return url
    if html_fragment and "<img" in html_fragment:
        src = _IMG_SRC_RE.search(html_fragment)  # sanitized HTML: attributes are double-quoted and absolute
        if src:
            return absolute_url(html.unescape(src.group(1)), base)
    return None


# --- the reason of a ParseError -------------------------------------------------------------

_MAX_REASON = 160  # characters of a parser's own message kept in a ParseError reason


def short_reason(exc: object) -> str:
    """A parser's own message on one line, cut to what a ParseError reason keeps."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"
