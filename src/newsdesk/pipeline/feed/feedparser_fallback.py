"""The fallback XML path: feedparser's dict → :class:`~newsdesk.model.ParsedFeed`.

feedparser's loose parser reads almost anything fastfeedparser cannot read
correctly: CDF, RSS without a channel or in an unusual namespace, broken XML;
it applies ``xml:base`` and detects the real character encoding from the bytes
and the Content-Type header (windows-1252 served as UTF-8, and the like). It is
about thirty times slower, so it only reads what ``fastfeed.py`` declined or
read badly (the choice is made in ``parse.py``).

feedparser is imported on first need (:func:`_feedparser`), never at module
import: most passes never fall back to it, and its import would be paid by
every ingest worker and every command's start.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any, cast

from newsdesk.model import ParsedEntry, ParsedFeed
from newsdesk.pipeline.feed.budget import Deadline
from newsdesk.pipeline.feed.dates import from_struct
from newsdesk.pipeline.feed.fields import (
    TEXT_TYPES,
    absolute_url,
    bodies,
    build_feed,
    first_image,
    guid_link,
    is_image,
    names,
    tag_names,
    title,
)
from newsdesk.pipeline.feed.hints import channel_hints, xml_format
from newsdesk.pipeline.feed.sniff import FEED_ROOTS, Sniffed

__all__ = ["feed_from_feedparser", "feedparser_found_feed", "feedparser_malformed", "read_with_feedparser"]


# --- reading ------------------------------------------------------------------------------


def read_with_feedparser(body: bytes, url: str, content_type: str | None) -> Any:
    """feedparser's result dict (it never raises; problems are in ``bozo``/``bozo_exception``)."""
    feedparser = _feedparser()
    return feedparser.parse(
        io.BytesIO(body),  # a stream: given bytes, feedparser would first try them as a local file name
        response_headers=_feedparser_headers(url, content_type),
        sanitize_html=False,  # we sanitize every fragment ourselves
    )


def _feedparser() -> Any:
    """feedparser, imported on first need: most passes never fall back to it, and its import
    (≈50 ms) would be paid by every ingest worker."""
    import feedparser

    return feedparser


def _feedparser_headers(url: str, content_type: str | None) -> dict[str, str]:
    # Only a declared charset helps; a bare text/xml would make feedparser assume US-ASCII (RFC 3023),
    # so anything else is passed as application/xml: encoding from the BOM or the XML declaration.
    declared = content_type if content_type and "charset" in content_type.lower() else "application/xml"
    return {"content-location": url, "content-type": declared}


def feedparser_found_feed(result: Mapping[str, Any], doc: Sniffed) -> bool:
    """Did feedparser read a feed? CDF and some namespaced RSS get no version but a title;
    a document with nothing in it counts only when well-formed (a truncated download is
    an error, not an empty feed)."""
    if not (result.get("version") or doc.root in FEED_ROOTS):
        return False
    if result.get("entries") or result.get("feed", {}).get("title"):
        return True
    return not feedparser_malformed(result)


def feedparser_malformed(result: Mapping[str, Any]) -> bool:
    """Did feedparser find the XML itself broken (not just a header or encoding mismatch)?"""
    feedparser = _feedparser()
    not_malformed = (
        feedparser.CharacterEncodingOverride,  # declared and actual encodings differ
        feedparser.NonXMLContentType,  # the Content-Type header says text/html or so
        feedparser.exceptions.UndeclaredNamespace,
    )
    return bool(result.get("bozo")) and not isinstance(result.get("bozo_exception"), not_malformed)


# --- mapping ------------------------------------------------------------------------------


def feed_from_feedparser(raw: Mapping[str, Any], body: bytes, url: str, doc: Sniffed, deadline: Deadline) -> ParsedFeed:
    info = raw.get("feed") or {}
    return build_feed(
        url,
        channel_hints(body),
        title=info.get("title"),
        site_link=info.get("link"),
        description=info.get("subtitle"),
        language=info.get("language"),
        format=raw.get("version") or xml_format(doc),
        entries=(_entry_from_feedparser(e, url) for e in raw.get("entries") or ()),
        deadline=deadline,
    )


def _entry_from_feedparser(e: Mapping[str, Any], feed_url: str) -> ParsedEntry:
    guid = e.get("id")
    url = absolute_url(e.get("link"), feed_url) or guid_link(guid, feed_url)
    base = url or feed_url
    summary = e.get("summary") or None
    summary_is_text = (e.get("summary_detail") or {}).get("type") in TEXT_TYPES
    content, content_is_text = None, False
    for item in e.get("content") or ():
        if value := item.get("value"):
            content, content_is_text = value, item.get("type") in TEXT_TYPES
            break
    if content == summary:
        summary = None  # feedparser copies the content into a missing summary
    summary_html, content_html = bodies(summary, summary_is_text, content, content_is_text, base)
    return ParsedEntry(
        guid=(guid.strip() or None) if isinstance(guid, str) else None,
        url=url,
        title=title(e.get("title")),
        authors=names([a.get("name") or a.get("email") for a in e.get("authors") or () if isinstance(a, dict)]),
        published=from_struct(e.get("published_parsed")),
        # dict.get: feedparser's own get() answers a missing "updated" with the entry's published
        # date, and a DeprecationWarning; an entry that states no update has none (as on the fast path)
        updated=from_struct(dict.get(cast("dict[str, Any]", e), "updated_parsed")),
        summary_html=summary_html,
        content_html=content_html,
        image_url=first_image(_feedparser_images(e), content_html or summary_html, base),
        categories=tag_names(e.get("tags")),
    )


def _feedparser_images(e: Mapping[str, Any]) -> Iterator[str]:
    for media in e.get("media_content") or ():
        if is_image(media.get("medium"), media.get("type"), media.get("url")):
            yield media.get("url") or ""
    for thumbnail in e.get("media_thumbnail") or ():
        yield thumbnail.get("url") or ""
    for link in e.get("links") or ():
        if link.get("rel") == "enclosure" and is_image(None, link.get("type"), None):
            yield link.get("href") or ""
