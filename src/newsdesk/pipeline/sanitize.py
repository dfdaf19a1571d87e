"""Sanitizing third-party HTML and turning it into plain text.

Feed and page HTML is hostile input that newsdesk renders inside its own pages,
so :func:`sanitize_html` keeps only an allow-list of article markup: no script,
style, frames, plugins, forms, SVG or MathML; no event handlers or ``style``
attributes; URLs only with the ``http``, ``https`` and ``mailto`` schemes. The
work is done by nh3 (Python bindings to Rust's ammonia, which parses with the
html5ever HTML5 parser, so the output is what a browser would see, serialized
once more). One :class:`nh3.Cleaner` is built at import: building it per call
costs three times the cleaning itself.

Relative URLs are made absolute against the document's URL. Left relative, a
link such as ``<img src="/api/…">`` would point at newsdesk's own origin once
the HTML is shown there; with no base to resolve against they are dropped.

Any fragment is sanitized in time linear in its size: nh3's parser works in
proportion to the nesting for every tag, so a long fragment is first read once
by :func:`bound_nesting`, which drops the tags nested past what a reader can use
("bounded nesting" below says how and why). :func:`shorten` and
:func:`shorten_html` cut titles and bodies to the sizes a reader can use.

:func:`html_to_text` is the plain text of a fragment (paragraphs separated by
blank lines), used for word counts, hashes, search and the language detector.
It is a few regular expressions and :func:`html.unescape` rather than a parser:
on sanitized HTML (well-formed, attributes double-quoted) that is exact, and it
takes a third of the time of walking an lxml tree (6.5 µs against 18.6 µs for a
600-character summary of the benchmark corpus, same output), which matters at
tens of thousands of entries per update. On raw HTML it is a close approximation.
"""

from __future__ import annotations

import html as _html
import re
import threading
from urllib.parse import urljoin

import nh3

__all__ = [
    "ELLIPSIS",
    "MAX_BODY_CHARS",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "bound_nesting",
    "html_to_text",
    "sanitize_html",
    "shorten",
    "shorten_html",
    "text_line",
]

_ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "hr", "div", "section", "article", "blockquote", "q", "cite", "pre", "code", "kbd", "samp"),
        *("a", "em", "strong", "b", "i", "u", "s", "del", "ins", "sup", "sub", "small", "mark", "abbr", "time"),
        *("ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "img"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
    }
)
# Elements removed together with everything inside them (the rest lose only their tags:
# <object> and <applet> keep their fallback content, which is what a reader would see).
_DROPPED_WITH_CONTENT = frozenset(
    {
        *("script", "style", "template", "iframe", "frame", "frameset", "embed"),
        *("svg", "math", "noscript", "noembed", "noframes", "textarea", "select", "title", "head", "xmp", "plaintext"),
    }
)
# No ``style``, ``class``, ``id`` or ``on…``: only attributes with meaning in a reader.
# ``cite`` is left out on purpose: ammonia does not resolve or scheme-check it.
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "time": {"datetime"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "noopener noreferrer"

# The base URL of the fragment being cleaned, read by the relative-URL callback.
# nh3 passes the callback only the URL, so the base travels beside it; per thread,
# because sanitizing runs in worker threads too.
_current = threading.local()


def _resolve_relative(url: str) -> str | None:
    """nh3 callback for relative ``href``/``src``: absolute URL, or None to drop it.

    Never raises: nh3 reports a raising callback through ``sys.unraisablehook``.
    """
    base: str | None = getattr(_current, "base", None)
    if not base:
        return None
    try:
        absolute = urljoin(base, url.strip())
    except ValueError:  # e.g. a malformed IPv6 host in the base or the URL
        return None
    return absolute if absolute[:8].lower().startswith(("http://", "https://")) else None


_CLEANER = nh3.Cleaner(
    tags=set(_ALLOWED_TAGS),
    clean_content_tags=set(_DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(_URL_SCHEMES),
    link_rel=_LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}, "img": {"loading": "lazy"}},
    url_relative=_resolve_relative,
    strip_comments=True,
)

