"""Extractive summaries on FRANK's news articles: ROUGE of newsdesk's summary beside Lead-3, LexRank and TextRank.

The data is ``../shared/data/frank-news-summarization`` (250 CNN/DailyMail and 250 XSum test articles
with their reference summaries; not shipped). ROUGE-1/2/Lsum F1 by Google's ``rouge-score`` with the
Porter stemmer, averaged over documents, × 100, as the set's README computes them. Every system sees
the same sentences (``pipeline/insight/sentences.py``), so the comparison is of the choice of
sentences alone: Lead-3 (the first three), LexRank and TextRank (``sumy``, three sentences, English
stemmer and stop words) and newsdesk (``pipeline/insight/summary.py``: position, centrality, MMR,
about 75 words). On XSum, whose references are one sentence, Lead-1 and newsdesk with a 25-word
budget are shown for orientation.

``--folds K`` also reports a K-fold cross-validation of the defaults against a small grid around them:
the held-out folds' mean, beside Lead-3 on the same folds (a default that only wins on the whole set
is a tuned one, not a method).

    .venv/bin/python bench/summaries.py [--limit N] [--folds 5]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsdesk.ai.embed import make_embedder  # noqa: E402
from newsdesk.ai.embedder import normalize_rows  # noqa: E402
from newsdesk.pipeline.insight import summary  # noqa: E402
from newsdesk.pipeline.insight.sentences import split, word_count  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "frank-news-summarization" / "frank_articles.jsonl.gz"
_WORDS = re.compile(r"\w+")

Doc = dict[str, Any]


def load(limit: int | None) -> list[Doc]:
    """The articles, split into sentences and embedded once for every system."""
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    if limit:
        rows = [r for r in rows if r["dataset"] == "cnndm"][:limit] + [r for r in rows if r["dataset"] == "xsum"][
            :limit
        ]
    embedder = make_embedder(threads=2)
    docs = []
    for row in rows:
        sentences = [s.text for s in split(row["article"], "en")]
        vectors = normalize_rows(embedder.embed(sentences)) if sentences else np.zeros((0, embedder.dim), np.float32)
        docs.append(
            {"dataset": row["dataset"], "reference": row["reference"], "sentences": sentences, "vectors": vectors}
        )
    return docs


def newsdesk_summary(doc: Doc, target_words: float = summary.TARGET_WORDS) -> list[str]:
    """newsdesk's extractive summary of one document."""
    pool = summary.candidates([word_count(s) for s in doc["sentences"]])
    if not pool:
        return doc["sentences"][:3]
    vectors = doc["vectors"][[i for i, _ in pool]]
    chosen = summary.summary_sentences([c for _, c in pool], vectors, target_words=target_words)
    return [doc["sentences"][pool[k][0]] for k in chosen]


class _Words:
    """sumy's tokenizer interface over a plain regex (sumy's own needs NLTK data downloads)."""

    language = "english"

    def to_words(self, text: str) -> list[str]:
        return _WORDS.findall(text)

    def to_sentences(self, text: str) -> list[str]:
        return [text]


def sumy_summarizer(name: str) -> Callable[[Doc], list[str]]:
    """LexRank or TextRank from sumy, three sentences out of the document's own."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    summarizer = (LexRankSummarizer if name == "lexrank" else TextRankSummarizer)(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    words = _Words()

    def run(doc: Doc) -> list[str]:
        if not doc["sentences"]:
            return []
        document = ObjectDocumentModel([Paragraph([Sentence(s, words) for s in doc["sentences"]])])
        return [str(s) for s in summarizer(document, 3)]

    return run


def rouge(docs: Sequence[Doc], system: Callable[[Doc], list[str]]) -> list[tuple[float, float, float]]:
    """ROUGE-1, -2 and -Lsum F1 × 100 of each document's summary."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    out = []
    for doc in docs:
        reference = "\n".join(s.strip() for s in re.split(r" \. ", doc["reference"]) if s.strip())
        got = scorer.score(reference, "\n".join(system(doc)))
        out.append(tuple(100 * got[k].fmeasure for k in ("rouge1", "rouge2", "rougeLsum")))
    return out  # type: ignore[return-value]


def mean(scores: Sequence[tuple[float, ...]], k: int = 0) -> float:
    return statistics.fmean(s[k] for s in scores) if scores else 0.0


