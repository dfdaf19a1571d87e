"""Stage 2: feed bytes → :class:`~newsdesk.model.ParsedFeed` (HTML sanitized).

Reading order: :func:`parse_feed` sniffs the document (empty, JSON, HTML page,
XML); JSON Feed is mapped here directly; XML goes to fastfeedparser and, for
what it cannot read, to feedparser. Each parser's dict is mapped by its own
small function onto the same helpers (:func:`_bodies` sanitizes, :func:`_line`
makes plain text, :func:`_absolute_url` vets links, …), so every path
normalizes identically.

Why two parsers: fastfeedparser (lxml plus a native extractor) reads ordinary
RSS and Atom about thirty times faster than feedparser, which is most of the
cost of an update pass. It raises on some documents (CDF, RSS without a
channel, unknown Atom namespaces, badly broken XML) and ignores ``xml:base``;
feedparser's loose parser reads almost anything and applies ``xml:base``. So
fastfeedparser goes first and feedparser takes what it cannot read correctly.

Neither knows RSS scheduling hints the same way (fastfeedparser reports no
``<ttl>``, ``<skipHours>``, ``sy:updatePeriod``, RSS ``<language>`` or format
version), so those come from a few regular expressions over the channel header,
before the first item, for both paths.

Everything a feed says is untrusted: links are made absolute and kept only
with an ``http(s)`` scheme, titles become plain text, and every HTML fragment
goes through :func:`~newsdesk.pipeline.sanitize.sanitize_html`. Whatever the
bytes, the only exception that leaves :func:`parse_feed` is :class:`ParseError`.
"""

from __future__ import annotations

import calendar
import codecs
import functools
import html
import html.entities
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import fastfeedparser
import fastfeedparser.main as _ffp_main

from newsdesk.errors import ParseError
from newsdesk.model import ParsedEntry, ParsedFeed
from newsdesk.pipeline.sanitize import html_to_text, sanitize_html, text_line

__all__ = ["FEED_ROOTS", "Sniffed", "parse_feed", "sniff"]

_MAX_REASON = 160  # characters of a parser's own message kept in a ParseError reason


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.x; raise ParseError otherwise.

    ``url`` is the document's final URL: relative links resolve against it.
    """
    try:
        return _parse(body, url, content_type)
    except ParseError:
        raise
    except Exception as exc:  # the boundary: any parser failure on hostile bytes becomes a ParseError
        raise ParseError(url, f"unreadable feed: {_short(exc)}") from exc


def _parse(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    doc = sniff(body, content_type)
    if doc.kind == "empty":
        raise ParseError(url, "not a feed: empty document")
    if doc.kind == "json":
        return _parse_json_feed(body, url)
    if doc.kind == "html":
        raise ParseError(url, "not a feed: the server sent an HTML page")
    if body.find(b"<!ENTITY", 0, _SNIFF_BYTES) >= 0 and _NESTED_ENTITY_RE.search(body, 0, _SNIFF_BYTES):
        # Neither parser expands them into memory, but feedparser's expat spends most of a second reaching
        # its amplification limit first; no real feed needs entities built from entities.
        raise ParseError(url, "refused: the document declares entities that expand other entities (an XML bomb)")
    return _parse_xml(body, url, content_type, doc)


# --- sniffing -----------------------------------------------------------------

_SNIFF_BYTES = 65536
_NESTED_ENTITY_RE = re.compile(rb"""<!ENTITY\s[^>"']*(?:"[^"]*&[A-Za-z_:][^"]*"|'[^']*&[A-Za-z_:][^']*')""")
_PROLOG_RE = re.compile(
    rb"\s*+(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]++|\[[^\]]*+\])*+>)", re.DOTALL | re.IGNORECASE
)
_ROOT_RE = re.compile(rb"\s*<([A-Za-z_][-\w.:]*)[^>]{0,4096}>?")
_DOCTYPE_HTML_RE = re.compile(rb"\s*<!DOCTYPE\s+html", re.IGNORECASE)
# Roots that mean "a web page", including fragments servers send without <html>.
_HTML_ROOTS = frozenset(
    {"html", "head", "body", "meta", "link", "script", "style", "div", "span", "p", "table", "center", "br"}
    | {"iframe", "a", "img", "form", "noscript", "h1", "h2", "title", "header", "main", "section", "article"}
)


