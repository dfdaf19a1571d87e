#!/usr/bin/env python3
"""`make bench`: every benchmark, one after another (they share the machine's two cores).

Each prints newsdesk's figure, the same run's figure for its baseline, and the ratio;
docs/benchmarks.md records the results with these commands.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RUNS = [
    ["poll.py", "--feeds", "1000", "--repeat", "3", "--peers"],
    ["poll.py", "--feeds", "5000", "--repeat", "3", "--port", "8766"],
    ["parse_corpus.py", "--repeat", "3"],
    ["hostile.py", "--repeat", "3"],
    ["shared_database.py", "--feeds", "40"],
    ["extract_quality.py"],
    ["extract_throughput.py"],
    ["cluster_quality.py", "--embeddings", "--repeats", "3"],
    ["neardup.py"],
    ["keyphrases.py"],
    ["categories.py", "--embed"],
    ["summaries.py", "--folds", "5"],  # FRANK CNN/DM and XSum: ROUGE beside Lead-3, LexRank, TextRank
    ["grounding.py"],  # FRANK factuality dev: the grounding checker beside the word-overlap baselines
    ["embed_speed.py"],
    ["enrich_throughput.py"],
    ["web_pages.py", "--db", "both"],  # builds its 100k-article databases once (bench/.cache/): ≈ 15 min each
    ["search_speed.py"],  # its own 100k-article SQLite database (.bench/); --postgres URL adds PostgreSQL
    ["lighthouse.py", "--desktop"],  # starts the demo; Lighthouse from tests/e2e (npm ci --prefix tests/e2e)
    ["vector_search.py"],  # a million vectors: about twenty minutes to build on two cores
]


def main() -> int:
    failed = 0
    for args in RUNS:
        print(f"\n=== {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(BENCH / args[0]), *args[1:]], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
