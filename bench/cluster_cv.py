"""Story clustering defaults chosen by cross-validation that holds topics out.

``python bench/cluster_cv.py`` scores :class:`~newsdesk.pipeline.stories.cluster.StoryClusterer`
settings on folds that leave topics out, so no default is chosen by its score on the whole dev
split (which is where the figures of ``bench/cluster_quality.py`` come from, and where they were
tuned: on ECB+ topics nobody tuned for, the same defaults lost 0.07 B³-F1, almost all of it
precision).

Folds (each clustered on its own, in file order, one window, with the production embedding):

* ECB+: the 26 dev topics are split into two halves of 13 at random, five times (seeded): ten
  folds, each the size of the held-back split (17 topics). A topic's two look-alike events are
  always on the same side.
* MStream: the 152 stories are split the same way (five random halves: ten folds of ~3,300
  headlines).

For every setting of the grid, every fold is scored. *Nested* selection then reports what the
chosen default would score on topics it never saw: for each fold, the setting with the best mean
over the folds of the *other* half of its split (the topics it was not part of) is picked, and its
score on the fold is the held-out score. The printed table has, per setting, the mean and the worst
fold; then the held-out mean and worst fold of the nested choice, next to the dev score of the whole
split; and the precision/recall curve of the join threshold.

The rule is precision first (:func:`choose`): of the settings that meet the issue's floors (ECB+
B³-F1 ≥ 0.92 and NMI ≥ 0.96, MStream NMI ≥ 0.87), the one with the best mean B³ precision on the
two corpora wins, because a wrong merge — two events under one headline — costs a reader more
than a split.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsdesk.pipeline.stories.cluster import ClusterDoc, ClusterParams  # noqa: E402
from newsdesk.pipeline.stories.embedding import embedding_text  # noqa: E402

CACHE = REPO / "bench" / ".cache"


def _quality() -> Any:
    """bench/cluster_quality.py: the one definition of loaders, metrics and the labelling run."""
    spec = importlib.util.spec_from_file_location("cluster_quality", REPO / "bench" / "cluster_quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


Q = _quality()


# -- data and folds -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Corpus:
    name: str
    docs: list[ClusterDoc]
    gold: list[Hashable]
    group: list[Hashable]  # what a fold holds out: the ECB+ topic, the MStream story


def ecb() -> Corpus:
    docs, gold = Q.load_ecb()
    return Corpus("ECB+", docs, gold, [g.split("_")[0] for g in gold])


def mstream() -> Corpus:
    docs, gold = Q.load_mstream()
    return Corpus("MStream", docs, gold, list(gold))


def folds(corpus: Corpus, repeats: int = 5, seed: int = 16) -> list[tuple[list[int], int]]:
    """(document indices in file order, the index of the complementary fold) per fold."""
    groups = sorted(set(corpus.group), key=str)
    rng = random.Random(f"{seed}:{corpus.name}")
    out: list[tuple[list[int], int]] = []
    for _ in range(repeats):
        order = groups[:]
        rng.shuffle(order)
        half = set(order[: len(order) // 2])
        a = [i for i, g in enumerate(corpus.group) if g in half]
        b = [i for i, g in enumerate(corpus.group) if g not in half]
        k = len(out)
        out += [(a, k + 1), (b, k)]
    return out


# -- embeddings, computed once -------------------------------------------------------------------


def embeddings(docs: Sequence[ClusterDoc]) -> dict[str, np.ndarray]:
    """Each document's production embedding (cached in bench/.cache by the texts' hash)."""
    texts = [embedding_text(d.title, d.text) for d in docs]
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"cluster-cv-{key}.npy"
    if path.exists():
        rows = np.load(path)
    else:
        embed = Q.default_embed()
        rows = np.concatenate([embed(texts[i : i + 64]) for i in range(0, len(texts), 64)])
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, rows)
    return dict(zip(texts, rows, strict=True))


def lookup(table: Mapping[str, np.ndarray]) -> Callable[[Sequence[str]], np.ndarray]:
    return lambda batch: np.stack([table[t] for t in batch])


# -- scoring a setting on every fold --------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _init(corpora: dict[str, Corpus], tables: dict[str, dict[str, np.ndarray] | None]) -> None:
    _STATE["corpora"] = corpora
    _STATE["tables"] = tables


def _score_setting(job: tuple[str, dict[str, float], list[list[int]]]) -> list[Any]:
    name, overrides, fold_idx = job
    corpus: Corpus = _STATE["corpora"][name]
    table = _STATE["tables"][name]
    params = replace(ClusterParams(), **overrides)
    embed = lookup(table) if table is not None else None
    out = []
    for idx in fold_idx:
        docs = [corpus.docs[i] for i in idx]
        gold = [corpus.gold[i] for i in idx]
        out.append(Q.score(gold, Q.cluster_labels(docs, params, embed=embed)))
    return out


def score_grid(
    corpora: dict[str, Corpus],
    tables: dict[str, dict[str, np.ndarray] | None],
    grid: Sequence[dict[str, float]],
    fold_sets: dict[str, list[tuple[list[int], int]]],
    workers: int,
) -> dict[tuple[str, int], list[Any]]:
    """(corpus, setting index) → the scores of every fold (and, last, of the whole dev split)."""
    jobs = []
    for name, corpus in corpora.items():
        whole = list(range(len(corpus.docs)))
        for k, overrides in enumerate(grid):
            jobs.append(((name, k), (name, overrides, [f for f, _ in fold_sets[name]] + [whole])))
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(corpora, tables)) as pool:
        results = pool.map(_score_setting, [j for _, j in jobs])
        return {key: res for (key, _), res in zip(jobs, results, strict=True)}


# -- selection -----------------------------------------------------------------------------------


TARGETS = {"ECB+": (("b3_f1", 0.92), ("nmi", 0.96)), "MStream": (("nmi", 0.87),)}
"""The issue's floors on held-out folds: a setting must meet them to be chosen."""


