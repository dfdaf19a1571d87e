#!/usr/bin/env python3
"""Enrichment throughput: embed + fold + cluster + tag + categorize, with the database writes.

Real news text from the dev splits of ``../shared/data`` (ECB+ articles, French and
English Wikinews), repeated with fresh ids and shifted times until ``--articles``
are stored in a fresh SQLite database on tmpfs, as an update pass would leave them
(text present, enrichment pending). Then the whole ``Newsdesk.enrich`` runs, timed
from its start, in this process with the default settings (the default embedding
model on every core). Printed: articles/s against the issue's floor (150/s), the
embedding model alone on the same texts (the stage's own floor), and peak RSS.

  python bench/enrich_throughput.py [--articles N]

With more articles than the corpus holds, articles repeat with a line added (so they
fold as near-duplicates: a syndication-heavy day).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FLOOR = 150.0  # articles/s, issue 3 §8


def corpus() -> list[dict[str, str]]:
    """Real articles: ECB+ dev (English, many publishers) and the English and French Wikinews sets."""
    docs: list[dict[str, str]] = []
    for line in (SHARED_DATA / "ecbplus-event-clustering" / "articles.dev.jsonl").open():
        d = json.loads(line)
        docs.append({"title": d.get("title") or d["text"].split("\n")[0][:120], "text": d["text"], "lang": "en"})
    for line in (SHARED_DATA / "demo-news" / "wikinews-en-2004.jsonl").open():
        d = json.loads(line)
        docs.append({"title": d["title"], "text": d["text"], "lang": "en"})
    return docs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=0, help="default: each corpus article once (683)")
    a = ap.parse_args()
    if not (SHARED_DATA / "ecbplus-event-clustering").is_dir():
        print("../shared/data is missing", file=sys.stderr)
        return 2
    from newsdesk.config import load_settings
    from newsdesk.core import make_newsdesk
    from newsdesk.model import ArticleUpdate, DraftAction, ExtractionStatus, FeedUpdate
    from newsdesk.pipeline.keys import article_id, content_hash, count_words

    docs = corpus()
    a.articles = a.articles or len(docs)
    shm = Path("/dev/shm")
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-enrich-", dir=shm if shm.is_dir() else None))
    try:
        settings = load_settings({"data_dir": str(tmp), "log_level": "WARNING"})
        desk = make_newsdesk(settings)
        now = datetime.now(UTC)
        n_sources = 40
        sources = [desk.storage.add_source(f"https://pub{i}.example/feed", now=now) for i in range(n_sources)]
        from newsdesk.model import ArticleDraft

        updates: dict[int, list[ArticleUpdate]] = {s.id: [] for s in sources}
        for i in range(a.articles):
            doc = docs[i % len(docs)]
            source = sources[i % n_sources]
            guid = f"a{i}"
            text = doc["text"] if i < len(docs) else f"{doc['text']}\n\nUpdate {i // len(docs)}."
            when = now - timedelta(hours=48) + timedelta(seconds=i * 48 * 3600 / a.articles)
            d = ArticleDraft(
                id=article_id(source.id, guid),
                source_id=source.id,
                guid=guid,
                url=f"https://pub.example/{i}",
                canonical_url=f"https://pub.example/{i}",
                title=doc["title"],
                authors=(),
                published_at=when,
                updated_at=None,
                summary=None,
                content_html=None,
                text=text,
                image_url=None,
                categories=(),
                word_count=count_words(text),
                content_hash=content_hash(text),
                entry_hash=guid,
                language=doc["lang"],
            )
            updates[source.id].append(ArticleUpdate(d, DraftAction.INSERT, extraction_status=ExtractionStatus.FEED))
        for sid, items in updates.items():
            fu = FeedUpdate(source_id=sid, checked_at=now, next_check_at=now, check_interval_s=3600.0, ok=True)
            desk.storage.apply_feed_updates([fu], items, now)

        from newsdesk.ai.embed import load_embedder
        from newsdesk.pipeline.stories.embedding import embedding_text

        embedder = load_embedder(settings)
        texts = [embedding_text(d["title"], d["text"]) for d in docs[: min(600, len(docs))]]
        embedder.embed(texts[:8])  # warm-up
        t0 = time.perf_counter()
        embedder.embed(texts)
        embed_rate = len(texts) / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        report = desk.enrich()
        seconds = time.perf_counter() - t0
        stories = len(desk.stories(limit=100_000))
        desk.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate = report.articles / seconds
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"articles={report.articles} stories={stories} "
        f"near_duplicates={report.near_duplicates} merged={report.stories_merged}"
    )
    print(f"  newsdesk enrich (embed+fold+cluster+tag+categorize+write)  {seconds:6.2f} s  {rate:7.1f} articles/s")
    print(f"  embedding model alone, same machine                           {embed_rate:7.1f} articles/s")
    print(f"  enrich / embedding alone = {rate / embed_rate:.2f}; enrich / floor {FLOOR:.0f}/s = {rate / FLOOR:.2f}x")
    print(f"  peak RSS {rss_mb:.0f} MB")
    return 0 if rate >= FLOOR else 1


if __name__ == "__main__":
    raise SystemExit(main())
