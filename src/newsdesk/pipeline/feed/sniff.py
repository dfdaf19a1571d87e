"""What a fetched body is, from its first bytes: empty, JSON, an HTML page, or XML.

Decided from the document's first element, not from the Content-Type header:
servers label feeds ``text/html`` and pages ``application/rss+xml``. Cheap (a
few regular expressions over the first 64 KiB, no parser); feed discovery uses
:func:`sniff` too.

Two refusals are decided here from the bytes as well, before any parser runs:
a document cut off before its root element closes (:func:`root_is_closed`) and
one declaring entities built from entities (:func:`declares_nested_entities`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["FEED_ROOTS", "SNIFF_BYTES", "Sniffed", "declares_nested_entities", "root_is_closed", "sniff"]

SNIFF_BYTES = 65536  # how much of a document sniffing (and reading channel hints) looks at
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
    head = body[:SNIFF_BYTES]
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


# --- refusals ---------------------------------------------------------------------------


def declares_nested_entities(body: bytes) -> bool:
    """Does the document declare an entity whose value uses another entity (an XML bomb)?

    Neither parser expands them into memory, but feedparser's expat spends most of a second
    reaching its amplification limit first; no real feed needs entities built from entities.
    """
    return body.find(b"<!ENTITY", 0, SNIFF_BYTES) >= 0 and _NESTED_ENTITY_RE.search(body, 0, SNIFF_BYTES) is not None


_TAIL_BYTES = 4096


def root_is_closed(body: bytes, root: str) -> bool:
    """Whether the root element's end tag appears near the end (trailing comments or junk allowed).

    Both parsers recover from a cut-off document by inventing its last entry from the
    fragment (a link cut to ".../arti", a title cut mid-word) that would then be stored
    for good under an id made from the fragment; such a document is refused instead.
    """
    tail = body[-_TAIL_BYTES:].lower()
    if b"\x00" in tail[:2] or tail.count(b"\x00") > len(tail) // 4:
        return True  # UTF-16/32: leave it to the parsers
    name = b"rdf" if root == "rdf" else root.encode()
    return re.search(rb"</(?:[\w.-]+:)?" + name + rb"\s*>", tail) is not None