FEED_ROOTS = frozenset({"rss", "rdf", "feed", "channel"})  # RSS 0.9x/2.0, RSS 1.0 (rdf:RDF), Atom, CDF


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What a document looks like from its first bytes (see :func:`sniff`)."""

    kind: str  # "empty", "json", "html", "xml", or "text" (not starting with markup; still tried as XML)
    root: str | None = None  # local name of the root element, lower-case
    root_tag: bytes = b""  # the root start tag, for version attributes and namespaces


def sniff(body: bytes, content_type: str | None) -> Sniffed:
    """Decide what the bytes are from their first element, not from the Content-Type
    header: servers label feeds ``text/html`` and pages ``application/rss+xml``.
    Cheap (looks at the first 64 KiB only); feed discovery uses it too."""
    head = _ascii_compatible_head(body)
    start = head.lstrip()
    if not start:
        return Sniffed("empty")
    if start[:1] == b"{" or (content_type and "json" in content_type.lower() and start[:1] != b"<"):
        return Sniffed("json")
    if _DOCTYPE_HTML_RE.match(start):
        return Sniffed("html", "html")
    if start[:1] != b"<":
        return Sniffed("text")  # a PHP warning before the XML, or no markup at all: the parsers will tell
    pos = 0
    while (prolog := _PROLOG_RE.match(start, pos)) is not None and prolog.end() > pos:
        pos = prolog.end()
    root = _ROOT_RE.match(start, pos)
    if root is None:
        return Sniffed("xml")
    name = root.group(1).decode("ascii", "replace").rsplit(":", 1)[-1].lower()
    return Sniffed("html" if name in _HTML_ROOTS else "xml", name, root.group(0))


def _ascii_compatible_head(body: bytes) -> bytes:
    """The start of the document in an ASCII-compatible encoding (UTF-16/32 re-encoded)."""
    head = body[:_SNIFF_BYTES]
    if head.startswith(codecs.BOM_UTF8):
        return head[3:]
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "replace").encode("utf-8")
    if head[:2] == b"<\x00":
        return head.decode("utf-16-le", "replace").encode("utf-8")
    if head[:2] == b"\x00<":
        return head.decode("utf-16-be", "replace").encode("utf-8")
    return head


# --- XML: fastfeedparser first, feedparser for the rest ---------------------------


def _parse_xml(body: bytes, url: str, content_type: str | None, doc: Sniffed) -> ParsedFeed:
    if doc.root in FEED_ROOTS and not _root_is_closed(body, doc.root):
        # Both parsers recover from a cut-off document by inventing its last entry from the
        # fragment (a link cut to ".../arti", a title cut mid-word) that would then be stored
        # for good under an id made from the fragment. Refuse the document; the next check retries.
        raise ParseError(url, f"malformed XML: the document ends before its closing </{doc.root}> tag (truncated)")
    fast = _read_with_fastfeedparser(body, doc)
    if fast is not None and fast["entries"] and fast["feed"].get("title"):
        return _feed_from_fastfeedparser(fast, body, url, doc)
    # fastfeedparser could not read it, or missed the title or every entry (e.g. RSS in a namespace): ask feedparser.
    feedparser = _feedparser()
    slow = feedparser.parse(
        io.BytesIO(body),  # a stream: given bytes, feedparser would first try them as a local file name
        response_headers=_feedparser_headers(url, content_type),
        sanitize_html=False,  # we sanitize every fragment ourselves
    )
    if _feedparser_found_feed(slow, doc) and (fast is None or _found_more(slow, fast)):
        return _feed_from_feedparser(slow, body, url, doc)
    if fast is not None and (fast["entries"] or not _malformed(slow)):
        return _feed_from_fastfeedparser(fast, body, url, doc)  # a valid feed, maybe empty, maybe untitled
    raise ParseError(url, _not_a_feed_reason(doc, slow.get("bozo_exception")))


# Atom titles with child elements (type="xhtml", or markup that was never escaped):
# fastfeedparser keeps only the text before the first child.
_TITLE_WITH_CHILDREN_RE = re.compile(rb"<title\b[^<>]*>[^<]*<(?![/!])")  # [^<>]: linear on any input


_TAIL_BYTES = 4096
_DECLARED_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def _root_is_closed(body: bytes, root: str) -> bool:
    """Whether the root element's end tag appears near the end (trailing comments or junk allowed)."""
    tail = body[-_TAIL_BYTES:].lower()
    if b"\x00" in tail[:2] or tail.count(b"\x00") > len(tail) // 4:
        return True  # UTF-16/32: leave it to the parsers
    name = b"rdf" if root == "rdf" else root.encode()
    return re.search(rb"</(?:[\w.-]+:)?" + name + rb"\s*>", tail) is not None