# Article headings sit under the page's own title: h1/h2 become h3. Clamping
# (rather than shifting every level) keeps sanitizing idempotent.
_TOP_HEADING_RE = re.compile(r"<(/?)h[12]>")


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return safe HTML: no script/style/iframe, no event handlers, no javascript: URLs.

    Relative links and image sources are resolved against ``base_url`` (dropped
    without one); links get ``rel="noopener noreferrer"`` and open in a new tab.
    Sanitizing its own output changes nothing.
    """
    if "<" not in html and "&" not in html:
        return html  # plain text is already safe HTML; skipping nh3 saves most of the cost on short fields
    if _is_simple(html):
        return html
    few_tags = html.count("<") <= _FEW_TAGS and len(html) <= _FEW_CHARS
    if not few_tags:
        html = bound_nesting(html)  # linear time: see "bounded nesting" below
    _current.base = base_url
    try:
        cleaned = _stable_clean(html)
        if few_tags and cleaned.count("<") > _FEW_TAGS and (bounded := bound_nesting(cleaned)) is not cleaned:
            # A short fragment can grow while cleaned (end tags added, formatting elements repeated
            # in each paragraph); bounded as a long one would be, sanitizing the output changes nothing.
            cleaned = _stable_clean(bounded)
    finally:
        _current.base = None
    if "<h1>" in cleaned or "<h2>" in cleaned:
        cleaned = _TOP_HEADING_RE.sub(r"<\1h3>", cleaned)
    return cleaned


# Text in paragraphs, with line breaks and bold or italic words, is what most feed
# summaries are; such a fragment is safe as it stands, and recognising it costs
# less than a tenth of cleaning it. Only these attribute-less tags, character
# references and text without "<" or ">" qualify, and formatting tags must nest.
# Each value says what the tag does to the nesting: "" nothing, "b" opens <b>, "/b" closes it.
_SIMPLE_TAGS = {
    "p": "",
    "/p": "",
    "br": "",
    "br/": "",
    **{name: name for name in ("b", "i", "em", "strong")},
    **{f"/{name}": f"/{name}" for name in ("b", "i", "em", "strong")},
}
_REFERENCE_RE = re.compile(r"(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def _is_simple(html: str) -> bool:
    """Is the fragment only text, character references and the tags of ``_SIMPLE_TAGS``, properly nested?

    Splitting at every "<" and "&" and looking at what follows each is several
    times faster than one regular expression over every character.
    """
    tags = html.count("<")
    if html.count(">") != tags:
        return False  # a ">" outside the tags below (each has exactly one)
    if tags == (opened := html.count("<p>")) + html.count("</p>") and opened:
        # The commonest summary: bare paragraphs. Their nesting does not matter (HTML closes
        # a <p> at the next <p>); only character references are left to check.
        return "&" not in html or _references_are_valid(html)
    pieces = html.split("<")
    open_tags: list[str] = []
    for i in range(1, len(pieces)):
        piece = pieces[i]
        end = piece.find(">")
        effect = _SIMPLE_TAGS.get(piece[:end]) if end > 0 else None
        if effect is None:
            return False
        if effect:
            if effect[0] != "/":
                open_tags.append(effect)
            elif not open_tags or open_tags.pop() != effect[1:]:
                return False
    if open_tags:
        return False  # an unclosed <b> would make the rest of the page bold
    return "&" not in html or _references_are_valid(html)


def _references_are_valid(html: str) -> bool:
    """Is every "&" the start of a well-formed character reference?"""
    return all(_REFERENCE_RE.match(reference) for reference in html.split("&")[1:])


# Serializing a parsed tree and parsing it again does not always give the same tree
# (nh3 lifts the children of removed elements into their parent, and the HTML5
# adoption agency reshapes misnested <a>, <b>, headings, …), so a fragment nh3
# changed is cleaned again until it stops changing. Most fragments come out of
# the first pass as they went in, and the check costs one string comparison.
_MAX_PASSES = 4


def _stable_clean(html: str) -> str:
    cleaned: str = _CLEANER.clean(html)
    for _ in range(_MAX_PASSES - 1):
        if cleaned == html:
            break
        html, cleaned = cleaned, _CLEANER.clean(cleaned)
    return cleaned


# --- bounded nesting ------------------------------------------------------------
#
# html5ever, the parser under nh3, does work in proportion to the open elements for each tag it
# reads (the "p element in button scope" scan, the search for an end tag's element, reconstructing
# the active formatting elements), so cleaning costs size × depth: 20,000 nested <ul><li> (160 KB)
# took 11 s, <div> nested 40,000 deep 7.5 s, and "<p><b id=N></p>" repeated 4,000 times (71 KB)
# 17 s; unclosed formatting elements with distinct attributes also make it copy each of them
# into every later paragraph (the output grows by their number for every tag). No option of
# nh3 or ammonia bounds either, and lxml's HTML parser, which does stop at depth 256, drops
# everything after that point. So before nh3 sees a fragment with many tags, :func:`bound_nesting`
# reads its tags once and, when they nest too deep, drops the start and end tags past a fixed
# depth, keeping the text: the reader sees the words of the deepest levels run on inside the
# last level kept, as browsers do past their own limit (Chromium's is 512).
#
# Depth is counted as html5ever would count it, or higher: every start tag opens an element
# (void ones excepted), an end tag closes one only when it names the innermost open element, and
# only the implicit closings that are certain are modelled (a <p> before a block, <li> after
# <li>, …), so sloppy real-world markup (unclosed <p> and <li>) is not mistaken for nesting.
# Formatting elements are counted on their own too, as the parser's list of active formatting
# elements holds them (identical ones at most three times, as its "Noah's Ark" rule does).
# What cannot be counted without a full parser — comments, the raw text of script, style,
# textarea, title and the like, SVG and MathML with their CDATA — is removed here with its
# content, as nh3 would remove it, so the markup nh3 reads is exactly the markup counted.

# A fragment with at most this many "<" in at most so many characters is cheap whatever its shape:
# html5ever's work is bounded by tags² (under 1 ms) and by attributes² in one tag (5 ms at 32 KB).
# Most summaries and articles are that small, and skip the pass (which costs about what nh3 does).
_FEW_TAGS = 250
_FEW_CHARS = 32_768
_DEEP = 256  # open elements that make a fragment too deep ...
_FLAT = 64  # ... which then keeps this many levels
_DEEP_FORMATTING = 8  # open formatting elements that make it too deep ...
_FLAT_FORMATTING = 2  # ... which then keeps this many
_NOAHS_ARK = 3  # identical formatting elements the parser keeps active

# One attribute, as html5ever's attribute states read it: a name may hold quotes and "<" (and
# start with "="), a quoted value runs on to the end of the document if its quote is never closed.
_ATTRIBUTE = (
    r"[^\t\n\f\r />][^\t\n\f\r />=]*+"
    r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]*+))?"""
)
_ATTRIBUTE_RE = re.compile(_ATTRIBUTE)
_TAG_ATTRIBUTES = rf"(?:[\t\n\f\r /]++|{_ATTRIBUTE})*+"
_LONG_TAG = 1024  # characters: a tag this long may hold more attributes than ...
_MAX_ATTRIBUTES = 64  # ... are kept (real tags carry a dozen; nh3 keeps at most five)
# One token of HTML's data state: a start or end tag (group 3 is empty when the document ends
# inside it), a comment, or what the tokenizer reads as a bogus comment (<!DOCTYPE>, <?…>, </ …>,
# <![CDATA[…> outside SVG and MathML). A "<" that starts none of these is text.
_TOKEN_RE = re.compile(
    r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*+)" + _TAG_ATTRIBUTES + r"(>?)"
    r"|!--(?:-?>|[\s\S]*?--!?>|[\s\S]*+)"
    r"|[!?][^>]*+>?"
    r"|/[^A-Za-z][^>]*+>?)"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # HTML's case folding

