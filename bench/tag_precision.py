#!/usr/bin/env python3
"""Tag precision: hand-checked hashtags of a fixed sample of articles, before and after a change.

  python bench/tag_precision.py            # precision of the labelled tags, per stratum, before/after
  python bench/tag_precision.py --todo     # the tags today's code gives that carry no label yet
  python bench/tag_precision.py --empty [--limit N]  # "In the news" blurbs left without any tag

The sample: articles drawn with a fixed seed, stratum by stratum, until each stratum holds its
quota of tags (every tag of a drawn article is kept, so "after" is measured on the same articles):

* ``en``: English Wikinews of ``../shared/data/demo-news`` (2004 and 2019–20 files, full text);
* ``fr``: the French "In the news" blurbs of the same folder (a blurb is headline and text, as the
  demo files it);
* ``other``: blurbs in Portuguese, Russian, Indonesian, Ukrainian, Polish, Norwegian, Swedish,
  Malay, Finnish, Romanian, Danish, German, Spanish and Italian (Chinese, Japanese, Korean and
  Arabic-script languages are measured by their own sets under ``tests/data/hashtags/``);
* ``bench``: items of the synthetic feed corpus of ``../shared/bench/corpus.py`` (title-cased
  headlines over Markov text), title and description as a feed-only article.

Tags are what production stores: ``extract_tags(title, text, language, 10)``. Each (article, tag,
kind) was judged in its article by reading it, as an editor would (``tests/data/tag-precision.jsonl``):
*good* when a reader would click it to find more on that person, place, organisation, event or
topic, under the right kind; *bad* for a common word, a fragment, a headline's verb, a wrong kind.
``seen`` says which code gave it: ``before`` (the tagger before issue 16 §5) and/or ``after``.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO = SHARED / "data" / "demo-news"
CORPUS_SCRIPT = SHARED / "bench" / "corpus.py"
LABELS = REPO / "tests" / "data" / "tag-precision.jsonl"
sys.path.insert(0, str(REPO / "src"))

SEED = 16
QUOTAS = {"en": 90, "fr": 40, "other": 40, "bench": 30}
OTHER_LANGUAGES = ("pt", "ru", "id", "uk", "pl", "no", "sv", "ms", "fi", "ro", "da", "de", "es", "it")
K = 10


@dataclass(frozen=True, slots=True)
class Article:
    key: str  # source:id, stable across runs
    stratum: str
    language: str
    title: str
    text: str


def _demo() -> Iterable[Article]:
    for line in (DEMO / "wikinews-en-2004.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        yield Article(f"wikinews-en-2004:{d['id']}", "en", "en", d["title"], d["text"])
    for n, line in enumerate((DEMO / "wikinews-en-2019-2020.jsonl").read_text(encoding="utf-8").splitlines()):
        d = json.loads(line)
        yield Article(f"wikinews-en-2019-2020:{n}", "en", "en", d["title"], d["text"])
    for n, line in enumerate((DEMO / "itn-multilingual-2022-2023.jsonl").read_text(encoding="utf-8").splitlines()):
        d = json.loads(line)
        lang = d["language"]
        stratum = "fr" if lang == "fr" else "other" if lang in OTHER_LANGUAGES else ""
        if stratum:
            yield Article(f"itn-multilingual-2022-2023:{n}", stratum, lang, d["text"], d["text"])


def _bench_corpus() -> Iterable[Article]:
    """Feed items of the synthetic corpus (20 feeds, seed 16): title and description."""
    import feedparser

    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, str(CORPUS_SCRIPT), "--out", out, "--feeds", "20", "--seed", str(SEED)],
            check=True,
            capture_output=True,
        )
        for path in sorted(Path(out, "feeds").iterdir()):
            parsed = feedparser.parse(path.read_bytes())
            for n, entry in enumerate(parsed.entries):
                text = html.unescape(re.sub(r"<[^>]+>", " ", entry.get("summary") or "")).strip()
                yield Article(f"bench-corpus:{path.stem}:{n}", "bench", "en", entry.get("title") or "", text)


@functools.cache
def articles() -> dict[str, Article]:
    return {a.key: a for a in (*_demo(), *_bench_corpus())}


def tags_of(article: Article) -> list[tuple[str, str]]:
    """(label, kind) of the article's tags, as production computes them."""
    from newsdesk.pipeline.stories.tags import extract_tags

    return [(t.label, t.kind) for t in extract_tags(article.title, article.text, article.language, K)]


def sample(seed: int = SEED) -> list[Article]:
    """Articles drawn per stratum (in a seeded order) until the stratum's tag quota is met, with the
    tagger as it was when the sample was drawn: the labels file pins which articles those were."""
    by_stratum: dict[str, list[Article]] = defaultdict(list)
    for a in articles().values():
        by_stratum[a.stratum].append(a)
    rng = random.Random(seed)
    chosen = []
    for stratum, quota in QUOTAS.items():
        pool = sorted(by_stratum[stratum], key=lambda a: a.key)
        rng.shuffle(pool)
        total = 0
        for a in pool:
            if total >= quota:
                break
            n = len(tags_of(a))
            if n:
                chosen.append(a)
                total += n
    return chosen