def meets(name: str, scores: Any) -> bool:
    return all(getattr(scores, key) >= floor for key, floor in TARGETS[name])


def choose(candidates: Sequence[int], scores_of: Callable[[int, str], Any], names: Sequence[str]) -> int:
    """Precision first: of the settings that meet the targets, the one with the best mean B³ precision.

    A wrong merge (two events under one headline) costs a reader more than a split, so among
    settings good enough on both corpora the most precise wins; ties go to the better F1, then to
    the earlier setting (the defaults come first). When none meets the targets, the best F1 + NMI.
    """

    def precision(k: int) -> float:
        return round(_mean(scores_of(k, n).b3_p for n in names), 3)

    def quality(k: int) -> float:
        return round(sum(scores_of(k, n).b3_f1 + scores_of(k, n).nmi for n in names), 3)

    good = [k for k in candidates if all(meets(n, scores_of(k, n)) for n in names)]
    if good:
        return max(good, key=lambda k: (precision(k), quality(k), -k))
    return max(candidates, key=lambda k: (quality(k), -k))


def mean_scores(per_fold: Sequence[Any]) -> Any:
    """The folds' mean of every figure, as one score record."""
    first = per_fold[0]
    return replace(first, **{f.name: _mean(getattr(s, f.name) for s in per_fold) for f in fields(first)})


def nested(
    table: dict[tuple[str, int], list[Any]],
    grid: Sequence[dict[str, float]],
    fold_sets: dict[str, list[tuple[list[int], int]]],
) -> tuple[dict[str, list[Any]], list[int]]:
    """Per corpus, the held-out score of each fold under the setting chosen without it."""
    names = list(fold_sets)
    n_folds = len(fold_sets[names[0]])
    held: dict[str, list[Any]] = {n: [] for n in names}
    chosen: list[int] = []
    for f in range(n_folds):
        other = fold_sets[names[0]][f][1]  # the fold's complement: the topics the choice may see
        best = choose(range(len(grid)), lambda k, n, other=other: table[(n, k)][other], names)
        chosen.append(best)
        for n in names:
            held[n].append(table[(n, best)][f])
    return held, chosen


# -- the grid ------------------------------------------------------------------------------------


def parse_grid(specs: Iterable[str]) -> list[dict[str, float]]:
    """``name=v1,v2,…`` per parameter → the product of the values (the defaults first)."""
    known = {f.name for f in fields(ClusterParams)}
    axes: list[tuple[str, list[float]]] = []
    for spec in specs:
        name, _, values = spec.partition("=")
        if name not in known:
            raise SystemExit(f"unknown parameter {name!r}")
        axes.append((name, [float(v) for v in values.split(",")]))
    grid = [dict(zip([a for a, _ in axes], combo, strict=True)) for combo in itertools.product(*[v for _, v in axes])]
    return [{}] + [g for g in grid if any(getattr(ClusterParams(), k) != v for k, v in g.items())] if grid else [{}]


def _mean(xs: Iterable[float]) -> float:
    return statistics.fmean(xs)


def _describe(overrides: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in overrides.items()) or "defaults"


