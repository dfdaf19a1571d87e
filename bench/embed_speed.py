#!/usr/bin/env python3
"""Embedding speed of the default model: articles/s for title + first 120 words, by threads and batch size.

  python bench/embed_speed.py [--threads 1 2] [--batch 1 8 32 64] [--repeat 5] [--processes 2] [--model MODEL]

Inputs: the 590 ECB+ dev articles and the 93 Wikinews 2004 articles of ../shared/data (read at run
time, never copied), each turned into the embedder's input by ``embedding_text``. Each
(threads, batch) cell embeds the whole set ``--repeat`` times; the best pass is the figure for the
code, the median the one for the machine as it was (the 2 cores are shared with other work, which
only ever slows a pass down). Articles per CPU-second (process time) are printed too: the figure
least disturbed by other work on the machine, and the currency of the enrichment budget.
--processes N also runs N single-threaded processes at once (the way a process pool would use the
cores) and prints their combined rate. Last, how much a text's vector depends on its batch-mates
(int8 dynamic quantisation scales activations per batch): the lowest cosine between a text
embedded alone and within a batch of 64.

Context: the whole enrichment (embed + fold + cluster + tag + categorize) must reach 150 articles/s
on 2 cores, so embedding should take well under half of that budget.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "src"))

from newsdesk.ai.embed import DEFAULT_MODEL, make_embedder  # noqa: E402
from newsdesk.pipeline.stories.embedding import embedding_text  # noqa: E402


def load_texts() -> list[str]:
    texts: list[str] = []
    for path in (
        DATA / "ecbplus-event-clustering" / "articles.dev.jsonl",
        DATA / "demo-news" / "wikinews-en-2004.jsonl",
    ):
        if not path.exists():
            print(f"missing {path}: skipped")
            continue
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                texts.append(embedding_text(row.get("title") or "", row.get("text") or ""))
    if not texts:
        sys.exit("no input data under ../shared/data")
    return texts


def _worker(model: str, batch: int, texts: list[str], ready: Any, go: Any, out: Any) -> None:
    embedder = make_embedder(model, threads=1, batch_size=batch)
    embedder.embed(texts[:64])
    ready.wait()
    go.wait()
    t0 = time.perf_counter()
    embedder.embed(texts)
    out.put(time.perf_counter() - t0)


def run_processes(model: str, batch: int, texts: list[str], n: int) -> float:
    """Combined articles/s of ``n`` single-threaded processes embedding ``texts`` at the same time."""
    ctx = multiprocessing.get_context("spawn")
    ready, go, out = ctx.Barrier(n + 1), ctx.Barrier(n + 1), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(model, batch, texts, ready, go, out)) for _ in range(n)]
    for p in procs:
        p.start()
    ready.wait()
    t0 = time.perf_counter()
    go.wait()
    for _ in procs:
        out.get(timeout=600)
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    return n * len(texts) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--processes", type=int, default=0, help="also run N single-threaded processes at once")
    args = parser.parse_args()

    texts = load_texts()
    words = statistics.mean(len(t.split()) for t in texts)
    print(f"{len(texts)} inputs, {words:.0f} words and {statistics.mean(map(len, texts)):.0f} chars on average")

    for threads in args.threads:
        t0 = time.perf_counter()
        embedder = make_embedder(args.model, threads=threads)
        load_s = time.perf_counter() - t0
        print(f"\nthreads={threads}  model_id={embedder.model_id}  dim={embedder.dim}  load {load_s:.2f} s")
        embedder.embed(texts[:64])  # warm-up: first runs allocate the arena
        for batch in args.batch:
            embedder = make_embedder(args.model, threads=threads, batch_size=batch)  # the session is reused
            rates, cpu_rates = [], []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                embedder.embed(texts)
                rates.append(len(texts) / (time.perf_counter() - t0))
                cpu_rates.append(len(texts) / (time.process_time() - c0))
            print(
                f"  batch {batch:3d}: best {max(rates):5.0f} /s  median {statistics.median(rates):5.0f} /s"
                f"  | per CPU-second: best {max(cpu_rates):5.0f}  median {statistics.median(cpu_rates):5.0f}"
                f"  ({args.repeat} passes of {len(texts)})"
            )

    if args.processes:
        print(f"\n{args.processes} processes x 1 thread, at the same time:")
        for batch in args.batch:
            rates = [run_processes(args.model, batch, texts, args.processes) for _ in range(args.repeat)]
            print(f"  batch {batch:3d}: best {max(rates):5.0f} /s  median {statistics.median(rates):5.0f} /s combined")

    embedder = make_embedder(args.model, threads=args.threads[-1], batch_size=64)
    sample = texts[:64]
    together = embedder.embed(sample)
    alone = np.vstack([embedder.embed([t]) for t in sample])
    cos = (together * alone).sum(axis=1)
    print(f"\nbatch dependence: cosine(alone, in a batch of 64) min {cos.min():.5f}, mean {cos.mean():.5f}")


if __name__ == "__main__":
    main()
