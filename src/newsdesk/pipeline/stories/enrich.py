"""Story intelligence for a batch of new articles: embed → fold → cluster → tag → categorize.

:class:`EnrichmentState` holds what these stages remember between batches — the
near-duplicate index and the story clusterer, both bounded by the time window —
and is rebuilt from stored data after a restart (:meth:`EnrichmentState.rebuild`).
:func:`enrich_batch` takes a batch in publication order and returns *intents*
(:class:`EnrichmentOutcome`); the task applies them in one transaction. The only
side effect is the embedder's computation (a local model, or an endpoint the
operator configured).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from newsdesk.ai.embedder import Embedder
from newsdesk.model import ArticleEnrichment, EnrichInput, StoryAssignment, StoryIntent, StoryMerge, WindowArticle
from newsdesk.pipeline.stories.categorize import CategoryPrototypes, categorize, category_prototypes
from newsdesk.pipeline.stories.cluster import ClusterDoc, ClusterParams, StoredArticle, StoryClusterer
from newsdesk.pipeline.stories.embedding import embed_batch
from newsdesk.pipeline.stories.neardup import NearDupDoc, NearDupIndex, is_current, signature, signatures
from newsdesk.pipeline.stories.tags import extract_tags

TAGS_PER_ARTICLE = 10


@dataclass
class EnrichmentState:
    """The window the enrichment stages remember (one owner: the enrichment pass)."""

    embedder: Embedder | None
    neardup: NearDupIndex
    clusterer: StoryClusterer
    prototypes: CategoryPrototypes | None = None  # the categories' descriptions, embedded once
    vectors_by_id: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)  # this batch's, for the clusterer

    @classmethod
    def rebuild(cls, window: Sequence[WindowArticle], embedder: Embedder | None, *, window_h: float) -> EnrichmentState:
        """The state as it was after the window's articles were enriched, from what was stored of them."""
        span = timedelta(hours=window_h)
        neardup = NearDupIndex.rebuild(
            (NearDupDoc(a.id, a.published_at, sig) for a in window if (sig := _current_signature(a)) is not None),
            window=span,
        )
        dim = embedder.dim if embedder is not None else 0
        stored = [
            StoredArticle(
                id=a.id,
                title=a.title,
                text=a.text,
                published=a.published_at,
                story_id=a.story_id,
                embedding=_vector(a.vector, dim),
                language=a.language,
                source=str(a.source_id),
            )
            for a in window
            if a.story_id is not None
        ]
        params = ClusterParams(window_s=span.total_seconds())
        clusterer = StoryClusterer.restore(stored, params)
        prototypes = category_prototypes(embedder, embedder.model_id) if embedder is not None else None
        state = cls(embedder, neardup, clusterer, prototypes)
        if embedder is not None:
            clusterer.use_embeddings(state.batch_vectors)
        return state

    def batch_vectors(self, docs: Sequence[ClusterDoc]) -> npt.NDArray[np.float32]:
        """The clusterer's embeddings: this batch's, computed once in step 6 (also stored for related reading)."""
        return np.stack([self.vectors_by_id[d.id] for d in docs])

    @classmethod
    def empty(cls, embedder: Embedder | None, *, window_h: float) -> EnrichmentState:
        return cls.rebuild((), embedder, window_h=window_h)


@dataclass(frozen=True, slots=True)
class EnrichmentOutcome:
    results: list[ArticleEnrichment]
    moves: list[tuple[str, str]] = field(default_factory=list)  # earlier articles refinement moved: (id, story)
    copies: list[tuple[str, str | None]] = field(default_factory=list)  # earlier articles' new primary
    merges: list[StoryMerge] = field(default_factory=list)
    stories_new: int = 0


