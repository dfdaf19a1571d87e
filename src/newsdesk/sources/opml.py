"""OPML subscription lists: import (:func:`parse_opml`) and export (:func:`export_opml`).

OPML is how feed readers exchange subscriptions: ``<outline>`` elements with an
``xmlUrl`` are feeds, outlines without one are folders. Real files are loose
about it (missing ``type``, ``xmlurl``/``XMLURL`` spellings, a name in ``text``
but not ``title``, ``feed://`` URLs, stray ``&``), so parsing is tolerant about
everything except safety.

Categories: a feed's category is the path of the folders it sits in, joined
with ``/`` (``News/World``), so nothing of a nested list is lost; a feed outside
any folder has none. :func:`export_opml` writes the path back as nested
folders, so export and import round-trip. (A ``/`` inside a folder's own name
is read as ``-``, so it cannot be mistaken for nesting.)

Safety: the parser is lxml with entity resolution, DTD loading and network
access off and libxml2's size limits on; a document that declares entities
(the billion-laughs and XXE shapes) is refused outright rather than silently
parsed without them. XML that is not well-formed (exports with quotes inside
attribute values are common) is read by a tolerant tag scanner instead, which
expands nothing but the predefined and numeric character references, and reads
in time linear in the document's length whatever its tags (never closed, never
ended: 200k such tags read in about a second).

Which feed URLs can be subscribed (syntax, length, port) is not decided here:
every http(s) URL is listed, with the line that lists it, and the import refuses
the unusable ones with the reason (``sources/feed_url.py``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import lxml.etree

from newsdesk.errors import OPMLError

__all__ = ["OpmlFeed", "export_opml", "parse_opml"]

MAX_DEPTH = 32  # folders nested deeper than this are flattened into their 32nd ancestor


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One subscription of an OPML list."""

    url: str
    title: str | None = None
    site_url: str | None = None
    category: str | None = None  # folder path, "News/World"
    line: int | None = field(default=None, compare=False)  # where the document lists it (for messages)