def _utf8_or_declared(body: bytes) -> bool:
    """True unless the bytes claim (or default to) UTF-8 but are not valid UTF-8.

    fastfeedparser then decodes with replacement characters ("caf�"); feedparser
    detects the real encoding (windows-1252 and the like) from the bytes and headers.
    """
    declared = _DECLARED_ENCODING_RE.match(body[:512])
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return True  # lxml honours the declaration
    if body[:3] == codecs.BOM_UTF8 or body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_with_fastfeedparser(body: bytes, doc: Sniffed) -> Any:
    """fastfeedparser's dict, or None when feedparser should read the document instead."""
    if not _utf8_or_declared(body):
        return None
    if b"xml:base" in body:
        return None  # fastfeedparser ignores xml:base, so relative links would resolve wrongly
    if b"<media:group" in body:
        return None  # it drops thumbnails and descriptions grouped there (YouTube, podcasts)
    if doc.root == "feed" and (
        _TITLE_WITH_CHILDREN_RE.search(body)
        or b'mode="base64"' in body  # Atom 0.3
        or b"mode='base64'" in body
        or b'="application/octet-stream"' in body  # Atom 1.0: a non-text type means base64
    ):
        return None  # Atom constructs it does not decode
    if _HTML_ENTITY_RE.search(body):
        body = _HTML_ENTITY_RE.sub(_numeric_reference, body)
    try:
        return fastfeedparser.parse(body)  # bytes, never a URL string: given one it would fetch it itself
    except Exception:  # noqa: BLE001 - it raises ValueError and others on what it cannot read; feedparser may
        return None


# HTML's named entities (&nbsp;, &rsquo;, &eacute;) are not XML, yet sloppy feeds use them; lxml, under
# fastfeedparser, cuts the text at the first one ("It&rsquo;s" → "It"). Written as numeric references they
# mean the same in XML text and in the HTML that CDATA sections carry.
_HTML_ENTITY_RE = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
_NUMERIC_REFERENCES = {
    name[:-1].encode("ascii"): "".join(f"&#{ord(c)};" for c in text).encode("ascii")
    for name, text in html.entities.html5.items()
    if name.endswith(";")
}


def _numeric_reference(match: re.Match[bytes]) -> bytes:
    return _NUMERIC_REFERENCES.get(match.group(1), match.group(0))


def _feedparser_found_feed(result: Mapping[str, Any], doc: Sniffed) -> bool:
    """Did feedparser read a feed? CDF and some namespaced RSS get no version but a title;
    a document with nothing in it counts only when well-formed (a truncated download is
    an error, not an empty feed)."""
    if not (result.get("version") or doc.root in FEED_ROOTS):
        return False
    if result.get("entries") or result.get("feed", {}).get("title"):
        return True
    return not _malformed(result)


def _feedparser() -> Any:
    """feedparser, imported on first need: most passes never fall back to it, and its import
    (≈50 ms) would be paid by every ingest worker."""
    import feedparser

    return feedparser


def _malformed(result: Mapping[str, Any]) -> bool:
    """Did feedparser find the XML itself broken (not just a header or encoding mismatch)?"""
    feedparser = _feedparser()
    not_malformed = (
        feedparser.CharacterEncodingOverride,  # declared and actual encodings differ
        feedparser.NonXMLContentType,  # the Content-Type header says text/html or so
        feedparser.exceptions.UndeclaredNamespace,
    )
    return bool(result.get("bozo")) and not isinstance(result.get("bozo_exception"), not_malformed)


def _found_more(slow: Mapping[str, Any], fast: Mapping[str, Any]) -> bool:
    more_entries = len(slow.get("entries") or ()) > len(fast["entries"])
    title_only_here = bool(slow.get("feed", {}).get("title")) and not fast["feed"].get("title")
    return more_entries or (title_only_here and len(slow.get("entries") or ()) >= len(fast["entries"]))


def _feedparser_headers(url: str, content_type: str | None) -> dict[str, str]:
    # Only a declared charset helps; a bare text/xml would make feedparser assume US-ASCII (RFC 3023),
    # so anything else is passed as application/xml: encoding from the BOM or the XML declaration.
    declared = content_type if content_type and "charset" in content_type.lower() else "application/xml"
    return {"content-location": url, "content-type": declared}


