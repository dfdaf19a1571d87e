#!/usr/bin/env python3
"""Hashtags in Korean, Japanese, Chinese and Arabic: precision of the top 5, with and without the tokenizers.

  python bench/keyphrases_cjk.py [--lang ko,ja,zh,ar] [--k 5] [--show] [--timing]

Data: ``tests/data/hashtags/{ko,ja,zh,ar}.jsonl``, 15 short news articles per language written for
newsdesk (see the README there), each with the tags a careful editor would accept; a gold tag may
list accepted variants (``東京都|東京``).

Metric: precision@k of :func:`~newsdesk.pipeline.stories.tags.extract_tags` — the share of an
article's first k tags (fewer when it has fewer) whose key (``topic_key`` of the label, what a tag
links by) is the key of one of the article's gold tags or variants, each gold tag matched once;
averaged over articles (macro).

Systems, in one run:
  tokenizers  the tagger as shipped: Kiwi, MeCab + UniDic-lite, jieba, Arabic clitics (segment.py)
  baseline    the same tagger with segment.py turned off: its own split (Korean particles from a
              list, Chinese/Japanese runs cut at function characters and kana, Arabic words as written)

Prints P@k per language for both and their ratio. ``--show`` prints each article's tags (``+`` a
hit); ``--timing`` the tokenizers' load time and the tagger's time per article.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "hashtags"
LANGUAGES = ("ko", "ja", "zh", "ar")
sys.path.insert(0, str(REPO / "src"))


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    language: str
    title: str
    text: str
    gold: tuple[frozenset[str], ...]  # keys of each gold tag's accepted variants


def load(language: str, directory: Path = DATA) -> list[Article]:
    from newsdesk.pipeline.stories.topics import hashtag_label, topic_key

    articles = []
    for line in (directory / f"{language}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        gold = tuple(
            frozenset(k for v in tag.split("|") for k in (topic_key(v), topic_key(hashtag_label(v))) if k)
            for tag in row["tags"]
        )
        articles.append(Article(row["id"], language, row["title"], row["text"], gold))
    return articles


def hits(keys: Sequence[str], gold: Sequence[frozenset[str]]) -> list[bool]:
    """Which of ``keys`` match a gold tag (each gold tag once)."""
    free = list(gold)
    out = []
    for key in keys:
        match = next((g for g in free if key in g), None)
        if match is not None:
            free.remove(match)
        out.append(match is not None)
    return out


def tag_keys(articles: Sequence[Article], k: int) -> list[list[tuple[str, str]]]:
    """(key, label) of each article's first k tags."""
    from newsdesk.pipeline.stories.tags import extract_tags

    return [[(t.key, t.label) for t in extract_tags(a.title, a.text, a.language, k=10)[:k]] for a in articles]


def precision(ranked: Sequence[Sequence[tuple[str, str]]], articles: Sequence[Article]) -> float:
    values = []
    for tags, article in zip(ranked, articles, strict=True):
        marks = hits([key for key, _ in tags], article.gold)
        values.append(sum(marks) / len(marks) if marks else 0.0)
    return statistics.fmean(values)


@contextmanager
def baseline() -> Iterator[None]:
    """The tagger with segment.py off: its own crude split, as before the tokenizers."""
    from newsdesk.pipeline.stories import tags

    caches = (tags._pieces, tags._word, tags.stop_topics)
    for cache in caches:
        cache.cache_clear()
    with (
        mock.patch.object(tags, "segment_word", lambda word, lang: None),
        mock.patch.object(tags, "segment_key", lambda word, lang, name: None),
    ):
        yield
    for cache in caches:
        cache.cache_clear()


def evaluate(languages: Sequence[str] = LANGUAGES, k: int = 5) -> dict[tuple[str, str], float]:
    """P@k per (system, language), system ``tokenizers`` or ``baseline``."""
    out: dict[tuple[str, str], float] = {}
    for lang in languages:
        articles = load(lang)
        out["tokenizers", lang] = precision(tag_keys(articles, k), articles)
        with baseline():
            out["baseline", lang] = precision(tag_keys(articles, k), articles)
    return out


def show(languages: Sequence[str], k: int) -> None:
    for lang in languages:
        articles = load(lang)
        ours = tag_keys(articles, k)
        with baseline():
            theirs = tag_keys(articles, k)
        for article, a, b in zip(articles, ours, theirs, strict=True):
            print(f"{article.id} {article.title}")
            for name, tags in (("tokenizers", a), ("baseline", b)):
                marks = hits([key for key, _ in tags], article.gold)
                print(
                    f"  {name:<10} "
                    + " ".join(("+" if m else "-") + label for (_, label), m in zip(tags, marks, strict=True))
                )


def timing(languages: Sequence[str]) -> None:
    from newsdesk.pipeline.stories import segment
    from newsdesk.pipeline.stories.tags import _pieces, _word, extract_tags

    samples = {"ko": "윤석열", "ja": "東京都", "zh": "习近平", "ar": "والقاهرة"}
    for lang in languages:
        start = time.perf_counter()
        segment.segment_word(samples[lang], lang)
        load_s = time.perf_counter() - start
        articles = load(lang)
        runs = []
        caches = [_pieces, _word, segment.arabic_strip, segment._korean_verbal]
        caches += [segment._segment_korean, segment._segment_japanese, segment._segment_chinese]
        for _ in range(5):
            for cache in caches:
                cache.cache_clear()  # type: ignore[attr-defined]
            start = time.process_time()
            for a in articles:
                extract_tags(a.title, a.text, lang)
            runs.append((time.process_time() - start) / len(articles) * 1000)
        print(f"  {lang}: first use {load_s:.2f} s; {statistics.median(runs):.1f} ms per article (CPU, cold caches)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", default=",".join(LANGUAGES), help="languages, comma-separated (default all four)")
    ap.add_argument("--k", type=int, default=5, help="cut-off (default 5)")
    ap.add_argument("--show", action="store_true", help="print each article's tags, + for a hit")
    ap.add_argument("--timing", action="store_true", help="tokenizers' load time and time per article")
    args = ap.parse_args()
    languages = [x for x in args.lang.split(",") if x]
    if args.timing:
        print("timing:")
        timing(languages)
    if args.show:
        show(languages, args.k)
    results = evaluate(languages, args.k)
    print(f"\nprecision@{args.k} (tests/data/hashtags, 15 articles per language)")
    for lang in languages:
        ours, base = results["tokenizers", lang], results["baseline", lang]
        ratio = ours / base if base else float("inf")
        print(f"  {lang}  tokenizers {ours:.3f}   baseline {base:.3f}   ratio {ratio:.2f}")
    mean_ours = statistics.fmean(results["tokenizers", lang] for lang in languages)
    mean_base = statistics.fmean(results["baseline", lang] for lang in languages)
    print(f"  mean tokenizers {mean_ours:.3f}   baseline {mean_base:.3f}   ratio {mean_ours / mean_base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
