"""Stage 10: embed — what of an article is embedded, and the batched call to the configured model.

One definition of the embedded text (:func:`embedding_text`) serves live enrichment, the
``newsdesk cluster`` stream and the clustering benchmark, so the figures measured are the
figures of production. The model itself is an adapter (:class:`~newsdesk.ai.embedder.Embedder`)
passed in by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from newsdesk.ai.embedder import Embedder
from newsdesk.model import EnrichInput

TITLE_WORDS = 120
"""Words of article text embedded after the title (see :func:`embedding_text`)."""
MAX_EMBED_CHARS = 1000
"""Character cap for scripts written without spaces (Chinese, Japanese), where a "word" is a line."""


_SPACES = re.compile(r"\s+")


def embedding_text(title: str | None, text: str | None, *, max_words: int = TITLE_WORDS) -> str:
    """The text embedded for an article: its title, then the first ``max_words`` words of its text.

    Why not the whole article: news is written as an inverted pyramid, so the title and lede carry
    the who/what/where/when that tells one event from another, while later paragraphs (background,
    quotes, boilerplate) pull every story of a kind towards one topic vector. The input is also the
    same whether we have a feed's summary or the full extracted page, so an article's vector does not
    jump when its page is fetched. And the model's cost grows with input length: 120 words keeps the
    embedding step far above the 150 articles/s budget. Text is capped at :data:`MAX_EMBED_CHARS`
    characters too, for scripts without spaces between words.
    """
    title = _SPACES.sub(" ", title or "").strip()
    words = (text or "").split(None, max_words)[:max_words]
    body = " ".join(words)
    if title and body:
        sep = " " if title[-1] in ".!?…:;。！？" else ". "
        joined = title + sep + body
    else:
        joined = title or body
    return joined[:MAX_EMBED_CHARS]


def embed_batch(batch: Sequence[EnrichInput], embedder: Embedder | None) -> npt.NDArray[np.float32] | None:
    """The batch's vectors in one call, or None without a model (the later stages go on lexically).

    Run on its own it can overlap the other stages: the model releases the GIL while it runs.
    """
    if embedder is None:
        return None
    return embedder.embed([embedding_text(a.title, a.text) for a in batch])