def _not_a_feed_reason(doc: Sniffed, error: object) -> str:
    if doc.kind == "text":
        return "not a feed: the document is neither XML nor JSON"
    if doc.root and doc.root not in FEED_ROOTS:
        return f"not a feed: the document's root element <{doc.root}> is not RSS, Atom or JSON Feed"
    if error is not None:
        message = re.sub(r"^<unknown>:", "line ", _short(error))
        return f"malformed XML: {message}"
    return "not a feed: no RSS or Atom channel found"


# --- channel header hints (both XML paths) ----------------------------------------

_FIRST_ITEM_RE = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_RSS_VERSION_RE = re.compile(rb"""\bversion\s*=\s*["']\s*([\d.]+)""")
_TTL_RE = re.compile(rb"<ttl\s*>\s*(\d{1,7})\s*</ttl\s*>", re.IGNORECASE)
_SKIP_HOURS_RE = re.compile(rb"<skipHours\s*>(.{0,2048}?)</skipHours\s*>", re.IGNORECASE | re.DOTALL)
_HOUR_RE = re.compile(rb"<hour\s*>\s*(\d{1,2})\s*</hour\s*>", re.IGNORECASE)
_SKIP_DAYS_RE = re.compile(rb"<skipDays\s*>(.{0,2048}?)</skipDays\s*>", re.IGNORECASE | re.DOTALL)
_DAY_RE = re.compile(rb"<day\s*>\s*([A-Za-z]{3,9})\s*</day\s*>", re.IGNORECASE)
_SY_PERIOD_RE = re.compile(rb"<(?:[\w.-]+:)?updatePeriod\s*>\s*([A-Za-z]{4,7})\s*<", re.IGNORECASE)
_SY_FREQUENCY_RE = re.compile(rb"<(?:[\w.-]+:)?updateFrequency\s*>\s*(\d{1,6})\s*<", re.IGNORECASE)
_LANGUAGE_RE = re.compile(rb"<(?:dc:)?language\s*>\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*)\s*</", re.IGNORECASE)
_DAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
_PERIOD_S = {"hourly": 3600.0, "daily": 86400.0, "weekly": 604800.0, "monthly": 2629800.0, "yearly": 31557600.0}
_RSS_VERSIONS = {
    b"0.90": "rss090",
    b"0.91": "rss091",
    b"0.92": "rss092",
    b"0.93": "rss093",
    b"0.94": "rss094",
    b"1.0": "rss10",
    b"2": "rss20",
    b"2.0": "rss20",
    b"2.0.1": "rss20",
}


@dataclass(frozen=True, slots=True)
class _Hints:
    """What the channel header says about scheduling and language."""

    language: str | None = None
    ttl_minutes: int | None = None
    skip_hours: frozenset[int] = frozenset()
    skip_days: frozenset[int] = frozenset()
    update_period_s: float | None = None


def _channel_hints(body: bytes) -> _Hints:
    """Scheduling hints from the bytes before the first item (cheap: no tree).

    Works on any ASCII-compatible encoding; a UTF-16 feed simply has no hints.
    """
    first_item = _FIRST_ITEM_RE.search(body, 0, _SNIFF_BYTES)
    head = body[: first_item.start() if first_item else _SNIFF_BYTES]
    language = _LANGUAGE_RE.search(head)
    ttl = _TTL_RE.search(head)
    ttl_minutes = int(ttl.group(1)) if ttl else None
    return _Hints(
        language=language.group(1).decode("ascii") if language else None,
        ttl_minutes=ttl_minutes if ttl_minutes else None,
        skip_hours=_skip_hours(head),
        skip_days=_skip_days(head),
        update_period_s=_update_period_s(head),
    )


def _skip_hours(head: bytes) -> frozenset[int]:
    block = _SKIP_HOURS_RE.search(head)
    if block is None:
        return frozenset()
    hours = (int(h) for h in _HOUR_RE.findall(block.group(1)))
    return frozenset(0 if h == 24 else h for h in hours if 0 <= h <= 24)  # some feeds write midnight as 24


def _skip_days(head: bytes) -> frozenset[int]:
    block = _SKIP_DAYS_RE.search(head)
    if block is None:
        return frozenset()
    days = (_DAYS.get(d.decode("ascii").lower()) for d in _DAY_RE.findall(block.group(1)))
    return frozenset(d for d in days if d is not None)


