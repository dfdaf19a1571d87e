"""The grounding checker on FRANK's human labels: is each summary sentence supported by its article?

The data is the dev split of ``../shared/data/frank-factuality`` (1,360 machine summaries of 301
CNN/DailyMail and XSum articles, each sentence labelled by three annotators; evaluation only, never
shipped). The metrics are the set's README's:

* sentence level: balanced accuracy per dataset (``cnndm``, ``xsum``), the threshold chosen on dev as the
  README's baselines choose theirs, and also nested (chosen on four fifths of the articles, scored on the
  rest) so that no figure rests on a threshold tuned to the sentences it is scored on;
* summary level: the partial correlation of the mean sentence score with FRANK's ``factuality``, the
  summarisation system controlled (residuals of per-system means, as FRANK's evaluate.py does).

In the same run: the README's word-overlap baselines (content words found in the article, (b), and in
the best article sentence, (b′)), with thresholds chosen the same way. Two versions of the checker are
scored: the weights that ship (``pipeline/insight/grounding.py``, fitted on this dev split) and weights
refitted on four fifths of the articles and scored on the fifth held out (``--fit`` prints the weights
fitted on the whole split, for the module).

    .venv/bin/python bench/grounding.py [--fit] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsdesk.ai.embed import make_embedder  # noqa: E402
from newsdesk.ai.embedder import normalize_rows  # noqa: E402
from newsdesk.pipeline.insight import grounding  # noqa: E402
from newsdesk.pipeline.insight.sentences import split  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "frank-factuality" / "frank_factuality.jsonl.gz"
FEATURES = list(grounding.WEIGHTS)
_README_STOP = re.compile(r"[a-z0-9]+")

Row = dict[str, Any]


def load() -> tuple[list[Row], list[dict[str, Any]]]:
    """Every summary sentence with its signals (labelled or not: summary scores use them all), and the records."""
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    embedder = make_embedder(threads=2)
    sources: dict[str, tuple[grounding.Source, list[str]]] = {}
    rows: list[Row] = []
    for record in records:
        if record["hash"] not in sources:
            sentences = [s.text for s in split(record["article"], "en")]
            vectors = normalize_rows(embedder.embed(sentences)) if sentences else None
            sources[record["hash"]] = (grounding.prepare(sentences, vectors, "en"), sentences)
        source, article_sentences = sources[record["hash"]]
        texts = [s["text"] for s in record["sentences"]]
        vectors = normalize_rows(embedder.embed(texts))
        for k, sentence in enumerate(record["sentences"]):
            features, _, numbers = grounding.signals(sentence["text"], vectors[k], source)
            rows.append(
                {
                    "summary": record["id"],
                    "article": record["hash"],
                    "dataset": record["dataset"],
                    "model": record["model"],
                    "label": sentence["supported"],
                    "features": [features[name] for name in FEATURES],
                    "novel_number": bool(numbers),
                    "overlap_article": _overlap(sentence["text"], [record["article"]]),
                    "overlap_sentence": _overlap(sentence["text"], article_sentences),
                }
            )
    return rows, records


def _readme_words(text: str) -> list[str]:
    """The README baselines' content words: lower-cased alphanumeric tokens, English stop words out."""
    from newsdesk.pipeline.stories.language import stopwords

    stops = stopwords("en")
    return [w for w in _README_STOP.findall(text.lower()) if w not in stops]


def _overlap(sentence: str, sources: Sequence[str]) -> float:
    """The share of the sentence's content words found in the best of ``sources`` (1.0 with no content word)."""
    words = _readme_words(sentence)
    if not words:
        return 1.0
    return max(
        (sum(w in found for w in words) / len(words) for found in (set(_readme_words(s)) for s in sources)), default=0.0
    )


