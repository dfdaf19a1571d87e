"""Full-text search: SQLite FTS5 or a PostgreSQL ``tsvector`` with a GIN index, behind one storage mixin.

Why it is built this way:

- **Indexed in a step of its own, not in the ingest transaction.** An FTS5 table filled by an insert
  trigger took a replay of a 5000-feed first poll's writes from 2.4 s to 19.8 s of CPU. The writes that
  change an article's searchable text (a new article, a changed feed entry, an extracted page) only add
  its id to ``search_queue`` (:func:`enqueue`: one small row); :meth:`SearchStorage.index_search` drains
  the queue in batches, after the update pass's feed and page phases (``tasks/search_index.py``).
- **One tokenization, in Python, for both databases** (:func:`search_text`). Text is lowercased, Latin,
  Greek and Cyrillic diacritics are removed (``café`` finds ``cafe``), and every Chinese, Japanese and
  Korean character becomes a word of its own, since those scripts do not put spaces between words: a
  two-character word (``東京``) is then a phrase of two characters, found inside a longer run
  (``東京都``), which neither FTS5's unicode61 nor PostgreSQL's parser would split. The databases receive
  words separated by spaces, so both tokenize them alike, and a reader's query goes through the same
  function.
- **A reader's query is never database syntax.** :func:`parse_query` reads a small language of its own
  (words, ``"quoted phrases"``, ``-excluded``, ``OR``) into words; FTS5 receives every phrase
  double-quoted (its words hold no quote), PostgreSQL a ``tsquery`` built from ``phraseto_tsquery`` of
  bound parameters. No input can be a syntax error.
- **Only primary articles are results**: copies (``duplicate_of``) are indexed like the rest, since a
  copy can become the primary, and left out when searching.

SQLite: ``article_search`` (FTS5: title, body; ranked by bm25 with the title weighing 10 words) keyed by
``search_docs.doc``, which maps to the article id (article ids are strings; FTS5 rows have integer
rowids). PostgreSQL: ``article_search`` (article id, ``document``: title weighted A, body B; ranked by
``ts_rank``), deleted with its article by the foreign key. Both rank ties by recency.

- **Bounded ranking** (:data:`RANK_CAP`): of a query with more matches than the cap, the newest are found
  by walking an index in time order, without scoring, and ordered title matches first, then newest;
  scoring every match of a common word took 0.4–4 s on 100k articles (``bench/search_speed.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from newsdesk.model import MAX_QUERY_TERMS, SearchQuery, SearchRow
from newsdesk.store.dialect import array_param, in_array, insert_ignore, sqlite_time
from newsdesk.store.schema import articles, search_queue, sources

MAX_INDEXED_CHARS = 50_000
"""The start of an article's text that is indexed: ~8,000 words, longer than nearly every article, and
within PostgreSQL's positions (16,383 per document)."""
MAX_SNIPPET_SOURCE_CHARS = 100_000
"""How much of an article's text a result carries, for its snippet to be cut from."""
MAX_PHRASE_WORDS = 16
INDEX_BATCH = 500
"""Articles (re)indexed per transaction."""
RANK_CAP = 1000
"""Of a query that matches more articles than this, the newest this many are found, those whose title holds
the wanted words first, then newest first; a query with fewer matches is ranked by bm25 or ``ts_rank``.
Scoring costs a read of every document scored (and bm25 counts every document holding each phrase), so a
word in nearly every article would otherwise score the whole index (0.5–3 s on 100k articles) before the
first page could be shown; and for such a word relevance says little beside recency."""
TITLE_WEIGHT = 10.0  # bm25 column weight of the title against the body's 1.0 (SQLite)
INDEX_TABLES = ("article_search", "search_docs")
"""Dialect-specific tables (and FTS5's shadow tables, ``article_search_*``) the migration creates and
SQLAlchemy's metadata cannot describe (an FTS5 virtual table, a ``tsvector`` column)."""


