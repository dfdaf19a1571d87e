"""Stage 3: parsed entries → :class:`~newsdesk.model.ArticleDraft` values.

Canonicalizes URLs (tracking parameters and fragments dropped), derives the
stable article id from (source id, guid), and computes the two hashes the
dedup decider needs: ``content_hash`` over normalized text (same story text
under another URL) and ``entry_hash`` over every feed field (did the entry change?).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from hashlib import blake2b as _blake2b
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsdesk.model import ArticleDraft, ParsedEntry, ParsedFeed
from newsdesk.pipeline.sanitize import html_to_text

# Query parameters that only track the click; dropping them never changes the page.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_cid",
        "cmpid",
        "ocid",
        "ncid",
        "sr_share",
        "__twitter_impression",
        "at_medium",
        "at_campaign",
        "ito",
        "smid",
        "ref_src",
        "ref_url",
        "spm",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "ga_", "_ga", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Punctuation (ASCII and the common typographic marks) becomes a space before splitting into words:
# str.translate + str.split is four times faster than a \w+ regex, and this runs for every entry.
_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "“”„‘’‚«»‹›—–‐‑…¡¿·•", " "))
# ASCII bytes that end a word: the punctuation above and every whitespace character ``str.split`` knows.
_ASCII_SEPARATORS = (string.punctuation + " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f").encode("ascii")
# Each byte of ASCII text → 1 inside a word, 0 between words (for counting word starts as bits).
_ASCII_WORD_BITS = bytes(0 if b in _ASCII_SEPARATORS else 1 for b in range(256))
_ASCII_LOWER = bytes.maketrans(string.ascii_uppercase.encode("ascii"), string.ascii_lowercase.encode("ascii"))
MAX_URL_LENGTH = 2000  # longer URLs are kept but not used as a dedup key
MIN_HASH_WORDS = 12  # too little text to say two entries are the same article


# Most article links are already canonical (lower-case host, no port, query or fragment): this
# check lets them skip the parse below, which is the costliest step of normalizing an entry.
_ALREADY_CANONICAL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?(?::(?!80/|443/)[1-9]\d{0,4})?/[^?#\s@\\%]*"
)


def canonicalize_url(url: str | None) -> str | None:
    """Normalize a URL for comparison: lower-case scheme/host, no default port,
    no fragment, no tracking parameters, remaining parameters kept in order."""
    if not url:
        return None
    url = url.strip()
    if _ALREADY_CANONICAL.fullmatch(url) and len(url) <= MAX_URL_LENGTH:
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password:
        return None  # credentials in a feed link are never a canonical article address
    host = parts.hostname.rstrip(".")  # .hostname is already lower-case
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = parts.query
    if query:
        query = urlencode(
            [
                (k, v)
                for k, v in parse_qsl(query, keep_blank_values=True)
                if k.lower() not in _TRACKING_EXACT and not k.lower().startswith(_TRACKING_PREFIXES)
            ],
            doseq=True,
        )
    canonical = urlunsplit((scheme, netloc, parts.path or "/", query, ""))
    return canonical if len(canonical) <= MAX_URL_LENGTH else None


def page_canonical_url(url: str | None) -> str | None:
    """A page's ``rel=canonical`` as a dedup key: canonicalized, and None when it is a site's
    front page (some sites name their home page as the canonical of every article, which
    would fold all of them into one)."""
    canonical = canonicalize_url(url)
    if canonical is None:
        return None
    parts = urlsplit(canonical)
    if parts.path in ("", "/") and not parts.query:
        return None
    return canonical


# Leading host labels that name the same site in another dress (www.example.com, m.example.com).
_SITE_ALIASES = ("www.", "m.", "mobile.", "amp.")


def same_site(url: str, other: str) -> bool:
    """Do two http(s) URLs belong to one site: the same host, up to a ``www.``/``m.``-style
    first label, or one host a subdomain of the other (news.example.com and example.com)?

    A page may name any URL as its canonical; only one on its own site is trusted to
    speak for it (a stranger's page must not take over another site's address).
    """
    a, b = _site_host(url), _site_host(other)
    if not a or not b:
        return False
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _site_host(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    for alias in _SITE_ALIASES:
        if host.startswith(alias) and host.count(".") >= 2:
            return host[len(alias) :]
    return host


def _digest(*parts: str | None) -> str:
    return _hex_digest("\x1f".join([p or "" for p in parts]))


def _hex_digest(joined: str) -> str:
    """The one hash of newsdesk's keys: 16-byte BLAKE2b of the UTF-8 text, in hex."""
    return _blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def article_id(source_id: int, guid: str) -> str:
    """Stable id of an article: the same (source, guid) always maps to the same id.

    The source id in hex (six digits, more past 16 million sources) followed by 26 hex
    digits (104 bits) of the hash of (source, guid). Leading with the source keeps one
    feed's articles together in the primary-key index: a chunk of 25 feeds then writes
    to 25 places in it instead of to a random page per article, which kept the cost of
    an insert growing with the table (a third of the write time at 170k articles).
    """
    return _source_prefix(source_id) + _hex_digest(f"{source_id}\x1f{guid}")[:ID_HASH_DIGITS]


ID_HASH_DIGITS = 26


def _source_prefix(source_id: int) -> str:
    return f"{source_id:06x}"


