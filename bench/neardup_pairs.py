"""Near-duplicate folding on labelled pairs: precision and recall per kind, against baselines.

The pairs are made at run time by ``tests/neardup_pairs.py`` (the shared corpus, the Zyte
article bodies, ECB+; truncations, new leads, boilerplate, and the negatives: shared
boilerplate, a shared quote, same-topic articles, summaries of another article). Each pair
goes through the production decision on its own: a fresh :class:`NearDupIndex` holds the
two articles (an hour apart) and folds them or not — candidate anchors and verification both
count. Beside it, in the same run:

* ``exact hash``: equal content hashes (``pipeline.keys.content_hash``, what ingestion folds);
* ``Jaccard ≥ 0.5``: plain resemblance, computed exactly on the same word 3-shingles of the
  first 500 words, at the threshold the index used for resemblance alone;
* ``previous rule``: the index before containment was exact (MinHash estimates: Jaccard ≥ 0.5,
  or ≥ 0.4 with estimated containment ≥ 0.75; LSH candidates only), replayed here with the same
  hash constants.

``--cv`` chooses the thresholds by cross-validation: each fold holds one source or one pair
kind out; on the other pairs the thresholds of least cost are picked (a false fold costs ten
missed ones, and a distinct pair within 0.05 of a threshold counts as folded: precision first),
and the held-out pairs are scored with them. The defaults are the median of the folds' choices;
the precision/recall curve of ``min_containment`` follows.

    .venv/bin/python bench/neardup_pairs.py [--per-kind 400] [--cv] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.neardup_pairs import NEGATIVE, POSITIVE, SOURCES, Pair, describe, make_pairs  # noqa: E402

from newsdesk.pipeline.keys import content_hash, words_of  # noqa: E402
from newsdesk.pipeline.stories import neardup  # noqa: E402
from newsdesk.pipeline.stories.neardup import NearDupDoc, NearDupIndex, signatures  # noqa: E402

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PRECISION_TARGET = 0.99
RECALL_TARGET = 0.95
FALSE_FOLD_COST = 10  # a different article hidden under another's headline, against a copy shown twice
MARGIN = 0.05  # a distinct pair this close to a threshold counts as folded when thresholds are chosen


# -- deciders -------------------------------------------------------------------------------


def decide(pairs: Sequence[Pair], **params: float) -> list[bool]:
    """The production decision on each pair: both texts in a fresh index, folded or not."""
    sigs = signatures([t for p in pairs for t in (p.a, p.b)])
    out = []
    for k in range(len(pairs)):
        index = NearDupIndex(**params)  # type: ignore[arg-type]
        index.add([NearDupDoc("a", T0, sigs[2 * k]), NearDupDoc("b", T0 + timedelta(hours=1), sigs[2 * k + 1])])
        out.append(index.primary_of("b") == "a")
    return out


def exact_hash(pairs: Sequence[Pair]) -> list[bool]:
    out = []
    for p in pairs:
        ha, hb = content_hash(p.a), content_hash(p.b)
        out.append(ha is not None and ha == hb)
    return out


def _shingle_set(text: str) -> set[tuple[str, str, str]]:
    w = words_of(text)[:500]
    return set(zip(w, w[1:], w[2:], strict=False))


def plain_jaccard(pairs: Sequence[Pair], threshold: float = 0.5) -> list[bool]:
    out = []
    for p in pairs:
        a, b = _shingle_set(p.a), _shingle_set(p.b)
        inter = len(a & b)
        out.append(bool(a and b) and len(a) >= 8 and len(b) >= 8 and inter / len(a | b) >= threshold)
    return out


# The index before containment was exact: MinHash (256 values of 16 bits over the same shingles),
# LSH over 42 bands of 3, estimated J ≥ 0.5, or ≥ 0.4 with estimated containment ≥ 0.75.
_BYTES = hashlib.shake_256(b"newsdesk near-duplicate signature v1").digest(8 * 256)
_MUL = np.frombuffer(_BYTES, dtype="<u4", count=256).astype(np.uint32) | np.uint32(1)
_ADD = np.frombuffer(_BYTES, dtype="<u4", count=256, offset=4 * 256).astype(np.uint32)


def _minhash(text: str) -> tuple[int, np.ndarray] | None:
    w = words_of(text)[:500]
    if len(w) < 10:
        return None
    h = np.fromiter((zlib.crc32(x.encode()) for x in w), dtype=np.uint32, count=len(w)).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = h[:-2] * np.uint64(0x9E3779B97F4A7C15) + h[1:-1] * np.uint64(0xC2B2AE3D27D4EB4F) + h[2:]
        sh = np.unique((x ^ (x >> np.uint64(32))).astype(np.uint32))
        v = sh[:, None] * _MUL[None, :] + _ADD[None, :]
    return len(sh), v.min(axis=0).astype(np.uint16)


def previous_rule(pairs: Sequence[Pair]) -> list[bool]:
    """The index as it was (on word shingles; it used character shingles for CJK, which this skips)."""
    out = []
    for p in pairs:
        ma, mb = _minhash(p.a), _minhash(p.b)
        if ma is None or mb is None:
            out.append(False)
            continue
        (na, va), (nb, vb) = ma, mb
        if not (va[:126].reshape(42, 3) == vb[:126].reshape(42, 3)).all(axis=1).any():
            out.append(False)
            continue
        j = float(np.count_nonzero(va == vb)) / 256
        c = j * (na + nb) / (1.0 + j) / max(min(na, nb), 1)
        out.append(j >= 0.5 or (j >= 0.4 and c >= 0.75))
    return out


# -- scores ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    tp: int
    fp: int
    positives: int
    negatives: int

    def line(self) -> str:
        return (
            f"P {self.precision:.4f} R {self.recall:.4f} "
            f"(folded {self.tp}/{self.positives} copies, {self.fp}/{self.negatives} distinct pairs)"
        )


def score(pairs: Sequence[Pair], folded: Sequence[bool]) -> Scores:
    tp = sum(f and p.copy for p, f in zip(pairs, folded, strict=True))
    fp = sum(f and not p.copy for p, f in zip(pairs, folded, strict=True))
    pos = sum(p.copy for p in pairs)
    return Scores(tp / (tp + fp) if tp + fp else 1.0, tp / pos if pos else 1.0, tp, fp, pos, len(pairs) - pos)


def per_kind(pairs: Sequence[Pair], folded: Sequence[bool]) -> dict[str, tuple[int, int]]:
    """kind → (pairs, folded)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p, f in zip(pairs, folded, strict=True):
        out[p.kind][0] += 1
        out[p.kind][1] += int(f)
    return {k: (v[0], v[1]) for k, v in out.items()}