_VOID = frozenset(
    {
        *("area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img", "input"),
        *("keygen", "link", "meta", "param", "source", "track", "wbr"),
    }
)
_FORMATTING = frozenset(
    {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"}
)
# Elements removed with their content before counting (nh3 removes them too). The first group's
# content is raw text up to its end tag; SVG and MathML have their own parsing rules.
_RAW_TEXT = frozenset({"iframe", "noembed", "noframes", "noscript", "style", "textarea", "title", "xmp"})
_FOREIGN = frozenset({"svg", "math"})
_REMOVED = _RAW_TEXT | _FOREIGN | {"script", "plaintext"}
_RAW_END_RE = {name: re.compile(rf"</{name}(?=[\t\n\f\r />])", re.IGNORECASE) for name in _RAW_TEXT}
# Inside SVG and MathML: their own start and end tags (they nest), the HTML tags that end them
# ("breakout": the parser closes the SVG and reads the tag as HTML), and the elements inside
# which HTML is read as HTML (foreignObject, …; nh3 drops them with their SVG).
_BREAKOUT = (
    "b|big|blockquote|body|br|center|code|dd|div|dl|dt|em|embed|h[1-6]|head|hr|i|img|li|listing|menu|meta"
    "|nobr|ol|p|pre|ruby|s|small|span|strong|strike|sub|sup|table|tt|u|ul|var"
)
_INTEGRATION_POINTS = {
    "svg": ("foreignobject", "desc", "title"),
    "math": ("mi", "mo", "mn", "ms", "mtext", "annotation-xml"),
}
_FOREIGN_RE = {
    name: re.compile(
        rf"<(?:({name})|(/{name})|({'|'.join(points)})|({_BREAKOUT})|/(?:br|p))(?=[\t\n\f\r />])", re.IGNORECASE
    )
    for name, points in _INTEGRATION_POINTS.items()
}
_INTEGRATION_END_RE = {
    point: re.compile(rf"</{point}(?=[\t\n\f\r />])", re.IGNORECASE)
    for points in _INTEGRATION_POINTS.values()
    for point in points
}
# Script data ends at </script, unless "<!--<script" escaped it (the tokenizer's escape states).
_SCRIPT_RE = re.compile(r"<!--(-*>)?|-->|<(/?)script(?=[\t\n\f\r />])", re.IGNORECASE)

# The implicit closings modelled: a start tag closes the innermost open element while it is one
# of these (html5ever closes at least as much; modelling less only counts deeper).
_P = frozenset({"p"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CLOSES: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        (
            *("address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl"),
            *("fieldset", "figcaption", "figure", "footer", "header", "hgroup", "listing", "main", "menu", "nav"),
            *("ol", "p", "pre", "search", "section", "summary", "ul"),
        ),
        _P,
    ),
    **dict.fromkeys(_HEADINGS, _P | _HEADINGS),
    "li": frozenset({"li", "p"}),
    "dd": frozenset({"dd", "dt", "p"}),
    "dt": frozenset({"dd", "dt", "p"}),
    "td": frozenset({"td", "th", "p"}),
    "th": frozenset({"td", "th", "p"}),
    "tr": frozenset({"tr", "td", "th", "p"}),
    "option": frozenset({"option"}),
    "optgroup": frozenset({"option"}),
    "a": frozenset({"a"}),
}


def bound_nesting(html: str) -> str:
    """``html`` as nh3 should read it: no deeper than a reader can use, and cheap to parse.

    Comments, raw-text elements (script, style, textarea, …), SVG and MathML are removed with
    their content (nh3 would remove them); when the rest nests deeper than ``_DEEP`` elements or
    ``_DEEP_FORMATTING`` formatting elements, the tags past ``_FLAT`` and ``_FLAT_FORMATTING``
    levels are dropped and their text kept. Linear in the length of ``html``.
    """
    bounded, flattened = _bounded(html, _DEEP, _DEEP_FORMATTING)
    if flattened:
        bounded, _ = _bounded(html, _FLAT, _FLAT_FORMATTING)
    return bounded


def _bounded(html: str, max_depth: int, max_formatting: int) -> tuple[str, bool]:
    """(``html`` with the removable elements removed and the tags past the limits dropped, whether any was).

    One loop over the tags, kept flat: it runs for every long fragment. ``stack`` holds the names
    of the open elements, ``kept`` the indices of those nh3 will see (the others were dropped and
    are only remembered to drop their end tags too); ``marks`` (by index) a kept formatting
    element's tag text (its identity for the Noah's Ark count), a table part the parser will add
    (``_IMPLIED``) or ``_DROPPED``.
    """
    out: list[str] = []
    stack: list[str] = []
    kept: list[int] = []
    marks: dict[int, str] = {}
    active = _Active()
    flattened = False
    copied = 0  # html[:copied] is dealt with (in out, or left out)
    pos, length = 0, len(html)
    while pos < length:
        for token in _TOKEN_RE.finditer(html, pos):
            is_end, name, closed = token.groups()
            if name is None:  # a comment or a bogus comment: nh3 drops them
                _cut(out, html, copied, token.start())
                copied = token.end()
                continue
            if not closed:  # the document ends inside this tag: the tokenizer drops it and stops
                _cut(out, html, copied, token.start())
                copied = pos = length
                break
            if not name.islower():
                name = name.translate(_ASCII_LOWER)
            if is_end:
                if stack and stack[-1] == name and kept and kept[-1] == len(stack) - 1:  # the innermost: closed
                    stack.pop()
                    kept.pop()
                    if marks and (mark := marks.pop(len(stack), None)) is not None and mark is not _IMPLIED:
                        active.remove(mark)
                elif stack and stack[-1] == name:  # a dropped element's end tag goes with it
                    stack.pop()
                    del marks[len(stack)]
                    _cut(out, html, copied, token.start(), " ")
                    copied = token.end()
                    continue
                elif kept and (stack[kept[-1]] == name or (name in _TABLE_PARTS and marks.get(kept[-1]) is _IMPLIED)):
                    _close_to(name, stack, kept, marks, active)  # past dropped elements and added table parts
            elif name in _REMOVED:
                _cut(out, html, copied, token.start())
                pos = copied = _removed_element_end(html, name, token)
                break  # tokenizing resumes after the element
            elif name not in _VOID:
                closes = _CLOSES.get(name)
                if closes is not None:
                    while kept and stack[kept[-1]] in closes:
                        _close(stack, kept, marks, active)
                implied = _implied(name, stack[kept[-1]]) if name in _TABLE_PARTS and kept else ()
                key = token.group(0) if name in _FORMATTING else None
                if len(kept) + len(implied) >= max_depth or (key is not None and active.count >= max_formatting):
                    flattened = True
                    marks[len(stack)] = _DROPPED
                    stack.append(name)
                    _cut(out, html, copied, token.start(), " ")
                    copied = token.end()
                    continue
                for part in implied:
                    marks[len(stack)] = _IMPLIED
                    kept.append(len(stack))
                    stack.append(part)
                if key is not None:
                    marks[len(stack)] = key
                    active.add(key)
                kept.append(len(stack))
                stack.append(name)
            if token.end() - token.start() > _LONG_TAG and (shorter := _fewer_attributes(token)) is not None:
                _cut(out, html, copied, token.start())
                out.append(shorter)
                copied = token.end()
        else:
            break  # no more tokens
    if copied == 0:
        return html, flattened
    out.append(html[copied:])
    return "".join(out), flattened


class _Active:
    """How many formatting elements the parser keeps active, counting identical ones at most three times."""

    __slots__ = ("by_tag", "count")

    def __init__(self) -> None:
        self.by_tag: dict[str, int] = {}
        self.count = 0

    def add(self, tag: str) -> None:
        same = self.by_tag.get(tag, 0) + 1
        self.by_tag[tag] = same
        self.count += same <= _NOAHS_ARK

    def remove(self, tag: str) -> None:
        same = self.by_tag[tag]
        self.by_tag[tag] = same - 1
        self.count -= same <= _NOAHS_ARK


def _close(stack: list[str], kept: list[int], marks: dict[int, str], active: _Active) -> None:
    """Close the innermost kept element, and the dropped ones inside it (nh3 never sees those)."""
    index = kept.pop()
    for dropped in range(index + 1, len(stack)):
        del marks[dropped]
    del stack[index:]
    mark = marks.pop(index, None)
    if mark is not None and mark is not _IMPLIED:
        active.remove(mark)


def _close_to(name: str, stack: list[str], kept: list[int], marks: dict[int, str], active: _Active) -> None:
    """An end tag for the innermost kept element, or for a table part around added ones: close up to it."""
    while kept and stack[kept[-1]] != name and marks.get(kept[-1]) is _IMPLIED:
        _close(stack, kept, marks, active)
    if kept and stack[kept[-1]] == name:
        _close(stack, kept, marks, active)


_DROPPED = "\x00dropped"  # marks no tag text can equal (tag texts start with "<")
_IMPLIED = "\x00implied"
# Table parts the parser adds when a table's markup leaves them out: <table><td> holds a tbody and a tr.
_TABLE_PARTS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th"})
_TABLE_SECTIONS = frozenset({"tbody", "thead", "tfoot"})


def _implied(name: str, innermost: str) -> tuple[str, ...]:
    """The elements the parser inserts before ``name`` when ``innermost`` is the open element."""
    if innermost == "table":
        if name == "tr":
            return ("tbody",)
        if name in ("td", "th"):
            return ("tbody", "tr")
    elif innermost in _TABLE_SECTIONS and name in ("td", "th"):
        return ("tr",)
    return ()


def _removed_element_end(html: str, name: str, start_tag: re.Match[str]) -> int:
    """Where a removed element (raw text, script, SVG, MathML, plaintext) ends, its end tag included."""
    if name in _FOREIGN:
        return start_tag.end() if start_tag.group(0).endswith("/>") else _foreign_end(html, name, start_tag.end())
    end = -1 if name == "plaintext" else _element_end(html, name, start_tag.end())
    if end < 0:
        return len(html)  # the rest of the document is this element's
    end_tag = _TOKEN_RE.match(html, end)
    return end_tag.end() if end_tag is not None and end_tag.group(3) else len(html)


def _foreign_end(html: str, name: str, pos: int) -> int:
    """Where the SVG or MathML element opened before ``pos`` ends: after its end tag, or at an HTML tag ending it."""
    depth = 1
    search = _FOREIGN_RE[name].search
    while (tag := search(html, pos)) is not None:
        pos = tag.end()
        opened, closed, point, _ = tag.groups()
        if opened:  # a nested one, unless it closes itself ("<svg/>")
            tag_end = html.find(">", pos)
            depth += tag_end < 0 or html[tag_end - 1] != "/"
        elif closed:
            depth -= 1
            if not depth:
                end_tag = _TOKEN_RE.match(html, tag.start())
                return end_tag.end() if end_tag is not None and end_tag.group(3) else len(html)
        elif point:
            end = _INTEGRATION_END_RE[point.lower()].search(html, pos)
            if end is None:
                break
            pos = end.end()
        else:
            return tag.start()  # a breakout: the parser reads this tag as HTML
    return len(html)


def _fewer_attributes(tag: re.Match[str]) -> str | None:
    """The tag with only its first ``_MAX_ATTRIBUTES`` attributes; None if it has no more than that.

    html5ever compares each attribute of a tag with every one before it (a repeated name is
    dropped), so a single tag with 140,000 attributes (1 MB) took 11 s to clean.
    """
    text = tag.group(0)
    attributes = _ATTRIBUTE_RE.findall(text, tag.end(2) - tag.start(), len(text) - 1)
    if len(attributes) <= _MAX_ATTRIBUTES:
        return None
    return f"<{tag.group(1)}{tag.group(2)} {' '.join(attributes[:_MAX_ATTRIBUTES])}>"


def _cut(out: list[str], html: str, copied: int, start: int, gap: str = "") -> None:
    """Keep ``html[copied:start]`` and leave out what follows it, putting ``gap`` in its place.

    A "<" that was text only because a tag followed it is escaped, so that leaving the tag out
    cannot join the "<" to the next characters into a new tag.
    """
    kept = html[copied:start]
    if gap:
        if kept or not out or out[-1] != gap:  # one gap for a run of dropped tags
            out += (kept, gap)
        return
    if kept.endswith("<"):
        kept = kept[:-1] + "&lt;"
    out.append(kept)


def _element_end(html: str, name: str, pos: int) -> int:
    """Where the end tag of the raw-text or script element opened before ``pos`` starts; -1: none."""
    if name != "script":
        end = _RAW_END_RE[name].search(html, pos)
        return end.start() if end is not None else -1
    escaped = double = False
    while (token := _SCRIPT_RE.search(html, pos)) is not None:
        pos = token.end()
        text = token.group(0)
        if text.startswith("<!--"):
            escaped = escaped or token.group(1) is None  # "<!-->" opens and closes at once
        elif text == "-->":
            escaped = double = False
        elif token.group(2):  # </script
            if not double:
                return token.start()
            double = False
        elif escaped:  # <script inside "<!--": its </script> does not end the element
            double = True
    return -1


# --- plain text ---------------------------------------------------------------

# Where text is invisible or not prose: everything up to the matching end tag goes.
_INVISIBLE_OPEN_RE = re.compile(
    r"<!--|<(script|style|template|noscript|iframe|svg|math|textarea|select|title|head|noembed|noframes|xmp)\b",
    re.IGNORECASE,
)
_INVISIBLE_CLOSE = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE)
    for name in (
        *("script", "style", "template", "noscript", "iframe", "svg", "math"),
        *("textarea", "select", "title", "head", "noembed", "noframes", "xmp"),
    )
}
_BLOCK_TAGS = (
    "p|div|section|article|header|footer|aside|nav|main|address|blockquote|pre|figure|figcaption|"
    "h[1-6]|ul|ol|li|dl|dt|dd|table|caption|thead|tbody|tfoot|tr|th|td|hr|details|summary"
)
# Inside a tag: a quote right after "=" opens a value that may hold ">" (and "<"); any other quote is
# an ordinary character, as in a browser. Possessive quantifiers make matching linear on any input.
_ATTRS = r"""(?:[^<>"'=]++|=\s*+"[^"]*+"|=\s*+'[^']*+'|[="'])*+"""
_BLOCK_RE = re.compile(rf"</?(?:{_BLOCK_TAGS})\b{_ATTRS}>", re.IGNORECASE)
_BR_RE = re.compile(rf"<br\b{_ATTRS}>", re.IGNORECASE)
_TAG_RE = re.compile(rf"</?[A-Za-z]{_ATTRS}>|<[!?][^<>]*>")
_PARAGRAPH = "\x00"  # markers survive html.unescape: it never produces U+0000 or U+0001
_LINE = "\x01"


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment, paragraphs separated by blank lines.

    Entities are decoded, runs of whitespace collapsed to one space, ``<br>``
    becomes a line break; script, style and comments contribute nothing.
    """
    if "<" not in html:
        if "&" in html:
            html = _html.unescape(html)
        return _collapse(html)
    if _PARAGRAPH in html or _LINE in html:
        html = html.replace(_PARAGRAPH, " ").replace(_LINE, " ")
    elif html.count("<") == html.count("<p>") + html.count("</p>"):
        return _paragraphs_text(html)  # the commonest feed summary: bare paragraphs, nothing else
    if _INVISIBLE_OPEN_RE.search(html):
        html = _drop_invisible(html)
    html = _BLOCK_RE.sub(_PARAGRAPH, html)
    if "<br" in html or "<BR" in html or "<Br" in html or "<bR" in html:
        html = _BR_RE.sub(_LINE, html)
    html = _TAG_RE.sub("", html)
    if "&" in html:
        html = _html.unescape(html)
    parts = html.split(_PARAGRAPH)
    if len(parts) == 1:
        return _collapse_paragraph(html)
    if html.isascii() and _LINE not in html and "  " not in html and not _has_ascii_space_control(html):
        return "\n\n".join([paragraph for part in parts if (paragraph := part.strip())])  # nothing to collapse
    paragraphs = []
    for part in parts:  # adjacent block tags leave empty parts: skip them cheaply
        if part and not part.isspace() and (paragraph := _collapse_paragraph(part)):
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _paragraphs_text(html: str) -> str:
    """``html_to_text`` of a fragment whose only tags are ``<p>`` and ``</p>``, without regexes."""
    parts = html.replace("</p>", "<p>").split("<p>")
    if "&" in html:
        parts = [_html.unescape(part) for part in parts]
    return "\n\n".join([paragraph for part in parts if part and (paragraph := _collapse(part))])


def text_line(html: str) -> str:
    """One line of plain text (titles, names, categories): tags stripped, entities decoded."""
    if "<" not in html and "&" not in html:
        return _collapse(html)
    return " ".join(html_to_text(html).split())


# --- sizes a reader can use ------------------------------------------------------------
#
# A feed states titles and bodies of any size (a 1 MB title made the front page 1 MB) and the
# stages store what they are given, so both stages cut them to these sizes, at a word boundary,
# marking the cut with an ellipsis: the reader sees the start, then "…", and the article's link
# to its source for the rest. Sizes count characters, of the text for a title, of the HTML as
# the feed sent it for a body (before sanitizing, which also bounds the work done per entry).

MAX_TITLE_CHARS = 300  # a headline of 50 words; real ones stay under 150 characters
MAX_SUMMARY_CHARS = 10_000  # a summary shown beside a full text, or a page's description
MAX_BODY_CHARS = 250_000  # an article's text as HTML: 40,000 words of prose, several long-reads
ELLIPSIS = "…"
_WORD_BACKOFF = 1_000  # how far back a cut looks for the end of a word before cutting inside it
_LAST_SPACE_RE = re.compile(r"\s(?=\S*\Z)")


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending with "…" when cut."""
    if len(text) <= limit:
        return text
    return _end_at_a_word(text[: limit - len(ELLIPSIS)], 0)


