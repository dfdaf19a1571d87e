#!/usr/bin/env python3
"""Categories and regions: newsdesk's categorizer on English Wikinews and on ECB+, against a majority class.

  python bench/categories.py [--embed] [--errors]

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
* ``../shared/data/ecbplus-event-clustering/articles.dev.jsonl`` — 590 articles of 26 topics; each
  topic mapped by reading it (:data:`ECBPLUS`, with the reading as a comment). Text only.

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
            )
        )
    return items


def load_ecbplus(path: Path = ECBPLUS_FILE) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["topic"] in ECBPLUS:
            items.append(Item(id=d["doc_id"], title=d.get("title") or "", text=d["text"], gold=ECBPLUS[d["topic"]]))
    return items


Predict = Callable[[Item], str]


def accuracy(items: Sequence[Item], predict: Predict) -> float:
    return sum(predict(item) in item.gold for item in items) / len(items)


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


def predictors(embed: bool) -> dict[str, Predict]:
    from newsdesk.pipeline.stories.categorize import categorize, category_prototypes

    out: dict[str, Predict] = {
        "text": lambda i: categorize(i.title, i.text, "en").category,
        "text+feed": lambda i: categorize(i.title, i.text, "en", i.feed_categories).category,
    }
    if embed:
        from newsdesk.ai.embed import make_embedder
        from newsdesk.pipeline.stories.embedding import embedding_text

        embedder = make_embedder()
        prototypes = category_prototypes(embedder)

        def with_vector(i: Item, feed: bool) -> str:
            vector = embedder.embed([embedding_text(i.title, i.text)])[0]
            cats = i.feed_categories if feed else ()
            return categorize(i.title, i.text, "en", cats, vector=vector, prototypes=prototypes).category

        out["text+embed"] = lambda i: with_vector(i, False)
        out["text+feed+embed"] = lambda i: with_vector(i, True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--embed", action="store_true", help="add zero-shot evidence from the default embedder")
    ap.add_argument("--errors", action="store_true", help="list the articles each predictor gets wrong")
    args = ap.parse_args()
    for path in (WIKINEWS_FILE, ECBPLUS_FILE):
        if not path.exists():
            print(f"data not found: {path}", file=sys.stderr)
            return 1
    sets = {"wikinews-en-2004": load_wikinews(), "ecbplus-dev": load_ecbplus()}
    preds = predictors(args.embed)
    for name, items in sets.items():
        label, base = majority(items)
        print(f"\n{name}: {len(items)} articles; majority class ({label}) {base:.3f}")
        for pname, predict in preds.items():
            if name == "ecbplus-dev" and "feed" in pname:
                continue  # ECB+ has no feed categories
            print(f"  {pname:<16} accuracy {accuracy(items, predict):.3f}")
            if args.errors:
                for item in items:
                    got = predict(item)
                    if got not in item.gold:
                        gold = "/".join(sorted(item.gold))
                        print(f"      {item.id:<10} gold {gold:<28} got {got:<14} {item.title[:60]}")
    precision, recall, n = region_scores(sets["wikinews-en-2004"])
    print(f"\nregions (wikinews-en-2004, {n} articles with a continent category): P {precision:.3f} R {recall:.3f}")

    from newsdesk.pipeline.stories.categorize import categorize

    items = sets["ecbplus-dev"]
    runs = []
    for _ in range(5):
        start = time.process_time()
        for i in items:
            categorize(i.title, i.text, "en")
        runs.append((time.process_time() - start) / len(items) * 1000)
    print(f"categorize: {statistics.median(runs):.2f} ms per article (CPU time, median of 5 passes over {len(items)})")
    counts = Counter(categorize(i.title, i.text, "en").category for i in items)
    print("ecbplus-dev predicted:", dict(counts.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