def _update_period_s(head: bytes) -> float | None:
    """sy:updatePeriod / sy:updateFrequency (defaults: daily, once)."""
    period = _SY_PERIOD_RE.search(head)
    frequency = _SY_FREQUENCY_RE.search(head)
    if period is None and frequency is None:
        return None
    seconds = _PERIOD_S.get(period.group(1).decode("ascii").lower()) if period else _PERIOD_S["daily"]
    times = int(frequency.group(1)) if frequency else 1
    if seconds is None or times < 1:
        return None
    return seconds / times


def _xml_format(doc: Sniffed) -> str:
    """Format name in feedparser's spelling (rss20, rss10, atom10, …) from the root start tag."""
    tag = doc.root_tag
    if doc.root == "rss":
        version = _RSS_VERSION_RE.search(tag)
        return _RSS_VERSIONS.get(version.group(1), "rss") if version else "rss"
    if doc.root == "rdf":
        return "rss090" if b"my.netscape.com/rdf/simple/0.9" in tag else "rss10"
    if doc.root == "feed":
        if b"http://www.w3.org/2005/Atom" in tag:
            return "atom10"
        return "atom03" if b"purl.org/atom/ns#" in tag else "atom"
    if doc.root == "channel":
        return "cdf"
    return "unknown"


# --- fastfeedparser's dict → ParsedFeed ------------------------------------------------


def _feed_from_fastfeedparser(raw: Mapping[str, Any], body: bytes, url: str, doc: Sniffed) -> ParsedFeed:
    info = raw["feed"]
    hints = _channel_hints(body)
    atom = doc.root == "feed"
    return _feed(
        url,
        hints,
        title=info.get("title"),
        site_link=info.get("link"),
        description=info.get("subtitle"),
        language=info.get("language") or hints.language,
        format=_xml_format(doc),
        entries=(_entry_from_fastfeedparser(e, url, atom) for e in raw["entries"]),
    )


def _entry_from_fastfeedparser(e: Mapping[str, Any], feed_url: str, atom: bool) -> ParsedEntry:
    # The hot loop of an update pass (one call per entry): plain dict reads, no per-field helpers.
    get = e.get
    guid = get("id")
    link = get("link")
    if atom:
        alternate = _atom_alternate(get("links"))
        if guid == link and alternate is None:
            guid = None  # fastfeedparser made the id up from a non-alternate link (an enclosure, a licence)
        link = alternate
    url = _absolute_url(link, feed_url) or _guid_link(guid, feed_url)
    base = url or feed_url  # relative links in an entry's HTML are relative to the entry's page
    summary = get("description") or None
    content, content_is_text = None, False
    contents = get("content")
    if contents:
        first = contents[0]
        value = first.get("value")
        if value and value != summary:  # fastfeedparser repeats an RSS description as content
            content, content_is_text = value, first.get("type") in _TEXT_TYPES
    summary_html, content_html = _bodies(summary, False, content, content_is_text, base)
    author = get("author")
    has_media = "media_content" in e or "enclosures" in e or get("links")
    return ParsedEntry(
        guid=(guid.strip() or None) if isinstance(guid, str) else None,
        url=url,
        title=_line(get("title")),
        authors=_names((author,)) if author else (),
        published=_from_iso(get("published")),
        updated=_from_iso(get("updated")),
        summary_html=summary_html,
        content_html=content_html,
        image_url=_first_image(_fastfeedparser_images(e), content_html or summary_html, base)
        if has_media or _has_img(content_html) or _has_img(summary_html)
        else None,
        categories=_tag_names(get("tags")),
    )


def _atom_alternate(links: object) -> str | None:
    """An Atom entry's page: its first alternate link. fastfeedparser's ``link``
    falls back to any link (an enclosure, a licence), which is not the article."""
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("rel") in (None, "alternate") and link.get("href"):
            href: str = link["href"]
            return href
    return None


def _guid_link(guid: object, base: str) -> str | None:
    """An entry without a link is read at its id when that is a web address
    (RSS says a guid is a permalink unless marked otherwise)."""
    if isinstance(guid, str) and guid.lstrip()[:8].lower().startswith(("http://", "https://")):
        return _absolute_url(guid, base)
    return None


def _fastfeedparser_images(e: Mapping[str, Any]) -> Iterator[str]:
    for media in e.get("media_content") or ():
        if _is_image(media.get("medium"), media.get("type"), media.get("url")):
            yield media.get("url") or ""
    for enclosure in e.get("enclosures") or ():
        if _is_image(None, enclosure.get("type"), None):
            yield enclosure.get("url") or ""
    for link in e.get("links") or ():
        if link.get("rel") == "enclosure" and _is_image(None, link.get("type"), None):
            yield link.get("href") or ""


