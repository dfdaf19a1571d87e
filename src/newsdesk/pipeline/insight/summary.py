"""Extractive summaries and key points: which of the articles' own sentences to show.

A sentence's worth is a blend of two signals, then chosen greedily with maximal marginal relevance
(MMR) so that no two shown sentences say the same thing:

- **position**: news puts the essentials first. ``exp(-i / POSITION_DECAY)`` for the i-th sentence of
  its article (in a story, of each article), so the lead counts most and the fifth sentence about
  a third as much;
- **centrality**: cosine similarity of the sentence's embedding to the mean of all the sentences'
  (min-max scaled within the text), so the sentence that says what the whole text is about rises;
- **redundancy**: the MMR penalty is the highest similarity to a sentence already chosen, and a
  sentence above ``DUPLICATE_SIMILARITY`` to one chosen is never shown (a caption repeating the lead,
  the same fact in two sources);
- **length** (:func:`candidates` leaves out sentences under ``MIN_WORDS``: datelines, bylines,
  "Read more"): summaries fill a budget of about ``TARGET_WORDS`` words (three news sentences) and stop
  at the sentence count that comes closest to it; a sentence longer than ``LONG_SENTENCE_WORDS``
  (run-on captions, lists) is penalised.

The defaults were chosen by five-fold cross-validation on the CNN/DM part of the FRANK set and sit
on a broad plateau (``bench/summaries.py``; ``docs/benchmarks.md``); position dominates because it
does in news, and the embedder's share is what lifts the summary above the lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

CENTRALITY_WEIGHT = 0.3
POSITION_DECAY = 4.0
RELEVANCE_WEIGHT = 0.7  # MMR's lambda: the rest is the redundancy penalty
DUPLICATE_SIMILARITY = 0.85
TARGET_WORDS = 75
LONG_SENTENCE_WORDS = 60
LONG_SENTENCE_PENALTY = 0.3  # per LONG_SENTENCE_WORDS beyond it
MIN_WORDS = 6
KEY_POINT_CENTRALITY_WEIGHT = 0.5  # key points reach further into the text than the summary
KEY_POINT_MAX_WORDS = 45  # a bullet is one fact, not a paragraph


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence as the selector sees it: its position in its own article and its length in words."""

    position: int
    words: float


def candidates(word_counts: Sequence[float]) -> list[tuple[int, Candidate]]:
    """The sentences that may be chosen (``MIN_WORDS`` or more), each with its index in the text and its
    position among those kept: a dateline or a byline before the lead does not push the lead down."""
    kept = [i for i, words in enumerate(word_counts) if words >= MIN_WORDS]
    return [(i, Candidate(position, word_counts[i])) for position, i in enumerate(kept)]


def summary_sentences(
    candidates: Sequence[Candidate], vectors: NDArray[np.float32], *, target_words: float = TARGET_WORDS
) -> list[int]:
    """Indices (into ``candidates``) of the summary's sentences, in the order given (the text's order)."""
    base = _worth(candidates, vectors, CENTRALITY_WEIGHT)
    return sorted(_choose(candidates, vectors, base, target_words=target_words))


def key_point_sentences(
    candidates: Sequence[Candidate], vectors: NDArray[np.float32], *, exclude: Sequence[int] = ()
) -> list[int]:
    """Indices of three to five key points (fewer in a short text), none of them one in ``exclude`` (the summary)
    or close to one, in the order given."""
    count = 3 if len(candidates) < 15 else 4 if len(candidates) < 30 else 5
    base = _worth(candidates, vectors, KEY_POINT_CENTRALITY_WEIGHT)
    for i, c in enumerate(candidates):
        if c.words > KEY_POINT_MAX_WORDS:
            base[i] = -np.inf
    chosen = _choose(candidates, vectors, base, count=count, already=list(exclude))
    return sorted(chosen)


def _worth(
    candidates: Sequence[Candidate], vectors: NDArray[np.float32], centrality_weight: float
) -> NDArray[np.float64]:
    """Each sentence's blended position and centrality, with long sentences penalised and short ones out."""
    if not candidates:
        return np.zeros(0)
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    centrality = vectors @ (centroid / norm) if norm > 0 else np.zeros(len(candidates))
    spread = float(centrality.max() - centrality.min())
    centrality = (centrality - centrality.min()) / spread if spread > 1e-9 else np.ones(len(candidates))
    position = np.exp(-np.array([c.position for c in candidates], dtype=np.float64) / POSITION_DECAY)
    words = np.array([c.words for c in candidates], dtype=np.float64)
    worth = centrality_weight * centrality + (1 - centrality_weight) * position
    worth -= LONG_SENTENCE_PENALTY * np.clip((words - LONG_SENTENCE_WORDS) / LONG_SENTENCE_WORDS, 0, None)
    return worth


def _choose(
    candidates: Sequence[Candidate],
    vectors: NDArray[np.float32],
    worth: NDArray[np.float64],
    *,
    target_words: float | None = None,
    count: int | None = None,
    already: list[int] | None = None,
) -> list[int]:
    """Greedy MMR: the best remaining sentence net of its likeness to those chosen, until the word budget is
    closest (``target_words``) or ``count`` are chosen. ``already`` counts as chosen but is not returned."""
    taken = list(already or [])
    chosen: list[int] = []
    total = 0.0
    likeness = np.zeros(len(candidates))  # each sentence's highest similarity to one taken
    for t in taken:
        likeness = np.maximum(likeness, vectors @ vectors[t])
    open_ = np.isfinite(worth)
    for t in taken:
        open_[t] = False
    while open_.any():
        score = np.where(open_ & (likeness <= DUPLICATE_SIMILARITY), RELEVANCE_WEIGHT * worth, -np.inf)
        score -= (1 - RELEVANCE_WEIGHT) * likeness
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        if target_words is not None:
            after = total + candidates[best].words
            if chosen and abs(after - target_words) >= abs(total - target_words):
                break
            total = after
        chosen.append(best)
        open_[best] = False
        likeness = np.maximum(likeness, vectors @ vectors[best])
        if count is not None and len(chosen) >= count:
            break
    return chosen