def is_index_table(name: str) -> bool:
    """Whether ``name`` is one of :data:`INDEX_TABLES` or an FTS5 shadow table of one."""
    return name in INDEX_TABLES or name.startswith("article_search_")


# -- text as the index sees it ---------------------------------------------------------------------

_CJK = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\U00020000-\U0002ffff"  # CJK ideographs, supplementary
)
_CJK_CHAR = re.compile(f"([{_CJK}])")
_COMBINING_DIACRITICS = re.compile("[\u0300-\u036f]+")  # Latin, Greek and Cyrillic accents, not other scripts' marks
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lowercased, compatibility forms unified (full-width letters, ligatures) and accents removed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize("NFKC", _COMBINING_DIACRITICS.sub("", decomposed))


def search_text(text: str) -> str:
    """``text`` as the index stores it: folded words separated by single spaces, each CJK character a word."""
    return _NOT_WORD.sub(" ", _CJK_CHAR.sub(r" \1 ", fold(text))).strip()


def is_cjk(word: str) -> bool:
    return bool(_CJK_CHAR.fullmatch(word))


# -- the reader's query ------------------------------------------------------------------------------

Phrase = tuple[str, ...]
"""Words that must follow each other (one word: a phrase of one)."""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """All of ``groups`` (each: any of its phrases), none of ``excluded``."""

    groups: tuple[tuple[Phrase, ...], ...]
    excluded: tuple[Phrase, ...]

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """The phrases a result may show marked."""
        return tuple(p for group in self.groups for p in group)


_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse_query(query: str) -> ParsedQuery:
    """Words, ``"quoted phrases"``, ``-word`` or ``-"phrase"`` to exclude, ``OR`` between two terms.

    Anything else is a word's punctuation and is dropped with it (``C++`` is ``c``). A word of several
    parts (``jae-myung``, ``東京``) is a phrase of its parts. At most :data:`MAX_QUERY_TERMS` terms.
    """
    groups: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    either = False  # the last term was OR: the next joins the group before it
    terms = 0
    for m in _TERM.finditer(query.replace("\x00", " ")):
        negative, quoted, word = m.group(1) == "-", m.group(2), m.group(3)
        if word == "OR":
            either = bool(groups)
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negative, word = True, word[1:]
        phrase = tuple(search_text(quoted if quoted is not None else word).split()[:MAX_PHRASE_WORDS])
        if not phrase:
            continue
        terms += 1
        if terms > MAX_QUERY_TERMS:
            break
        if negative:
            excluded.append(phrase)
        elif either and groups:
            groups[-1].append(phrase)
        else:
            groups.append([phrase])
        either = False
    return ParsedQuery(tuple(tuple(g) for g in groups), tuple(excluded))


def fts5_match(parsed: ParsedQuery) -> str:
    """The FTS5 query: every phrase double-quoted (its words are letters and digits only)."""

    def phrase(p: Phrase) -> str:
        return '"' + " ".join(p) + '"'

    def group(g: tuple[Phrase, ...]) -> str:
        return phrase(g[0]) if len(g) == 1 else "(" + " OR ".join(map(phrase, g)) + ")"

    match = " AND ".join(map(group, parsed.groups))
    for p in parsed.excluded:
        match += " NOT " + phrase(p)
    return match


def pg_tsquery(parsed: ParsedQuery) -> tuple[str, str, dict[str, str]]:
    """The ``tsquery`` expressions (SQL of function and parameter names only) of the whole query and of
    its wanted part (what ranks: a negated term scores nothing), and their parameters."""
    params: dict[str, str] = {}

    def phrase(p: Phrase) -> str:
        name = f"p{len(params)}"
        params[name] = " ".join(p)
        return f"phraseto_tsquery('simple', :{name})"

    def either(g: tuple[Phrase, ...]) -> str:
        sql = phrase(g[0])
        for p in g[1:]:
            sql = f"tsquery_or({sql}, {phrase(p)})"
        return sql

    sql = either(parsed.groups[0])
    for g in parsed.groups[1:]:
        sql = f"tsquery_and({sql}, {either(g)})"
    wanted = sql
    for p in parsed.excluded:
        sql = f"tsquery_and({sql}, tsquery_not({phrase(p)}))"
    return sql, wanted, params


