"""Search: the storage finds and ranks; this module resolves the filters and marks the words that matched.

Snippets are cut here, in Python, from the article's own text, not by FTS5's ``snippet()`` or PostgreSQL's
``ts_headline``: the index holds text folded for matching (no accents, CJK characters spaced), which a
reader should not see, and one function makes the snippets of both databases alike. The text is
escaped piece by piece around the matches, and ``<mark>`` is the only markup the result holds, so a
title or text carrying ``<script>`` or ``</mark>`` stays text.

A match is found in the original text by a pattern built from the query's words, in which each letter
also matches its accented forms (``cafe`` marks ``Café``), with the same word boundaries as the index
(none inside a run of CJK characters).
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from newsdesk.model import SearchHit, SearchQuery, SearchResults, SearchRow
from newsdesk.queries.topics import resolve_topic
from newsdesk.store import Storage
from newsdesk.store.search import Phrase, fold, is_cjk, parse_query

SNIPPET_CHARS = 240  # about two lines of a result list
SNIPPET_LEAD = 70  # characters of context before the first match
SNIPPET_SCAN_CHARS = 30_000  # a match further in than this leaves the snippet at the text's start


def search(storage: Storage, query: SearchQuery) -> SearchResults:
    """One page of results (``query.limit`` of them from ``query.offset``) and whether more follow."""
    if query.tag:
        query = _with_tag_key(storage, query)
    rows = storage.search(_one_more(query))
    pattern = match_pattern(parse_query(query.text).phrases)
    hits = tuple(hit(row, pattern) for row in rows[: query.limit])
    return SearchResults(query=query, hits=hits, more=len(rows) > query.limit)


def _with_tag_key(storage: Storage, query: SearchQuery) -> SearchQuery:
    """The query with its hashtag as the stored key (``#LeeJaeMyung`` → ``leejaemyung``)."""
    return replace(query, tag=resolve_topic(storage, query.tag or ""))


def _one_more(query: SearchQuery) -> SearchQuery:
    return replace(query, limit=query.limit + 1)


def hit(row: SearchRow, pattern: re.Pattern[str] | None) -> SearchHit:
    return SearchHit(
        article_id=row.article_id,
        title=row.title,
        title_html=mark(row.title or row.url or "", pattern),
        snippet_html=snippet(row.text, pattern),
        url=row.url,
        source_id=row.source_id,
        source_title=row.source_title,
        published_at=row.published_at,
        language=row.language,
        category=row.category,
        story_id=row.story_id,
        rank=row.rank,
    )


# -- marking matches -----------------------------------------------------------------------------------


@functools.cache
def _variants() -> dict[str, str]:
    """Each folded letter → a character class of the letters that fold to it (``e`` → ``[eéèêë…]``)."""
    forms: dict[str, set[str]] = defaultdict(set)
    for start, end in ((0x00C0, 0x0530), (0x1E00, 0x1F00), (0xFF10, 0xFF5B)):
        for cp in range(start, end):
            char = chr(cp)
            base = fold(char)
            if len(base) == 1 and base != char:
                forms[base].update((base, char))
    return {base: "[" + "".join(re.escape(c) for c in sorted(chars)) + "]" for base, chars in forms.items()}


def _word_pattern(word: str) -> str:
    variants = _variants()
    return "".join(variants.get(c, re.escape(c)) for c in word)


def _phrase_pattern(phrase: Phrase) -> str:
    pattern = _word_pattern(phrase[0])
    for before, word in itertools.pairwise(phrase):
        gap = r"[\W_]*" if is_cjk(before[-1]) or is_cjk(word[0]) else r"[\W_]+"
        pattern += gap + _word_pattern(word)
    start = "" if is_cjk(phrase[0][0]) else r"(?<![^\W_])"
    end = "" if is_cjk(phrase[-1][-1]) else r"(?![^\W_])"
    return start + pattern + end


def match_pattern(phrases: Sequence[Phrase]) -> re.Pattern[str] | None:
    """A pattern that finds the phrases in original text, longest first; None without phrases."""
    if not phrases:
        return None
    ordered = sorted(set(phrases), key=lambda p: (-sum(map(len, p)), p))
    return re.compile("|".join(f"(?:{_phrase_pattern(p)})" for p in ordered), re.IGNORECASE)


def mark(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` escaped for HTML, with each match of ``pattern`` in ``<mark>``."""
    if pattern is None:
        return html.escape(text)
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out += (html.escape(text[pos : m.start()]), "<mark>", html.escape(m.group()), "</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def snippet(text: str, pattern: re.Pattern[str] | None) -> str:
    """About :data:`SNIPPET_CHARS` of ``text`` around its first match (or its start), marked and escaped."""
    first = pattern.search(text, 0, SNIPPET_SCAN_CHARS) if pattern is not None else None
    start = 0
    if first is not None and first.start() > SNIPPET_LEAD:
        start = first.start() - SNIPPET_LEAD
        space = text.find(" ", start, first.start())
        start = space + 1 if space != -1 else start
    end = start + SNIPPET_CHARS
    if end < len(text):
        space = text.rfind(" ", max(start, end - 40), end)
        end = space if space > start else end
    window = " ".join(text[start:end].split())
    lead = "… " if start > 0 else ""
    tail = " …" if end < len(text) else ""
    return html.escape(lead) + mark(window, pattern) + html.escape(tail)
