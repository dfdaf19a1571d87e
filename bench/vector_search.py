"""Vector search at scale: build time, memory, query latency and recall@10 of the related-articles index.

Data (no real embeddings of a million articles exist here, so they are generated to look like
them): 512-d unit vectors from a two-level Gaussian mixture, seeded —

* 256 *topics*: random unit directions;
* 20,000 *stories*: ``normalize(topic + 0.9 g)``, each under a random topic, their sizes drawn
  from a Zipf-like law (a few big stories, a long tail of small ones), as news coverage is;
* articles: ``normalize(story + 0.6 g)``; ``g`` is Gaussian noise of norm ≈ 1.

So two articles of one story have cosine ≈ 0.73, of one topic ≈ 0.4, unrelated ≈ 0. The
queries are 1,000 new articles drawn the same way (not in the index): "related articles" for
a fresh article. Exact top-10 by f32 brute force (NumPy) for a sample of the queries is
computed while the vectors are generated, so the 2 GB of f32 vectors never need to be held.

    .venv/bin/python bench/vector_search.py [--n 1000000] [--quantization f16] [--expansion-search 128 512]
    .venv/bin/python bench/vector_search.py --save /tmp/v.usearch     # keep the built index, then
    .venv/bin/python bench/vector_search.py --index /tmp/v.usearch --expansion-search 256 1024

Latency is measured one query at a time (as a web request asks), with the build's threads idle.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from newsdesk.ai.vectors import USearchIndex

DIM = 512
TOPICS = 256
STORIES = 20_000
STORY_SPREAD = 0.9
ARTICLE_SPREAD = 0.6


def _unit(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


class Mixture:
    """The generator described in the module docstring."""

    def __init__(self, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        topics = _unit(rng.standard_normal((TOPICS, DIM), dtype=np.float32))
        of_topic = rng.integers(0, TOPICS, STORIES)
        noise = rng.standard_normal((STORIES, DIM), dtype=np.float32) / np.sqrt(DIM)
        self.stories = _unit(topics[of_topic] + STORY_SPREAD * noise)
        weights = 1.0 / np.arange(1, STORIES + 1) ** 0.8
        self.weights = weights / weights.sum()

    def draw(self, n: int, rng: np.random.Generator) -> NDArray[np.float32]:
        which = rng.choice(STORIES, size=n, p=self.weights)
        noise = rng.standard_normal((n, DIM), dtype=np.float32) / np.float32(np.sqrt(DIM))
        return _unit(self.stories[which] + np.float32(ARTICLE_SPREAD) * noise)

    def chunks(self, n: int, chunk: int, seed: int) -> Iterator[tuple[int, NDArray[np.float32]]]:
        rng = np.random.default_rng(seed)
        for start in range(0, n, chunk):
            yield start, self.draw(min(chunk, n - start), rng)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--exact-sample", type=int, default=200, help="queries whose exact top-10 is computed")
    ap.add_argument("--quantization", choices=["f32", "f16", "i8"], default="f16")
    ap.add_argument("--connectivity", type=int, default=16)
    ap.add_argument("--expansion-add", type=int, default=128)
    ap.add_argument("--expansion-search", type=int, nargs="+", default=[512])
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--save", type=Path, default=None, help="also save/load the index here (default: a temp dir)")
    ap.add_argument("--index", type=Path, default=None, help="measure this saved index (built by --save) instead")
    a = ap.parse_args()
    k = 10

    mix = Mixture()
    queries = mix.draw(a.queries, np.random.default_rng(12345))
    sample = queries[: a.exact_sample]
    best_sims = np.full((len(sample), k), -np.inf, dtype=np.float32)
    best_keys = np.zeros((len(sample), k), dtype=np.int64)

    prebuilt = a.index is not None
    index = (
        USearchIndex.load(a.index, dim=DIM)
        if a.index
        else USearchIndex(
            DIM,
            quantization=a.quantization,
            connectivity=a.connectivity,
            expansion_add=a.expansion_add,
            expansion_search=a.expansion_search[0],
        )
    )
    base_rss = current_rss_mb()
    t_gen = t_exact = t_build = 0.0
    for start, vecs in _timed(mix.chunks(a.n, a.chunk, seed=1)):
        t_gen += _timed.last
        t0 = time.perf_counter()
        sims = sample @ vecs.T  # exact top-10, streaming
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        cand_s = np.concatenate([best_sims, np.take_along_axis(sims, top, 1)], axis=1)
        cand_k = np.concatenate([best_keys, top + start], axis=1)
        keep = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_sims, best_keys = np.take_along_axis(cand_s, keep, 1), np.take_along_axis(cand_k, keep, 1)
        t1 = time.perf_counter()
        if not prebuilt:
            index.add(np.arange(start, start + len(vecs)), vecs)
        t2 = time.perf_counter()
        t_exact += t1 - t0
        t_build += t2 - t1
        if (start // a.chunk) % 4 == 3:
            print(f"  {start + len(vecs):>9,} vectors, build {t_build:.0f} s", flush=True)
    out: dict[str, object] = {
        "n": a.n,
        "dim": DIM,
        "quantization": a.quantization,
        "connectivity": a.connectivity,
        "expansion_add": a.expansion_add,
        "build_s": round(t_build, 1),
        "build_vectors_per_s": round(a.n / t_build),
        "generate_s": round(t_gen, 1),
        "exact_topk_s": round(t_exact, 1),
        "index_memory_mb": round(index.memory_bytes / 2**20),
        "rss_growth_mb": round(current_rss_mb() - base_rss),
        "peak_rss_mb": round(rss_mb()),
        "cpus": os.cpu_count(),
    }

    results = []
    for ef in a.expansion_search:
        index.expansion_search = ef
        results.append(measure(index, queries, best_keys, k, ef))
    out["search"] = results

    if prebuilt:
        print(json.dumps(out, indent=1))
        return
    with tempfile.TemporaryDirectory(dir=a.save.parent if a.save else None) as tmp:
        path = a.save or Path(tmp) / "vectors.usearch"
        t0 = time.perf_counter()
        index.save(path)
        t1 = time.perf_counter()
        size = path.stat().st_size
        del index
        loaded = USearchIndex.load(path, expansion_search=a.expansion_search[0], dim=DIM)
        t2 = time.perf_counter()
        again = measure(loaded, queries, best_keys, k, a.expansion_search[0])
        out["save_s"] = round(t1 - t0, 1)
        out["load_s"] = round(t2 - t1, 1)
        out["file_mb"] = round(size / 2**20)
        out["recall_after_load"] = again["recall_at_10"]
    print(json.dumps(out, indent=1))


def measure(
    index: USearchIndex, queries: NDArray[np.float32], exact: NDArray[np.int64], k: int, ef: int
) -> dict[str, float]:
    for q in queries[:50]:  # warm up
        index.search(q, k)
    lat = []
    found = []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        res = index.search(q, k)
        lat.append((time.perf_counter() - t0) * 1000)
        if i < len(exact):
            found.append(len({n.key for n in res} & set(exact[i].tolist())) / k)
    lat.sort()
    t0 = time.perf_counter()
    index.search_many(queries, k)
    batch_qps = len(queries) / (time.perf_counter() - t0)
    return {
        "expansion_search": ef,
        "p50_ms": round(statistics.median(lat), 3),
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 3),
        "p99_ms": round(lat[int(0.99 * (len(lat) - 1))], 3),
        "recall_at_10": round(float(np.mean(found)), 4),
        "recall_queries": len(found),
        "batch_qps": round(batch_qps),
    }


class _Timed:
    """Iterate while timing how long each ``next`` took (the generator's share)."""

    last = 0.0

    def __call__(self, it: Iterator[tuple[int, NDArray[np.float32]]]) -> Iterator[tuple[int, NDArray[np.float32]]]:
        while True:
            t0 = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                return
            self.last = time.perf_counter() - t0
            yield item


_timed = _Timed()


if __name__ == "__main__":
    main()
