#!/usr/bin/env python3
"""Categories and regions: newsdesk's categorizer on the demo corpus and on ECB+, against a majority class.

  python bench/categories.py [--embed] [--errors] [--matrix] [--cv]

Gold labels, and how they are mapped onto newsdesk's taxonomy (``newsdesk.pipeline.stories.categorize``):

* ``../shared/data/demo-news/wikinews-en-2004.jsonl`` — the articles with a ``section`` (the
  article's first Wikinews top-level category; 69 of 93). Wikinews merges two pairs of our
  categories into one section, so either of the pair counts as right there (:data:`WIKINEWS`).
  Measured twice: text only (title + text), then "with feed categories": the article's Wikinews
  categories as the feed's ``<category>`` strings, *minus every Wikinews top-level section name*
  (those are the gold; what is left is what a feed tags an article with: "Elections", "Brazil",
  "Cricket", "Internet"…).
  Regions: the continent categories an article carries (Africa, Asia, Europe, Middle East, North
  America, South America → Latin America), on the articles that carry one; predicted from the
  text only; precision and recall over (article, region) pairs. Wikinews tags continents
  unevenly (an article about Brazil often lacks "South America"), so precision is a lower bound.
* ``../shared/data/demo-news/wikinews-en-2019-2020.jsonl`` (293 articles, the demo's full texts) and
  ``itn-multilingual-2022-2023.jsonl`` (3,546 one-sentence blurbs in 55 languages, 312 events): these
  files carry no category, so each article (by its headline) and each ITN event (by its blurbs) was
  read and given the categories that count as right; the labels are committed in
  ``tests/data/demo-news-categories.jsonl`` (several when a desk could fairly file it under either:
  a hurricane is World, a minister's death Politics, an actor's Entertainment). A blurb is both the
  headline and the text, as the demo files it. Text only.
* ``../shared/data/ecbplus-event-clustering/articles.dev.jsonl`` — 590 articles of 26 topics; each
  topic mapped by reading it (:data:`ECBPLUS`, with the reading as a comment). Text only.

``--matrix`` prints each category's precision and recall and the confusion matrix (rows: the gold
category — of several, the one predicted if it is among them, else the first; columns: predicted).
``--cv`` chooses the weight of the zero-shot evidence (``EMBEDDING_SCALE``) by 5-fold
cross-validation over the pooled sets, folds grouped by topic/event/article so that no event is in
both halves (needs ``--embed``): for each fold the value with the best mean per-set accuracy on the
other four folds is scored on the held-out one.

The majority-class baseline predicts, for every article, the one category that is right most
often under the same scoring. ``--embed`` adds the zero-shot embedding evidence with the default
embedder of ``newsdesk.ai.embed`` (loads the ONNX model). ``--errors`` lists the misses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
WIKINEWS_FILE = SHARED_DATA / "demo-news" / "wikinews-en-2004.jsonl"
ECBPLUS_FILE = SHARED_DATA / "ecbplus-event-clustering" / "articles.dev.jsonl"
WIKINEWS_2019_FILE = SHARED_DATA / "demo-news" / "wikinews-en-2019-2020.jsonl"
ITN_FILE = SHARED_DATA / "demo-news" / "itn-multilingual-2022-2023.jsonl"
DEMO_LABELS = REPO / "tests" / "data" / "demo-news-categories.jsonl"
sys.path.insert(0, str(REPO / "src"))

# Wikinews section → the categories that count as right.
WIKINEWS: dict[str, frozenset[str]] = {
    "Politics and conflicts": frozenset({"Politics", "World"}),  # conflicts are World in our taxonomy
    "Science and technology": frozenset({"Science", "Technology"}),
    "Crime and law": frozenset({"World"}),
    "Disasters and accidents": frozenset({"World"}),
    "Culture and entertainment": frozenset({"Entertainment"}),
    "Economy and business": frozenset({"Business"}),
    "Sports": frozenset({"Sports"}),
    "Health": frozenset({"Health"}),
    "Environment": frozenset({"Climate/Environment"}),
}
# Wikinews top-level section names: never given as feed categories (they are the gold).
WIKINEWS_SECTIONS = frozenset({*WIKINEWS, "Education", "Weather", "Wackynews", "Obituaries"})
WIKINEWS_REGIONS = {
    "Africa": "Africa",
    "Asia": "Asia",
    "Europe": "Europe",
    "Middle East": "Middle East",
    "North America": "North America",
    "South America": "Latin America",
    "Oceania": "Oceania",
}

_W, _P, _B, _T, _S, _H, _SP, _E, _C = (
    "World",
    "Politics",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Sports",
    "Entertainment",
    "Climate/Environment",
)
# ECB+ dev topic → the categories that count as right (read from the articles).
ECBPLUS: dict[int, frozenset[str]] = {
    2: frozenset({_E}),  # who hosts the Academy Awards (Hugh Jackman, Ellen DeGeneres)
    7: frozenset({_SP}),  # Klitschko title fights
    8: frozenset({_W}),  # bank bombings (US bank, Greek riots)
    9: frozenset({_C, _P}),  # Endangered Species Act rules changed by two administrations
    11: frozenset({_P}),  # Turkmenistan parliamentary elections
    12: frozenset({_W}),  # Indian Navy against pirates in the Gulf of Aden
    14: frozenset({_W}),  # Waitrose supermarket fires
    18: frozenset({_W}),  # office shootings
    19: frozenset({_W}),  # riots after police shootings of teenagers
    21: frozenset({_W}),  # fatal hit-and-runs
    22: frozenset({_W}),  # murders of women at work
    23: frozenset({_W}),  # climbers killed on Mount Cook
    24: frozenset({_W}),  # Paris jewellery heists
    25: frozenset({_SP}),  # New Orleans Saints players on injured reserve
    27: frozenset({_T}),  # Microsoft patches for Internet Explorer
    29: frozenset({_SP}),  # Colts clinch playoff spots
    31: frozenset({_SP}),  # college basketball scoring records
    32: frozenset({_W}),  # family stabbings
    34: frozenset({_P, _H}),  # nominations for US Surgeon General
    36: frozenset({_W}),  # polygamist leaders arrested and convicted
    37: frozenset({_W}),  # earthquakes in Indonesia
    38: frozenset({_W, _S}),  # small earthquakes in Sonoma County (no damage; USGS readings)
    41: frozenset({_W, _P}),  # bombing of UN school in Gaza / refugee camp in South Sudan
    43: frozenset({_B, _T}),  # AMD acquisitions (ATI, SeaMicro)
    44: frozenset({_B, _T}),  # HP acquisitions (EDS, EYP)
    45: frozenset({_W}),  # murder verdicts (Scott Peterson, LeFlore County)
}


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    title: str
    text: str
    gold: frozenset[str]
    feed_categories: tuple[str, ...] = ()
    gold_regions: frozenset[str] = frozenset()
    language: str = "en"
    group: str = ""  # what must not be split across cross-validation folds (topic, event, article)


def load_wikinews(path: Path = WIKINEWS_FILE) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d.get("section") not in WIKINEWS:
            continue
        cats = [c.strip() for c in d.get("categories") or []]
        items.append(
            Item(
                id=str(d["id"]),
                title=d.get("title") or "",
                text=d.get("text") or "",
                gold=WIKINEWS[d["section"]],
                feed_categories=tuple(c for c in cats if c and c not in WIKINEWS_SECTIONS),
                gold_regions=frozenset(WIKINEWS_REGIONS[c] for c in cats if c in WIKINEWS_REGIONS),
                group=str(d["id"]),
            )
        )
    return items


def _demo_labels(name: str, key: str) -> dict[object, frozenset[str]]:
    out: dict[object, frozenset[str]] = {}
    for line in DEMO_LABELS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["set"] == name:
            out[d[key]] = frozenset(d["gold"])
    return out


def load_wikinews_2019(path: Path = WIKINEWS_2019_FILE) -> list[Item]:
    """The demo's full-text Wikinews articles, with the hand-read labels (test pages left out)."""
    gold = _demo_labels("wikinews-en-2019-2020", "line")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if n in gold:
            d = json.loads(line)
            items.append(Item(id=f"wn19-{n}", title=d["title"], text=d["text"], gold=gold[n], group=f"wn19-{n}"))
    return items


