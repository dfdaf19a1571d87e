"""Quality gate for article extraction: pinned F1 floors on two public benchmarks.

Runs newsdesk's extractor and plain ``trafilatura.extract`` (default settings) over the dev
splits of Zyte's article-extraction-benchmark (109 pages) and trafilatura's evaluation set
(594 pages) in one process pool, and checks that newsdesk

* stays above the floors measured when the extractor was written (lowering one needs a reason
  in the commit), on F1 and on recall (so precision cannot be bought by dropping text);
* beats plain trafilatura measured in the same run;
* beats trafilatura as both benchmarks publish it (comments off), pinned below.

Figures and the commands that reproduce them: ``python bench/extract_quality.py``.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.extraction_metrics import TRAFEVAL_DIR, ZYTE_DIR, Scores, evaluate

pytestmark = pytest.mark.slow

DATASETS = ("zyte", "trafilatura-eval")
# newsdesk as measured (trafilatura 2.3.1): Zyte F1 0.966 R 0.974; trafilatura-eval F1 0.933 R 0.947.
F1_FLOORS = {"zyte": 0.960, "trafilatura-eval": 0.928}
RECALL_FLOORS = {"zyte": 0.965, "trafilatura-eval": 0.940}
# trafilatura 2.3.1 with the benchmarks' published settings (include_comments=False,
# include_tables=True) on these dev splits; published on the full sets: 0.958 and 0.924.
TRAFILATURA_AS_PUBLISHED = {"zyte": 0.9541, "trafilatura-eval": 0.9253}


@pytest.fixture(scope="module")
def scores() -> dict[tuple[str, str], Scores]:
    for directory in (ZYTE_DIR, TRAFEVAL_DIR):
        if not directory.exists():
            pytest.skip(f"benchmark data not found: {directory} (the shared data sits beside the repository)")
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        return evaluate(["newsdesk", "trafilatura"], pool)


@pytest.mark.parametrize("dataset", DATASETS)
def test_f1_stays_above_its_floor(scores: dict[tuple[str, str], Scores], dataset: str) -> None:
    ours = scores["newsdesk", dataset]
    assert ours.f1 >= F1_FLOORS[dataset], ours.line()
    assert ours.recall >= RECALL_FLOORS[dataset], ours.line()


@pytest.mark.parametrize("dataset", DATASETS)
def test_beats_plain_trafilatura(scores: dict[tuple[str, str], Scores], dataset: str) -> None:
    ours, theirs = scores["newsdesk", dataset], scores["trafilatura", dataset]
    assert ours.f1 >= theirs.f1, f"newsdesk {ours.line()} vs trafilatura {theirs.line()}"


@pytest.mark.parametrize("dataset", DATASETS)
def test_beats_trafilatura_as_published(scores: dict[tuple[str, str], Scores], dataset: str) -> None:
    assert scores["newsdesk", dataset].f1 >= TRAFILATURA_AS_PUBLISHED[dataset]