# -- keeping the index --------------------------------------------------------------------------------


def enqueue(conn: Connection, ids: Sequence[str]) -> None:
    """Mark articles to be (re)indexed, in the transaction that changed them: one small row each."""
    if not ids:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT OR IGNORE INTO search_queue (article_id) VALUES (?)", [(i,) for i in ids])
    else:
        conn.execute(insert_ignore(conn.dialect.name, search_queue), [{"article_id": i} for i in ids])


def forget_source(conn: Connection, source_id: int) -> None:
    """Remove a source's articles from the index, before they are deleted (PostgreSQL's foreign key does it there)."""
    if conn.dialect.name != "sqlite":
        return
    of_source = "SELECT id FROM articles WHERE source_id = ?"
    conn.exec_driver_sql(
        f"DELETE FROM article_search WHERE rowid IN (SELECT doc FROM search_docs WHERE article_id IN ({of_source}))",
        (source_id,),
    )
    conn.exec_driver_sql(f"DELETE FROM search_docs WHERE article_id IN ({of_source})", (source_id,))


_BODY = func.substr(func.coalesce(articles.c.text, articles.c.description, ""), 1, MAX_INDEXED_CHARS)

_PG_UPSERT = text(
    "INSERT INTO article_search (article_id, document) VALUES (:id,"
    " setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :body), 'B'))"
    " ON CONFLICT (article_id) DO UPDATE SET document = excluded.document"
)
_PG_TAKE = text(
    "DELETE FROM search_queue WHERE article_id IN"
    " (SELECT article_id FROM search_queue LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING article_id"
)


class SearchStorage:
    """The search part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def index_search(self, limit: int = INDEX_BATCH) -> int:
        """(Re)index up to ``limit`` queued articles in one transaction; how many were taken off the queue."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                return _index_sqlite(conn, limit)
            return _index_postgresql(conn, limit)

    def search_backlog(self) -> int:
        """Articles waiting to be (re)indexed."""
        with self.reader.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(search_queue)).scalar_one())

    rank_cap: int | None = RANK_CAP
    """How many of the newest matches are ranked (:data:`RANK_CAP`); ``None`` ranks every match, as the
    benchmark's baseline does (``bench/search_speed.py``)."""

    def search(self, query: SearchQuery) -> list[SearchRow]:
        """Primary articles matching ``query.text`` and its filters, best first, ties newest first; of a
        query with more than :attr:`rank_cap` matches, only the newest ``rank_cap`` are ranked and found."""
        parsed = parse_query(query.text)
        if not parsed.groups or query.limit <= 0:
            return []
        with self.reader.connect() as conn:
            dialect = conn.dialect.name
            where, params = _filters(query, dialect)
            params |= {"limit": query.limit, "offset": query.offset}
            if dialect == "sqlite":
                wanted = fts5_match(ParsedQuery(parsed.groups, ()))
                # One source's or one hashtag's matches are few beside the index's: scoring them all costs less
                # than FTS5's walk from the highest rowid down past every other source's matches.
                cap = None if query.source_id is not None or query.tag else self.rank_cap
                found = _search_sqlite(conn, fts5_match(parsed), wanted, where, params, cap)
            else:
                found = _search_postgresql(conn, parsed, where, params, self.rank_cap)
            return _rows(conn, found)


_WHEN = "coalesce(a.published_at, a.fetched_at)"
_RANKED = " ORDER BY score{sign}, w DESC, article_id LIMIT :limit OFFSET :offset"
"""Best first, ties newest first (``w``: the article's time, selected beside its id and score)."""