def enrich_batch(
    batch: Sequence[EnrichInput],
    state: EnrichmentState,
    *,
    tags: bool = True,
    vectors: npt.NDArray[np.float32] | None = None,
) -> EnrichmentOutcome:
    """Enrich ``batch`` (publication order) against the window in ``state``, which it advances.

    ``vectors``: the batch's embeddings when the caller computed them already (:func:`embed_batch`,
    e.g. on another thread while the previous batch was being enriched).
    """
    if not batch:
        return EnrichmentOutcome([])
    # 10. embed: title + first 120 words, one batched call (vectors also serve "related articles")
    if vectors is None:
        vectors = embed_batch(batch, state.embedder)
    # 11. fold near-duplicates: shingle fingerprints, candidates by shared runs, checked by containment and Jaccard
    sigs = signatures([a.text for a in batch])
    folds = state.neardup.add(
        NearDupDoc(a.id, a.published_at, sig) for a, sig in zip(batch, sigs, strict=True) if sig is not None
    )
    state.neardup.expire(max(a.published_at for a in batch))
    in_batch = {a.id for a in batch}
    primary_of = {f.article_id: f.primary_id for f in folds if f.article_id in in_batch}
    copies = [(f.article_id, f.primary_id) for f in folds if f.article_id not in in_batch]
    # 12. cluster into stories (lexical + entity evidence, embeddings for paraphrase and translation)
    state.vectors_by_id = dict(zip((a.id for a in batch), vectors, strict=True)) if vectors is not None else {}
    intents = state.clusterer.add(
        ClusterDoc(
            id=a.id,
            title=a.title,
            text=a.text,
            published=a.published_at,
            language=a.language,
            source=str(a.source_id),
        )
        for a in batch
    )
    changes = _story_changes(intents, in_batch)
    # 13. tag and 14. categorize
    model_id = state.embedder.model_id if state.embedder is not None and vectors is not None else None
    results = []
    for i, a in enumerate(batch):
        found = categorize(
            a.title,
            a.text,
            a.language,
            a.feed_categories,
            a.source_category,
            vector=vectors[i] if vectors is not None else None,
            prototypes=state.prototypes,
        )
        results.append(
            ArticleEnrichment(
                article_id=a.id,
                story_id=changes.story_of.get(a.id) or state.clusterer.story_of(a.id),
                near_duplicate_of=primary_of.get(a.id),
                category=found.category,
                regions=tuple(found.regions),
                tags=tuple(extract_tags(a.title, a.text, a.language, TAGS_PER_ARTICLE)) if tags else (),
                vector_model=model_id,
                vector=vectors[i].tobytes() if vectors is not None else None,
                signature=sigs[i],
            )
        )
    return EnrichmentOutcome(results, changes.moves, copies, changes.merges, changes.opened)


def refine(state: EnrichmentState) -> EnrichmentOutcome:
    """A last refinement pass over the stories that changed (the end of a stream): moves and merges only."""
    changes = _story_changes(state.clusterer.refine(), in_batch=set())
    return EnrichmentOutcome([], changes.moves, [], changes.merges)


@dataclass(slots=True)
class _StoryChanges:
    """The clusterer's intents sorted out: where this batch's articles went, and what moved or merged."""

    story_of: dict[str, str] = field(default_factory=dict)  # this batch's articles → their story
    moves: list[tuple[str, str]] = field(default_factory=list)  # earlier articles → their new story
    merges: list[StoryMerge] = field(default_factory=list)
    opened: int = 0


def _story_changes(intents: Sequence[StoryIntent], in_batch: set[str]) -> _StoryChanges:
    """Follow the intents in order: a merge carries along whatever was placed in the merged story before it."""
    out = _StoryChanges()
    for intent in intents:
        if isinstance(intent, StoryAssignment):
            if intent.article_id in in_batch:
                out.story_of[intent.article_id] = intent.story_id
                out.opened += intent.opened
            else:
                out.moves.append((intent.article_id, intent.story_id))
            continue
        out.merges.append(intent)
        for article_id, story_id in out.story_of.items():
            if story_id == intent.merged:
                out.story_of[article_id] = intent.into
        out.moves = [(a, intent.into if s == intent.merged else s) for a, s in out.moves]
    return out


def _vector(raw: bytes | None, dim: int) -> npt.NDArray[np.float32] | None:
    if raw is None or dim <= 0 or len(raw) != dim * 4:
        return None  # another model's vector (or none): the clusterer goes on with the text alone
    return np.frombuffer(raw, dtype=np.float32)


def _current_signature(a: WindowArticle) -> bytes | None:
    """The article's stored near-duplicate signature, recomputed from its text when it was stored in an
    older format (after an upgrade, copies still fold under the articles of the window before it)."""
    if a.signature is not None and is_current(a.signature):
        return a.signature
    return signature(a.text) if a.text else None