def report(pairs: Sequence[Pair], runs: dict[str, list[bool]]) -> dict[str, Any]:
    """Print the table: per kind (recall of copies, false folds of distinct pairs), per source, overall."""
    names = list(runs)
    print(f"\n{'kind':<20} {'pairs':>6}  " + "  ".join(f"{n:>14}" for n in names))
    kinds = {n: per_kind(pairs, f) for n, f in runs.items()}
    for kind in (*POSITIVE, *NEGATIVE):
        n = kinds[names[0]].get(kind, (0, 0))[0]
        if not n:
            continue
        what = "recall" if kind in POSITIVE else "false folds"
        cells = []
        for name in names:
            _, f = kinds[name][kind]
            cells.append(f"{f / n:>14.3f}" if kind in POSITIVE else f"{f:>9d} {f / n:>4.0%}")
        print(f"{kind:<20} {n:>6}  " + "  ".join(cells) + f"   {what}")
    out: dict[str, Any] = {"kinds": {n: kinds[n] for n in names}}
    for src in SOURCES:
        idx = [i for i, p in enumerate(pairs) if p.source == src]
        if not idx:
            continue
        sub = [pairs[i] for i in idx]
        print(f"\n{src} ({len(sub)} pairs)")
        for name in names:
            s = score(sub, [runs[name][i] for i in idx])
            print(f"  {name:<16} {s.line()}")
            out.setdefault("sources", {}).setdefault(src, {})[name] = _as_dict(s)
    print(f"\noverall ({len(pairs)} pairs)")
    overall = {name: score(pairs, runs[name]) for name in names}
    for name, s in overall.items():
        print(f"  {name:<16} {s.line()}")
    out["overall"] = {name: _as_dict(s) for name, s in overall.items()}
    return out


