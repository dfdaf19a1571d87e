"""Running story intelligence: after ingestion, and for ``newsdesk cluster``.

``run_enrichment`` rebuilds the window state from the database (articles of the
last ``story_window_h`` hours: their stories, vectors and signatures), then takes
the waiting articles oldest first in batches of ``enrich_batch``, runs
:func:`newsdesk.pipeline.stories.enrich.enrich_batch` on each and writes its intents in
one transaction. A crash loses at most the batch in hand, which is taken again
on the next run (``enriched_at`` is set in the same transaction as the results).

``cluster_lines`` runs the same stage on a JSON-lines stream without a database.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from newsdesk.ai.embed import Embedder
from newsdesk.config import Settings
from newsdesk.errors import ConfigError, NewsdeskError
from newsdesk.logs import event
from newsdesk.model import ArticleEnrichment, EnrichInput, EnrichReport
from newsdesk.pipeline.stories.enrich import EnrichmentState
from newsdesk.store import Storage
from newsdesk.tasks.vector_index import IndexWriter

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[str, int, int], None]


# One embedder per process and configuration: loading the model takes ≈0.5 s and 200 MB, and
# `newsdesk serve` enriches after every scheduler tick.
_embedders: dict[tuple[object, ...], Embedder | None] = {}
# The window state after this process's last run, and the number of enriched articles it had
# seen: when no other process enriched since, the next run goes on from it instead of rebuilding.
_states: dict[str, tuple[int, EnrichmentState]] = {}
_cache_lock = threading.Lock()


def _embedder(settings: Settings) -> Embedder | None:
    """The configured embedder, or None (enrichment goes on lexically) when it cannot be loaded."""
    from newsdesk.ai.embed import default_embedder

    key = (
        settings.embedding_model,
        settings.embedding_base_url,
        settings.embedding_api_key,
        settings.embedding_threads,
        settings.embedding_batch_size,
        settings.embedding_timeout_s,
        settings.embedding_dimensions,
    )
    with _cache_lock:
        if key in _embedders:
            return _embedders[key]
        try:
            embedder: Embedder | None = default_embedder(settings)
        except NewsdeskError as exc:
            log.error(event("enrich.no_embedder", reason=exc.reason))
            embedder = None
        _embedders[key] = embedder
        return embedder


def _window_state(
    storage: Storage, settings: Settings, embedder: Embedder | None, now: datetime, enriched: int
) -> EnrichmentState:
    """This process's state from its last run when nobody enriched since; else rebuilt from the database."""
    cached = _states.get(storage.url)
    if cached is not None and cached[0] == enriched and cached[1].embedder is embedder:
        return cached[1]
    window = storage.enrichment_window(now - timedelta(hours=settings.story_window_h))
    return EnrichmentState.rebuild(window, embedder, window_h=settings.story_window_h)