def words_of(text: str) -> list[str]:
    """The lower-cased words of ``text``, punctuation dropped."""
    return text.lower().translate(_PUNCTUATION).split()


# 64 bits (the first 16 hex digits of the 128-bit hash): ten million articles would hold
# one accidental collision with odds of about one in 300,000; a longer key would make the
# content-hash index, whose inserts land on random pages, a third larger and every insert
# slower as the table grows.
CONTENT_HASH_DIGITS = 16


def content_hash(text: str) -> str | None:
    """Hash of the words of ``text``, run together: case, punctuation and spacing ignored.

    None if the text is too short to trust. Two copies of one article that differ only in
    how they are punctuated, spaced or split into paragraphs (``<br><br>`` or ``<p>``, a
    straight or a curly quote) get the same hash. Migration 0006 brought stored hashes to
    this definition.
    """
    return _count_and_hash(text)[1]


def _count_and_hash(text: str) -> tuple[int, str | None]:
    """(number of words, content hash) of ``text``, as ``words_of`` and ``content_hash`` define them.

    ASCII text (most of it) never becomes a list of words: the count is the number of word
    starts, taken as bits of one integer, and the hash reads the bytes with the separators
    deleted; splitting into word objects and joining them again cost three times as much.
    """
    if text.isascii():
        raw = text.encode("ascii")
        count = _ascii_word_count(raw)
        if count < MIN_HASH_WORDS:
            return count, None
        letters = raw.translate(_ASCII_LOWER, _ASCII_SEPARATORS)
        return count, _blake2b(letters, digest_size=16).hexdigest()[:CONTENT_HASH_DIGITS]
    words = words_of(text)
    if len(words) < MIN_HASH_WORDS:
        return len(words), None
    return len(words), _hex_digest("".join(words))[:CONTENT_HASH_DIGITS]


def _ascii_word_count(raw: bytes) -> int:
    """``len(words_of(text))`` of ASCII text given as bytes.

    Bytes become 1 (in a word) or 0 (a separator) and then one big-endian integer, in
    which ``x >> 8`` is each byte's predecessor: ``x & ~(x >> 8)`` keeps a bit where a
    word starts, and those are counted.
    """
    x = int.from_bytes(raw.translate(_ASCII_WORD_BITS), "big")
    return (x & ~(x >> 8)).bit_count()


def count_words(text: str) -> int:
    if text.isascii():
        return _ascii_word_count(text.encode("ascii"))
    return len(words_of(text))


def entry_guid(entry: ParsedEntry) -> str | None:
    """The entry's identity within its feed: guid, else link, else title+date."""
    if entry.guid:
        return entry.guid.strip()[:1000]
    if entry.url:
        return entry.url.strip()[:1000]
    if entry.title:
        stamp = entry.published.isoformat() if entry.published else ""
        return "title:" + _digest(entry.title, stamp)
    return None


def make_drafts(source_id: int, feed: ParsedFeed) -> list[ArticleDraft]:
    """Turn every usable entry into a draft; entries without any identity are dropped."""
    # The hot loop of normalizing (one pass per entry of every feed): hashes and word
    # counts are computed inline, and a repeated guid is skipped before any work.
    drafts: dict[str, ArticleDraft] = {}
    hash_prefix = f"{source_id}\x1f"  # article_id(source_id, guid), inlined: the source, then the hash of this + guid
    id_prefix = _source_prefix(source_id)
    language = feed.language
    for entry in feed.entries:
        guid = entry_guid(entry)
        if guid is None:
            continue
        draft_id = id_prefix + _hex_digest(hash_prefix + guid)[:ID_HASH_DIGITS]
        if draft_id in drafts:
            continue  # a feed repeating a guid keeps its first entry
        content_html = entry.content_html
        body_html = content_html or entry.summary_html
        text = html_to_text(body_html) if body_html else ""
        word_count, text_hash = _count_and_hash(text)
        url = entry.url
        drafts[draft_id] = ArticleDraft(
            id=draft_id,
            source_id=source_id,
            guid=guid,
            url=url,
            canonical_url=canonicalize_url(url),
            title=entry.title,
            authors=entry.authors,
            published_at=entry.published,
            updated_at=entry.updated,
            summary=entry.summary_html,
            content_html=content_html,  # None: the summary is all the feed has (not stored twice)
            text=text,
            image_url=entry.image_url,
            categories=entry.categories,
            word_count=word_count,
            content_hash=text_hash,
            entry_hash=_entry_hash(entry),
            language=language,
        )
    return list(drafts.values())


def _entry_hash(entry: ParsedEntry) -> str:
    published, updated = entry.published, entry.updated
    return _hex_digest(
        "\x1f".join(
            (
                entry.url or "",
                entry.title or "",
                "\x1e".join(entry.authors),
                str(published.timestamp()) if published else "",
                str(updated.timestamp()) if updated else "",
                entry.summary_html or "",
                entry.content_html or "",
                entry.image_url or "",
                "\x1e".join(entry.categories),
            )
        )
    )


def collect_keys(drafts: Iterable[ArticleDraft]) -> tuple[list[str], list[str], list[str]]:
    """The ids, canonical URLs and content hashes to look up before deciding."""
    ids, urls, hashes = [], [], []
    for d in drafts:
        ids.append(d.id)
        if d.canonical_url:
            urls.append(d.canonical_url)
        if d.content_hash:
            hashes.append(d.content_hash)
    return ids, urls, hashes
