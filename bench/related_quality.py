"""Related reading quality on ECB+: is the first thing offered the look-alike event's coverage?

``python bench/related_quality.py`` clusters ECB+ dev (590 articles, 26 topics of two look-alike
events each) with the production clusterer and embedding, then, for every article, picks related
reading with the production rule (:func:`newsdesk.queries.related.pick_related`: never the
article's own story, never a copy, one article per other story, nothing below
``related_min_similarity``) from its nearest neighbours by the stored embedding's cosine, and
scores the first five against the gold: an item is relevant when it reports the *other* event of
the article's topic (ECB+ pairs "two different 6.1 earthquakes", "two celebrities in rehab"): the
reading a reader of one wants next. Items from the article's own gold event that the clusterer
put in another story count as not relevant (they are the same news, not further reading).

Baseline in the same run: the same rule over TF-IDF cosine neighbours (scikit-learn,
sublinear tf, English stop words), as a related-articles box built on a search engine would be.

Figures: precision@5 and nDCG@5 (binary gains; the ideal ranks first as many relevant items as the
rule could show: one per other story holding an article of the look-alike event, at most five),
with the share of articles whose first item is relevant (P@1), and, apart from the one-per-story
rule, article-level P@5 / nDCG@5 (the five nearest articles outside the article's own story).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsdesk.config import Settings  # noqa: E402
from newsdesk.queries.related import pick_related  # noqa: E402
from newsdesk.store import IndexedArticle  # noqa: E402


def _bench(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


CV = _bench("cluster_cv")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def tfidf_similarities(texts: Sequence[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

    m = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    return np.asarray((m @ m.T).todense())


def embedding_similarities(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows @ rows.T, dtype=np.float64)


def related_lists(
    sims: np.ndarray, ids: Sequence[str], stories: Sequence[str], floor: float, limit: int, one_per_story: bool
) -> list[list[int]]:
    """For each article, the indices the production rule would show (nearest first)."""
    hits = [IndexedArticle(a, s, False, NOW) for a, s in zip(ids, stories, strict=True)]
    index = {a: i for i, a in enumerate(ids)}
    out = []
    for i in range(len(ids)):
        order = np.argsort(-sims[i], kind="stable")
        near = [(hits[j], float(sims[i, j])) for j in order if sims[i, j] >= floor]
        if one_per_story:
            picked = pick_related(near, ids[i], stories[i], NOW - timedelta(days=1), limit)
            out.append([index[a] for a, _ in picked])
        else:
            out.append([index[h.article_id] for h, _ in near if h.story_id != stories[i]][:limit])
    return out


def scores(
    lists: Sequence[Sequence[int]], relevant: Callable[[int, int], bool], ideal: Sequence[int], k: int
) -> dict[str, float]:
    p_at_k, ndcg, p_at_1 = [], [], []
    for i, shown in enumerate(lists):
        gains = [1.0 if relevant(i, j) else 0.0 for j in shown[:k]]
        p_at_k.append(sum(gains) / k)
        p_at_1.append(gains[0] if gains else 0.0)
        dcg = sum(g / math.log2(r + 2) for r, g in enumerate(gains))
        best = sum(1.0 / math.log2(r + 2) for r in range(min(ideal[i], k)))
        if best > 0:
            ndcg.append(dcg / best)
    return {
        "P@5": statistics.fmean(p_at_k),
        "nDCG@5": statistics.fmean(ndcg) if ndcg else 0.0,
        "P@1": statistics.fmean(p_at_1),
    }


def evaluate(k: int = 5) -> dict[str, dict[str, float]]:
    """The figures of the module docstring for newsdesk and the TF-IDF baseline."""
    corpus = CV.ecb()
    table = CV.embeddings(corpus.docs)
    texts = [CV.embedding_text(d.title, d.text) for d in corpus.docs]
    rows = np.stack([table[t] for t in texts])
    stories = CV.Q.cluster_labels(corpus.docs, embed=CV.lookup(table))
    ids = [d.id for d in corpus.docs]
    gold, topic = corpus.gold, corpus.group

    def relevant(i: int, j: int) -> bool:
        return topic[i] == topic[j] and gold[i] != gold[j]

    # the ideal: one item per other story holding an article of the look-alike event (one-per-story);
    # every look-alike article outside the article's story (article level)
    ideal_story = [
        len({stories[j] for j in range(len(ids)) if relevant(i, j) and stories[j] != stories[i]})
        for i in range(len(ids))
    ]
    ideal_article = [
        sum(1 for j in range(len(ids)) if relevant(i, j) and stories[j] != stories[i]) for i in range(len(ids))
    ]
    floor = Settings().related_min_similarity
    full_texts = [f"{d.title or ''}\n{d.text or ''}" for d in corpus.docs]
    out = {}
    for name, sims, cut in (
        ("newsdesk (embedding)", embedding_similarities(rows), floor),
        ("TF-IDF baseline", tfidf_similarities(full_texts), 0.0),
    ):
        np.fill_diagonal(sims, -1.0)
        shown = related_lists(sims, ids, stories, cut, k, one_per_story=True)
        nearest = related_lists(sims, ids, stories, cut, k, one_per_story=False)
        row = scores(shown, relevant, ideal_story, k)
        article_level = scores(nearest, relevant, ideal_article, k)
        row["article P@5"], row["article nDCG@5"] = article_level["P@5"], article_level["nDCG@5"]
        row["shown per article"] = statistics.fmean(len(x) for x in shown)
        out[name] = row
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.parse_args(argv)
    results = evaluate()
    keys = ["P@5", "nDCG@5", "P@1", "article P@5", "article nDCG@5", "shown per article"]
    print(f"{'ECB+ dev, 590 articles':<24}" + "".join(f"{k:>16}" for k in keys))
    for name, row in results.items():
        print(f"{name:<24}" + "".join(f"{row[k]:>16.3f}" for k in keys))
    ours, base = results["newsdesk (embedding)"], results["TF-IDF baseline"]
    print(f"{'ratio':<24}" + "".join(f"{ours[k] / base[k]:>16.2f}" if base[k] else f"{'':>16}" for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