# --- feedparser's dict → ParsedFeed ----------------------------------------------------


def _feed_from_feedparser(raw: Mapping[str, Any], body: bytes, url: str, doc: Sniffed) -> ParsedFeed:
    info = raw.get("feed") or {}
    hints = _channel_hints(body)
    return _feed(
        url,
        hints,
        title=info.get("title"),
        site_link=info.get("link"),
        description=info.get("subtitle"),
        language=info.get("language") or hints.language,
        format=raw.get("version") or _xml_format(doc),
        entries=(_entry_from_feedparser(e, url) for e in raw.get("entries") or ()),
    )


def _entry_from_feedparser(e: Mapping[str, Any], feed_url: str) -> ParsedEntry:
    guid = e.get("id")
    url = _absolute_url(e.get("link"), feed_url) or _guid_link(guid, feed_url)
    base = url or feed_url
    summary = e.get("summary") or None
    summary_is_text = (e.get("summary_detail") or {}).get("type") in _TEXT_TYPES
    content, content_is_text = None, False
    for item in e.get("content") or ():
        if value := item.get("value"):
            content, content_is_text = value, item.get("type") in _TEXT_TYPES
            break
    if content == summary:
        summary = None  # feedparser copies the content into a missing summary
    summary_html, content_html = _bodies(summary, summary_is_text, content, content_is_text, base)
    return ParsedEntry(
        guid=(guid.strip() or None) if isinstance(guid, str) else None,
        url=url,
        title=_line(e.get("title")),
        authors=_names([a.get("name") or a.get("email") for a in e.get("authors") or () if isinstance(a, dict)]),
        published=_from_struct(e.get("published_parsed")),
        updated=_from_struct(e.get("updated_parsed")),
        summary_html=summary_html,
        content_html=content_html,
        image_url=_first_image(_feedparser_images(e), content_html or summary_html, base),
        categories=_tag_names(e.get("tags")),
    )


def _feedparser_images(e: Mapping[str, Any]) -> Iterator[str]:
    for media in e.get("media_content") or ():
        if _is_image(media.get("medium"), media.get("type"), media.get("url")):
            yield media.get("url") or ""
    for thumbnail in e.get("media_thumbnail") or ():
        yield thumbnail.get("url") or ""
    for link in e.get("links") or ():
        if link.get("rel") == "enclosure" and _is_image(None, link.get("type"), None):
            yield link.get("href") or ""


