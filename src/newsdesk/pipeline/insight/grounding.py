"""Is a sentence supported by its source? The grounding checker every generated sentence must pass.

A model's sentence is checked against the source sentences it cites (or a whole article): it is shown
only when the checker says the source supports it. The score is a logistic model over seven signals
a human checking a summary also looks at, all computed on folded, lemmatised content words (stop words
out, "two" and "2" the same number):

- ``coverage``: the share of the sentence's content words found anywhere in the source;
- ``window_coverage``: the same within the best two consecutive source sentences (a claim stitched
  from distant places is weaker than one a passage states);
- ``bigrams`` and ``trigrams``: the share of its word pairs and triples found in the source, which
  catches a relation turned around ("A beat B" from "B beat A") that single words miss;
- ``similarity``: the highest cosine between the sentence's embedding and a source sentence's
  (multilingual: a French sentence can be checked against English sources);
- ``novel_words`` (log 1 + count) and ``novel_numbers`` (count, capped at 2): content words and
  numbers the source never uses, where invented facts show first.

A sentence with a number the source does not contain is never supported, whatever its score: numbers
are the facts readers act on and the ones small models invent most.

The weights were fitted by logistic regression (balanced classes) on the dev split of FRANK's human
labels (``../shared/data/frank-factuality``; ``bench/grounding.py --fit`` refits them) and are checked
there by grouped cross-validation, articles held out. ``SUPPORT_THRESHOLD`` is the point that gives the
best balanced accuracy on its CNN/DM part, where summaries paraphrase closely, as ours must: on very
abstractive one-sentence summaries (its XSum part) the best point is far lower
(``ABSTRACTIVE_THRESHOLD``), and the command line takes ``--threshold`` for such data.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from newsdesk.pipeline.stories.language import base_language, lemma, stopwords

WEIGHTS = {
    "coverage": -0.898,
    "window_coverage": 1.497,
    "bigrams": 1.010,
    "trigrams": 1.885,
    "similarity": 2.618,
    "novel_words": -0.888,
    "novel_numbers": -0.351,
}
INTERCEPT = -3.528
SUPPORT_THRESHOLD = 0.75  # the logistic score; ≈ the CNN/DM dev optimum (decision value 1.1)
ABSTRACTIVE_THRESHOLD = 0.05  # ≈ the XSum dev optimum (decision value -3.0)

_WORD = re.compile(r"[^\W_]+(?:[.,]\d+)*")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "hundred": "100",
    "thousand": "1000", "first": "1st", "second": "2nd", "third": "3rd",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Source:
    """What a sentence is checked against, prepared once: its sentences' words, pairs, triples and vectors."""

    sentence_words: tuple[frozenset[str], ...]
    words: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    trigrams: frozenset[tuple[str, str, str]]
    vectors: NDArray[np.float32] | None  # unit-length, one per sentence
    language: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the source supports the sentence, the score behind it, and what the source lacks."""

    supported: bool
    score: float
    novel_numbers: tuple[str, ...]
    novel_words: tuple[str, ...]


def prepare(sentences: Sequence[str], vectors: NDArray[np.float32] | None, language: str | None = None) -> Source:
    """A source made of these sentences (the cited ones, or an article's) and their unit-length vectors."""
    lang = base_language(language)
    tokenized = [content_words(s, lang) for s in sentences]
    bigrams: set[tuple[str, str]] = set()
    trigrams: set[tuple[str, str, str]] = set()
    for words in tokenized:
        bigrams.update(itertools.pairwise(words))
        trigrams.update(zip(words, words[1:], words[2:], strict=False))
    sets = tuple(frozenset(words) for words in tokenized)
    return Source(sets, frozenset().union(*sets), frozenset(bigrams), frozenset(trigrams), vectors, lang)


def check(
    sentence: str, vector: NDArray[np.float32] | None, source: Source, threshold: float = SUPPORT_THRESHOLD
) -> Verdict:
    """The verdict on one sentence against a prepared source."""
    features, novel_words, novel_numbers = signals(sentence, vector, source)
    z = INTERCEPT + sum(WEIGHTS[name] * value for name, value in features.items())
    score = 1.0 / (1.0 + math.exp(-z))
    supported = score >= threshold and not novel_numbers
    return Verdict(supported, score, novel_numbers, novel_words)


def signals(
    sentence: str, vector: NDArray[np.float32] | None, source: Source
) -> tuple[dict[str, float], tuple[str, ...], tuple[str, ...]]:
    """The seven signals of the model, and the words and numbers of the sentence the source lacks."""
    words = content_words(sentence, source.language)
    similarity = 0.0
    if vector is not None and source.vectors is not None and len(source.vectors):
        similarity = float(np.max(source.vectors @ vector))
    if not words:
        features = dict.fromkeys(("coverage", "window_coverage", "bigrams", "trigrams"), 1.0)
        return features | {"similarity": similarity, "novel_words": 0.0, "novel_numbers": 0.0}, (), ()
    novel = [w for w in words if w not in source.words]
    novel_numbers = tuple(dict.fromkeys(w for w in novel if w[0].isdigit()))
    window = 0.0
    for i, here in enumerate(source.sentence_words):
        nearby = here | (source.sentence_words[i + 1] if i + 1 < len(source.sentence_words) else frozenset())
        window = max(window, sum(w in nearby for w in words) / len(words))
    pairs = list(itertools.pairwise(words))
    triples = list(zip(words, words[1:], words[2:], strict=False))
    bigrams = sum(p in source.bigrams for p in pairs) / len(pairs) if pairs else 1.0
    trigrams = sum(t in source.trigrams for t in triples) / len(triples) if triples else bigrams
    features = {
        "coverage": 1 - len(novel) / len(words),
        "window_coverage": window,
        "bigrams": bigrams,
        "trigrams": trigrams,
        "similarity": similarity,
        "novel_words": math.log1p(len(novel)),
        "novel_numbers": float(min(len(novel_numbers), 2)),
    }
    return features, tuple(dict.fromkeys(novel)), novel_numbers


def content_words(text: str, language: str = "en") -> list[str]:
    """A text's content words in order: lower case, lemmatised, stop words out, numbers written as digits
    (thousands separators dropped: 1,000 and 1000 are one number)."""
    stops = stopwords(language)
    out = []
    for raw in _WORD.findall(text.casefold().replace("\\'", "'")):
        word = _NUMBER_WORDS.get(raw, raw) if language == "en" else raw
        if word[0].isdigit():
            word = re.sub(r",(?=\d{3}\b)", "", word)
        elif word in stops:
            continue
        else:
            word = lemma(word, language)
            if word in stops:
                continue
        out.append(word)
    return out