def summary(name: str, per_fold: Sequence[Any], dev: Any | None = None) -> str:
    """Mean (worst fold) of the figures that matter for ``name``; then the whole dev split's."""

    def mw(key: str) -> str:
        xs = [getattr(s, key) for s in per_fold]
        return f"{_mean(xs):.3f} ({min(xs):.3f})"

    p, r = _mean(s.b3_p for s in per_fold), _mean(s.b3_r for s in per_fold)
    if name == "ECB+":
        out = f"ECB+ B3-F1 {mw('b3_f1')} P {p:.3f} R {r:.3f} NMI {mw('nmi')}"
        return out + (f" | dev {dev.b3_f1:.3f} / {dev.nmi:.3f}" if dev is not None else "")
    out = f"MStream NMI {mw('nmi')} B3 P {p:.3f} R {r:.3f}"
    return out + (f" | dev {dev.nmi:.3f}" if dev is not None else "")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--grid", nargs="*", default=[], help="name=v1,v2 … per ClusterParams field (product)")
    ap.add_argument("--no-embeddings", action="store_true", help="lexical only")
    ap.add_argument("--no-mstream", action="store_true", help="ECB+ folds only (fast)")
    ap.add_argument("--repeats", type=int, default=5, help="random halvings per corpus (two folds each)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--curve",
        default="",
        help="parameters (comma-separated) that move together along the precision/recall curve,"
        " e.g. join_threshold,merge_threshold: the grid then holds their common values",
    )
    ap.add_argument("--json", type=Path, help="write the per-fold table here")
    args = ap.parse_args(argv)

    corpora = {"ECB+": ecb()}
    if not args.no_mstream:
        corpora["MStream"] = mstream()
    tables = {n: (None if args.no_embeddings else embeddings(c.docs)) for n, c in corpora.items()}
    fold_sets = {n: folds(c, args.repeats) for n, c in corpora.items()}
    curve = [c for c in args.curve.split(",") if c]
    if curve:  # one axis: the first parameter's values, the others tied to them
        values = args.grid[0].partition("=")[2]
        grid = [{}] + [{c: float(v) for c in curve} for v in values.split(",")]
    else:
        grid = parse_grid(args.grid)
    t0 = time.perf_counter()
    table = score_grid(corpora, tables, grid, fold_sets, args.workers)
    runs = sum(len(f) + 1 for f in fold_sets.values())
    print(f"{len(grid)} settings × {runs} runs in {time.perf_counter() - t0:.0f} s")

    print("\nper setting: mean over the held-out folds (worst fold) | the whole dev split")
    for k, overrides in enumerate(grid):
        parts = [summary(n, table[(n, k)][:-1], table[(n, k)][-1]) for n in corpora]
        print(f"[{k:>2}] {_describe(overrides):<44} " + "  ".join(parts))

    every_fold = {(n, k): mean_scores(v[:-1]) for (n, k), v in table.items()}
    default = choose(range(len(grid)), lambda k, n: every_fold[(n, k)], list(corpora))
    print(f"\nchosen on the mean of every fold: [{default}] {_describe(grid[default])}")
    held, chosen = nested(table, grid, fold_sets)
    print("\nnested choice (picked on the other half's topics, scored on this fold's):")
    print("  choices per fold:", ", ".join(f"[{k}]" for k in chosen))
    for n, scores in held.items():
        print("  held-out", summary(n, scores))

    if curve:
        print(f"\nprecision/recall along {' = '.join(curve)} (ECB+ folds' mean)")
        for k, overrides in enumerate(grid):
            per_fold = table[("ECB+", k)][:-1]
            value = overrides.get(curve[0], getattr(ClusterParams(), curve[0]))
            print(
                f"  {value:<6g} B3 P {_mean(s.b3_p for s in per_fold):.3f} R {_mean(s.b3_r for s in per_fold):.3f}"
                f" F1 {_mean(s.b3_f1 for s in per_fold):.3f}"
                f"  pairwise P {_mean(s.pair_p for s in per_fold):.3f} R {_mean(s.pair_r for s in per_fold):.3f}"
                + (
                    f"  MStream NMI {_mean(s.nmi for s in table[('MStream', k)][:-1]):.3f}"
                    if "MStream" in corpora
                    else ""
                )
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "grid": grid,
                    "scores": {f"{n}|{k}": [vars_of(s) for s in v] for (n, k), v in table.items()},
                    "chosen": chosen,
                },
                indent=1,
            )
        )
    return 0


def vars_of(s: Any) -> dict[str, float]:
    return {f.name: getattr(s, f.name) for f in fields(s)}


if __name__ == "__main__":
    sys.exit(main())