def load_itn(path: Path = ITN_FILE) -> list[Item]:
    """The demo's "In the news" blurbs, each with its event's hand-read labels, in its own language."""
    gold = _demo_labels("itn-multilingual-2022-2023", "event")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        d = json.loads(line)
        items.append(
            Item(
                id=f"itn-{n}",
                title=d["text"],
                text=d["text"],
                gold=gold[d["event"]],
                language=d["language"],
                group=d["event"],
            )
        )
    return items


def load_ecbplus(path: Path = ECBPLUS_FILE) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["topic"] in ECBPLUS:
            items.append(
                Item(
                    id=d["doc_id"],
                    title=d.get("title") or "",
                    text=d["text"],
                    gold=ECBPLUS[d["topic"]],
                    group=f"ecb-{d['topic']}",
                )
            )
    return items


Predict = Callable[[Item], str]


def accuracy(items: Sequence[Item], predict: Predict) -> float:
    return sum(predict(item) in item.gold for item in items) / len(items)


def resolved_gold(item: Item, predicted: str) -> str:
    """The gold category an item is counted under: the prediction if it is one of its golds, else the first."""
    from newsdesk.pipeline.stories.categorize import CATEGORIES

    return predicted if predicted in item.gold else min(item.gold, key=CATEGORIES.index)


