#!/usr/bin/env python3
"""Full-text search speed on a 100k-article database, SQLite and PostgreSQL: the capped ranking against
the uncapped one (every match scored) in the same run.

    .venv/bin/python bench/search_speed.py [--articles 100000] [--postgres postgresql://…/DB] [--concurrency 50]

The first run builds the databases (SQLite in ``.bench/search-<n>/``, PostgreSQL in the schema
``search_bench`` of ``--postgres``, or of ``NEWSDESK_BENCH_POSTGRES_URL``) through the storage's own
write methods, then indexes them as the update pass does; later runs reuse them. Text: the shared
bench corpus's Markov chain over Bierce's *Devil's Dictionary* (``../shared/bench/corpus.py``),
300–900 words an article, titles of 6–12 words, over 60 days; 2% of the sources write Japanese built
from a short list of common words (``JAPANESE`` below), 10% are marked ``en-GB``.

Measured: each query alone (``--repeat`` times, median and p95), then ``--concurrency`` threads,
each with its own connection, running the whole mix for ``--rounds`` rounds (p50/p95 of every
request). Each line shows the capped figure, the uncapped baseline's and their ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from sqlalchemy import create_engine, text

from newsdesk.model import ArticleDraft, ArticleUpdate, DraftAction, ExtractionStatus, FeedUpdate, SearchQuery
from newsdesk.store import SqlStorage, open_storage

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "bench" / "corpus.py"
SCHEMA = "search_bench"
END = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 60
ARTICLES_PER_SOURCE = 50
_JAPANESE_WORDS = (
    "東京 大阪 政府 首相 選挙 経済 会議 市場 株価 円安 物価 地震 台風 天気 交通"
    " 鉄道 空港 病院 医療 教育 大学 学生 企業 社長 技術 開発 研究 科学 宇宙 環境"
    " 気候 電力 原発 輸出 輸入 銀行 金利 予算 税金 警察 事件 裁判 法律 国会 知事"
    " 議員 野党 与党 外交 中国 韓国 米国 欧州 文化 映画 音楽 野球 サッカー"
)
JAPANESE = tuple(_JAPANESE_WORDS.split())


def _corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corpus", CORPUS)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {CORPUS}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- building the databases ------------------------------------------------------------------------------


def _japanese(rng: random.Random, words: int) -> str:
    sentences = []
    while words > 0:
        n = rng.randint(4, 10)
        sentences.append("".join(rng.choice(JAPANESE) + rng.choice("はがをにでとの") for _ in range(n)) + "。")
        words -= n
    return "".join(sentences)


class Text:
    """Sentences of the corpus's Markov chain, drawn once (``POOL`` of them) and then picked at random for
    each article: the word frequencies of the chain's text at a fraction of its cost per article."""

    POOL = 40_000

    def __init__(self) -> None:
        corpus = _corpus_module()
        mk = corpus.Markov(corpus.load_source_text()[0])
        rng = random.Random(1911)
        self.sentences = [mk.sentence(rng) for _ in range(self.POOL)]
        self.titles = [mk.sentence(rng, 6, 12).rstrip(".") for _ in range(self.POOL // 4)]

    def body(self, rng: random.Random, words: int) -> str:
        out: list[str] = []
        while words > 0:
            sentence = rng.choice(self.sentences)
            out.append(sentence)
            words -= sentence.count(" ") + 1
        return " ".join(out)


def _drafts(source_id: int, index: int, language: str, text_: Text, rng: random.Random) -> Iterator[ArticleDraft]:
    for j in range(ARTICLES_PER_SOURCE):
        words = rng.randint(300, 900)
        if language == "ja":
            title, body = _japanese(rng, rng.randint(6, 12)), _japanese(rng, words)
        else:
            title = " ".join(rng.choice(text_.titles).split()[: rng.randint(6, 12)])
            body = text_.body(rng, words)
        guid = f"s{index}-{j}"
        yield ArticleDraft(
            id=f"{source_id:x}-{guid}",
            source_id=source_id,
            guid=guid,
            url=f"https://bench.example/{guid}",
            canonical_url=None,
            title=title,
            authors=(),
            published_at=END - timedelta(seconds=rng.uniform(0, DAYS * 86400)),
            updated_at=None,
            summary=None,
            content_html=None,
            text=body,
            image_url=None,
            categories=(),
            word_count=words,
            content_hash=None,
            entry_hash=guid,
            language=language,
        )


def build(storage: SqlStorage, n: int) -> None:
    """``n`` articles (rounded to whole sources), written a day at a time in time order, then indexed."""
    count = storage.article_count()
    if count >= n:
        return
    if count:
        raise SystemExit(f"{storage.url} holds {count} articles, fewer than {n}: remove it (or its schema) first")
    text_ = Text()
    started = time.monotonic()
    by_day: dict[int, list[ArticleUpdate]] = {}
    sources = -(-n // ARTICLES_PER_SOURCE)
    for index in range(sources):
        rng = random.Random(index)
        language = "ja" if index % 50 == 7 else "en-GB" if index % 10 == 3 else "en"
        source = storage.add_source(f"https://bench.example/feed/{index}", now=END, title=f"Bench source {index}")
        for d in _drafts(source.id, index, language, text_, rng):
            day = int((END - (d.published_at or END)).total_seconds() // 86400)
            update = ArticleUpdate(draft=d, action=DraftAction.INSERT, extraction_status=ExtractionStatus.FEED)
            by_day.setdefault(day, []).append(update)
        if index % 400 == 399:
            print(f"  generated {(index + 1) * ARTICLES_PER_SOURCE} articles", file=sys.stderr, flush=True)
    for day in sorted(by_day, reverse=True):  # oldest day first, as the articles would have arrived
        updates = by_day[day]
        for start in range(0, len(updates), 1000):
            batch = updates[start : start + 1000]
            feed = FeedUpdate(source_id=batch[0].draft.source_id, checked_at=END, next_check_at=END,
                              check_interval_s=3600.0, ok=True)  # fmt: skip
            storage.apply_feed_updates([feed], batch, END)
    written = time.monotonic()
    while storage.index_search(2000):
        pass
    print(
        f"  built {storage.article_count()} articles: written in {written - started:.0f} s,"
        f" indexed in {time.monotonic() - written:.0f} s",
        file=sys.stderr,
    )
    if storage.dialect == "postgresql":
        with storage.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def postgres_storage(url: str) -> SqlStorage:
    base = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return open_storage(base + f"{sep}options=-csearch_path%3D{SCHEMA}")


# -- measuring ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    label: str
    query: SearchQuery


def cases(storage: SqlStorage) -> list[Case]:
    one_source = storage.list_sources()[len(storage.list_sources()) // 2].id
    return [
        Case("rarer word (929 matches)", SearchQuery("plagiarism")),
        Case("two rarer words", SearchQuery("plagiarism piety")),
        Case("common word: the", SearchQuery("the")),
        Case("common word: of", SearchQuery("of")),
        Case('common phrase: "of the"', SearchQuery('"of the"')),
        Case("common OR", SearchQuery("man OR woman")),
        Case("common, page 3", SearchQuery("the", offset=40)),
        Case("common + language en-gb", SearchQuery("the", language="en-gb")),
        Case("common + one source", SearchQuery("the", source_id=one_source)),
        Case("common + last 7 days", SearchQuery("the", since=END - timedelta(days=7))),
        Case("common - excluded", SearchQuery("the -man")),
        Case("CJK word", SearchQuery("東京")),
        Case("CJK two words", SearchQuery("経済 政府")),
        Case("no match", SearchQuery("zzyzxq")),
    ]


def _time(storage: SqlStorage, query: SearchQuery) -> float:
    started = time.perf_counter()
    storage.search(query)
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def alone(storage: SqlStorage, case: Case, cap: int | None, repeat: int) -> list[float]:
    storage.rank_cap = cap
    _time(storage, case.query)  # warm the cache
    return [_time(storage, case.query) for _ in range(repeat)]


def together(url: str, mix: list[Case], cap: int | None, concurrency: int, rounds: int) -> list[float]:
    """Every thread its own storage (one connection) running the whole mix ``rounds`` times, shuffled."""
    storages = [open_storage(url) for _ in range(concurrency)]
    for s in storages:
        s.rank_cap = cap
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency)

    def run(i: int) -> None:
        order = [c.query for c in mix] * rounds
        random.Random(i).shuffle(order)
        start.wait()
        mine = [_time(storages[i], q) for q in order]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in storages:
        s.close()
    return latencies


def report(name: str, storage: SqlStorage, url: str, args: argparse.Namespace) -> None:
    capped_cap = storage.rank_cap
    print(f"\n{name}: {storage.article_count()} articles; rank cap {capped_cap} (baseline: every match ranked)")
    print(f"{'query':32} {'median ms':>10} {'base':>8} {'ratio':>6}   {'p95 ms':>8} {'base':>8} {'ratio':>6}")
    mix = cases(storage)
    for case in mix:
        capped = alone(storage, case, capped_cap, args.repeat)
        base = alone(storage, case, None, args.repeat) if not args.no_baseline else capped
        m, mb, q, qb = statistics.median(capped), statistics.median(base), p95(capped), p95(base)
        print(f"{case.label:32} {m:10.1f} {mb:8.1f} {mb / m:5.1f}x   {q:8.1f} {qb:8.1f} {qb / q:5.1f}x")
    storage.rank_cap = capped_cap
    if args.concurrency:
        capped = together(url, mix, capped_cap, args.concurrency, args.rounds)
        line = (
            f"{args.concurrency} connections, {len(capped)} requests:"
            f" p50 {statistics.median(capped):.0f} ms, p95 {p95(capped):.0f} ms"
        )
        if args.concurrent_baseline:
            base = together(url, mix, None, args.concurrency, args.rounds)
            line += f"; baseline p50 {statistics.median(base):.0f} ms, p95 {p95(base):.0f} ms"
            line += f" ({p95(base) / p95(capped):.1f}x)"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("NEWSDESK_BENCH_POSTGRES_URL"))
    parser.add_argument("--sqlite-dir", type=Path, default=None, help="default: .bench/search-<articles>")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="measure the capped ranking only")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--concurrent-baseline",
        action="store_true",
        help="run the concurrent mix uncapped too (slow: every request of a common word scores the whole index)",
    )
    args = parser.parse_args()
    if args.only != "postgresql":
        directory = args.sqlite_dir or REPO / ".bench" / f"search-{args.articles}"
        directory.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{directory / 'search.db'}"
        storage = open_storage(url)
        build(storage, args.articles)
        report("SQLite", storage, url, args)
        storage.close()
    if args.only != "sqlite" and args.postgres:
        storage = postgres_storage(args.postgres)
        build(storage, args.articles)
        report("PostgreSQL", storage, storage.url, args)
        storage.close()


if __name__ == "__main__":
    main()