def _from_struct(value: Any) -> datetime | None:
    """feedparser's UTC struct_time → aware datetime (None when out of range)."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        return None


# --- JSON Feed --------------------------------------------------------------------------


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(url, f"malformed JSON: {_short(exc)}") from exc
    if not isinstance(doc, dict):
        raise ParseError(url, "not a feed: the JSON document is not a JSON Feed")
    version = _str(doc.get("version")) or ""
    items = doc.get("items")
    if "jsonfeed.org/version/" not in version and not isinstance(items, list):
        raise ParseError(url, "not a feed: the JSON document is not a JSON Feed")
    if not isinstance(items, list):
        items = []
    return _feed(
        url,
        _Hints(),
        title=_str(doc.get("title")),
        site_link=_str(doc.get("home_page_url")),
        description=_str(doc.get("description")),
        language=_str(doc.get("language")),
        format="json11" if version.endswith("/1.1") else "json10" if version.endswith("/1") else "json",
        entries=(_entry_from_json(item, url) for item in items if isinstance(item, dict)),
    )


def _entry_from_json(item: Mapping[str, Any], feed_url: str) -> ParsedEntry:
    url = _absolute_url(_str(item.get("url")) or _str(item.get("external_url")), feed_url)  # JSON ids are not links
    base = url or feed_url
    content = _str(item.get("content_html"))
    content_is_text = False
    if content is None:
        content = _str(item.get("content_text"))
        content_is_text = content is not None
    # JSON Feed's summary is plain text by definition.
    summary_html, content_html = _bodies(_str(item.get("summary")), True, content, content_is_text, base)
    guid = item.get("id")
    tags = item.get("tags")
    return ParsedEntry(
        guid=(str(guid).strip() or None) if isinstance(guid, (str, int)) and not isinstance(guid, bool) else None,
        url=url,
        title=_line(item.get("title")),
        authors=_json_authors(item),
        published=_from_iso(_ffp_date(_str(item.get("date_published")) or "")),
        updated=_from_iso(_ffp_date(_str(item.get("date_modified")) or "")),
        summary_html=summary_html,
        content_html=content_html,
        image_url=_first_image(_json_images(item), content_html or summary_html, base),
        categories=_tag_names([{"term": t} for t in tags if isinstance(t, str)] if isinstance(tags, list) else None),
    )


def _json_authors(item: Mapping[str, Any]) -> tuple[str, ...]:
    authors = item.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [item.get("author")]  # 1.0
    return _names([a.get("name") for a in authors if isinstance(a, dict)])


def _json_images(item: Mapping[str, Any]) -> Iterator[str]:
    for key in ("image", "banner_image"):
        if image := _str(item.get(key)):
            yield image
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if isinstance(attachment, dict) and _is_image(None, _str(attachment.get("mime_type")), None):
            yield _str(attachment.get("url")) or ""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# --- the shared builders ----------------------------------------------------------------


def _feed(
    url: str,
    hints: _Hints,
    *,
    title: object,
    site_link: object,
    description: object,
    language: object,
    format: str,  # the ParsedFeed field's name, shadowing the builtin on purpose
    entries: Iterable[ParsedEntry],
) -> ParsedFeed:
    return ParsedFeed(
        title=_line(title),
        site_url=_absolute_url(site_link, url),
        entries=tuple(entries),
        description=_line(description),
        language=_line(language),
        format=format,
        ttl_minutes=hints.ttl_minutes,
        skip_hours=hints.skip_hours,
        skip_days=hints.skip_days,
        update_period_s=hints.update_period_s,
    )


def _bodies(
    summary: str | None, summary_is_text: bool, content: str | None, content_is_text: bool, base: str
) -> tuple[str | None, str | None]:
    """Sanitized (summary_html, content_html); a summary that only repeats the
    start of the content (fastfeedparser synthesizes one) is dropped."""
    content_html = _fragment(content, content_is_text, base)
    summary_html = _fragment(summary, summary_is_text, base)
    if summary_html and content_html and _repeats_content(summary_html, content_html):
        summary_html = None
    return summary_html, content_html


_TEXT_TYPES = frozenset({"text", "text/plain"})


def _fragment(value: str | None, is_text: bool, base: str) -> str | None:
    if not value:
        return None
    if is_text:
        value = _text_to_html(value)
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


def _line(value: object) -> str | None:
    """Plain one-line text of a title-like field; None when empty."""
    if not isinstance(value, str) or not value:
        return None
    return text_line(value) or None  # text_line returns quickly for text without markup


_EMAIL_NAME_RE = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")  # RSS <author>: "jo@example.com (Jo Doe)"
_NAME_EMAIL_RE = re.compile(r"^\s*(.+?)\s*<\S+@\S+>\s*$")  # "Jo Doe <jo@example.com>"
_MAX_AUTHOR_WITH_EMAIL = 320  # the two patterns above backtrack; real author fields are far shorter


def _names(authors: Sequence[object]) -> tuple[str, ...]:
    """Author names, without the e-mail addresses RSS wraps them in; de-duplicated."""
    if len(authors) == 1:  # the usual case, and all fastfeedparser reports
        author = authors[0]
        name = _author_name(author) if isinstance(author, str) and author else None
        return (name,) if name else ()
    return tuple(dict.fromkeys(n for a in authors if isinstance(a, str) and a and (n := _author_name(a))))


# Names and categories repeat from entry to entry and from feed to feed: cache their text.
@functools.lru_cache(maxsize=4096)
def _author_name(author: str) -> str | None:
    if "@" in author and len(author) <= _MAX_AUTHOR_WITH_EMAIL:
        match = _EMAIL_NAME_RE.match(author) or _NAME_EMAIL_RE.match(author)
        if match:
            return text_line(match.group(1)) or None
    return text_line(author) or None


def _tag_names(tags: object) -> tuple[str, ...]:
    """Category names: a tag's human label when it has one, else its term; de-duplicated."""
    if not isinstance(tags, list) or not tags:
        return ()
    if len(tags) == 1:
        name = _tag_name(tags[0])
        return (name,) if name else ()
    return tuple(dict.fromkeys(name for tag in tags if (name := _tag_name(tag))))


