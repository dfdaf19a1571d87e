#!/usr/bin/env python3
"""Extraction quality: newsdesk vs plain trafilatura, on both public benchmarks, in one run.

  python bench/extract_quality.py [--workers 2] [--extractors newsdesk,trafilatura,trafilatura-canonical]

Datasets (../shared/data): Zyte's article-extraction-benchmark (109 dev pages, 4-gram shingle
P/R averaged over pages, then F1) and trafilatura's evaluation set (594 dev pages, with/without
segments micro-averaged). The metrics live in tests/extraction_metrics.py, shared with the CI
gate tests/test_extract_quality.py. Extractors:

  newsdesk               newsdesk.pipeline.page.extract.extract_article (what the pipeline runs)
  trafilatura            trafilatura.extract(html) with default settings (comments included)
  trafilatura-canonical  trafilatura as the benchmarks publish it: include_comments=False,
                         include_tables=True (published: 0.958 on Zyte's 181 pages, 0.924 on
                         trafilatura's 990)

Prints P/R/F1 per extractor and dataset, and newsdesk's F1 over each baseline's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.extraction_metrics import EXTRACTORS, SHARED_DATA, Scores, evaluate  # noqa: E402

DATASETS = ("zyte", "trafilatura-eval")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="extraction processes (default 2)")
    ap.add_argument(
        "--extractors", default=",".join(EXTRACTORS), help="comma-separated, from: " + ", ".join(EXTRACTORS)
    )
    args = ap.parse_args()
    names = [n.strip() for n in args.extractors.split(",") if n.strip()]
    unknown = set(names) - set(EXTRACTORS)
    if unknown:
        ap.error(f"unknown extractors: {', '.join(sorted(unknown))}")
    if not SHARED_DATA.exists():
        print(f"shared data not found: {SHARED_DATA}", file=sys.stderr)
        return 1

    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        scores = evaluate(names, pool)
    print(f"# {len(names)} extractors × 2 datasets in {time.perf_counter() - started:.1f} s on {args.workers} workers")
    for dataset in DATASETS:
        print(f"\n## {dataset}")
        for name in names:
            print(f"{name:22} {scores[name, dataset].line()}")
        report_ratios(scores, names, dataset)
    return 0


def report_ratios(scores: dict[tuple[str, str], Scores], names: list[str], dataset: str) -> None:
    if "newsdesk" not in names:
        return
    ours = scores["newsdesk", dataset].f1
    for name in names:
        if name != "newsdesk":
            theirs = scores[name, dataset].f1
            print(f"newsdesk F1 / {name} F1 = {ours:.4f} / {theirs:.4f} = {ours / theirs:.4f}")


if __name__ == "__main__":
    sys.exit(main())
