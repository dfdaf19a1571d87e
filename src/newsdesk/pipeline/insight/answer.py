"""Ask a question of an article or a story: the sentences that answer it, or none.

Without a reading model, an answer is the sentences that best match the question, and the hard
part is knowing when none does. A sentence's relevance blends two signals:

- **meaning**: cosine similarity of the sentence's embedding to the question's (the embedder is
  multilingual, so a question in French finds an English sentence);
- **words**: the share of the question's content words (stop words and question words out,
  lemmatised, folded) that the sentence contains, each word weighted by how rare it is among the
  text's sentences (a word in every sentence, the story's subject, tells nothing about where the
  answer is).

A sentence passes when its relevance reaches ``RELEVANCE_FLOOR``; when none does the answer is
"not found in these articles" rather than the least bad sentence. The floor was set so that the
questions whose answer is absent from their article (``tests/test_insight.py``) find nothing
while those answered find their sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from newsdesk.pipeline.stories.language import base_language, fold, lemma, stopwords

MEANING_WEIGHT = 0.6
RELEVANCE_FLOOR = 0.22
MEANING_ALONE = 0.35  # a sentence this close in meaning passes without sharing a word (another language)
MAX_ANSWER_SENTENCES = 3
MIN_STEM_CHARS = 5
NEAR_BEST = 0.85  # sentences after the best are shown only when their relevance is at least this share of it

_QUESTION_WORDS_TEXT = """
what who whom whose which when where why how much many did does do is are was were will would can could
quoi qui que quel quelle quels quelles quand où pourquoi comment combien
was wer wen wem wessen welche welcher welches wann wo warum wie wieviel
qué quién quiénes cuál cuáles cuándo dónde por cómo cuánto cuántos
o que quem qual quais quando onde porque como quanto quantos
"""
_QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Match:
    """A sentence (its index in the sentences given) and how relevant it is to the question."""

    index: int
    relevance: float


def answer_sentences(
    question: str,
    question_vector: NDArray[np.float32] | None,
    sentences: Sequence[str],
    vectors: NDArray[np.float32] | None,
    language: str | None = None,
) -> list[Match]:
    """The sentences that answer the question, best first (at most ``MAX_ANSWER_SENTENCES``); empty when none
    passes the relevance floor."""
    if not sentences:
        return []
    lang = base_language(language) if language else "en"
    asked = keywords(question, lang)
    sentence_words = [keywords(s, lang) for s in sentences]
    rarity = {w: math.log(1 + len(sentences) / (1 + sum(_shares(w, ws) for ws in sentence_words))) for w in asked}
    asked_weight = sum(rarity.values())
    if question_vector is not None and vectors is not None and len(vectors):
        meaning = np.clip(vectors @ question_vector, 0.0, 1.0)
    else:
        meaning = np.zeros(len(sentences))
    scored = []
    for i, words in enumerate(sentence_words):
        overlap = sum(rarity[w] for w in asked if _shares(w, words)) / asked_weight if asked_weight else 0.0
        relevance = MEANING_WEIGHT * float(meaning[i]) + (1 - MEANING_WEIGHT) * overlap
        if relevance >= RELEVANCE_FLOOR and (overlap > 0 or meaning[i] >= MEANING_ALONE):
            scored.append(Match(i, relevance))
    scored.sort(key=lambda m: (-m.relevance, m.index))
    if not scored:
        return []
    best = scored[0].relevance
    return [m for m in scored[:MAX_ANSWER_SENTENCES] if m.relevance >= NEAR_BEST * best]


def _shares(word: str, words: frozenset[str]) -> bool:
    """Whether the sentence has the word or one of its family: one a prefix of the other, the shorter of at least
    ``MIN_STEM_CHARS`` ("treated" → treat, "treatment": a lemma list does not join derivations)."""
    if word in words:
        return True
    if len(word) < MIN_STEM_CHARS:
        return False
    return any(len(w) >= MIN_STEM_CHARS and (w.startswith(word) or word.startswith(w)) for w in words)


def keywords(text: str, language: str) -> frozenset[str]:
    """The content words of a text: folded lemmas, stop words and question words out."""
    stops = stopwords(language)
    out = set()
    for word in _WORD.findall(text.casefold()):
        if word in _QUESTION_WORDS or len(word) < 2:
            continue
        folded = fold(lemma(word, language))
        if folded and folded not in stops and fold(word) not in stops:
            out.add(folded)
    return frozenset(out)
