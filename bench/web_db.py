#!/usr/bin/env python3
"""A reader-scale database for the page benchmarks: ~100k articles in tens of thousands of stories.

  python bench/web_db.py [--db sqlite|postgresql|both] [--feeds 2900] [--rebuild]

The articles are the shared bench corpus (``../shared/bench/corpus.py``: ~35 items per feed, 10%
syndicated across 3-6 feeds), and they go in through the real feed stages and write methods:
each feed document is parsed, sanitized and normalized by ``pipeline.process_feed``, deduplicated
by ``pipeline.decide_feed_articles`` against ``Storage.known_keys``, and written by
``Storage.apply_feed_updates``. Story intelligence is where this is a *generator*, not the live
pipeline: embedding and clustering 100k articles takes far too long on two cores, so the story of
each article is decided from the corpus's own plan (its syndicated copies form one story, the copy
folded as a near duplicate of the first; the other articles are grouped, in publication order,
into stories of 1-8 articles, most of them small, as a day of news is), while hashtags, category
and regions come from the real stages (``stories/tags.py``, ``stories/categorize.py``). Everything
is written by ``Storage.apply_enrichment``, batch by batch in publication order, as enrichment
writes it, so the story rows are the store's own aggregates. No vectors are stored: related
reading finds nothing to show. Last, the search index is built as the update pass builds it
(``tasks/search_index.py``: the queue drained a batch per transaction), and the vector index file
that enrichment keeps beside a live database (``DATA_DIR/vectors-<model>.usearch``) is written from
whatever vectors the database holds, into ``bench/.cache/data-<kind>/``, which the page benchmark
copies into its server's data directory: without it, related reading falls back to an exact scan of
every vector in the window on each article page, which no live install does.

The stamp records the schema revision the database was built or upgraded to: a cached database
of an older schema is migrated by the current code (and its search queue drained) instead of
being built again, so a new migration costs minutes, not the half hour of a build.

The same arguments give the same articles; the newest is an hour before the build, and the front
page's window counts from the clock, so a database older than ``MAX_AGE_H`` is built again.
The databases are kept under ``bench/.cache/`` (SQLite) and in ``NEWSDESK_BENCH_POSTGRES_URL``
(PostgreSQL; default the local ``newsdesk_bench`` database), with a stamp beside them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
SHARED = ROOT.parent / "shared" / "bench"
DEFAULT_FEEDS = 2900  # ≈ 101k items
MAX_AGE_H = 12.0
BASE_URL = "http://127.0.0.1:8765"
SEED = 42
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/newsdesk_bench"
_ITEM_URL = re.compile(r"/a/f(\d+)/(\d+)-")


def corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corpus", SHARED / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{CACHE / 'web.db'}"
    return os.environ.get("NEWSDESK_BENCH_POSTGRES_URL", PG_DEFAULT)


def _stamp_path(kind: str) -> Path:
    return CACHE / f"web-{kind}.json"


def ensure_database(kind: str, feeds: int = DEFAULT_FEEDS, *, rebuild: bool = False) -> dict[str, Any]:
    """The stamp of a ready database of ``kind`` (``sqlite``/``postgresql``), built when missing or stale."""
    stamp_path = _stamp_path(kind)
    if stamp_path.exists() and not rebuild:
        stamp = json.loads(stamp_path.read_text())
        age_h = (time.time() - stamp["ref_time"]) / 3600
        if stamp["feeds"] == feeds and age_h < MAX_AGE_H:
            if stamp.get("schema") != _head_revision():
                stamp = upgrade(kind, stamp)
                stamp_path.write_text(json.dumps(stamp))
            if "vectors" not in stamp:
                stamp = stamp | {"vectors": write_vector_index(kind)}
                stamp_path.write_text(json.dumps(stamp))
            return dict(stamp)
        print(f"{kind}: the cached database is {age_h:.1f} h old (or of other size): building it again", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    stamp_path.unlink(missing_ok=True)
    url = database_url(kind)
    _reset(kind, url)
    stamp = build(url, feeds)
    stamp["vectors"] = write_vector_index(kind)
    stamp_path.write_text(json.dumps(stamp))
    return stamp


def _head_revision() -> str:
    from newsdesk.store.sql import HEAD_REVISION

    return HEAD_REVISION


def upgrade(kind: str, stamp: dict[str, Any]) -> dict[str, Any]:
    """Migrate a cached database to the current schema and index what the migrations queued for search.

    A stamp without a schema revision comes from the branch where migration 0011 (reader pages)
    followed 0009 directly: its database says "0011" but has no search tables. It is taken back to
    "0009" (0011's table and index dropped) so that 0010 and 0011 both run.
    """
    from sqlalchemy import create_engine, inspect, text

    from newsdesk.store import open_storage

    url = database_url(kind)
    started = time.monotonic()
    if "schema" not in stamp:
        engine = create_engine(url)
        with engine.begin() as conn:
            if "search_queue" not in inspect(conn).get_table_names():
                print(f"{kind}: 0011 without 0010: back to 0009 to run both", flush=True)
                conn.execute(text("DROP TABLE IF EXISTS data_versions"))
                conn.execute(text("DROP INDEX IF EXISTS ix_articles_story_times"))
                conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
        engine.dispose()
    storage = open_storage(url)  # migrates
    print(f"{kind}: migrated to {storage.current_revision()} ({time.monotonic() - started:.0f} s)", flush=True)
    indexed = _index_search(storage)
    storage.close()
    return stamp | {"schema": _head_revision(), "indexed": indexed}


def data_dir(kind: str) -> Path:
    """What a live install keeps in its data directory beside this database: the vector index files."""
    return CACHE / f"data-{kind}"


def write_vector_index(kind: str) -> int:
    """The vector index file of each model in the database, as enrichment's writer builds it; the vectors."""
    import numpy as np
    from sqlalchemy import create_engine, text

    from newsdesk.ai.vector_search import VectorSearch
    from newsdesk.ai.vectors import USearchIndex
    from newsdesk.model import vector_key

    folder = data_dir(kind)
    folder.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url(kind))
    sql = (
        "SELECT v.model, v.article_id, v.vector FROM article_vectors v JOIN articles a ON a.id = v.article_id"
        " WHERE v.vector IS NOT NULL AND a.duplicate_of IS NULL AND a.near_duplicate_of IS NULL ORDER BY v.model"
    )
    by_model: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    with engine.connect() as conn:
        for model, article_id, vector in conn.execute(text(sql)):
            by_model[model].append((article_id, bytes(vector)))
    engine.dispose()
    total = 0
    for model, rows in by_model.items():
        matrix = np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32).reshape(len(rows), -1)
        index = USearchIndex(matrix.shape[1])
        index.add([vector_key(a) for a, _ in rows], matrix)
        path = VectorSearch(str(folder), None).index_path(model)  # type: ignore[arg-type]
        index.save(path)
        total += len(rows)
        print(f"{kind}: {len(rows)} vectors of {model} in {path.name}", flush=True)
    return total