def shipped_scores(rows: Sequence[Row]) -> np.ndarray:
    """The shipped model's score of every row, with the number rule (a novel number is never supported)."""
    z = grounding.INTERCEPT + np.array([r["features"] for r in rows]) @ np.array(
        [grounding.WEIGHTS[f] for f in FEATURES]
    )
    scores = 1 / (1 + np.exp(-z))
    return np.where([r["novel_number"] for r in rows], np.minimum(scores, 0.0), scores)


def fit(rows: Sequence[Row]) -> tuple[np.ndarray, float]:
    """Logistic regression with balanced classes on the labelled rows (scikit-learn, a dev dependency)."""
    from sklearn.linear_model import LogisticRegression

    labelled = [r for r in rows if r["label"] is not None]
    model = LogisticRegression(class_weight="balanced", max_iter=2000)
    model.fit(np.array([r["features"] for r in labelled]), np.array([int(r["label"]) for r in labelled]))
    return model.coef_[0], float(model.intercept_[0])


def balanced_accuracy(labels: Sequence[bool], predicted: Sequence[bool]) -> float:
    pos = [p for lab, p in zip(labels, predicted, strict=True) if lab]
    neg = [not p for lab, p in zip(labels, predicted, strict=True) if not lab]
    return (sum(pos) / len(pos) + sum(neg) / len(neg)) / 2 if pos and neg else float("nan")


def best_threshold(labels: Sequence[bool], scores: Sequence[float]) -> tuple[float, float]:
    """The threshold (predict supported at or above it) with the best balanced accuracy, and that accuracy."""
    best = (0.0, -1.0)
    for t in sorted(set(round(float(s), 4) for s in scores)):
        ba = balanced_accuracy(labels, [s >= t for s in scores])
        if ba > best[1]:
            best = (t, ba)
    return best


def sentence_level(rows: Sequence[Row], scores: np.ndarray, dataset: str, folds: int = 5) -> dict[str, float]:
    """Balanced accuracy on one dataset: at the dev-best threshold, and nested (threshold from the other folds)."""
    picked = [i for i, r in enumerate(rows) if r["dataset"] == dataset and r["label"] is not None]
    labels = [bool(rows[i]["label"]) for i in picked]
    values = [float(scores[i]) for i in picked]
    threshold, best = best_threshold(labels, values)
    articles = sorted({rows[i]["article"] for i in picked})
    random.Random(0).shuffle(articles)
    fold_of = {a: k % folds for k, a in enumerate(articles)}
    predicted = [False] * len(picked)
    for k in range(folds):
        train = [j for j, i in enumerate(picked) if fold_of[rows[i]["article"]] != k]
        t, _ = best_threshold([labels[j] for j in train], [values[j] for j in train])
        for j, i in enumerate(picked):
            if fold_of[rows[i]["article"]] == k:
                predicted[j] = values[j] >= t
    return {"best": best, "threshold": threshold, "nested": balanced_accuracy(labels, predicted)}