def confusion(items: Sequence[Item], predicted: Sequence[str]) -> dict[tuple[str, str], int]:
    """(gold, predicted) → count, gold resolved as :func:`resolved_gold` says."""
    out: Counter[tuple[str, str]] = Counter()
    for item, got in zip(items, predicted, strict=True):
        out[resolved_gold(item, got), got] += 1
    return dict(out)


def per_category(matrix: dict[tuple[str, str], int]) -> dict[str, tuple[float | None, float | None, int]]:
    """Category → (precision, recall, gold count); None where there is nothing to divide by."""
    from newsdesk.pipeline.stories.categorize import CATEGORIES

    out = {}
    for c in CATEGORIES:
        hit = matrix.get((c, c), 0)
        predicted = sum(n for (_, p), n in matrix.items() if p == c)
        gold = sum(n for (g, _), n in matrix.items() if g == c)
        out[c] = (hit / predicted if predicted else None, hit / gold if gold else None, gold)
    return out


def print_matrix(matrix: dict[tuple[str, str], int], indent: str = "    ") -> None:
    from newsdesk.pipeline.stories.categorize import CATEGORIES

    short = {c: c[:5] for c in CATEGORIES}
    short["Climate/Environment"] = "Clim"
    print(indent + f"{'gold → predicted':<20}" + "".join(f"{short[c]:>7}" for c in CATEGORIES) + "      P      R")
    stats = per_category(matrix)
    for g in CATEGORIES:
        precision, recall, n = stats[g]
        if not n and precision is None:
            continue
        cells = "".join(f"{matrix.get((g, p), 0) or '.':>7}" for p in CATEGORIES)
        fmt = lambda v: "    -" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"{indent}{g:<20}{cells}  {fmt(precision)}  {fmt(recall)}")


def majority(items: Sequence[Item]) -> tuple[str, float]:
    """The constant prediction that is right most often, and its accuracy."""
    from newsdesk.pipeline.stories.categorize import CATEGORIES

    best = max(CATEGORIES, key=lambda c: (sum(c in i.gold for i in items), c))
    return best, sum(best in i.gold for i in items) / len(items)


def region_scores(items: Sequence[Item]) -> tuple[float, float, int]:
    """Micro precision and recall of predicted regions on the items with gold regions, and their number."""
    from newsdesk.pipeline.stories.categorize import regions_of

    tp = fp = fn = 0
    scored = [i for i in items if i.gold_regions]
    for item in scored:
        predicted = set(regions_of(item.title, item.text, "en"))
        tp += len(predicted & item.gold_regions)
        fp += len(predicted - item.gold_regions)
        fn += len(item.gold_regions - predicted)
    return tp / max(1, tp + fp), tp / max(1, tp + fn), len(scored)


def load_sets() -> dict[str, list[Item]]:
    return {
        "wikinews-en-2004": load_wikinews(),
        "wikinews-en-2019-2020": load_wikinews_2019(),
        "itn-multilingual": load_itn(),
        "ecbplus-dev": load_ecbplus(),
    }


class Vectors:
    """Each item's embedding, computed once (batched) with the default embedder."""

    def __init__(self, items: Sequence[Item]) -> None:
        from newsdesk.ai.embed import make_embedder
        from newsdesk.pipeline.stories.categorize import category_prototypes
        from newsdesk.pipeline.stories.embedding import embedding_text

        self.embedder = make_embedder()
        self.prototypes = category_prototypes(self.embedder)
        texts = [embedding_text(i.title, i.text) for i in items]
        self.by_id = {}
        for start in range(0, len(texts), 64):
            rows = self.embedder.embed(texts[start : start + 64])
            for item, row in zip(items[start : start + 64], rows, strict=True):
                self.by_id[item.id] = row


def predictors(vectors: Vectors | None) -> dict[str, Predict]:
    from newsdesk.pipeline.stories.categorize import categorize

    out: dict[str, Predict] = {
        "text": lambda i: categorize(i.title, i.text, i.language).category,
        "text+feed": lambda i: categorize(i.title, i.text, i.language, i.feed_categories).category,
    }
    if vectors is not None:

        def with_vector(i: Item, feed: bool) -> str:
            cats = i.feed_categories if feed else ()
            vector = vectors.by_id[i.id]
            return categorize(i.title, i.text, i.language, cats, vector=vector, prototypes=vectors.prototypes).category

        out["text+embed"] = lambda i: with_vector(i, False)
        out["text+feed+embed"] = lambda i: with_vector(i, True)
    return out


