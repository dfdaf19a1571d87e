"""Extraction quality metrics and dataset loaders, shared by the CI gate and ``bench/``.

Two public benchmarks live in ``../shared/data`` beside the repository:

* ``article-extraction-benchmark`` (Zyte): the whole expected article body per page, scored
  with 4-gram shingles exactly as the benchmark's ``evaluate.py`` does, so our figures are
  comparable with the published table;
* ``trafilatura-eval``: a few "with" and "without" segments per page, micro-averaged as in
  trafilatura's ``tests/comparison.py``.

There is one copy of each metric, here; ``bench/extract_quality.py`` imports this module.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ZYTE_DIR = SHARED_DATA / "article-extraction-benchmark"
TRAFEVAL_DIR = SHARED_DATA / "trafilatura-eval"

# The benchmark's tokenizer: Unicode \w+ runs, case-sensitive (IGNORECASE has no effect on \w).
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
SHINGLE_N = 4


@dataclass(frozen=True, slots=True)
class Scores:
    """Averaged precision and recall, their F1, and the benchmark's accuracy."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    items: int

    def line(self) -> str:
        return f"P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} acc={self.accuracy:.3f} n={self.items}"


@dataclass(frozen=True, slots=True)
class ZytePage:
    """One page of the Zyte benchmark: raw HTML bytes and the expected article body."""

    id: str
    url: str
    html: bytes
    truth: str


@dataclass(frozen=True, slots=True)
class SegmentPage:
    """One page of trafilatura's evaluation: raw HTML bytes and its with/without segments."""

    key: str
    url: str | None
    html: bytes
    with_: tuple[str, ...]
    without: tuple[str, ...]


# --- loaders -------------------------------------------------------------------------------


def load_zyte(directory: Path = ZYTE_DIR) -> list[ZytePage]:
    """The Zyte dev pages, sorted by id (bytes exactly as stored: UTF-8 HTML)."""
    truth = json.loads((directory / "ground-truth.dev.json").read_text(encoding="utf-8"))
    return [
        ZytePage(
            id=key,
            url=item.get("url", ""),
            html=gzip.decompress((directory / "html" / f"{key}.html.gz").read_bytes()),
            truth=item.get("articleBody", ""),
        )
        for key, item in sorted(truth.items())
    ]


def load_trafeval(directory: Path = TRAFEVAL_DIR) -> list[SegmentPage]:
    """The trafilatura-eval dev pages, sorted by key (bytes in their original encoding)."""
    data = json.loads((directory / "evaldata.dev.json").read_text(encoding="utf-8"))
    return [
        SegmentPage(
            key=key,
            url=key if key.startswith(("http://", "https://")) else None,
            html=gzip.decompress((directory / "html" / f"{item['file']}.gz").read_bytes()),
            with_=tuple(item.get("with", ())),
            without=tuple(item.get("without", ())),
        )
        for key, item in sorted(data.items())
    ]


# --- Zyte: shingle matching ----------------------------------------------------------------


