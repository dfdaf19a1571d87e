"""Stage: article metadata derived from text — language and reading time.

Language identification uses py3langid (a Naive Bayes model over byte n-grams, 97
languages, ~1 ms for a news article). Its probabilities are normalised so that a
confidence floor can reject guesses on text that is too short or too mixed to tell.
"""

from __future__ import annotations

import functools
from typing import Any

WORDS_PER_MINUTE = 230  # adult silent reading of news prose
# Fewer letters than this and byte n-gram statistics are noise (a headline fragment, a name).
MIN_LETTERS = 20
# A normalised probability under this is a shrug between languages: report none.
MIN_CONFIDENCE = 0.5
# Identification looks at the opening of long texts only: more adds cost, not accuracy.
SAMPLE_CHARS = 2000


def reading_time_s(words: int) -> int:
    """Seconds an average reader needs for ``words`` words (0 for no text)."""
    if words <= 0:
        return 0
    return max(60, round(words * 60 / WORDS_PER_MINUTE))


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when there is too little text."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(sample)
    if confidence < MIN_CONFIDENCE or not isinstance(language, str) or language == "und":
        return None
    return language


@functools.cache
def _identifier() -> Any:
    """The py3langid model with normalised probabilities, loaded once per process (~0.1 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def warm_up() -> None:
    """Load the language model now (e.g. in a worker's initializer) rather than on first use."""
    _identifier()