def cross_validate(sets: dict[str, list[Item]], vectors: Vectors, grid: Sequence[float], k: int = 5) -> None:
    """Choose EMBEDDING_SCALE by grouped k-fold CV; print each value's score and the held-out result."""
    import hashlib

    import newsdesk.pipeline.stories.categorize as cat

    def fold_of(item: Item) -> int:
        return int(hashlib.sha1(item.group.encode()).hexdigest(), 16) % k

    right: dict[float, dict[str, list[bool]]] = {}
    saved = cat.EMBEDDING_SCALE
    try:
        for scale in grid:
            cat.EMBEDDING_SCALE = scale
            right[scale] = {
                name: [
                    cat.categorize(
                        i.title, i.text, i.language, vector=vectors.by_id[i.id], prototypes=vectors.prototypes
                    ).category
                    in i.gold
                    for i in items
                ]
                for name, items in sets.items()
            }
    finally:
        cat.EMBEDDING_SCALE = saved
    folds = {name: [fold_of(i) for i in items] for name, items in sets.items()}

    def score(scale: float, keep: Callable[[int], bool]) -> float:
        accs = []
        for name in sets:
            hits = [r for r, f in zip(right[scale][name], folds[name], strict=True) if keep(f)]
            if hits:
                accs.append(sum(hits) / len(hits))
        return statistics.mean(accs)

    print(f"\nEMBEDDING_SCALE by {k}-fold CV (folds grouped by topic/event; mean of the per-set accuracies):")
    print("  value  " + "  ".join(f"{v:>6g}" for v in grid))
    print("  all    " + "  ".join(f"{score(v, lambda f: True):6.3f}" for v in grid))
    held = []
    for fold in range(k):
        best = max(grid, key=lambda v: (score(v, lambda f, fold=fold: f != fold), -abs(v - saved)))
        held.append(score(best, lambda f, fold=fold: f == fold))
        print(f"  fold {fold}: chosen {best:g}, held-out {held[-1]:.3f}")
    print(f"  held-out mean {statistics.mean(held):.3f}, worst {min(held):.3f} (current default {saved:g})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--embed", action="store_true", help="add zero-shot evidence from the default embedder")
    ap.add_argument("--errors", action="store_true", help="list the articles each predictor gets wrong")
    ap.add_argument("--matrix", action="store_true", help="per-category precision/recall and confusion matrix")
    ap.add_argument("--cv", action="store_true", help="choose EMBEDDING_SCALE by cross-validation (with --embed)")
    args = ap.parse_args()
    for path in (WIKINEWS_FILE, ECBPLUS_FILE, WIKINEWS_2019_FILE, ITN_FILE):
        if not path.exists():
            print(f"data not found: {path}", file=sys.stderr)
            return 1
    sets = load_sets()
    vectors = Vectors([i for items in sets.values() for i in items]) if args.embed else None
    preds = predictors(vectors)
    for name, items in sets.items():
        label, base = majority(items)
        print(f"\n{name}: {len(items)} articles; majority class ({label}) {base:.3f}")
        for pname, predict in preds.items():
            if name != "wikinews-en-2004" and "feed" in pname:
                continue  # only the 2004 Wikinews articles carry feed categories
            got = [predict(i) for i in items]
            acc = sum(g in i.gold for g, i in zip(got, items, strict=True)) / len(items)
            print(f"  {pname:<16} accuracy {acc:.3f}  ({acc / base:.2f}x majority)")
            if args.matrix and "feed" not in pname:
                print_matrix(confusion(items, got))
            if args.errors:
                for item, g in zip(items, got, strict=True):
                    if g not in item.gold:
                        gold = "/".join(sorted(item.gold))
                        print(f"      {item.id:<10} gold {gold:<28} got {g:<14} {item.title[:60]}")
    precision, recall, n = region_scores(sets["wikinews-en-2004"])
    print(f"\nregions (wikinews-en-2004, {n} articles with a continent category): P {precision:.3f} R {recall:.3f}")
    if args.cv and vectors is not None:
        cross_validate(sets, vectors, [0.0, 10.0, 20.0, 30.0, 40.0, 60.0, 80.0, 120.0])

    from newsdesk.pipeline.stories.categorize import categorize

    items = sets["ecbplus-dev"]
    runs = []
    for _ in range(5):
        start = time.process_time()
        for i in items:
            categorize(i.title, i.text, "en")
        runs.append((time.process_time() - start) / len(items) * 1000)
    print(f"categorize: {statistics.median(runs):.2f} ms per article (CPU time, median of 5 passes over {len(items)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