def _search_sqlite(
    conn: Connection, match: str, wanted: str, where: str, params: dict[str, Any], cap: int | None
) -> list[tuple[str, float]]:
    """FTS5: the newest ``cap`` matches, ranked as :data:`RANK_CAP` says, or every match by bm25 (``cap`` None).

    First the matches are walked from the highest rowid down (FTS5 reads its doclists in either order),
    with the filters checked on each by primary key, until ``cap + 1``: no score is computed. Rowids
    are given in the order articles are indexed, oldest first (:func:`_index_sqlite`), so these are the
    newest (an article whose text changed is indexed anew, and counts as new). If that is all of them,
    bm25 ranks them, read from the index alone from the lowest of their rowids up. Otherwise the newest
    ``cap`` are ordered by whether their title holds the wanted words (a second walk, of the title
    column from that rowid up), then newest first: bm25 would first count every document holding each
    phrase, for its idf, which for a phrase of common words (``"of the"``) checks positions through most of
    the index — and a term in most of the index has an idf of about nothing anyway.
    """
    score = f"bm25(article_search, {TITLE_WEIGHT}, 1.0)"
    matches = (
        "FROM article_search JOIN search_docs d ON d.doc = article_search.rowid JOIN articles a ON a.id = d.article_id"
        f" WHERE article_search MATCH :match{where}"
    )
    params = params | {"match": match}
    if cap is not None:
        newest_sql = f"SELECT article_search.rowid, d.article_id, {_WHEN} {matches} ORDER BY article_search.rowid DESC"
        newest = conn.execute(text(newest_sql + " LIMIT :n"), params | {"n": cap + 1}).all()
        if not newest:
            return []
        if len(newest) > cap:
            return _newest_by_title(conn, newest[:cap], wanted, params["offset"], params["limit"])
        # all the matches: bm25 of theirs, from the index alone (the filters were checked above)
        scored = f"SELECT rowid, {score} FROM article_search WHERE article_search MATCH :match AND rowid >= :lowest"
        rows = conn.execute(text(scored), {"match": match, "lowest": newest[-1][0]})
        scores: dict[int, float] = {r[0]: r[1] for r in rows}
        by_id = sorted(newest, key=lambda r: r[1])  # then stable sorts: newest first, best first
        by_time = sorted(by_id, key=lambda r: r[2] or "", reverse=True)
        ranked = sorted(by_time, key=lambda r: scores[r[0]])  # bm25: lower is better
        page = ranked[params["offset"] : params["offset"] + params["limit"]]
        return [(r[1], -float(scores[r[0]])) for r in page]
    sql = f"SELECT d.article_id, {score} AS score, {_WHEN} AS w {matches}" + _RANKED.format(sign="")
    return [(r[0], -float(r[1])) for r in conn.execute(text(sql), params)]


def _newest_by_title(
    conn: Connection, newest: Sequence[Any], wanted: str, offset: int, limit: int
) -> list[tuple[str, float]]:
    """One page of ``newest`` (rowid, article id, time; newest first): those whose title holds the wanted
    words first (a walk of the title column from the lowest of their rowids up), then newest first."""
    titled = set(
        conn.execute(
            text("SELECT rowid FROM article_search WHERE article_search MATCH :title AND rowid >= :lowest"),
            {"title": "{title} : (" + wanted + ")", "lowest": newest[-1][0]},
        ).scalars()
    )
    return _titles_first(newest, titled, offset, limit)


def _titles_first(rows: Sequence[Any], titled: set[int], offset: int, limit: int) -> list[tuple[str, float]]:
    """One page of ``rows`` (rowid, article id, time): those in ``titled`` first (rank 1.0, else 0.0), then
    newest first, then by id."""
    by_id = sorted(rows, key=lambda r: r[1])  # then stable sorts: newest first, titles first
    by_time = sorted(by_id, key=lambda r: r[2] or "", reverse=True)
    ranked = sorted(by_time, key=lambda r: r[0] not in titled)
    return [(r[1], 1.0 if r[0] in titled else 0.0) for r in ranked[offset : offset + limit]]