def run_enrichment(
    storage: Storage, settings: Settings, clock: Clock, *, progress: Progress | None = None
) -> EnrichReport:
    from newsdesk.pipeline.stories.enrich import embed_batch, enrich_batch

    started = time.perf_counter()
    enriched, waiting = storage.enrichment_counts()
    now = clock()
    embedder = _embedder(settings)
    reembedded = _reembed(storage, settings, embedder, now) if embedder is not None else 0
    if waiting == 0:
        return EnrichReport(reembedded=reembedded)
    state = _window_state(storage, settings, embedder, now, enriched)
    _states.pop(storage.url, None)  # a run that fails half-way leaves no state to trust
    writer = IndexWriter(settings, embedder.model_id, embedder.dim) if embedder is not None else None
    done = new = merged = copies = 0
    # The embedding model of the next batch runs on a thread while this one is folded, clustered,
    # tagged and written: onnxruntime releases the GIL, so the two cores both work.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-embed") as ahead:
        batch = storage.pending_enrichment(settings.enrich_batch)
        vectors = ahead.submit(embed_batch, batch, embedder)
        while batch:
            following = storage.pending_enrichment(settings.enrich_batch, after=(batch[-1].published_at, batch[-1].id))
            next_vectors = ahead.submit(embed_batch, following, embedder)
            outcome = enrich_batch(batch, state, vectors=vectors.result())
            storage.apply_enrichment(
                outcome.results, outcome.merges, clock(), moves=outcome.moves, copies=outcome.copies
            )
            if writer is not None:
                writer.add(outcome.results)
            done += len(batch)
            new += outcome.stories_new
            merged += len(outcome.merges)
            copies += sum(1 for r in outcome.results if r.near_duplicate_of)
            if progress:
                progress("stories", done, max(waiting, done))
            batch, vectors = following, next_vectors
    if writer is not None:
        writer.save()  # after the database: an index entry without its row is skipped by readers
    _states[storage.url] = (storage.enrichment_counts()[0], state)
    report = EnrichReport(
        reembedded=reembedded,
        articles=done,
        stories_new=new,
        stories_merged=merged,
        near_duplicates=copies,
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info(event("enrich.done", articles=done, stories=new, merged=merged, copies=copies, s=report.seconds))
    return report


def _reembed(storage: Storage, settings: Settings, embedder: Embedder, now: datetime) -> int:
    """After a model change: embed again the window's articles whose vectors came from another model.

    Vectors of different models are not comparable, so related reading and clustering only
    use the current model's; the window (``related_window_h``) is embedded again, batch by
    batch, and added to the new model's index. Older articles keep their old vectors.
    """
    from newsdesk.pipeline.stories.enrich import embed_batch

    since = now - timedelta(hours=max(settings.related_window_h, settings.story_window_h))
    writer = IndexWriter(settings, embedder.model_id, embedder.dim)
    total = 0
    while stale := storage.stale_vectors(embedder.model_id, since, settings.enrich_batch):
        vectors = embed_batch(stale, embedder)
        if vectors is None:
            break
        rows = [(a.id, vectors[i].tobytes()) for i, a in enumerate(stale)]
        storage.replace_vectors(embedder.model_id, rows)
        writer.add([ArticleEnrichment(article_id=aid, story_id=None, vector=vec) for aid, vec in rows])
        total += len(rows)
    writer.save()
    if total:
        log.info(event("enrich.reembedded", articles=total, model=embedder.model_id))
    return total


def cluster_lines(settings: Settings, lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(id, story id) for each JSON line (``id``, ``title``, ``text``, optional ``published``,
    ``language``, ``source``), in file order, through the stage live ingestion uses.

    The stories are printed once the whole stream is read, with the moves and merges
    that later articles caused applied, as the database would hold them.
    """
    from newsdesk.pipeline.stories.enrich import EnrichmentOutcome, EnrichmentState, enrich_batch, refine

    state = EnrichmentState.empty(_embedder(settings), window_h=settings.story_window_h)
    story_of: dict[str, str] = {}
    merged_into: dict[str, str] = {}
    order: list[str] = []
    batch: list[EnrichInput] = []
    latest = datetime(1970, 1, 1, tzinfo=UTC)

    def apply(outcome: EnrichmentOutcome) -> None:
        for r in outcome.results:
            story_of[r.article_id] = r.story_id or r.article_id
        story_of.update(outcome.moves)
        for m in outcome.merges:
            merged_into[m.merged] = m.into

    def flush() -> None:
        apply(enrich_batch(batch, state, tags=False))
        batch.clear()

    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item = _item(line, number)
        published = _when(item.get("published"), number) or latest
        latest = max(latest, published)
        language = item.get("language")
        doc = EnrichInput(
            id=str(item["id"]),
            source_id=0,
            title=str(item["title"]) if item.get("title") is not None else None,
            text=str(item.get("text") or ""),
            published_at=published,
            language=str(language) if language else None,
        )
        batch.append(doc)
        order.append(doc.id)
        if len(batch) >= settings.enrich_batch:
            flush()
    if batch:
        flush()
    apply(refine(state))  # the last articles get the revisit the earlier ones had
    for item_id in order:
        story = story_of.get(item_id, item_id)
        for _ in range(len(merged_into) + 1):  # follow merges to the surviving story
            if story not in merged_into:
                break
            story = merged_into[story]
        yield item_id, story


def _item(line: str, number: int) -> dict[str, object]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"line {number}: not JSON ({exc.msg})") from exc
    if not isinstance(item, dict) or "id" not in item:
        raise ConfigError(f"line {number}: expected an object with an 'id'")
    return item


def _when(value: object, number: int) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"line {number}: 'published' is not an ISO 8601 time: {value!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)
