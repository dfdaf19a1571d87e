"""The offline AI features of an article: its extractive summary and key points, and answers to questions.

Everything shown is a sentence of the article, word for word, with its place in the text
(:class:`~newsdesk.model.Quote`), so the page can link each line to where it stands. An article is
split (``pipeline/insight/sentences.py``) and its sentences embedded once, then kept in memory
(``ANALYSES_KEPT`` articles, the most recently used) while its text is unchanged: a second question
about it costs one embedding, of the question. Without an embedder (the model failed to load), the
summary falls back on position alone and answers on shared words alone.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.ai.embedder import normalize_rows
from newsdesk.model import MAX_QUESTION_CHARS, Answer, Article, Quote, Summary
from newsdesk.pipeline.insight import answer as answering
from newsdesk.pipeline.insight import summary as summarizing
from newsdesk.pipeline.insight.sentences import Sentence, split, word_count

EXTRACTIVE = "extractive"
ANALYSES_KEPT = 256  # articles' sentences and vectors kept (about 80 KB each)


@dataclass(frozen=True, slots=True)
class Analysis:
    """An article's sentences and their unit-length embeddings (None without an embedder)."""

    article_id: str
    language: str | None
    sentences: tuple[Sentence, ...]
    vectors: NDArray[np.float32] | None


class Insight:
    """Summaries and answers over articles, with their analyses kept (thread-safe: pages call it from workers)."""

    def __init__(self, embedder: EmbedderSlot) -> None:
        self._embedder = embedder
        self._kept: OrderedDict[tuple[str, str], Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def analysis(self, article: Article) -> Analysis:
        """The article's sentences and vectors, computed once per version of its text."""
        text = article.text or ""
        key = (article.id, hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=12).hexdigest())
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found
        sentences = tuple(split(text, article.language))
        found = Analysis(article.id, article.language, sentences, self._embed([s.text for s in sentences]))
        with self._lock:
            self._kept[key] = found
            while len(self._kept) > ANALYSES_KEPT:
                self._kept.popitem(last=False)
        return found

    def summary(self, article: Article) -> Summary:
        """About three sentences that sum the article up, and three to five key points besides."""
        found = self.analysis(article)
        pool = summarizing.candidates([word_count(s.text) for s in found.sentences])
        if not pool:
            return Summary((), (), EXTRACTIVE, article.language)
        vectors = self._pool_vectors(found, [i for i, _ in pool])
        candidates = [c for _, c in pool]
        chosen = summarizing.summary_sentences(candidates, vectors)
        points = summarizing.key_point_sentences(candidates, vectors, exclude=chosen)
        quote = _quoter(article, found)
        return Summary(
            tuple(quote(pool[k][0]) for k in chosen),
            tuple(quote(pool[k][0]) for k in points),
            EXTRACTIVE,
            article.language,
        )

    def ask(self, question: str, articles: Sequence[Article]) -> Answer:
        """The sentences of these articles that answer the question, best first; none when nothing passes the
        relevance floor (``pipeline/insight/answer.py``)."""
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        if not question or not articles:
            return Answer(question, (), EXTRACTIVE)
        analyses = [self.analysis(a) for a in articles]
        places = [(a, found, s) for a, found in zip(articles, analyses, strict=True) for s in found.sentences]
        question_vector = self._embed([question])
        vectors = None
        if question_vector is not None and all(found.vectors is not None for found in analyses):
            vectors = np.vstack([found.vectors for found in analyses if found.vectors is not None])
        language = articles[0].language
        matches = answering.answer_sentences(
            question,
            question_vector[0] if question_vector is not None else None,
            [s.text for _, _, s in places],
            vectors,
            language,
        )
        quotes = []
        for match in matches:
            article, found, sentence = places[match.index]
            quotes.append(_quoter(article, found)(sentence.index))
        return Answer(question, tuple(quotes), EXTRACTIVE)

    def _embed(self, texts: list[str]) -> NDArray[np.float32] | None:
        embedder = self._embedder.get()
        if embedder is None or not texts:
            return None
        return normalize_rows(embedder.embed(texts))

    @staticmethod
    def _pool_vectors(found: Analysis, indices: list[int]) -> NDArray[np.float32]:
        """The chosen sentences' vectors; zeros (position alone decides) without an embedder."""
        if found.vectors is None:
            return np.zeros((len(indices), 1), dtype=np.float32)
        return found.vectors[indices]


def _quoter(article: Article, found: Analysis):  # type: ignore[no-untyped-def]
    """A function from a sentence's index in the article to its :class:`Quote`."""

    def quote(index: int) -> Quote:
        s = found.sentences[index]
        return Quote(article.id, s.index, s.text, s.start, s.end, article.source_title)

    return quote
