"""Identity of articles, shared by the feed and page stages: stable ids, content hashes, word counts.

An article's id is derived from (source id, guid), so every ingest step can upsert; its content
hash is taken over its words run together (case, punctuation and spacing ignored), so copies
that differ only in layout share it. Both are hot: they run for every entry of every feed.
"""

from __future__ import annotations

import string
from hashlib import blake2b as _blake2b

# Punctuation (ASCII and the common typographic marks) becomes a space before splitting into words:
# str.translate + str.split is four times faster than a \w+ regex, and this runs for every entry.
_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "“”„‘’‚«»‹›—–‐‑…¡¿·•", " "))
# ASCII bytes that end a word: the punctuation above and every whitespace character ``str.split`` knows.
_ASCII_SEPARATORS = (string.punctuation + " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f").encode("ascii")
# Each byte of ASCII text → 1 inside a word, 0 between words (for counting word starts as bits).
_ASCII_WORD_BITS = bytes(0 if b in _ASCII_SEPARATORS else 1 for b in range(256))
_ASCII_LOWER = bytes.maketrans(string.ascii_uppercase.encode("ascii"), string.ascii_lowercase.encode("ascii"))
MIN_HASH_WORDS = 12  # too little text to say two entries are the same article


def digest_of(*parts: str | None) -> str:
    return hex_digest("\x1f".join([p or "" for p in parts]))


def hex_digest(joined: str) -> str:
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
    return source_prefix(source_id) + hex_digest(f"{source_id}\x1f{guid}")[:ID_HASH_DIGITS]


ID_HASH_DIGITS = 26


def source_prefix(source_id: int) -> str:
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
    return words_and_hash(text)[1]


def words_and_hash(text: str) -> tuple[int, str | None]:
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
    return len(words), hex_digest("".join(words))[:CONTENT_HASH_DIGITS]


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