def tokenize(text: str | None) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def shingles(text: str | None, n: int = SHINGLE_N) -> Counter[tuple[str, ...]]:
    """Multiset of token n-grams; a text shorter than n tokens is one shingle (none if empty)."""
    tokens = tokenize(text)
    grams = (tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def shingle_counts(true: str, pred: str | None) -> tuple[float, float, float]:
    """Per-page (tp, fp, fn), normalised by their sum so every page weighs the same."""
    t, p = shingles(true), shingles(pred)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total > 0 else (tp, fp, fn)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def shingle_scores(counts: Sequence[tuple[float, float, float]], exact: Sequence[bool] = ()) -> Scores:
    """Averaged P and R over pages (each over the pages where it is defined), and their F1."""
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(exact) / len(exact) if exact else 0.0
    return Scores(precision, recall, f1, accuracy, len(counts))


def score_zyte(pages: Sequence[ZytePage], predictions: Sequence[str | None]) -> Scores:
    """The benchmark's metric over aligned pages and predicted bodies (None: nothing found)."""
    counts = [shingle_counts(page.truth, pred) for page, pred in zip(pages, predictions, strict=True)]
    exact = [tokenize(page.truth) == tokenize(pred) for page, pred in zip(pages, predictions, strict=True)]
    return shingle_scores(counts, exact)


# --- trafilatura-eval: segments ------------------------------------------------------------


def normalize_space(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def segment_counts(pred: str | None, with_: Iterable[str], without: Iterable[str]) -> tuple[int, int, int, int]:
    """(tp, fn, fp, tn) of one page; no output counts every "with" as missed, every "without" as avoided."""
    with_, without = list(with_), list(without)
    if pred is None:
        return 0, len(with_), 0, len(without)
    text = normalize_space(pred)
    tp = sum(1 for s in with_ if normalize_space(s) in text)
    fp = sum(1 for s in without if normalize_space(s) in text)
    return tp, len(with_) - tp, fp, len(without) - fp


def segment_scores(counts: Sequence[tuple[int, int, int, int]]) -> Scores:
    """Micro-averaged precision, recall, accuracy and F-score over all pages."""
    tp, fn, fp, tn = (sum(c[i] for c in counts) for i in range(4))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = tp + fn + fp + tn
    accuracy = (tp + tn) / total if total else 0.0
    return Scores(precision, recall, f1, accuracy, len(counts))


def score_trafeval(pages: Sequence[SegmentPage], predictions: Sequence[str | None]) -> Scores:
    counts = [segment_counts(pred, p.with_, p.without) for p, pred in zip(pages, predictions, strict=True)]
    return segment_scores(counts)


# --- running extractors over a dataset ------------------------------------------------------


def newsdesk_text(html: bytes, url: str | None) -> str | None:
    """newsdesk's extractor, as the pipeline runs it (raw bytes and the page URL)."""
    from newsdesk.errors import ExtractError
    from newsdesk.pipeline.page.extract import extract_article

    try:
        return extract_article(html, url).text
    except ExtractError:
        return None


def trafilatura_text(html: bytes, url: str | None) -> str | None:
    """Plain ``trafilatura.extract`` with its default settings: the baseline to beat."""
    import trafilatura

    result: str | None = trafilatura.extract(html, url=url)
    return result


def trafilatura_canonical_text(html: bytes, url: str | None) -> str | None:
    """trafilatura as both benchmarks publish it: comments off, tables on (its figures 0.958 / 0.924)."""
    import trafilatura

    result: str | None = trafilatura.extract(html, url=url, include_comments=False, include_tables=True)
    return result


EXTRACTORS = {
    "newsdesk": newsdesk_text,
    "trafilatura": trafilatura_text,
    "trafilatura-canonical": trafilatura_canonical_text,
}


_Job = tuple[str, bytes, str | None]  # (extractor name, page bytes, page URL)


def _run_one(job: _Job) -> str | None:
    name, html, url = job
    return EXTRACTORS[name](html, url)


def evaluate(names: Sequence[str], pool: Executor | None = None) -> dict[tuple[str, str], Scores]:
    """Scores of each named extractor on both datasets, keyed by (extractor, dataset).

    Pages are spread over ``pool`` (a process pool: extraction is CPU-bound), or run in-process.
    """
    zyte, trafeval = load_zyte(), load_trafeval()
    results: dict[tuple[str, str], Scores] = {}
    for name in names:
        zyte_jobs = [(name, p.html, p.url) for p in zyte]
        trafeval_jobs = [(name, p.html, p.url) for p in trafeval]
        results[name, "zyte"] = score_zyte(zyte, _map(_run_one, zyte_jobs, pool))
        results[name, "trafilatura-eval"] = score_trafeval(trafeval, _map(_run_one, trafeval_jobs, pool))
    return results


def _map(fn: Callable[[_Job], str | None], jobs: Sequence[_Job], pool: Executor | None) -> list[str | None]:
    if pool is None:
        return [fn(job) for job in jobs]
    return list(pool.map(fn, jobs, chunksize=4))
