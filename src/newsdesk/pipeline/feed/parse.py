"""Stage 2: feed bytes → :class:`~newsdesk.model.ParsedFeed` (HTML sanitized).

Reading order: :func:`parse_feed` sniffs the document (``sniff.py``: empty,
JSON, HTML page, XML); JSON Feed is mapped directly (``jsonfeed.py``); XML goes
to fastfeedparser (``fastfeed.py``) and, for what it cannot read, to feedparser
(``feedparser_fallback.py``). Each adapter maps its parser's dict onto the same
helpers (``fields.py``: sanitized bodies, plain-text lines, vetted links, …),
with scheduling hints read from the channel header (``hints.py``) and dates
through one guard (``dates.py``), so every path normalizes identically.

Why two parsers: fastfeedparser reads ordinary RSS and Atom about thirty times
faster than feedparser, which is most of the cost of an update pass, but raises
on some documents and ignores ``xml:base``; feedparser's loose parser reads
almost anything and applies ``xml:base``. So fastfeedparser goes first and
feedparser takes what it cannot read correctly (:func:`_parse_xml` decides).
feedparser is imported only when that happens.

Everything a feed says is untrusted. Whatever the bytes, the only exception
that leaves :func:`parse_feed` is :class:`ParseError`, and the entries are
mapped only until the feed's CPU budget (``budget.py``) is spent.

Importing this module loads every adapter (and installs the date guard), which
is what the ingest workers' fork-server preload relies on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from newsdesk.errors import ParseError
from newsdesk.model import ParsedFeed
from newsdesk.pipeline.feed.budget import Deadline
from newsdesk.pipeline.feed.fastfeed import feed_from_fastfeedparser, read_with_fastfeedparser
from newsdesk.pipeline.feed.feedparser_fallback import (
    feed_from_feedparser,
    feedparser_found_feed,
    feedparser_malformed,
    read_with_feedparser,
)
from newsdesk.pipeline.feed.fields import short_reason
from newsdesk.pipeline.feed.jsonfeed import parse_json_feed
from newsdesk.pipeline.feed.sniff import FEED_ROOTS, Sniffed, declares_nested_entities, root_is_closed, sniff

__all__ = ["FEED_ROOTS", "Sniffed", "parse_feed", "sniff"]  # sniffing is re-exported for feed discovery


def parse_feed(
    body: bytes, url: str, content_type: str | None = None, *, deadline: Deadline | None = None
) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.x; raise ParseError otherwise.

    ``url`` is the document's final URL: relative links resolve against it. Entries are mapped
    until ``deadline`` expires (a fresh :class:`Deadline` when none is given): the feed then holds
    those done in time, and the caller, who holds the deadline, can tell that it was cut short.
    """
    try:
        return _parse(body, url, content_type, deadline or Deadline())
    except ParseError:
        raise
    except Exception as exc:  # the boundary: any parser failure on hostile bytes becomes a ParseError
        raise ParseError(url, f"unreadable feed: {short_reason(exc)}") from exc


def _parse(body: bytes, url: str, content_type: str | None, deadline: Deadline) -> ParsedFeed:
    doc = sniff(body, content_type)
    if doc.kind == "empty":
        raise ParseError(url, "not a feed: empty document")
    if doc.kind == "json":
        return parse_json_feed(body, url, deadline)
    if doc.kind == "html":
        raise ParseError(url, "not a feed: the server sent an HTML page")
    if declares_nested_entities(body):
        raise ParseError(url, "refused: the document declares entities that expand other entities (an XML bomb)")
    return _parse_xml(body, url, content_type, doc, deadline)


def _parse_xml(body: bytes, url: str, content_type: str | None, doc: Sniffed, deadline: Deadline) -> ParsedFeed:
    """fastfeedparser first; feedparser when fastfeedparser declined, failed, or found less."""
    if doc.root in FEED_ROOTS and not root_is_closed(body, doc.root):
        # Both parsers would invent the last entry from the cut-off fragment; the next check retries.
        raise ParseError(url, f"malformed XML: the document ends before its closing </{doc.root}> tag (truncated)")
    fast = read_with_fastfeedparser(body, doc)
    if fast is not None and fast["entries"] and fast["feed"].get("title"):
        return feed_from_fastfeedparser(fast, body, url, doc, deadline)
    # fastfeedparser could not read it, or missed the title or every entry (e.g. RSS in a namespace): ask feedparser.
    slow = read_with_feedparser(body, url, content_type)
    if feedparser_found_feed(slow, doc) and (fast is None or _found_more(slow, fast)):
        return feed_from_feedparser(slow, body, url, doc, deadline)
    if fast is not None and (fast["entries"] or not feedparser_malformed(slow)):
        return feed_from_fastfeedparser(fast, body, url, doc, deadline)  # a valid feed, maybe empty, maybe untitled
    raise ParseError(url, _not_a_feed_reason(doc, slow.get("bozo_exception")))


def _found_more(slow: Mapping[str, Any], fast: Mapping[str, Any]) -> bool:
    more_entries = len(slow.get("entries") or ()) > len(fast["entries"])
    title_only_here = bool(slow.get("feed", {}).get("title")) and not fast["feed"].get("title")
    return more_entries or (title_only_here and len(slow.get("entries") or ()) >= len(fast["entries"]))


def _not_a_feed_reason(doc: Sniffed, error: object) -> str:
    if doc.kind == "text":
        return "not a feed: the document is neither XML nor JSON"
    if doc.root and doc.root not in FEED_ROOTS:
        return f"not a feed: the document's root element <{doc.root}> is not RSS, Atom or JSON Feed"
    if error is not None:
        message = re.sub(r"^<unknown>:", "line ", short_reason(error))
        return f"malformed XML: {message}"
    return "not a feed: no RSS or Atom channel found"
