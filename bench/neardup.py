"""Near-duplicate folding on the shared corpus: copy-pair precision/recall and articles/s.

The ground truth is ``plan.json`` of ``../shared/bench/corpus.py``: ~10% of the items are one
story syndicated across 3-6 feeds (small word swaps, a title prefix, sometimes the last
sentence cut). A *copy pair* is two items of the same story; the folding's pairs are two
articles under the same primary. The exact baseline folds articles with equal content hashes
(what ``dedup.py`` does at ingestion). Labelled pairs of more kinds (summaries, new leads,
boilerplate, and distinct articles that look alike) are scored by ``bench/neardup_pairs.py``.

Two orders are measured:
* ``poll``: as a first poll delivers them, feed after feed in chunks of 25 feeds, no expiry;
* ``stream``: in publication order with a 3-day window, expired as the clock advances
  (the live steady state: memory bounded by the window).

    .venv/bin/python bench/neardup.py [--corpus .bench/corpus-1000-p8765] [--repeat 3] [--memory]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk.pipeline.feed.normalize import make_drafts
from newsdesk.pipeline.feed.parse import parse_feed
from newsdesk.pipeline.stories.neardup import NearDupDoc, NearDupIndex, signatures

ROOT = Path(__file__).resolve().parents[1]


def load(corpus: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every draft of the corpus with its story id from the plan (None: not syndicated)."""
    plan = json.loads((corpus / "plan.json").read_text())
    rows: list[dict[str, Any]] = []
    for fi, f in enumerate(plan["feeds"]):
        body = (corpus / f["path"].lstrip("/")).read_bytes()
        for d in make_drafts(fi + 1, parse_feed(body, plan["base_url"] + f["path"])):
            m = re.search(r"/a/f\d+/(\d+)-", d.url or "")
            assert m, d.url
            rows.append(
                {
                    "id": d.id,
                    "feed": fi,
                    "published": d.published_at or datetime.fromtimestamp(plan["ref_time"], UTC),
                    "text": d.text,
                    "content_hash": d.content_hash,
                    "story": f["synd"].get(m.group(1)),
                }
            )
    return rows, plan


def pair_scores(rows: list[dict[str, Any]], group_of: dict[str, str]) -> dict[str, float]:
    """Precision, recall, F1 of copy pairs; ``group_of`` maps article id → its group's key."""

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    truth = sum(pairs(n) for n in Counter(r["story"] for r in rows if r["story"] is not None).values())
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[group_of.get(r["id"], r["id"])].append(r)
    predicted = sum(pairs(len(g)) for g in groups.values())
    tp = 0
    for g in groups.values():
        tp += sum(pairs(n) for n in Counter(r["story"] for r in g if r["story"] is not None).values())
    p = tp / predicted if predicted else 1.0
    r = tp / truth if truth else 1.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
        "true_pairs": truth,
        "predicted_pairs": predicted,
    }


def run_poll(rows: list[dict[str, Any]], chunk_feeds: int = 25) -> tuple[dict[str, str], float, float, int]:
    """Feed order, chunks of feeds; returns (primary by id, signature seconds, add seconds, held)."""
    index = NearDupIndex(window=timedelta(days=8))
    primary: dict[str, str] = {}
    t_sig = t_add = 0.0
    by_chunk: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_chunk[r["feed"] // chunk_feeds].append(r)
    for chunk in by_chunk.values():
        t0 = time.perf_counter()
        sigs = signatures([r["text"] for r in chunk])
        t1 = time.perf_counter()
        decisions = index.add(NearDupDoc(r["id"], r["published"], s) for r, s in zip(chunk, sigs, strict=True))
        t_sig += t1 - t0
        t_add += time.perf_counter() - t1
        for d in decisions:
            primary[d.article_id] = d.primary_id or d.article_id
    for r in rows:  # the decisions, applied in order, agree with the index's own view
        assert primary[r["id"]] == (index.primary_of(r["id"]) or r["id"])
    return primary, t_sig, t_add, len(index)


def index_memory(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(bytes allocated by an index holding every article, articles held); signatures made beforehand."""
    sigs = signatures([r["text"] for r in rows])
    docs = [NearDupDoc(r["id"], r["published"], s) for r, s in zip(rows, sigs, strict=True)]
    tracemalloc.start()
    index = NearDupIndex(window=timedelta(days=8))
    for i in range(0, len(docs), 1000):
        index.add(docs[i : i + 1000])
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, len(index)


def run_stream(rows: list[dict[str, Any]], batch: int = 100) -> tuple[dict[str, str], float, int]:
    """Publication order with a 3-day window and expiry; returns (primary by id, seconds, max held)."""
    ordered = sorted(rows, key=lambda r: (r["published"], r["id"]))
    index = NearDupIndex(window=timedelta(days=3))
    primary: dict[str, str] = {}
    held = 0
    t0 = time.perf_counter()
    for i in range(0, len(ordered), batch):
        part = ordered[i : i + batch]
        sigs = signatures([r["text"] for r in part])
        for d in index.add(NearDupDoc(r["id"], r["published"], s) for r, s in zip(part, sigs, strict=True)):
            primary[d.article_id] = d.primary_id or d.article_id
        index.expire(part[-1]["published"])
        held = max(held, len(index))
    return primary, time.perf_counter() - t0, held


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / ".bench" / "corpus-1000-p8765")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory", action="store_true", help="also trace the index's memory with every article held")
    a = ap.parse_args()
    if not (a.corpus / "plan.json").exists():
        sys.exit(f"no corpus at {a.corpus}: generate one with ../shared/bench/corpus.py --out {a.corpus}")
    t0 = time.perf_counter()
    rows, plan = load(a.corpus)
    print(
        f"corpus {a.corpus.name}: {len(rows)} articles, {plan['n_syndicated_items']} syndicated items "
        f"in {plan['n_stories']} stories (parsed in {time.perf_counter() - t0:.1f} s)"
    )

    exact = {r["id"]: r["content_hash"] for r in rows if r["content_hash"]}
    print("exact content hash:", json.dumps(pair_scores(rows, exact)))

    sig_s, add_s, stream_s = [], [], []
    for _ in range(a.repeat):
        primary, ts, ta, held = run_poll(rows)
        sig_s.append(ts)
        add_s.append(ta)
    scores = pair_scores(rows, primary)
    n = len(rows)
    print("near-duplicate index, poll order:", json.dumps(scores))
    print(
        f"  signatures {np.median(sig_s) * 1e6 / n:.0f} µs/article, add {np.median(add_s) * 1e6 / n:.0f} µs/article "
        f"(median of {a.repeat}), {n / (np.median(sig_s) + np.median(add_s)):.0f} articles/s, held {held}"
    )
    if a.memory:
        size, held = index_memory(rows)
        print(f"  memory: {size / 1e6:.1f} MB with {held} articles held, {size / held:.0f} bytes each")
    for _ in range(a.repeat):
        primary, ts, held = run_stream(rows)
        stream_s.append(ts)
    print("near-duplicate index, stream order, 3-day window:", json.dumps(pair_scores(rows, primary)))
    print(
        f"  {np.median(stream_s) * 1e6 / n:.0f} µs/article all in, {n / np.median(stream_s):.0f} articles/s, "
        f"at most {held} held"
    )


if __name__ == "__main__":
    main()
