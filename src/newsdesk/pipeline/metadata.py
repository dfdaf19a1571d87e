"""Stage: article metadata derived from text — language and reading time.

(Language detection to be implemented with py3langid.)
"""

from __future__ import annotations

WORDS_PER_MINUTE = 230  # adult silent reading of news prose


def reading_time_s(words: int) -> int:
    """Seconds an average reader needs for ``words`` words (0 for no text)."""
    if words <= 0:
        return 0
    return max(60, round(words * 60 / WORDS_PER_MINUTE))


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when there is too little text."""
    raise NotImplementedError
