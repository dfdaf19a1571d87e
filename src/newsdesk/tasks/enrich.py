"""The enrichment pass: story intelligence for the articles waiting for it, after every update.

Read :meth:`Enricher.run` top to bottom: read state (how many wait, the window the stages
remember), run steps 10–14 of the pipeline a batch at a time (``pipeline/stories/enrich.py``:
embed, fold near-duplicates, cluster, tag, categorize), apply each batch's intents in one
transaction. A crash loses at most the batch in hand, which is taken again on the next run
(``enriched_at`` is set in the same transaction as the results).

The window state (the near-duplicate index and the clusterer, bounded by ``story_window_h``) is
rebuilt from the database when needed, and kept by this facade's :class:`Enricher` between runs
while nobody else enriched the database in the meantime, so ``newsdesk serve`` does not rebuild it
after every scheduler tick.

The vector index file (related reading) is bounded by ``related_window_h`` the same way: before a
run adds its vectors, the entries of articles that left that window (or are gone) are removed, so
the new vectors take their slots and the file stays the size of the window (:meth:`Enricher._upkeep`).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.ai.embedder import Embedder
from newsdesk.ai.vector_search import IndexWriter, VectorSearch
from newsdesk.config import Settings
from newsdesk.errors import StorageError
from newsdesk.logs import event
from newsdesk.model import ArticleEnrichment, Clock, EnrichReport, Progress
from newsdesk.pipeline.stories.embedding import embed_batch
from newsdesk.pipeline.stories.enrich import EnrichmentState, enrich_batch
from newsdesk.store import Storage

log = logging.getLogger(__name__)

ENRICH_LEASE = "articles"  # the one key of the "enrich" lease: the database's waiting articles
LEASE_POLL_S = 1.0  # how often a process waiting for the enrichment lease asks again
INDEX_UPKEEP_EVERY = timedelta(hours=1)
"""How often a process checks the vector index against the window: each check looks up every entry's
article (``bench/vector_window.py``: 0.17 s for the 9,600 entries of 14 days at ~700 articles a day, on
SQLite), and entries linger at most this long past the window."""
UPKEEP_LOOKUP = 5_000  # index keys looked up per query (well under the databases' bound-parameter limits)


class Enricher:
    """Runs story intelligence on one database for one facade, and remembers the window between runs."""

    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        clock: Clock,
        embedder: EmbedderSlot,
        vectors: VectorSearch,
        *,
        holder: str,
    ) -> None:
        self.storage = storage
        self.holder = holder  # this process's name in the leases (store/leases.py)
        self.settings = settings
        self.clock = clock
        self.embedder = embedder
        self.vectors = vectors
        # The state after this facade's last run, and the number of enriched articles it had seen:
        # when no other process enriched since, the next run goes on from it instead of rebuilding.
        self._kept: tuple[int, EnrichmentState] | None = None
        self._upkept_at: datetime | None = None  # when this process last checked the vector index's window

    def run(self, progress: Progress | None = None, stop: threading.Event | None = None) -> EnrichReport:
        """Embed, fold, cluster, tag and categorize every article still waiting, oldest first.

        One process at a time enriches a database: the batches must meet the window state in time
        order, and two processes would each cluster the same articles into stories of their own.
        A second process waits for the first's lease (:mod:`newsdesk.store.leases`), which drains
        everything waiting, then finds little left; a crashed holder's lease runs out.
        ``stop``, once set (a pass stopped by SIGTERM or Ctrl-C), ends the run after the batch being
        written; what is left waits for the next run.
        """
        stop = stop or threading.Event()
        if not self._hold_lease(stop):
            return EnrichReport()
        try:
            return self._run(progress, stop)
        finally:
            try:
                self.storage.release(self.holder, "enrich")
            except StorageError as exc:  # the database failed: the lease runs out by itself
                log.warning(event("enrich.release_failed", reason=exc.reason))

    def _hold_lease(self, stop: threading.Event) -> bool:
        """Claim (or extend) this process's lease on the enrichment, waiting while another holds it;
        False when ``stop`` was set while waiting."""
        waited = False
        while not self.storage.claim("enrich", [ENRICH_LEASE], self.holder, self.clock(), self.settings.lease_ttl_s):
            if not waited:
                log.info(event("enrich.waiting", reason="another process is enriching this database"))
                waited = True
            if stop.wait(LEASE_POLL_S):
                return False
        return True

    def _run(self, progress: Progress | None, stop: threading.Event) -> EnrichReport:
        started = time.perf_counter()
        now = self.clock()
        # read state: what waits, and the model (None: the stages go on lexically)
        counts = self.storage.enrichment_counts()
        embedder = self.embedder.get()
        # after a change of model, the window's articles are embedded again first
        reembedded = self._reembed(embedder, now) if embedder is not None else 0
        writer = self.vectors.writer(embedder.model_id, embedder.dim) if embedder is not None else None
        if writer is not None and embedder is not None:
            self._upkeep(writer, embedder.model_id, now)  # first: this run's vectors then take the freed slots
        if counts.waiting == 0:
            if writer is not None:
                writer.save()
            return EnrichReport(reembedded=reembedded)
        state = self._window(embedder, now, counts.enriched)
        self._kept = None  # a run that fails half-way leaves no state to trust
        done = new = merged = copies = 0
        # 10–14, a batch at a time. The model embeds the next batch on a thread while this one is
        # folded, clustered, tagged and written: onnxruntime releases the GIL, so both cores work.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-embed") as ahead:
            batch = self.storage.pending_enrichment(self.settings.enrich_batch)
            vectors = ahead.submit(embed_batch, batch, embedder)
            # ``stop`` (a pass stopped by SIGTERM or Ctrl-C): end after the batch being written, in order
            while batch and not stop.is_set():
                following = self.storage.pending_enrichment(
                    self.settings.enrich_batch, after=(batch[-1].published_at, batch[-1].id)
                )
                next_vectors = ahead.submit(embed_batch, following, embedder)
                outcome = enrich_batch(batch, state, vectors=vectors.result())
                # apply the batch's intents in one transaction
                self.storage.apply_enrichment(
                    outcome.results, outcome.merges, self.clock(), moves=outcome.moves, copies=outcome.copies
                )
                if writer is not None:
                    writer.add(outcome.results)
                self._hold_lease(stop)  # extended a batch at a time, so a long run keeps it
                done += len(batch)
                new += outcome.stories_new
                merged += len(outcome.merges)
                copies += sum(1 for r in outcome.results if r.near_duplicate_of)
                if progress:
                    progress("stories", done, max(counts.waiting, done))
                batch, vectors = following, next_vectors
        if writer is not None:
            writer.save()  # after the database: an index entry without its row is skipped by readers
        self._kept = (self.storage.enrichment_counts().enriched, state)
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

    def _window(self, embedder: Embedder | None, now: datetime, enriched: int) -> EnrichmentState:
        """The state from this facade's last run when nobody enriched since; else rebuilt from the database."""
        if self._kept is not None and self._kept[0] == enriched and self._kept[1].embedder is embedder:
            return self._kept[1]
        window = self.storage.enrichment_window(now - timedelta(hours=self.settings.story_window_h))
        return EnrichmentState.rebuild(window, embedder, window_h=self.settings.story_window_h)

    def _upkeep(self, writer: IndexWriter, model_id: str, now: datetime) -> None:
        """Keep the vector index file to the related-articles window, at most every ``INDEX_UPKEEP_EVERY``.

        Entries whose article left the window, was deleted or became a copy are removed; a missing
        or unreadable file is rebuilt from the window's stored vectors. Both are idempotent and
        touch only the writer's copy, saved atomically at the end of the run: a crash before then
        leaves the old file, and the next process's first run does the same work again.
        """
        if self._upkept_at is not None and now - self._upkept_at < INDEX_UPKEEP_EVERY:
            return
        since = now - timedelta(hours=self.settings.related_window_h)
        started = time.perf_counter()
        try:
            leaving: list[int] = []
            if not writer.found:
                stored = self.storage.vectors_since(since, model_id)
                for start in range(0, len(stored), UPKEEP_LOOKUP):
                    window = stored[start : start + UPKEEP_LOOKUP]
                    writer.add([ArticleEnrichment(w.article_id, None, vector=w.vector) for w in window])
            else:
                keys = writer.keys()
                for start in range(0, len(keys), UPKEEP_LOOKUP):
                    part = keys[start : start + UPKEEP_LOOKUP]
                    known = self.storage.articles_by_vector_keys(part)
                    leaving += [k for k in part if (a := known.get(k)) is None or a.is_copy or a.published_at < since]
                writer.remove(leaving)
        except StorageError as exc:  # the database failed: the run goes on, the next one tries again
            log.warning(event("enrich.index_upkeep_failed", reason=exc.reason))
            return
        self._upkept_at = now
        log.info(
            event(
                "enrich.index_upkeep",
                removed=len(leaving),
                rebuilt=writer.added,
                s=round(time.perf_counter() - started, 3),
            )
        )

    def _reembed(self, embedder: Embedder, now: datetime) -> int:
        """After a model change: embed again the window's articles whose vectors came from another model.

        Vectors of different models are not comparable, so related reading and clustering only
        use the current model's; the window (``related_window_h``) is embedded again, batch by
        batch, and added to the new model's index. Older articles keep their old vectors.
        """
        since = now - timedelta(hours=max(self.settings.related_window_h, self.settings.story_window_h))
        writer = self.vectors.writer(embedder.model_id, embedder.dim)
        total = 0
        while stale := self.storage.stale_vectors(embedder.model_id, since, self.settings.enrich_batch):
            vectors = embed_batch(stale, embedder)
            if vectors is None:
                break
            rows = [(a.id, vectors[i].tobytes()) for i, a in enumerate(stale)]
            self.storage.replace_vectors(embedder.model_id, rows)
            writer.add([ArticleEnrichment(article_id=aid, story_id=None, vector=vec) for aid, vec in rows])
            total += len(rows)
        writer.save()
        if total:
            log.info(event("enrich.reembedded", articles=total, model=embedder.model_id))
        return total