def _as_dict(s: Scores) -> dict[str, Any]:
    return {f: getattr(s, f) for f in Scores.__slots__}


# -- cross-validation -----------------------------------------------------------------------

GRID = {
    "min_containment": [round(0.40 + 0.025 * i, 3) for i in range(21)],  # 0.40 … 0.90
    "min_jaccard": [0.4, 0.5, 0.6, 0.7, 0.8, 1.01],
    "min_jaccard_contained": [0.0, 0.01, 0.02, 0.03, 0.05, 0.1],
}


@dataclass(frozen=True, slots=True)
class Features:
    candidate: np.ndarray  # the index compares the pair at all (LSH band or lead anchors)
    jaccard: np.ndarray
    containment: np.ndarray
    small: np.ndarray  # shingles of the smaller text
    copy: np.ndarray


def features(pairs: Sequence[Pair]) -> Features:
    """What the verification sees of each pair, and whether the index makes it a candidate at all."""
    sigs = signatures([t for p in pairs for t in (p.a, p.b)])
    cand = np.zeros(len(pairs), dtype=bool)
    j = np.zeros(len(pairs))
    c = np.zeros(len(pairs))
    small = np.zeros(len(pairs))
    for k in range(len(pairs)):
        sa, sb = sigs[2 * k], sigs[2 * k + 1]
        if sa is None or sb is None:
            continue
        j[k], c[k] = neardup.estimate_similarity(sa, sb)
        small[k] = min(int.from_bytes(sa[1:3], "little"), int.from_bytes(sb[1:3], "little"))
        index = NearDupIndex(min_jaccard=0.0, min_jaccard_contained=0.0, min_containment=0.0)
        index.add([NearDupDoc("a", T0, sa), NearDupDoc("b", T0 + timedelta(hours=1), sb)])
        cand[k] = index.primary_of("b") == "a"
    return Features(cand, j, c, small, np.array([p.copy for p in pairs]))


def rule(f: Features, min_containment: float, min_jaccard: float, min_jaccard_contained: float) -> np.ndarray:
    """The verification of ``NearDupIndex`` on precomputed features (kept equal to ``_verify``)."""
    ok = (f.jaccard >= min_jaccard) | ((f.containment >= min_containment) & (f.jaccard >= min_jaccard_contained))
    return np.asarray(f.candidate & ok)


def choose(f: Features, mask: np.ndarray) -> dict[str, float]:
    """The grid point of least cost on the pairs in ``mask``.

    A missed fold costs 1; a distinct pair costs ``FALSE_FOLD_COST`` if it would be folded
    with every threshold ``MARGIN`` lower (precision first, with room for distinct pairs a
    little harder than the ones seen). Among the points of least cost, each threshold is the
    median of their values.
    """
    copy = f.copy[mask]
    costs: list[tuple[float, tuple[float, ...]]] = []
    for values in product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        missed = int(np.count_nonzero(~rule(f, **params)[mask] & copy))
        near = rule(f, **{k: v - MARGIN for k, v in params.items()})[mask]
        false = int(np.count_nonzero(near & ~copy))
        costs.append((missed + FALSE_FOLD_COST * false, values))
    least = min(c for c, _ in costs)
    best = [v for c, v in costs if c == least]
    return {k: _snap(statistics.median(v[i] for v in best), GRID[k]) for i, k in enumerate(GRID)}


def _snap(x: float, grid: Sequence[float]) -> float:
    return min(grid, key=lambda g: (abs(g - x), -g))


def curve(f: Features, params: dict[str, float]) -> None:
    """Precision and recall as ``min_containment`` moves, the other thresholds as chosen."""
    print("\nmin_containment   precision   recall   false folds   missed")
    for c in GRID["min_containment"]:
        folded = rule(f, **{**params, "min_containment": c})
        tp, fp = int((folded & f.copy).sum()), int((folded & ~f.copy).sum())
        pos = int(f.copy.sum())
        mark = "  ← chosen" if c == params["min_containment"] else ""
        print(f"  {c:>13.3f}   {tp / max(1, tp + fp):>9.4f}   {tp / pos:.4f}   {fp:>11d}   {pos - tp:>6d}{mark}")