def _index_search(storage: Any) -> int:
    """Drain the search queue as the update pass does (``tasks/search_index.py``)."""
    from newsdesk.tasks.search_index import index_for_search

    started = time.monotonic()
    backlog = storage.search_backlog()
    done = 0
    while done < backlog and (taken := storage.index_search(2000)):
        done += taken
        print(f"\rsearch indexed {done}/{backlog}", end="", flush=True)
    done += index_for_search(storage)  # whatever is left, by the pass's own loop
    print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return done


def _reset(kind: str, url: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(CACHE / "web.db") + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(url: str, feeds: int) -> dict[str, Any]:
    from newsdesk.config import Settings
    from newsdesk.model import FetchedDocument
    from newsdesk.pipeline import decide_feed_articles, process_feed
    from newsdesk.store import open_storage
    from newsdesk.store.port import NewSource

    corpus_py = corpus_module()
    ref = float(int(time.time()) // 3600 * 3600)  # items span the 7 days before this hour
    plan = corpus_py.Corpus.make_plan(SEED, feeds, ref, BASE_URL)
    corpus = corpus_py.Corpus(plan)
    settings = Settings(fetch_pages=False)  # the feed text is the article's text: no page to fetch
    now = datetime.fromtimestamp(ref, UTC)
    storage = open_storage(url)
    started = time.monotonic()
    added = storage.add_sources([NewSource(BASE_URL + f["path"], f["name"]) for f in plan["feeds"]], now).added
    sources = {s.id: s for s in added}
    source_of_feed = [s.id for s in added]
    item_of: dict[str, tuple[int, int]] = {}  # article id -> (feed index, item index)
    rng = random.Random(SEED)
    chunk = 100
    for start in range(0, feeds, chunk):
        updates, drafts = [], []
        for fi in range(start, min(start + chunk, feeds)):
            doc, _ = corpus.feed_doc(fi)
            kind = plan["feeds"][fi]["kind"]
            fetched = FetchedDocument(
                BASE_URL + plan["feeds"][fi]["path"],
                200,
                body=doc,
                content_type="application/atom+xml" if kind == "atom" else "application/rss+xml",
            )
            update = process_feed(sources[source_of_feed[fi]], fetched, now=now, settings=settings, rng=rng)
            updates.append(update)
            drafts += update.drafts
        known = storage.known_keys(
            [d.id for d in drafts],
            [d.canonical_url for d in drafts if d.canonical_url],
            [d.content_hash for d in drafts if d.content_hash],
        )
        decided = decide_feed_articles(
            drafts,
            sources=sources,
            known_entry_hashes=known.entry_hash_by_id,
            known_urls=known.id_by_canonical_url,
            known_hashes=known.id_by_content_hash,
            settings=settings,
        )
        storage.apply_feed_updates(updates, decided, now)
        for d in drafts:
            if d.url and (m := _ITEM_URL.search(d.url)):
                item_of[d.id] = (int(m.group(1)), int(m.group(2)))
        print(f"\rfeeds {min(start + chunk, feeds)}/{feeds}", end="", flush=True)
    fed_s = time.monotonic() - started
    print(f"  ({fed_s:.0f} s)", flush=True)
    stories = _enrich(storage, plan, item_of, now)
    indexed = _index_search(storage)
    counts = storage.stats()
    storage.close()
    return {
        "feeds": feeds,
        "ref_time": ref,
        "articles": counts.articles,
        "stories": stories,
        "build_s": round(time.monotonic() - started, 1),
        "schema": _head_revision(),
        "indexed": indexed,
    }


def _story_plan(plan: dict[str, Any], item_of: dict[str, tuple[int, int]]) -> dict[str, str]:
    """Article id -> the id of its story's first article (a story's id is its opener's, as the clusterer's)."""
    corpus_items: dict[tuple[int, int], str] = {v: k for k, v in item_of.items()}
    syndicated: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for fi, feed in enumerate(plan["feeds"]):
        for j, sid in feed["synd"].items():
            syndicated[sid].append((fi, int(j)))
    key_of: dict[tuple[int, int], str] = {}
    for sid, members in syndicated.items():
        for m in members:
            key_of[m] = f"s{sid}"
    rng = random.Random(SEED + 1)
    sizes = [1] * 50 + [2] * 20 + [3] * 12 + [4] * 8 + [5] * 4 + [6] * 3 + [8] * 3
    others = sorted(k for k in corpus_items if k not in key_of)
    rng.shuffle(others)  # groups mix feeds; within a group, time order is decided at enrichment
    n = 0
    while others:
        size = rng.choice(sizes)
        for m in others[:size]:
            key_of[m] = f"g{n}"
        others = others[size:]
        n += 1
    return {aid: key_of[item] for item, aid in corpus_items.items() if item in key_of}


def _enrich(storage: Any, plan: dict[str, Any], item_of: dict[str, tuple[int, int]], now: datetime) -> int:
    """Story assignments, hashtags, category and regions, written by ``apply_enrichment`` in time order."""
    from newsdesk.model import ArticleEnrichment
    from newsdesk.pipeline.stories.categorize import categorize
    from newsdesk.pipeline.stories.tags import extract_tags

    group_of = _story_plan(plan, item_of)
    opener: dict[str, str] = {}  # group key -> its first article's id (the story id)
    started = time.monotonic()
    done = 0
    after = None
    while batch := storage.pending_enrichment(1000, after):
        results = []
        for a in batch:
            group = group_of.get(a.id, a.id)
            first = opener.setdefault(group, a.id)
            syndicated_copy = group.startswith("s") and first != a.id
            cat = categorize(a.title, a.text, a.language, a.feed_categories, a.source_category)
            results.append(
                ArticleEnrichment(
                    article_id=a.id,
                    story_id=first,
                    near_duplicate_of=first if syndicated_copy else None,
                    category=cat.category,
                    regions=cat.regions,
                    tags=tuple(extract_tags(a.title, a.text, a.language, k=8)),
                )
            )
        storage.apply_enrichment(results, [], now + timedelta(seconds=done))
        done += len(batch)
        after = (batch[-1].published_at, batch[-1].id)
        print(f"\renriched {done}", end="", flush=True)
    print(f"  ({time.monotonic() - started:.0f} s, {len(opener)} stories)", flush=True)
    return len(opener)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--feeds", type=int, default=DEFAULT_FEEDS)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        print(kind, json.dumps(ensure_database(kind, args.feeds, rebuild=args.rebuild)), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
