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

from newsdesk.ai.embed import Embedder, article_text_for_embedding
from newsdesk.model import ArticleEnrichment, EnrichInput, StoryMerge, WindowArticle
from newsdesk.pipeline.categorize import categorize
from newsdesk.pipeline.cluster import (
    ClusterDoc,
    ClusterParams,
    StoredArticle,
    StoryAssignment,
    StoryClusterer,
)
from newsdesk.pipeline.cluster import StoryMerge as ClusterMerge
from newsdesk.pipeline.neardup import NearDupDoc, NearDupIndex, signatures
from newsdesk.pipeline.tags import extract_tags

TAGS_PER_ARTICLE = 10


@dataclass
class EnrichmentState:
    """The window the enrichment stages remember (one owner: the enrichment pass)."""

    embedder: Embedder | None
    neardup: NearDupIndex
    clusterer: StoryClusterer

    @classmethod
    def rebuild(cls, window: Sequence[WindowArticle], embedder: Embedder | None, *, window_h: float) -> EnrichmentState:
        """The state as it was after the window's articles were enriched, from what was stored of them."""
        span = timedelta(hours=window_h)
        neardup = NearDupIndex.rebuild(
            (NearDupDoc(a.id, a.published_at, a.signature) for a in window if a.signature is not None),
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
        return cls(embedder, neardup, clusterer)

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


def enrich_batch(batch: Sequence[EnrichInput], state: EnrichmentState, *, tags: bool = True) -> EnrichmentOutcome:
    """Enrich ``batch`` (publication order) against the window in ``state``, which it advances."""
    if not batch:
        return EnrichmentOutcome([])
    # 6. embed: title + first 120 words, one batched call (vectors also serve "related articles")
    vectors = _embed(batch, state.embedder)
    # 7. fold near-duplicates: MinHash signatures, verified by Jaccard and containment
    sigs = signatures([a.text for a in batch])
    folds = state.neardup.add(
        NearDupDoc(a.id, a.published_at, sig) for a, sig in zip(batch, sigs, strict=True) if sig is not None
    )
    in_batch = {a.id for a in batch}
    primary_of = {f.article_id: f.primary_id for f in folds if f.article_id in in_batch}
    copies = [(f.article_id, f.primary_id) for f in folds if f.article_id not in in_batch]
    # 8. cluster into stories (lexical + entity evidence, embeddings for paraphrase and translation)
    intents = state.clusterer.add(
        ClusterDoc(
            id=a.id,
            title=a.title,
            text=a.text,
            published=a.published_at,
            language=a.language,
            source=str(a.source_id),
            embedding=vectors[i] if vectors is not None else None,
        )
        for i, a in enumerate(batch)
    )
    story_of: dict[str, str] = {}
    moves: list[tuple[str, str]] = []
    merges: list[StoryMerge] = []
    opened = 0
    for intent in intents:
        if isinstance(intent, StoryAssignment):
            if intent.article_id in in_batch:
                story_of[intent.article_id] = intent.story_id
                opened += intent.opened
            else:
                moves.append((intent.article_id, intent.story_id))
        elif isinstance(intent, ClusterMerge):
            merges.extend(StoryMerge(merged=m, into=intent.story_id) for m in intent.merged)
            # articles of this batch already placed in a merged story follow it
            for article_id, story_id in list(story_of.items()):
                if story_id in intent.merged:
                    story_of[article_id] = intent.story_id
            moves = [(a, intent.story_id if s in intent.merged else s) for a, s in moves]
    # 9. tag and categorize
    model_id = state.embedder.model_id if state.embedder is not None and vectors is not None else None
    results = []
    for i, a in enumerate(batch):
        found = categorize(a.title, a.text, a.language, a.feed_categories, a.source_category)
        results.append(
            ArticleEnrichment(
                article_id=a.id,
                story_id=story_of.get(a.id) or state.clusterer.story_of(a.id),
                near_duplicate_of=primary_of.get(a.id),
                category=found.category,
                regions=tuple(found.regions),
                tags=tuple(extract_tags(a.title, a.text, a.language, TAGS_PER_ARTICLE)) if tags else (),
                vector_model=model_id,
                vector=vectors[i].tobytes() if vectors is not None else None,
                signature=sigs[i],
            )
        )
    return EnrichmentOutcome(results, moves, copies, merges, opened)


def _embed(batch: Sequence[EnrichInput], embedder: Embedder | None) -> npt.NDArray[np.float32] | None:
    if embedder is None:
        return None
    texts = [article_text_for_embedding(a.title or "", a.text) for a in batch]
    return embedder.embed(texts)


def _vector(raw: bytes | None, dim: int) -> npt.NDArray[np.float32] | None:
    if raw is None or dim <= 0 or len(raw) != dim * 4:
        return None  # another model's vector (or none): the clusterer goes on with the text alone
    return np.frombuffer(raw, dtype=np.float32)