def cross_validate(pairs: Sequence[Pair], f: Features) -> dict[str, float]:
    """Leave one source out, then one kind out; print each fold's choice and held-out score."""
    folds: list[tuple[str, np.ndarray]] = []
    for src in SOURCES:
        folds.append((f"source {src}", np.array([p.source == src for p in pairs])))
    for kind in (*POSITIVE, *NEGATIVE):
        folds.append((f"kind {kind}", np.array([p.kind == kind for p in pairs])))
    chosen: list[dict[str, float]] = []
    held_tp = held_fp = held_pos = held_neg = 0
    print("\ncross-validation: thresholds chosen on the other pairs, scored on the held-out ones")
    for name, held in folds:
        if not held.any() or held.all():
            continue
        params = choose(f, ~held)
        chosen.append(params)
        folded = rule(f, **params)[held]
        copy = f.copy[held]
        tp, fp = int((folded & copy).sum()), int((folded & ~copy).sum())
        pos, neg = int(copy.sum()), int((~copy).sum())
        if name.startswith("source"):
            held_tp, held_fp, held_pos, held_neg = held_tp + tp, held_fp + fp, held_pos + pos, held_neg + neg
        what = []
        if pos:
            what.append(f"recall {tp / pos:.3f} ({tp}/{pos})")
        if neg:
            what.append(f"false folds {fp}/{neg}")
        print(f"  {name:<26} " + " ".join(f"{k}={v}" for k, v in params.items()) + "  → " + ", ".join(what))
    p = held_tp / (held_tp + held_fp) if held_tp + held_fp else 1.0
    print(f"  held-out sources pooled: P {p:.4f} R {held_tp / max(1, held_pos):.4f}")
    median = {k: float(statistics.median(c[k] for c in chosen)) for k in GRID}
    print("  median choice: " + " ".join(f"{k}={v}" for k, v in median.items()))
    return median


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--per-kind", type=int, default=400, help="pairs per kind and source (at most)")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--cv", action="store_true", help="choose the thresholds by cross-validation first")
    ap.add_argument("--json", type=Path, help="write the scores here")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    pairs = make_pairs(seed=args.seed, per_kind=args.per_kind)
    print(f"{len(pairs)} pairs made in {time.perf_counter() - t0:.1f} s: {describe(pairs)}")
    params: dict[str, float] = {}
    if args.cv:
        t0 = time.perf_counter()
        f = features(pairs)
        print(f"features in {time.perf_counter() - t0:.1f} s")
        params = cross_validate(pairs, f)
        curve(f, params)
    runs: dict[str, list[bool]] = {}
    t0 = time.perf_counter()
    runs["newsdesk"] = decide(pairs)
    elapsed = time.perf_counter() - t0
    if params:
        runs["cv median"] = decide(pairs, **params)
    runs["previous rule"] = previous_rule(pairs)
    runs["Jaccard ≥ 0.5"] = plain_jaccard(pairs)
    runs["exact hash"] = exact_hash(pairs)
    per_text = elapsed * 1e6 / (2 * len(pairs))
    print(f"\nproduction decision: {per_text:.0f} µs per text, each pair in an index of its own")
    out = report(pairs, runs)
    s, base = score(pairs, runs["newsdesk"]), score(pairs, runs["Jaccard ≥ 0.5"])
    print(
        f"\nrecall {s.recall:.3f} vs {base.recall:.3f} for plain Jaccard (×{s.recall / max(base.recall, 1e-9):.2f}), "
        f"precision {s.precision:.4f} vs {base.precision:.4f}; targets P ≥ {PRECISION_TARGET}, R ≥ {RECALL_TARGET}: "
        + ("met" if s.precision >= PRECISION_TARGET and s.recall >= RECALL_TARGET else "NOT met")
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