def _tag_name(tag: object) -> str | None:
    if not isinstance(tag, dict):  # both parsers' tags are dicts
        return None
    value = tag.get("label") or tag.get("term")
    return _category_name(value) if isinstance(value, str) and value else None


@functools.lru_cache(maxsize=4096)
def _category_name(value: str) -> str | None:
    return text_line(value) or None


def _absolute_url(href: object, base: str) -> str | None:
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


_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_IMG_SRC_RE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def _is_image(medium: object, mime: object, url: object) -> bool:
    if medium == "image" or (isinstance(mime, str) and mime.startswith("image/")):
        return True
    if medium or mime or not isinstance(url, str):
        return False
    return url.split("?", 1)[0].lower().endswith(_IMAGE_EXTENSIONS)


def _has_img(fragment: str | None) -> bool:
    return fragment is not None and "<img" in fragment


def _first_image(candidates: Iterable[str], html_fragment: str | None, base: str) -> str | None:
    """The entry's picture: media/enclosure images first, else the first <img> of its HTML."""
    for candidate in candidates:
        if url := _absolute_url(candidate, base):
            return url
    if html_fragment and "<img" in html_fragment:
        src = _IMG_SRC_RE.search(html_fragment)  # sanitized HTML: attributes are double-quoted and absolute
        if src:
            return _absolute_url(html.unescape(src.group(1)), base)
    return None


# --- dates ------------------------------------------------------------------------------


def _from_iso(value: object) -> datetime | None:
    """fastfeedparser's ISO 8601 date string → aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is UTC:  # what fastfeedparser returns
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# fastfeedparser resolves dates that name no calendar day against the clock:
# "Monday", "10:00", "June 5", "2024", "3 hours ago" and a numeric guid tried as
# a date all become *today*-relative values. Such dates change on every poll, so
# entries would look edited each time. Its date hook is wrapped (the module
# looks it up on every call) to parse only strings that name a full date;
# tests/test_parse.py fails loudly should the hook move.
_FULL_DATE_RE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"  # 2024-06-05 (ISO 8601, RFC 3339)
    r"|\d{4}/\d{1,2}/\d{1,2}"  # 2024/06/05
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"  # 05.06.2024, 6/5/24
    r"|\d{1,2}(?:st|nd|rd|th)?[-\s,]+[A-Za-z]{3,}\.?[-\s,]+\d{2,4}"  # 5 June 2024, 10 Jun 03 (RFC 822)
    r"|[A-Za-z]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"  # June 5, 2024
    r"|[A-Za-z]{3}\s+\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s+[A-Za-z]{1,5})?\s+\d{4}"  # Nov 29 05:23:41 UTC 2026
    r"|^\s*\d{8}T\d{4,6}"  # 20240605T101010Z
)
_YEAR_MONTH_RE = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?\s*$")  # W3C-DTF reduced precision: 2024, 2024-06
# The two layouts nearly every feed uses, matched at the start: RFC 822 with its weekday
# ("Fri, 27 Nov 2026 23:30:20 GMT") and ISO 8601. Searching _FULL_DATE_RE's seven branches
# from every position costs five times as much, once per entry.
_COMMON_FULL_DATE_RE = re.compile(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} |\d{4}-\d{2}-\d{2}")


@functools.lru_cache(maxsize=8192)
def _ffp_date(value: str) -> str | None:
    """fastfeedparser's date parser, limited to strings that name a whole date."""
    if not value or len(value) > 256:
        return None
    reduced = _YEAR_MONTH_RE.match(value)
    if reduced is not None:
        year, month = int(reduced.group(1)), int(reduced.group(2) or 1)
        return f"{year:04d}-{month:02d}-01T00:00:00+00:00" if 1 <= month <= 12 and year >= 1 else None
    if _COMMON_FULL_DATE_RE.match(value) is None and _FULL_DATE_RE.search(value) is None:
        return None
    result: str | None = _FFP_PARSE_DATE(value)
    return result


def _install_date_guard() -> Any:
    """Put :func:`_ffp_date` in fastfeedparser's place; return its own parser (once, even on reload)."""
    original = getattr(_ffp_main, "_newsdesk_unguarded_parse_date", None) or _ffp_main._parse_date
    _ffp_main._newsdesk_unguarded_parse_date = original
    _ffp_main._parse_date = _ffp_date
    return original


_FFP_PARSE_DATE = _install_date_guard()


# --- small helpers ------------------------------------------------------------------------


def _short(exc: object) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"