def _search_postgresql(
    conn: Connection, parsed: ParsedQuery, where: str, params: dict[str, Any], cap: int | None
) -> list[tuple[str, float]]:
    """The newest ``cap`` matches, ranked as :data:`RANK_CAP` says, or every match by ``ts_rank`` (``cap`` None).

    The ``tsquery`` is written into the statement (of bound parameters), not joined from a subquery, so
    the planner sees it and can estimate how many rows match: a rare word is looked up in the GIN index
    and its few matches sorted by time; a word in most articles is found by walking the articles' time
    index (``ix_articles_when``) from the newest down until ``cap + 1`` match, without the GIN index.
    Of more than ``cap``, the newest ``cap`` are ordered by whether their title (weight A) holds the
    wanted words, then by time, as SQLite orders them (:func:`_search_sqlite`).
    """
    tsquery, wanted, tsparams = pg_tsquery(parsed)
    matches = f"FROM article_search s JOIN articles a ON a.id = s.article_id WHERE s.document @@ {tsquery}{where}"
    if cap is None:
        sql = f"SELECT s.article_id, ts_rank(s.document, {wanted}) AS score, {_WHEN} AS w {matches}"
    else:
        newest = f"SELECT s.article_id, s.document, {_WHEN} AS w {matches} ORDER BY {_WHEN} DESC LIMIT :n"
        numbered = (
            "SELECT m.*, count(*) OVER () AS found, row_number() OVER (ORDER BY w DESC, article_id) AS k"
            f" FROM ({newest}) m"
        )
        score = (
            f"CASE WHEN found > :cap THEN CAST(ts_filter(document, '{{a}}') @@ {wanted} AS integer)"
            f" ELSE ts_rank(document, {wanted}) END"
        )
        sql = f"SELECT article_id, {score} AS score, w FROM ({numbered}) c WHERE k <= :cap"
        params = params | {"cap": cap, "n": cap + 1}
    sql += _RANKED.format(sign=" DESC")
    return [(r[0], float(r[1])) for r in conn.execute(text(sql), params | tsparams)]


def _filters(query: SearchQuery, dialect: str) -> tuple[str, dict[str, Any]]:
    """The SQL conditions of the query's filters (fixed text; the values are parameters)."""
    sql = " AND a.duplicate_of IS NULL"
    params: dict[str, Any] = {}
    # No stored value holds a NUL, which PostgreSQL's text cannot take: a filter with one finds nothing.
    nul = any("\x00" in (v or "") for v in (query.language, query.category, query.tag))
    if nul:
        sql += " AND 1 = 0"
        query = replace(query, language=None, category=None, tag=None)
    if query.source_id is not None:
        sql += " AND a.source_id = :source_id"
        params["source_id"] = query.source_id
    if query.language:
        # A pattern of the column, not lower(column) = …: PostgreSQL's planner estimates it from the column's
        # statistics, so a common word in one language of ten walks the time index instead of scoring everything.
        like = "LIKE" if dialect == "sqlite" else "ILIKE"  # SQLite's LIKE ignores ASCII case
        lang = re.sub(r"([\\%_])", r"\\\1", query.language.strip())
        sql += f" AND (a.language {like} :lang ESCAPE '\\' OR a.language {like} :lang_prefix ESCAPE '\\')"
        params |= {"lang": lang, "lang_prefix": lang + "-%"}
    if query.category:
        sql += " AND lower(a.category) = :category"
        params["category"] = query.category.strip().lower()
    if query.tag:
        sql += " AND EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag = :tag)"
        params["tag"] = query.tag
    time = sqlite_time if dialect == "sqlite" else (lambda value: value)
    if query.since is not None:
        sql += " AND coalesce(a.published_at, a.fetched_at) >= :since"
        params["since"] = time(query.since)
    if query.until is not None:
        sql += " AND coalesce(a.published_at, a.fetched_at) < :until"
        params["until"] = time(query.until)
    return sql, params