def partial_correlation(rows: Sequence[Row], scores: np.ndarray, records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Pearson and Spearman of the mean sentence score with FRANK's factuality, plain and system controlled."""
    by_summary: dict[str, list[float]] = defaultdict(list)
    for r, s in zip(rows, scores, strict=True):
        by_summary[r["summary"]].append(float(s))
    ids = [rec["id"] for rec in records if rec["id"] in by_summary]
    mean = np.array([statistics.fmean(by_summary[i]) for i in ids])
    fact = np.array([rec["factuality"] for rec in records if rec["id"] in by_summary])
    model = np.array([rec["model"] for rec in records if rec["id"] in by_summary])
    res_s, res_f = mean.copy(), fact.copy()
    for m in set(model):
        k = model == m
        res_s[k] -= res_s[k].mean()
        res_f[k] -= res_f[k].mean()
    return {
        "pearson": _pearson(mean, fact),
        "partial_pearson": _pearson(res_s, res_f),
        "partial_spearman": _pearson(_ranks(res_s), _ranks(res_f)),
        "summaries": len(ids),
    }


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def _ranks(a: np.ndarray) -> np.ndarray:
    order = a.argsort()
    ranks = np.empty(len(a))
    ranks[order] = np.arange(len(a))
    return ranks


def held_out_scores(rows: Sequence[Row], folds: int = 5) -> np.ndarray:
    """Each row scored by weights fitted without its article (grouped K-fold)."""
    articles = sorted({r["article"] for r in rows})
    random.Random(1).shuffle(articles)
    fold_of = {a: k % folds for k, a in enumerate(articles)}
    out = np.zeros(len(rows))
    for k in range(folds):
        coef, intercept = fit([r for r in rows if fold_of[r["article"]] != k])
        for i, r in enumerate(rows):
            if fold_of[r["article"]] == k:
                z = intercept + float(np.dot(coef, r["features"]))
                out[i] = 0.0 if r["novel_number"] else 1 / (1 + math.exp(-z))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fit", action="store_true", help="print weights fitted on the whole dev split")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"missing {DATA}: the FRANK factuality set lives in ../shared/data")
    started = time.perf_counter()
    rows, records = load()
    seconds = time.perf_counter() - started
    systems = {
        "newsdesk (shipped weights)": shipped_scores(rows),
        "newsdesk (refitted, articles held out)": held_out_scores(rows),
        "(b) overlap vs article": np.array([r["overlap_article"] for r in rows]),
        "(b') overlap, best article sentence": np.array([r["overlap_sentence"] for r in rows]),
    }
    result: dict[str, Any] = {"sentences": len(rows), "signals_s": round(seconds, 1), "systems": {}}
    for name, scores in systems.items():
        result["systems"][name] = {
            "cnndm": sentence_level(rows, scores, "cnndm"),
            "xsum": sentence_level(rows, scores, "xsum"),
            "summary": partial_correlation(rows, scores, records),
        }
    if args.fit:
        coef, intercept = fit(rows)
        result["fitted"] = {
            "weights": dict(zip(FEATURES, np.round(coef, 3).tolist(), strict=True)),
            "intercept": round(intercept, 3),
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"FRANK dev: {len(rows)} summary sentences ({seconds:.0f} s to split, embed and read them)")
    print("sentence-level balanced accuracy (dev-best threshold / nested) and summary-level partial correlation")
    print(f"  {'system':<40} {'CNN/DM':>15} {'XSum':>15} {'pPearson':>9} {'pSpearman':>9}")
    for name, r in result["systems"].items():
        c, x, s = r["cnndm"], r["xsum"], r["summary"]
        print(
            f"  {name:<40} {c['best']:.3f} / {c['nested']:.3f} {x['best']:.3f} / {x['nested']:.3f}"
            f" {s['partial_pearson']:9.3f} {s['partial_spearman']:9.3f}"
        )
    ours, base = (
        result["systems"]["newsdesk (refitted, articles held out)"],
        result["systems"]["(b') overlap, best article sentence"],
    )
    print(
        f"  ratios, held-out checker / (b'): CNN/DM {ours['cnndm']['nested'] / base['cnndm']['nested']:.3f}, "
        f"XSum {ours['xsum']['nested'] / base['xsum']['nested']:.3f}, partial Pearson "
        f"{ours['summary']['partial_pearson'] / base['summary']['partial_pearson']:.3f}"
    )
    print(
        "  README floors: CNN/DM 0.710, XSum 0.661 (best word-overlap baselines), partial Pearson 0.289; "
        f"shipped thresholds: {grounding.SUPPORT_THRESHOLD} (CNN/DM-like), "
        f"{grounding.ABSTRACTIVE_THRESHOLD} (XSum-like)"
    )
    shipped = result["systems"]["newsdesk (shipped weights)"]
    print(
        f"  shipped weights' dev-best thresholds: CNN/DM {shipped['cnndm']['threshold']:.3f}, "
        f"XSum {shipped['xsum']['threshold']:.3f}"
    )
    if "fitted" in result:
        print(f"fitted on all of dev: {result['fitted']}")


if __name__ == "__main__":
    main()
