"""Stage: article page HTML → clean text, sanitized HTML and metadata (CPU-bound; runs in a process pool).

The page is decoded and parsed once; every step below works on that one tree:

1. decode: BOM → valid UTF-8 → the declared charset (HTTP header, ``<meta charset>``, WHATWG
   aliases: ``iso-8859-1`` means windows-1252) → charset-normalizer's guess.
2. main content: trafilatura in fast mode. When that finds little — under 250 characters, or
   under 3000 and less than a fifth of the page's text (trafilatura's own escalation rule) —
   its full cascade (comparison with readability and justext) runs and the longer result wins;
   as a last resort readability-lxml's candidate is read back through trafilatura.
3. post-clean: blocks that are page furniture in any language — "Read also: …" lead-ins, calls
   to subscribe or follow, share/cookie prompts, photo credits, a repeat of the headline — are
   dropped from the extracted tree, so the text and the HTML stay the same content.
4. metadata: trafilatura's (JSON-LD, OpenGraph, htmldate with time), canonical URL, language.
5. HTML: the cleaned tree as simple HTML, through :func:`sanitize_html`.

Each choice was measured on the two public benchmarks in ``bench/extract_quality.py`` (F1 on
Zyte's pages / on trafilatura's; plain ``trafilatura.extract`` scores 0.947 / 0.920):
all of the above 0.966 / 0.933; without the post-clean 0.961 / 0.925; fast mode only
0.966 / 0.925 (misses whole articles); full cascade on every page 0.959 / 0.933 (lets
more boilerplate in, and costs half again as much); without the readability rescue
0.966 / 0.932; keeping the headline 0.963 / 0.933.

:func:`extract_article` raises :class:`ExtractError` and nothing else, whatever the input.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from charset_normalizer import from_bytes
from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.baseline import html2txt
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from newsdesk.errors import ExtractError
from newsdesk.model import Extracted
from newsdesk.pipeline.page.metadata import detect_language
from newsdesk.pipeline.sanitize import MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, sanitize_html, shorten

log = logging.getLogger(__name__)

# Fewer letters and digits than this (a dozen words; counted in characters so that Chinese and
# Japanese, written without spaces, are judged alike) is a menu or a widget, not an article: the
# feed's own summary is better.
MIN_TEXT_ALNUM = 40
# trafilatura's own MIN_EXTRACTED_SIZE (settings.cfg): below it a result counts as "too short".
MIN_TEXT_CHARS = 250
# trafilatura's own recall escalation (core.ESCALATION_*): a result shorter than this that covers
# less than that share of the page's text probably missed the article.
ESCALATION_MAX_CHARS = 3000
ESCALATION_PAGE_SHARE = 0.2
# How far into the document a <meta charset> may appear (the HTML standard's prescan window).
META_PRESCAN_BYTES = 1024 * 4
# charset-normalizer reads this much of an undeclared page: enough to tell, bounded in cost.
GUESS_SAMPLE_BYTES = 64 * 1024


def extract_article(html: bytes | str, url: str | None = None, *, charset: str | None = None) -> Extracted:
    """Extract the main text and metadata of a page; raise ExtractError when there is none.

    ``charset`` is the one from the HTTP Content-Type header, when known; it outranks the page's
    own declaration, as in browsers. Any failure of the third-party parsers on hostile input
    becomes an ExtractError too: in a batch, one bad page must never take the others down.
    """
    try:
        return _extract(html, url, charset)
    except ExtractError:
        raise
    except Exception as exc:  # parsers raise anything on hostile input; see docstring
        log.debug("extract.failed url=%s error=%s", url, type(exc).__name__)
        raise ExtractError(url or "", f"extraction failed: {type(exc).__name__}") from exc


def _extract(html: bytes | str, url: str | None, charset: str | None) -> Extracted:
    page = html if isinstance(html, str) else decode_html(html, charset)
    tree = parse_html(page)
    if tree is None:
        raise ExtractError(url or "", "not an HTML page")
    body, method = main_content(tree, url)
    if body is None:
        raise ExtractError(url or "", "no article text found")
    meta = page_metadata(tree, url)  # after extraction: trafilatura's metadata code prunes the tree
    drop_boilerplate(body, meta.title)
    text = xmltotxt(body, False).strip()
    if sum(ch.isalnum() for ch in text) < MIN_TEXT_ALNUM:
        raise ExtractError(url or "", "no article text found")
    return Extracted(
        text=text,
        html=body_html(body, url),
        title=shorten(meta.title, MAX_TITLE_CHARS) if meta.title else None,  # the feed stage's cap, for the same field
        authors=split_authors(meta.author),
        published=parse_date(meta.date),
        language=detect_language(text) or declared_language(tree),
        image_url=absolute_http_url(meta.image, url),
        description=shorten(meta.description, MAX_SUMMARY_CHARS) if meta.description else None,
        canonical_url=canonical_url(tree, url),
        method=method,
    )


# --- 1. decoding ---------------------------------------------------------------------------

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# WHATWG encoding labels that name a superset in practice (browsers decode them this way).
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
}


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Bytes → text: BOM, then valid UTF-8, then the declared charset, then a statistical guess.

    Valid UTF-8 wins over a declaration because pages that say ``iso-8859-1`` while serving
    UTF-8 are common, and the reverse (windows-1252 text that happens to be valid UTF-8) is
    vanishingly rare outside pure ASCII, where both agree anyway. A declared charset is then
    trusted as browsers trust it, stray invalid bytes becoming U+FFFD: guessing instead turns a
    UTF-8 page with one bad byte into mojibake (seen on the trafilatura benchmark).
    """
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(bom_encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared_encoding = normalize_encoding(declared) or normalize_encoding(meta_charset(data))
    if declared_encoding:
        return data.decode(declared_encoding, errors="replace")
    guess = from_bytes(data[:GUESS_SAMPLE_BYTES]).best()
    guessed_encoding = normalize_encoding(guess.encoding) if guess is not None else None
    return data.decode(guessed_encoding or "cp1252", errors="replace")


def meta_charset(data: bytes) -> str | None:
    """The charset named by ``<meta charset>`` or ``http-equiv`` Content-Type near the top."""
    match = _META_CHARSET_RE.search(data[:META_PRESCAN_BYTES])
    return match.group(1).decode("ascii", errors="replace") if match else None


def normalize_encoding(label: str | None) -> str | None:
    """A Python codec name for an HTML encoding label, or None if Python does not know it."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _WHATWG_ALIASES.get(label, label)
    if label in ("utf-16", "utf-16le", "utf-16be"):  # a <meta> can't be read in UTF-16: it lies
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def parse_html(page: str) -> HtmlElement | None:
    """One lxml tree for the page (trafilatura's loader: repairs, size cap), None if not HTML."""
    tree = load_html(page)
    return tree if isinstance(tree, HtmlElement) else None


# --- 2. main content -----------------------------------------------------------------------


def main_content(tree: HtmlElement, url: str | None) -> tuple[etree._Element | None, str]:
    """The extracted body (trafilatura's XML) and which method produced it."""
    body, text = _trafilatura(tree, url, fast=True)
    method = "trafilatura"
    if _too_short(len(text), tree):
        full_body, full_text = _trafilatura(tree, url, fast=False)
        if len(full_text) > len(text) and not _gains_are_link_lists(full_text, text, tree):
            body, text, method = full_body, full_text, "trafilatura-full"
    if len(text) < MIN_TEXT_CHARS:
        rescue_body, rescue_text = _readability(tree, url)
        if len(rescue_text) > len(text):
            body, text, method = rescue_body, rescue_text, "readability"
    return body, method


MIN_LINK_TEXT_CHARS = 12  # shorter link texts ("Home", "More") start too many ordinary lines


def _gains_are_link_lists(fuller: str, text: str, tree: HtmlElement) -> bool:
    """True when what full mode adds is mostly lines that begin with a link's text.

    A short article (a brief, a photo caption) makes fast mode look like it missed
    something; full mode then often picks up the "Read more" box next to it:
    headline links, each followed by a teaser. Lines led by a link are that box, not
    the article, so the shorter result stands.
    """
    added = [line.strip() for line in fuller.splitlines() if line.strip() and line.strip() not in text]
    if not added:
        return False
    anchors = {
        " ".join(a.text_content().split())
        for a in tree.iter("a")
        if len(" ".join(a.text_content().split())) >= MIN_LINK_TEXT_CHARS
    }
    led_by_link = sum(1 for line in added if any(line.startswith(anchor) for anchor in anchors))
    return 2 * led_by_link >= len(added)


def _too_short(length: int, tree: HtmlElement) -> bool:
    """True when fast mode probably missed the article: too little text, absolutely or relatively.

    The page's text (``html2txt``) is only measured for short results: it costs a tree copy.
    """
    if length < MIN_TEXT_CHARS:
        return True
    return length < ESCALATION_MAX_CHARS and length < ESCALATION_PAGE_SHARE * len(html2txt(tree))


def _trafilatura(
    tree: HtmlElement, url: str | None, *, fast: bool, recall: bool = False
) -> tuple[etree._Element | None, str]:
    """Run trafilatura's extractor on (a copy of) the tree: text without comments, with tables.

    Links, images and inline formatting stay off: measured, each of them lets more boilerplate
    into the text, and the same tree must yield both the text and the HTML.
    """
    doc = bare_extraction(
        tree,
        url=url,
        fast=fast,
        favor_recall=recall,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        include_links=False,
        include_images=False,
        with_metadata=False,
    )
    if not isinstance(doc, Document) or doc.body is None:
        return None, ""
    return doc.body, doc.text or ""


def _readability(tree: HtmlElement, url: str | None) -> tuple[etree._Element | None, str]:
    """Last resort: readability-lxml's best candidate, read back through trafilatura (recall mode)."""
    from readability import Document as Readability  # rarely needed: imported on first use
    from readability.readability import Unparseable

    try:
        summary = Readability(etree.tostring(tree, encoding="unicode", method="html")).summary(html_partial=True)
    except Unparseable:
        return None, ""
    candidate = parse_html(f"<html><body>{summary}</body></html>")
    if candidate is None:
        return None, ""
    return _trafilatura(candidate, url, fast=True, recall=True)


# --- 3. post-clean -------------------------------------------------------------------------

# Lead-ins of cross-links to other articles ("Read also: <headline>"), in the languages of the
# benchmarks and their neighbours. Matched at the start of a short block and followed by a colon
# or similar, so a sentence that merely contains "see also" is kept.
_CROSS_LINK = re.compile(
    r"""^\W*(
    read\ (more|also|next)|see\ also|related(\ (articles?|stories|posts?|content|coverage|reading|links?))?|
    more\ on\ this|more\ from|also\ (read|see|on)|you\ (may|might)\ also\ like|recommended(\ for\ you)?|
    don.?t\ miss|popular\ on|trending|explore\ further|further\ reading|
    lesen\ sie\ (auch|mehr|hier)|lies\ auch|auch\ interessant|mehr\ zum\ thema|zum\ thema|
    weitere\ (artikel|themen|beitr[äa]ge|informationen\ zum\ thema)|das\ k[öo]nnte\ sie\ (auch\ )?interessieren|
    le[ae]\ (tambi[ée]n|m[áa]s)|ve[ar]\ tambi[ée]n|(le|te)\ puede\ interesar|mira|mire|
    notas?\ relacionadas?|contenido\ relacionado|noticias\ relacionadas|
    [àa]\ lire\ (aussi|[ée]galement)|lire\ aussi|voir\ aussi|sur\ le\ m[êe]me\ sujet|
    leia\ (tamb[ée]m|mais)|veja\ (tamb[ée]m|mais)|czytaj\ (te[żz]|tak[żz]e|wi[ęe]cej)|zobacz\ (te[żz]|tak[żz]e)|
    leggi\ anche|vedi\ anche|lees\ ook
    )\b\s*[:.!|»>\-–—]""",
    re.VERBOSE | re.IGNORECASE,
)
# Whole short blocks that are section labels or widget captions, never article prose.
_LABEL = re.compile(
    r"""^\W*(
    read\ more|related|related\ (articles?|stories|posts?|content)|more\ (stories|news)|
    you\ (may|might)\ also\ like|recommended(\ for\ you)?|don.?t\ miss|explore\ further|further\ reading|
    more|also|see\ also|lesen\ sie\ auch|auch\ interessant|mehr\ zum\ thema|
    weitere\ (artikel|themen|beitr[äa]ge)(\ zum\ thema)?|das\ k[öo]nnte\ sie\ (auch\ )?interessieren|
    notas?\ relacionadas?|contenido\ relacionado|noticias\ relacionadas|(te|le)\ puede\ interesar|
    [àa]\ lire\ aussi|lire\ aussi|sur\ le\ m[êe]me\ sujet|leia\ tamb[ée]m|czytaj\ (te[żz]|tak[żz]e)|leggi\ anche|
    comments?|kommentare?|comentarios?|commentaires?|tags?|topics?|themen|
    share(\ this(\ article|\ story|\ post)?)?|teilen|compartir|partager|
    advertisement|anzeige|werbung|publicidad|publicit[ée]
    )\W*$""",
    re.VERBOSE | re.IGNORECASE,
)
# Calls to action that need no context: following, apps, "click here", share prompts, consent.
_CTA_PHRASE = re.compile(
    r"""(
    \bfollow\ us\b|s[ií]guenos|folgen\ sie\ uns|suivez[\ -]nous|\b(in|to)\ your\ inbox\b|
    \bdownload\ (the|our)\ app\b|\bclick(ing)?\ here\b|^\W*(subscribe|sign\ up)\b|\bsign\ up\ (here|now|today)\b|
    \bshare\ (this|it)\ (with|on)\b|\bshare\ on\ (facebook|twitter|whatsapp|linkedin|x|email)\b|
    \b(we|this\ (web)?site|our\ (web)?site)\ uses?\ cookies\b|\bcookies?\ (policy|settings|preferences|consent)\b|
    \baccept\ (all\ )?cookies\b|wir\ (verwenden|nutzen)\ cookies|\bcookies\ (akzeptieren|zulassen)\b
    )""",
    re.VERBOSE | re.IGNORECASE,
)
# Calls to subscribe: a verb of signing up and something to sign up to, in the same short block
# ("the company's newsletter reported a loss" has the object but no call).
_CTA_VERB = re.compile(
    r"\b(sign(ing|ed)?\ up|subscrib\w*|register|anmelden|abonn\w*|inscri\w*|suscrib\w*|receive|get)\b",
    re.VERBOSE | re.IGNORECASE,
)
_CTA_OBJECT = re.compile(r"\b(newsletters?|inbox|e-?mail|edition|rss|updates)\b", re.IGNORECASE)
# A newsletter's name on its own ("Pick Six Newsletter").
_NEWSLETTER_LABEL = re.compile(r"^\W*(\w+\W+){0,3}newsletter\W*$", re.IGNORECASE)
# Photo and source credits on a line of their own: a credit word and a colon, or a copyright sign.
_CREDIT = re.compile(
    r"""^\W*(
    (photo|foto|image|bild|picture|credits?|cr[ée]dits?(\ photos?)?|source|quelle|fuente|copyright)\s*:|
    (photo|image|picture)\ (by|courtesy)\b|©|\(c\)\s
    )""",
    re.VERBOSE | re.IGNORECASE,
)
# Word limits: a block longer than this is prose, whatever words it contains.
_MAX_WORDS = {"cross_link": 30, "label": 6, "call_to_action": 25, "credit": 12}
# Blocks of trafilatura's XML that hold one line of text each.
_LEAF_BLOCKS = frozenset({"p", "head", "item", "quote", "ab"})
_CONTAINERS = frozenset({"list", "quote", "table", "row"})


def is_boilerplate(text: str) -> bool:
    """True for a block that is page furniture in any article: see the patterns above."""
    words = len(text.split())
    return (
        (words <= _MAX_WORDS["cross_link"] and _CROSS_LINK.match(text) is not None)
        or (words <= _MAX_WORDS["label"] and _LABEL.match(text) is not None)
        or (words <= _MAX_WORDS["call_to_action"] and is_call_to_action(text))
        or (words <= _MAX_WORDS["credit"] and _CREDIT.match(text) is not None)
    )


def is_call_to_action(text: str) -> bool:
    """Subscribe, follow, share, accept cookies: the page talking to its reader, not the story."""
    if _CTA_PHRASE.search(text) or _NEWSLETTER_LABEL.match(text):
        return True
    return _CTA_VERB.search(text) is not None and _CTA_OBJECT.search(text) is not None


def drop_boilerplate(body: etree._Element, title: str | None) -> None:
    """Remove boilerplate blocks, and a first block that only repeats the headline, in place.

    The headline is stored in ``Extracted.title``; repeating it at the top of the text would
    show it twice and skew duplicate detection between a feed's text and the page's.
    """
    first = True
    wanted_title = _fold(title) if title else None
    for block in list(_leaf_blocks(body)):
        text = " ".join(" ".join(block.itertext()).split())
        if not text:
            continue
        repeats_title = first and wanted_title is not None and _fold(text) == wanted_title
        first = False
        if repeats_title or is_boilerplate(text):
            _remove(block)
    for container in [el for el in body.iter() if el.tag in _CONTAINERS]:
        if not "".join(container.itertext()).strip():
            _remove(container)


def _leaf_blocks(body: etree._Element) -> Iterator[etree._Element]:
    """Text blocks with no text block inside them, in document order."""
    for element in body.iter():
        if element.tag in _LEAF_BLOCKS and not any(child.tag in _LEAF_BLOCKS for child in element.iterdescendants()):
            yield element


def _fold(text: str) -> str:
    return " ".join(re.sub(r"\W+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def _remove(element: etree._Element) -> None:
    """Detach an element, keeping its tail text in the tree."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


# --- 4. metadata ---------------------------------------------------------------------------


def page_metadata(tree: HtmlElement, url: str | None) -> Document:
    """trafilatura's metadata: title, author, date (htmldate, with time), image, description.

    Extensive date search (scanning the whole page for date-like strings) is off: it is slow
    and news pages carry their date in meta tags or JSON-LD, which the quick search reads.
    """
    date_params: dict[str, Any] = {
        "original_date": True,
        "extensive_search": False,
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    }
    doc = extract_metadata(tree, url, date_params, False, set())
    return doc if isinstance(doc, Document) else Document()


def split_authors(author: str | None) -> tuple[str, ...]:
    """trafilatura joins several authors with "; "; split them back, without duplicates."""
    if not author:
        return ()
    names = (name.strip() for name in author.split(";"))
    return tuple(dict.fromkeys(name for name in names if name))


def parse_date(value: str | None) -> datetime | None:
    """htmldate's ISO output → aware UTC datetime (a date without zone is taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def canonical_url(tree: HtmlElement, url: str | None) -> str | None:
    """``<link rel=canonical>``, else ``og:url``, made absolute; None when the page names none."""
    candidates = [
        link.get("href") for link in tree.iter("link") if "canonical" in (link.get("rel") or "").lower().split()
    ]
    candidates += [meta.get("content") for meta in tree.iter("meta") if meta.get("property") == "og:url"]
    return _first_http_url(candidates, url)


def _first_http_url(candidates: Iterable[str | None], base: str | None) -> str | None:
    for candidate in candidates:
        absolute = absolute_http_url(candidate, base)
        if absolute:
            return absolute
    return None


def absolute_http_url(value: str | None, base: str | None) -> str | None:
    """``value`` resolved against ``base``; None unless it is an http(s) URL with a host."""
    if not value or not value.strip():
        return None
    try:
        absolute = urljoin(base or "", value.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


_LANG_RE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")


def declared_language(tree: HtmlElement) -> str | None:
    """The language the page declares (``<html lang>``, Content-Language, og:locale), as ISO 639.

    Only a fallback for text too short to identify: templates often keep a wrong default.
    """
    values = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in tree.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("property") or "").lower()
        if key in ("content-language", "og:locale"):
            values.append(meta.get("content"))
    for value in values:
        match = _LANG_RE.match((value or "").strip().split(",")[0])
        if match:
            return match.group(1).lower()
    return None


# --- 5. HTML -------------------------------------------------------------------------------


def body_html(body: etree._Element, url: str | None) -> str:
    """The cleaned body as a sanitized HTML fragment (converts the tree in place: call last)."""
    root = convert_to_html(body)
    html_body = root[0]
    parts = [html_body.text or ""]
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in html_body]
    return sanitize_html("".join(parts), url)