def shorten_html(html: str, limit: int) -> str:
    """An HTML fragment cut to at most ``limit`` characters, before sanitizing: never inside a tag,
    at a word boundary, with "…" as text where it was cut (sanitizing then closes what is open)."""
    if len(html) <= limit:
        return html
    cut = html[: limit - len(ELLIPSIS)]
    tag = cut.rfind("<")
    if tag > cut.rfind(">"):  # inside a tag (or after a "<" of text, a character lost)
        cut = cut[:tag]
    return _end_at_a_word(cut, cut.rfind(">") + 1)  # the words after the last tag


def _end_at_a_word(cut: str, words: int) -> str:
    """``cut`` ended at its last space (sought from ``words`` on, at most ``_WORD_BACKOFF`` back), then "…"."""
    if space := _LAST_SPACE_RE.search(cut, max(words, len(cut) - _WORD_BACKOFF)):
        cut = cut[: space.start()]
    return cut.rstrip() + ELLIPSIS


def _collapse(text: str) -> str:
    """Runs of whitespace → one space, ends trimmed.

    Most text needs no collapsing, and finding that out with a few substring
    tests is several times cheaper than splitting it into words.
    """
    if text.isascii():  # O(1) in CPython; then a few memchr scans beat isprintable() sevenfold
        if not _has_ascii_space_control(text) and "  " not in text:
            return text.strip()
    elif text.isprintable() and "  " not in text:  # False for any whitespace but " " (tab, NBSP, U+2028, …)
        return text.strip()
    return " ".join(text.split())


def _has_ascii_space_control(text: str) -> bool:
    """Any of the ASCII characters ``str.split`` takes for whitespace, other than the space itself?"""
    return (
        "\n" in text
        or "\t" in text
        or "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def _collapse_paragraph(text: str) -> str:
    if _LINE not in text:
        return _collapse(text)
    lines = (_collapse(line) for line in text.split(_LINE))
    return "\n".join(line for line in lines if line)


def _drop_invisible(html: str) -> str:
    """Remove comments and script-like elements with their content, in one linear pass.

    An element that is never closed swallows the rest of the document, as it
    does in a browser; scanning with ``str.find`` and one search per element
    (not a lazy ``.*?`` regex) keeps hostile input from going quadratic.
    """
    out: list[str] = []
    pos = 0
    while (match := _INVISIBLE_OPEN_RE.search(html, pos)) is not None:
        out.append(html[pos : match.start()])
        name = match.group(1)
        if name is None:
            end = html.find("-->", match.end())
            if end < 0:
                return "".join(out)
            pos = end + 3
        else:
            close = _INVISIBLE_CLOSE[name.lower()].search(html, match.end())
            if close is None:
                return "".join(out)
            pos = close.end()
    out.append(html[pos:])
    return "".join(out)