def cross_validate(docs: Sequence[Doc], folds: int) -> dict[str, Any]:
    """K-fold: pick the best of a small grid on K-1 folds, score it on the held-out one; Lead-3 beside it."""
    grid = list(itertools.product((0.2, 0.3, 0.4), (3.0, 4.0, 5.0), (65, 75, 85)))
    saved = (summary.CENTRALITY_WEIGHT, summary.POSITION_DECAY)
    per_setting = {}
    for weight, decay, words in grid:
        summary.CENTRALITY_WEIGHT, summary.POSITION_DECAY = weight, decay
        per_setting[(weight, decay, words)] = [s[0] for s in rouge(docs, lambda d, w=words: newsdesk_summary(d, w))]
    summary.CENTRALITY_WEIGHT, summary.POSITION_DECAY = saved
    lead = [s[0] for s in rouge(docs, lambda d: d["sentences"][:3])]
    order = list(range(len(docs)))
    random.Random(0).shuffle(order)
    parts = [order[i::folds] for i in range(folds)]
    held, held_lead, picked = [], [], []
    for k, test in enumerate(parts):
        train = [i for j, p in enumerate(parts) if j != k for i in p]
        best = max(grid, key=lambda g: statistics.fmean(per_setting[g][i] for i in train))
        picked.append(best)
        held.append(statistics.fmean(per_setting[best][i] for i in test))
        held_lead.append(statistics.fmean(lead[i] for i in test))
    default = (saved[0], saved[1], summary.TARGET_WORDS)
    return {
        "held_out_mean": statistics.fmean(held),
        "held_out_worst": min(held),
        "lead3_same_folds": statistics.fmean(held_lead),
        "folds_won": sum(h > le for h, le in zip(held, held_lead, strict=True)),
        "picked": [list(p) for p in picked],
        "default_on_all": statistics.fmean(per_setting[default]) if default in per_setting else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=0, help="articles per dataset (0: all 250)")
    ap.add_argument("--folds", type=int, default=0, help="also cross-validate the defaults (K folds)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"missing {DATA}: the FRANK summarization set lives in ../shared/data")
    started = time.perf_counter()
    docs = load(args.limit or None)
    prepared = time.perf_counter() - started
    cnndm = [d for d in docs if d["dataset"] == "cnndm"]
    xsum = [d for d in docs if d["dataset"] == "xsum"]
    started = time.perf_counter()
    ours = rouge(cnndm, newsdesk_summary)
    ours_s = (time.perf_counter() - started) / max(len(cnndm), 1)
    systems = {
        "newsdesk": ours,
        "Lead-3": rouge(cnndm, lambda d: d["sentences"][:3]),
        "LexRank": rouge(cnndm, sumy_summarizer("lexrank")),
        "TextRank": rouge(cnndm, sumy_summarizer("textrank")),
    }
    xsum_systems = {
        "newsdesk (25 words)": rouge(xsum, lambda d: newsdesk_summary(d, 25)),
        "Lead-1": rouge(xsum, lambda d: d["sentences"][:1]),
    }
    result: dict[str, Any] = {
        "cnndm": {name: [round(mean(s, k), 2) for k in range(3)] for name, s in systems.items()},
        "xsum": {name: [round(mean(s, k), 2) for k in range(3)] for name, s in xsum_systems.items()},
        "articles": [len(cnndm), len(xsum)],
        "split_and_embed_s": round(prepared, 1),
        "select_and_score_ms_per_article": round(1000 * ours_s, 1),
    }
    lead_r1 = mean(systems["Lead-3"])
    result["ratio_r1_vs_lead3"] = round(mean(ours) / lead_r1, 4) if lead_r1 else None
    if args.folds:
        result["cross_validation"] = cross_validate(cnndm, args.folds)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"FRANK CNN/DM ({len(cnndm)} articles): ROUGE-1 / ROUGE-2 / ROUGE-Lsum F1")
    for name, scores in result["cnndm"].items():
        print(f"  {name:<22} {scores[0]:6.2f} {scores[1]:6.2f} {scores[2]:6.2f}")
    print(f"  newsdesk / Lead-3 ROUGE-1 ratio: {result['ratio_r1_vs_lead3']}")
    print(f"FRANK XSum ({len(xsum)} articles), for orientation:")
    for name, scores in result["xsum"].items():
        print(f"  {name:<22} {scores[0]:6.2f} {scores[1]:6.2f} {scores[2]:6.2f}")
    if "cross_validation" in result:
        cv = result["cross_validation"]
        print(
            f"{args.folds}-fold CV (ROUGE-1, held-out folds): mean {cv['held_out_mean']:.2f}, worst fold "
            f"{cv['held_out_worst']:.2f}; Lead-3 on the same folds {cv['lead3_same_folds']:.2f}; "
            f"folds won {cv['folds_won']}/{args.folds}; picked {cv['picked']}"
        )
    print(f"split + embed {result['split_and_embed_s']} s for {sum(result['articles'])} articles; ")


if __name__ == "__main__":
    main()