_PARSER = lxml.etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, without duplicate URLs.

    Outlines whose URL is not http(s) are skipped. Raises
    :class:`~newsdesk.errors.OPMLError` when the bytes are not OPML.
    """
    if not data or not data.strip():
        raise OPMLError("the OPML document is empty")
    if b"<!ENTITY" in data:
        raise OPMLError("refused: the OPML document declares XML entities (a known attack shape)")
    if b"\x00" not in data[:4]:  # an ASCII-compatible encoding (not UTF-16/32), where bytes can be patched
        data = _BARE_AMPERSAND_RE.sub(b"&amp;", data)  # the commonest slip: "&" unescaped in a URL
    root = _parse_xml(data)
    outlines = _walk(_body(root)) if root is not None else _scan(_decode(data))
    feeds: dict[str, OpmlFeed] = {}
    for feed in outlines:
        feeds.setdefault(feed.url, feed)
    return list(feeds.values())


def export_opml(feeds: Iterable[OpmlFeed], title: str) -> bytes:
    """An OPML 2.0 document listing ``feeds``, each category a (nested) folder."""
    opml = lxml.etree.Element("opml", version="2.0")
    head = lxml.etree.SubElement(opml, "head")
    lxml.etree.SubElement(head, "title").text = _xml_text(title)
    body = lxml.etree.SubElement(opml, "body")
    folders: dict[tuple[str, ...], lxml.etree._Element] = {(): body}
    for feed in feeds:
        parent = _folder(folders, _category_path(feed.category))
        title = _xml_text(feed.title or "")
        attributes = {"type": "rss", "text": title or _xml_text(feed.url)}
        if title:
            attributes["title"] = title
        attributes["xmlUrl"] = _xml_text(feed.url)
        if feed.site_url:
            attributes["htmlUrl"] = _xml_text(feed.site_url)
        lxml.etree.SubElement(parent, "outline", attributes)
    data: bytes = lxml.etree.tostring(opml, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


# --- parsing ------------------------------------------------------------------------


_BARE_AMPERSAND_RE = re.compile(rb"&(?![A-Za-z][A-Za-z0-9]{0,31};|#[0-9]{1,8};|#[xX][0-9A-Fa-f]{1,8};)")


def _parse_xml(data: bytes) -> lxml.etree._Element | None:
    """The <opml> root of a well-formed document; None when the XML is broken (see :func:`_scan`)."""
    try:
        tree = lxml.etree.ElementTree(lxml.etree.fromstring(data, _PARSER))
    except (lxml.etree.XMLSyntaxError, ValueError):
        if not _OPML_START_RE.search(data[:4096]):
            raise OPMLError("not an OPML document: it is not well-formed XML and has no <opml> element") from None
        return None
    root = tree.getroot()
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # e.g. declared in UTF-16, unseen above
        raise OPMLError("refused: the OPML document declares XML entities (a known attack shape)")
    if _local(root.tag) != "opml":
        raise OPMLError(f"not an OPML document: the root element is <{_local(root.tag)}>, not <opml>")
    return root


def _body(root: lxml.etree._Element) -> lxml.etree._Element:
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise OPMLError("not an OPML document: it has no <body>")
    return body


def _walk(body: lxml.etree._Element) -> Iterator[OpmlFeed]:
    """Feeds under ``body``, depth first in document order (iterative: no recursion limit)."""
    stack: list[tuple[Iterator[lxml.etree._Element], tuple[str, ...]]] = [(iter(body), ())]
    while stack:
        children, path = stack[-1]
        outline = next(children, None)
        if outline is None:
            stack.pop()
            continue
        if not isinstance(outline.tag, str) or _local(outline.tag) != "outline":
            continue
        attributes = {k.rpartition("}")[2].lower(): v.strip() for k, v in outline.attrib.items()}
        feed, name = _outline_feed(attributes, path, outline.sourceline)
        if feed is not None:
            yield feed
        if len(outline):
            folder = path if feed is not None or not name or len(path) >= MAX_DEPTH else (*path, _folder_name(name))
            stack.append((iter(outline), folder))


def _outline_feed(
    attributes: dict[str, str], path: tuple[str, ...], line: int | None
) -> tuple[OpmlFeed | None, str | None]:
    """(the feed this outline lists, or None; its name)."""
    name = attributes.get("title") or attributes.get("text") or None
    url = _feed_url((attributes.get("xmlurl") or attributes.get("url")) if _is_feed(attributes) else None)
    if url is None:
        return None, name
    title = name if name != url else None  # exporters (ours too) write the URL when there is no title
    site_url = _http_url(attributes.get("htmlurl"))
    if site_url is not None and _SPACE_RE.search(site_url):
        site_url = None
    return OpmlFeed(url, title, site_url, "/".join(path) or None, line), name


# Broken OPML (quotes inside attribute values, stray markup) is read tag by tag instead:
# each <outline> is recovered on its own, and the nesting from its open and close tags.
_OPML_START_RE = re.compile(rb"<(?:[\w.-]+:)?opml\b", re.IGNORECASE)
_ATTRIBUTE_RE = re.compile(r"""(?<![\w:.-])([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENCODING_RE = re.compile(rb"""^[^>]{0,200}encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


def _scan(text: str) -> Iterator[OpmlFeed]:
    folders: list[str] = []  # the open folders' names, at most MAX_DEPTH
    opened: list[bool] = []  # one entry per open outline: did it open a folder?
    for closing, raw, line in _outline_tags(text):
        if closing:
            if opened and opened.pop():
                folders.pop()
            continue
        attributes = {_attribute_name(m.group(1)): _attribute_value(m) for m in _ATTRIBUTE_RE.finditer(raw)}
        feed, name = _outline_feed(attributes, tuple(folders), line)
        if feed is not None:
            yield feed
        if not raw.rstrip().endswith("/"):  # an open outline: what follows is inside it
            is_folder = feed is None and bool(name) and len(folders) < MAX_DEPTH
            if is_folder and name:
                folders.append(_folder_name(name))
            opened.append(is_folder)


# How an outline tag is read: ``<outline`` (or ``</outline``), then tokens up to the first ``>``
# outside them — runs of other characters, double-quoted strings (they pair up even when a value
# holds quoted words or raw markup, ``"<a href="…">"``), single-quoted strings right after "="
# (elsewhere a single quote is an apostrophe), and lone "=" or "'". A tag with a double quote that
# never closes, or without its ">", is no tag, and the scan goes on at the next "<outline".
_TAG_START_RE = re.compile(r"<(/?)outline\b", re.IGNORECASE)
# A whole tag that ends before the next "<outline", read in one go. A "=" counts as a lone "=" only
# when no single quote follows it: cut off at the next tag, a quoted value whose closing quote lies
# beyond would otherwise be read differently than without the cut.
_TAG_BEFORE_NEXT_RE = re.compile(
    r"""<(/?)outline\b((?:[^>"'=]++|"[^"]*+"|=\s*+'[^']*+'|=(?!\s*+')|')*+)>""", re.IGNORECASE
)
_RUN_END_RE = re.compile(r"""[>"'=]""")
_SINGLE_QUOTED_RE = re.compile(r"""=\s*+'""")


def _outline_tags(text: str) -> Iterator[tuple[bool, str, int]]:
    """(closing?, what is between the tag's name and its ``>``, line number) of each outline tag.

    In time linear in the length of the text. Read naively (as a regular expression would),
    a document of tags that never close (no ">", or a double quote never closed) takes
    quadratic time: each "<outline" reads to the end of the document before it fails. Here
    a tag is first read up to the next "<outline" only (:data:`_TAG_BEFORE_NEXT_RE`), which
    is how real tags end; the rest go through :class:`_TagReader`, which never reads a
    stretch of text twice.
    """
    reader = _TagReader(text)
    line, line_counted = 1, 0
    start = _TAG_START_RE.search(text)
    while start is not None:
        following = _TAG_START_RE.search(text, start.start() + 1)
        window_end = following.start() if following is not None else len(text)
        whole = _TAG_BEFORE_NEXT_RE.match(text, start.start(), window_end)
        tag_end = whole.end() - 1 if whole is not None else reader.tag_end(start.end())
        if tag_end >= 0:
            line += text.count("\n", line_counted, start.start())
            line_counted = start.start()
            yield bool(start.group(1)), text[start.end() : tag_end], line
            if following is not None and following.start() <= tag_end:
                following = _TAG_START_RE.search(text, tag_end + 1)
        start = following


class _TagReader:
    """The slow path of :func:`_outline_tags`: reads a tag token by token, remembering its way.

    Reading a tag from a given position always goes the same way, so every position a failed
    tag passed through is remembered, and a later tag that reaches one fails there. Tags
    starting inside one run of characters (no quote, "=" or ">" in it) would each read it to
    its end again: that end is looked up once (tags come in document order).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.failed: set[int] = set()  # positions from which no tag can be completed
        self.run_start, self.run_end = 0, -1  # the last run a tag started in

    def tag_end(self, pos: int) -> int:
        """The position of the ">" ending the tag whose attributes start at ``pos``; -1 when it has none."""
        text, end, failed = self.text, len(self.text), self.failed
        visited: list[int] = []
        if self.run_start <= pos <= self.run_end:
            visited.append(pos)
            pos = self.run_end
        while pos not in failed and pos < end:
            visited.append(pos)
            char = text[pos]
            if char == ">":
                return pos
            if char == '"':
                pos = text.find('"', pos + 1)
                if pos < 0:
                    break
                pos += 1
            elif char == "=":
                quoted = _SINGLE_QUOTED_RE.match(text, pos)
                close = text.find("'", quoted.end()) if quoted else -1
                pos = close + 1 if close >= 0 else pos + 1
            elif char == "'":
                pos += 1
            else:
                run = _RUN_END_RE.search(text, pos)
                run_end = run.start() if run else end
                if len(visited) == 1:  # the tag's first run
                    self.run_start, self.run_end = pos, run_end
                pos = run_end
        failed.update(visited)
        return -1


def _attribute_name(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def _attribute_value(match: re.Match[str]) -> str:
    value = match.group(2) if match.group(2) is not None else match.group(3)
    return html.unescape(value).strip()  # character references only; no entity is ever declared here


def _decode(data: bytes) -> str:
    declared = _ENCODING_RE.search(data)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _is_feed(attributes: dict[str, str]) -> bool:
    """An outline with an ``xmlUrl`` is a feed whatever its ``type``; a bare ``url``
    counts only when the type says feed (``type="link"`` outlines are web pages)."""
    if attributes.get("xmlurl"):
        return True
    return attributes.get("type", "").lower() in ("rss", "atom", "feed", "rdf") and bool(attributes.get("url"))


def _feed_url(value: str | None) -> str | None:
    """An http(s) URL, or None: outlines with other schemes are not feeds newsdesk can read. Whether
    the URL is usable (its syntax, length, port) is checked when it is subscribed, with the reason
    reported (``sources/feed_url.py``)."""
    if not value:
        return None
    if value[:5].lower() == "feed:":  # feed://host/path and feed:https://host/path
        rest = value[5:]
        value = rest if rest.lower().startswith(("http://", "https://")) else "http:" + rest
    return _http_url(value)


_HTTP_URL_RE = re.compile(r"https?://", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s")


def _http_url(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value if _HTTP_URL_RE.match(value) else None


def _folder_name(name: str) -> str:
    return " ".join(name.replace("/", "-").split())  # a "/" in a folder name would read as nesting


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


# --- export -------------------------------------------------------------------------


def _category_path(category: str | None) -> tuple[str, ...]:
    if not category:
        return ()
    return tuple(_xml_text(part.strip()) for part in category.split("/") if part.strip())


def _folder(folders: dict[tuple[str, ...], lxml.etree._Element], path: tuple[str, ...]) -> lxml.etree._Element:
    """The folder outline for ``path``, created (with its parents) on first use."""
    for depth in range(1, len(path) + 1):
        if path[:depth] not in folders:
            name = path[depth - 1]
            folders[path[:depth]] = lxml.etree.SubElement(folders[path[: depth - 1]], "outline", text=name, title=name)
    return folders[path]


# Characters XML 1.0 cannot carry (C0 controls but tab, newline and return; U+FFFE/U+FFFF; lone surrogates).
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(value: str) -> str:
    """``value`` without the characters lxml refuses to write (a feed title may hold any)."""
    return _NOT_XML_RE.sub("", value)
