#!/usr/bin/env python3
"""The related-articles index file over a 30-day run: bounded by the window, against today's growth.

The shared bench corpus (``../shared/bench/corpus.py``: one week of items per plan, ~10% of them a
story syndicated across 3–6 feeds) gives a new week of items per seed; ``--feeds`` feeds make
about 5 × that many articles a day. Day after day the day's articles are stored in a fresh SQLite
database on tmpfs as an update would leave them, and ``Newsdesk.enrich`` runs at the end of the day
(the production pass: upkeep of the index, embed, fold, cluster, tag, categorize, write, index).

The baseline is the behaviour before the upkeep, in the same run: a second index file that the
same ``IndexWriter`` fills with the same day's stored vectors and never trims. Printed per day:
each file's size and entries, and how many entries are older than the window (must be 0). At the
end: size ratio at the last day, recall@10 of the maintained index against exact search over the
window (and of a freshly built index of the same vectors, for reference), and the upkeep's cost.

Embeddings: by default deterministic random unit vectors of the default model's dimension (512),
one per text (seeded by its hash), so the 30 days take minutes, not the hour the model would
(~60 articles/s here); ``--embed`` uses the production model instead.

    .venv/bin/python bench/vector_window.py [--days 30] [--feeds 150] [--embed]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import logging
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = REPO.parent / "shared" / "bench"
START = datetime(2026, 11, 1, tzinfo=UTC)
DIM = 512  # the default model's (USE multilingual v3)


class RandomEmbedder:
    """Unit vectors (by default of the default model's size), a pure function of the text: no model to run.
    ``tests/test_vector_window.py`` uses it too, with fewer dimensions."""

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim
        self.model_id = f"random-unit-{dim}"

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            v = np.random.default_rng(seed).standard_normal(self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


def corpus_days(days: int, feeds: int) -> dict[int, list[dict[str, Any]]]:
    """The corpus's items by day of the run: week ``w`` is the plan of seed 42 + w, ending on day 7(w+1)."""
    spec = importlib.util.spec_from_file_location("bench_corpus", SHARED_BENCH / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    by_day: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for week in range((days + 6) // 7):
        ref = (START + timedelta(days=7 * (week + 1))).timestamp()
        plan = corpus.Corpus.make_plan(42 + week, feeds, ref, "http://127.0.0.1:8765")
        c = corpus.Corpus(plan)
        for fi, f in enumerate(plan["feeds"]):
            for j in range(f["n"]):
                item = c.item(fi, j)
                day = min(int((item["ts"] - START.timestamp()) // 86400), 7 * (week + 1) - 1)
                if day < days:
                    by_day[day].append({**item, "week": week})
    return by_day


def store_day(desk: Any, sources: list[Any], items: list[dict[str, Any]], now: datetime) -> None:
    """The day's items as an update leaves them: text present, enrichment pending."""
    from newsdesk.model import ArticleDraft, ArticleUpdate, DraftAction, ExtractionStatus, FeedUpdate
    from newsdesk.pipeline.keys import article_id, content_hash, count_words

    updates: dict[int, list[ArticleUpdate]] = defaultdict(list)
    for item in items:
        source = sources[item["fi"]]
        guid = f"w{item['week']}-{item['guid']}"
        text = " ".join(item["desc"])
        draft = ArticleDraft(
            id=article_id(source.id, guid),
            source_id=source.id,
            guid=guid,
            url=f"{item['url']}?w={item['week']}",
            canonical_url=None,
            title=item["title"],
            authors=(item["author"],),
            published_at=datetime.fromtimestamp(item["ts"], UTC),
            updated_at=None,
            summary=None,
            content_html=None,
            text=text,
            image_url=None,
            categories=(),
            word_count=count_words(text),
            content_hash=content_hash(text),
            entry_hash=guid,
            language="en",
        )
        updates[source.id].append(ArticleUpdate(draft, DraftAction.INSERT, extraction_status=ExtractionStatus.FEED))
    feeds = [
        FeedUpdate(source_id=sid, checked_at=now, next_check_at=now, check_interval_s=3600.0, ok=True)
        for sid in updates
    ]
    desk.storage.apply_feed_updates(feeds, [u for us in updates.values() for u in us], now)


def recall_at_10(
    index: Any, window: NDArray[np.float32], keys: NDArray[np.uint64], queries: NDArray[np.float32]
) -> float:
    truth = np.argsort(-(queries @ window.T), axis=1, kind="stable")[:, :10]
    hits = 0
    for q, row in zip(queries, truth, strict=True):
        found = {n.key for n in index.search(q, 10)}
        hits += len(found & {int(keys[i]) for i in row})
    return hits / truth.size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--feeds", type=int, default=150, help="feeds per weekly corpus plan (~5 articles a day each)")
    ap.add_argument("--window-days", type=float, default=0, help="default: the related_window_h setting's default")
    ap.add_argument("--embed", action="store_true", help="the production embedding model, not random unit vectors")
    a = ap.parse_args()
    if not (SHARED_BENCH / "corpus.py").exists():
        print("../shared/bench is missing", file=sys.stderr)
        return 2
    from newsdesk.ai.embed import EmbedderSlot
    from newsdesk.ai.vector_search import VectorSearch
    from newsdesk.ai.vectors import USearchIndex
    from newsdesk.config import load_settings
    from newsdesk.core import Adapters, Newsdesk, fetcher_factory
    from newsdesk.model import ArticleEnrichment, vector_key
    from newsdesk.store import open_storage

    by_day = corpus_days(a.days, a.feeds)
    shm = Path("/dev/shm")
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-vwindow-", dir=shm if shm.is_dir() else None))
    upkeep_s: list[float] = []

    class UpkeepTimes(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            m = re.match(r"enrich\.index_upkeep .*\bs=([\d.]+)", record.getMessage())
            if m:
                upkeep_s.append(float(m.group(1)))

    enrich_log = logging.getLogger("newsdesk.tasks.enrich")
    enrich_log.addHandler(UpkeepTimes())
    enrich_log.setLevel(logging.INFO)
    try:
        overrides: dict[str, Any] = {"data_dir": str(tmp / "data"), "log_level": "WARNING"}
        if a.window_days:
            overrides["related_window_h"] = 24 * a.window_days
        settings = load_settings(overrides)
        window = timedelta(hours=settings.related_window_h)
        state = {"now": START}
        storage = open_storage(settings.database_url)

        class Slot(EmbedderSlot):
            def __init__(self) -> None:
                super().__init__(settings)
                self.fixed = None if a.embed else RandomEmbedder()

            def get(self) -> Any:
                return self.fixed if self.fixed is not None else super().get()

        slot = Slot()
        vectors = VectorSearch(settings.resolved_data_dir, storage)
        adapters = Adapters(storage=storage, new_fetcher=fetcher_factory(settings), embedder=slot, vectors=vectors)
        desk = Newsdesk(settings, adapters, lambda: state["now"])
        embedder = slot.get()
        assert embedder is not None
        model, dim = embedder.model_id, embedder.dim
        baseline = VectorSearch(str(tmp / "baseline"), storage)  # today's behaviour: add, never trim
        sources = [storage.add_source(f"https://feed{i}.example/rss", now=START) for i in range(a.feeds)]
        print(
            f"{sum(len(v) for v in by_day.values())} corpus articles over {a.days} days ({a.feeds} feeds a week), "
            f"window {window.days} days, embeddings: {'the production model' if a.embed else 'random unit vectors'}"
        )
        print(
            f"{'day':>3} {'new':>5} {'enrich s':>8} | {'file MB':>7} {'entries':>7} {'slots':>6} {'stale':>5} | "
            f"{'baseline MB':>11} {'entries':>7} {'stale':>6} | ratio"
        )
        rows = []
        total_s = 0.0
        for day in range(a.days):
            day_start = START + timedelta(days=day)
            now = state["now"] = day_start + timedelta(days=1)
            store_day(desk, sources, by_day.get(day, []), now)
            t0 = time.perf_counter()
            report = desk.enrich()
            total_s += time.perf_counter() - t0
            writer = baseline.writer(model, dim)
            day_vectors = storage.vectors_since(day_start, model)
            writer.add([ArticleEnrichment(w.article_id, None, vector=w.vector) for w in day_vectors])
            writer.save()
            since = now - window
            row: dict[str, Any] = {"day": day + 1}
            for name, path in (("kept", vectors.index_path(model)), ("base", writer.path)):
                index = USearchIndex.load(path)
                known = storage.articles_by_vector_keys(index.keys().tolist())
                stale = sum(1 for k in index.keys().tolist() if k not in known or known[k].published_at < since)
                row[name] = (path.stat().st_size, len(index), index.slots, stale)
            rows.append(row)
            (size, n, slots, stale), (bsize, bn, _, bstale) = row["kept"], row["base"]
            print(
                f"{day + 1:>3} {report.articles:>5} {time.perf_counter() - t0:>8.1f} | {size / 1e6:>7.1f} {n:>7} "
                f"{slots:>6} {stale:>5} | {bsize / 1e6:>11.1f} {bn:>7} {bstale:>6} | {size / bsize:.2f}",
                flush=True,
            )
        # the index's search quality after a month of removals and reused slots
        now = state["now"]
        stored = storage.vectors_since(now - window, model)
        window_vectors = np.frombuffer(b"".join(w.vector for w in stored), dtype=np.float32).reshape(len(stored), -1)
        keys = np.array([vector_key(w.article_id) for w in stored], dtype=np.uint64)
        rng = np.random.default_rng(7)
        picks = rng.choice(len(stored), size=min(300, len(stored)), replace=False)
        queries = window_vectors[picks] + 0.6 * rng.standard_normal((len(picks), dim)).astype(np.float32) / np.sqrt(dim)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        kept = USearchIndex.load(vectors.index_path(model))
        fresh = USearchIndex.rebuild(zip(keys.tolist(), window_vectors, strict=True), dim)
        same = set(kept.keys().tolist()) == set(keys.tolist())
        print(f"\nday {a.days}: the kept index holds exactly the window's {len(stored)} primaries: {same}")
        print(
            f"recall@10 against exact search ({len(picks)} queries near window vectors): kept index "
            f"{recall_at_10(kept, window_vectors, keys, queries):.3f}, a fresh build of the same vectors "
            f"{recall_at_10(fresh, window_vectors, keys, queries):.3f}"
        )
        last, first_full = rows[-1], rows[min(len(rows), window.days + 1) - 1]
        print(
            f"file at day {a.days}: {last['kept'][0] / 1e6:.1f} MB against the baseline's "
            f"{last['base'][0] / 1e6:.1f} MB: "
            f"ratio {last['kept'][0] / last['base'][0]:.2f}; at day {first_full['day']} (window full) "
            f"{first_full['kept'][0] / 1e6:.1f} MB, so {last['kept'][0] / first_full['kept'][0]:.2f}x since"
        )
        print(
            f"upkeep (look up every entry, remove the leaving ones): median {np.median(upkeep_s):.3f} s, "
            f"max {max(upkeep_s):.3f} s over {len(upkeep_s)} runs; whole enrich {total_s:.0f} s"
        )
        desk.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
