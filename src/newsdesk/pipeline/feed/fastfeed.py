"""The fast XML path: fastfeedparser's dict → :class:`~newsdesk.model.ParsedFeed`.

fastfeedparser (lxml plus a native extractor) reads ordinary RSS and Atom about
thirty times faster than feedparser, which is most of the cost of an update
pass, so it reads every XML feed first. It raises on some documents (CDF, RSS
without a channel, unknown Atom namespaces, badly broken XML) and ignores
``xml:base``; :func:`read_with_fastfeedparser` also declines, before parsing,
the documents it would read wrongly (bytes that are not the UTF-8 they claim,
``xml:base``, ``media:group``, Atom constructs it does not decode), and those
go to ``feedparser_fallback.py``.

:func:`feed_from_fastfeedparser` maps its dict onto the shared helpers in
``fields.py``; its entry mapping is the hot loop of an update pass.
"""

from __future__ import annotations

import codecs
import html.entities
import re
from collections.abc import Iterator, Mapping
from typing import Any

import fastfeedparser

from newsdesk.model import ParsedEntry, ParsedFeed
from newsdesk.pipeline.feed.budget import Deadline
from newsdesk.pipeline.feed.dates import from_iso
from newsdesk.pipeline.feed.fields import (
    TEXT_TYPES,
    absolute_url,
    bodies,
    build_feed,
    first_image,
    guid_link,
    has_img,
    is_image,
    names,
    tag_names,
    title,
)
from newsdesk.pipeline.feed.hints import channel_hints, xml_format
from newsdesk.pipeline.feed.sniff import Sniffed

__all__ = ["feed_from_fastfeedparser", "read_with_fastfeedparser"]


# --- reading ------------------------------------------------------------------------------

# Atom titles with child elements (type="xhtml", or markup that was never escaped):
# fastfeedparser keeps only the text before the first child.
_TITLE_WITH_CHILDREN_RE = re.compile(rb"<title\b[^<>]*>[^<]*<(?![/!])")  # [^<>]: linear on any input

_DECLARED_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def read_with_fastfeedparser(body: bytes, doc: Sniffed) -> Any:
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


# --- mapping ------------------------------------------------------------------------------


def feed_from_fastfeedparser(
    raw: Mapping[str, Any], body: bytes, url: str, doc: Sniffed, deadline: Deadline
) -> ParsedFeed:
    info = raw["feed"]
    atom = doc.root == "feed"
    return build_feed(
        url,
        channel_hints(body),
        title=info.get("title"),
        site_link=info.get("link"),
        description=info.get("subtitle"),
        language=info.get("language"),
        format=xml_format(doc),
        entries=(_entry_from_fastfeedparser(e, url, atom) for e in raw["entries"]),
        deadline=deadline,
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
    url = absolute_url(link, feed_url) or guid_link(guid, feed_url)
    base = url or feed_url  # relative links in an entry's HTML are relative to the entry's page
    summary = get("description") or None
    content, content_is_text = None, False
    contents = get("content")
    if contents:
        first = contents[0]
        value = first.get("value")
        if value and value != summary:  # fastfeedparser repeats an RSS description as content
            content, content_is_text = value, first.get("type") in TEXT_TYPES
    summary_html, content_html = bodies(summary, False, content, content_is_text, base)
    author = get("author")
    has_media = "media_content" in e or "enclosures" in e or get("links")
    return ParsedEntry(
        guid=(guid.strip() or None) if isinstance(guid, str) else None,
        url=url,
        title=title(get("title")),
        authors=names((author,)) if author else (),
        published=from_iso(get("published")),
        updated=from_iso(get("updated")),
        summary_html=summary_html,
        content_html=content_html,
        image_url=first_image(_fastfeedparser_images(e), content_html or summary_html, base)
        if has_media or has_img(content_html) or has_img(summary_html)
        else None,
        categories=tag_names(get("tags")),
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


def _fastfeedparser_images(e: Mapping[str, Any]) -> Iterator[str]:
    for media in e.get("media_content") or ():
        if is_image(media.get("medium"), media.get("type"), media.get("url")):
            yield media.get("url") or ""
    for enclosure in e.get("enclosures") or ():
        if is_image(None, enclosure.get("type"), None):
            yield enclosure.get("url") or ""
    for link in e.get("links") or ():
        if link.get("rel") == "enclosure" and is_image(None, link.get("type"), None):
            yield link.get("href") or ""