def load_labels(path: Path = LABELS) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def unlabelled(rows: list[dict[str, object]]) -> list[tuple[Article, str, str]]:
    """Tags today's code gives on the labelled articles that no row labels."""
    known = {(r["article"], r["tag"], r["kind"]) for r in rows}
    out = []
    for key in sorted({str(r["article"]) for r in rows}):
        article = articles()[key]
        for label, kind in tags_of(article):
            if (key, label, kind) not in known:
                out.append((article, label, kind))
    return out


def precision(rows: list[dict[str, object]], version: str, stratum: str | None = None) -> tuple[float, int]:
    picked = [r for r in rows if version in r["seen"] and (stratum is None or r["stratum"] == stratum)]  # type: ignore[operator]
    good = sum(r["label"] == "good" for r in picked)
    return (good / len(picked) if picked else 0.0), len(picked)


def current_precision(rows: list[dict[str, object]]) -> tuple[float, int, int]:
    """Precision of the tags today's code gives on the labelled articles; an unlabelled tag counts as bad."""
    label = {(r["article"], r["tag"], r["kind"]): r["label"] for r in rows}
    good = total = missing = 0
    for key in sorted({str(r["article"]) for r in rows}):
        for tag, kind in tags_of(articles()[key]):
            total += 1
            verdict = label.get((key, tag, kind))
            good += verdict == "good"
            missing += verdict is None
    return (good / total if total else 0.0), total, missing


def empty(limit: int | None = None) -> None:
    """Blurbs of the ITN file (55 languages) left without a tag, filed as the bench files them (the blurb as
    headline and text) and as the demo site does (the linked article's title as headline): an article
    without tags is on no topic page. Baseline in the same run: blurbs with no ranked phrase at all."""
    from newsdesk.pipeline.stories.tags import extract_keyphrases, extract_tags

    lines = (DEMO / "itn-multilingual-2022-2023.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()][:limit]
    for filed, title_of in (("blurb as headline", "text"), ("subject as headline", "keyword")):
        empty_langs: Counter[str] = Counter()
        nothing = tags = 0
        for d in rows:
            found = extract_tags(d[title_of], d["text"], d["language"], K)
            tags += len(found)
            if not found:
                empty_langs[d["language"]] += 1
                nothing += not extract_keyphrases(d[title_of], d["text"], d["language"], K)
        print(
            f"{filed}: {sum(empty_langs.values())} of {len(rows)} blurbs without a tag "
            f"({nothing} without any ranked phrase), {tags / len(rows):.2f} tags a blurb; "
            f"{dict(empty_langs.most_common())}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--todo", action="store_true", help="print today's unlabelled tags with their article")
    ap.add_argument("--draw", action="store_true", help="print the sample as drawn with today's tagger")
    ap.add_argument("--empty", action="store_true", help="count the ITN blurbs left without a tag")
    ap.add_argument("--limit", type=int, help="with --empty: the first N blurbs only")
    args = ap.parse_args()
    if not DEMO.is_dir() or not CORPUS_SCRIPT.exists():
        print(f"data not found under {SHARED}", file=sys.stderr)
        return 1
    if args.empty:
        empty(args.limit)
        return 0
    if args.draw:
        for a in sample():
            print(json.dumps({"article": a.key, "stratum": a.stratum, "language": a.language, "tags": tags_of(a)}))
        return 0
    rows = load_labels()
    if args.todo:
        for article, label, kind in unlabelled(rows):
            print(f"{article.key}\t{article.language}\t{label}\t{kind}\t{article.title[:80]}")
        return 0
    n_articles = len({r["article"] for r in rows})
    print(f"{len(rows)} labelled tags on {n_articles} articles ({LABELS.relative_to(REPO)})")
    print(f"  {'stratum':<8} {'before':>16} {'after':>16}")
    for stratum in (*QUOTAS, None):
        (pb, nb), (pa, na) = precision(rows, "before", stratum), precision(rows, "after", stratum)
        print(f"  {stratum or 'all':<8} {pb:7.3f} of {nb:>4}   {pa:7.3f} of {na:>4}")
    (pb, _), (pa, _) = precision(rows, "before"), precision(rows, "after")
    print(f"  precision after / before: {pa / pb:.2f}x" if pb else "")
    now, total, missing = current_precision(rows)
    print(f"today's code on the same articles: {now:.3f} of {total} tags ({missing} unlabelled, counted as bad)")
    kinds = Counter((r["kind"], r["label"]) for r in rows if "after" in r["seen"])  # type: ignore[operator]
    print("after, by kind (good/bad):", {k: (kinds[k, "good"], kinds[k, "bad"]) for k in sorted({k for k, _ in kinds})})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