def _rows(conn: Connection, found: list[tuple[str, float]]) -> list[SearchRow]:
    """The found articles' fields (their text only now, for one page of results), in the order found."""
    if not found:
        return []
    dialect = conn.dialect.name
    a = articles.c
    body = func.substr(func.coalesce(a.text, a.description, ""), 1, MAX_SNIPPET_SOURCE_CHARS)
    query = (
        select(
            a.id,
            a.title,
            a.url,
            body.label("body"),
            a.source_id,
            sources.c.title.label("source_title"),
            func.coalesce(a.published_at, a.fetched_at).label("when"),
            a.published_at,
            a.fetched_at,
            a.language,
            a.category,
            a.story_id,
        )
        .select_from(articles.join(sources, sources.c.id == a.source_id))
        .where(in_array(dialect, a.id, "ids"))
    )
    by_id = {r.id: r for r in conn.execute(query, {"ids": array_param(dialect, [i for i, _ in found])})}
    return [
        SearchRow(
            article_id=r.id,
            title=r.title,
            url=r.url,
            text=r.body or "",
            source_id=r.source_id,
            source_title=r.source_title,
            published_at=r.published_at or r.fetched_at,
            language=r.language,
            category=r.category,
            story_id=r.story_id,
            rank=rank,
        )
        for article_id, rank in found
        if (r := by_id.get(article_id)) is not None
    ]


def _documents(conn: Connection, ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(id, title, body) of the articles among ``ids`` that exist, as the index stores them."""
    dialect = conn.dialect.name
    query = select(articles.c.id, articles.c.title, _BODY).where(in_array(dialect, articles.c.id, "ids"))
    rows = conn.execute(query, {"ids": array_param(dialect, list(ids))})
    return [(r[0], search_text(r[1] or ""), search_text(r[2] or "")) for r in rows]


def _index_sqlite(conn: Connection, limit: int) -> int:
    # Oldest first, and rowids given in that order: the capped ranking takes FTS5's highest rowids as
    # the newest matches, so a backlog (a migrated database's whole history) must not be indexed in
    # the random order of its ids.
    when = func.coalesce(articles.c.published_at, articles.c.fetched_at)
    queued = search_queue.outerjoin(articles, articles.c.id == search_queue.c.article_id)
    oldest = select(search_queue.c.article_id).select_from(queued).order_by(when, search_queue.c.article_id)
    ids = list(conn.execute(oldest.limit(limit)).scalars())
    if not ids:
        return 0
    keys = array_param("sqlite", ids)
    in_ids = "article_id IN (SELECT value FROM json_each(?))"
    conn.exec_driver_sql(
        f"DELETE FROM article_search WHERE rowid IN (SELECT doc FROM search_docs WHERE {in_ids})", (keys,)
    )
    conn.exec_driver_sql(f"DELETE FROM search_docs WHERE {in_ids}", (keys,))
    position = {article_id: i for i, article_id in enumerate(ids)}
    docs = sorted(_documents(conn, ids), key=lambda d: position[d[0]])
    if docs:
        conn.exec_driver_sql("INSERT INTO search_docs (article_id) VALUES (?)", [(d[0],) for d in docs])
        doc_of: dict[str, int] = dict(
            conn.exec_driver_sql(f"SELECT article_id, doc FROM search_docs WHERE {in_ids}", (keys,)).all()
        )
        conn.exec_driver_sql(
            "INSERT INTO article_search (rowid, title, body) VALUES (?, ?, ?)",
            [(doc_of[i], title, body) for i, title, body in docs],
        )
    conn.exec_driver_sql(f"DELETE FROM search_queue WHERE {in_ids}", (keys,))
    return len(ids)


def _index_postgresql(conn: Connection, limit: int) -> int:
    # Taken off the queue first, with the rows locked: an ingest that changes one of these articles
    # meanwhile queues it again once this transaction ends, and its text is read after this point.
    ids = list(conn.execute(_PG_TAKE, {"n": limit}).scalars())
    if ids:
        docs = _documents(conn, ids)
        if docs:
            conn.execute(_PG_UPSERT, [{"id": i, "title": title, "body": body} for i, title, body in docs])
    return len(ids)
