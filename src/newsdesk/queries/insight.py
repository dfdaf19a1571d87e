"""The offline AI features: an article's or a story's extractive summary and key points, answers to questions,
and a story's brief (what its sources agree on, what only some report, where they differ, its timeline).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.ai.embedder import normalize_rows
from newsdesk.model import (
    MAX_QUESTION_CHARS,
    Answer,
    Article,
    BriefLine,
    Discrepancy,
    Quote,
    StoryArticle,
    StoryBrief,
    StoryDetail,
    Summary,
)
from newsdesk.pipeline.insight import answer as answering
from newsdesk.pipeline.insight import brief as briefing
from newsdesk.pipeline.insight import grounding
from newsdesk.pipeline.insight import summary as summarizing
from newsdesk.pipeline.insight.sentences import Sentence, split, word_count

EXTRACTIVE = "extractive"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ANALYSES_KEPT = 256  # articles' sentences and vectors kept (about 80 KB each)
STORY_ARTICLES = 16  # a story's brief, summary and answers read at most this many of its articles
PER_PUBLISHER = 2  # and at most this many of one publisher's
LEAD_SENTENCES = 6  # a brief's facts are each article's first sentences: the facts a report leads with
BRIEF_SENTENCES = 40  # and agreement is looked for this far into each article


def story_sample(detail: StoryDetail, languages: Sequence[str] = ()) -> list[StoryArticle]:
    """The articles of a story the AI features read: no copies (a wire copy adds no fact), at most
    ``PER_PUBLISHER`` of each publisher and ``STORY_ARTICLES`` in all, those in the reader's languages first,
    then the newest; returned oldest first."""
    rank = {code: i for i, code in enumerate(languages)}
    originals = [a for a in detail.articles if a.copy_of is None]
    preferred = sorted(
        originals,
        key=lambda a: (rank.get((a.language or "").split("-")[0].lower(), len(rank)), -a.published_at.timestamp()),
    )
    per_source: dict[int, int] = {}
    kept = []
    for a in preferred:
        if per_source.get(a.source_id, 0) < PER_PUBLISHER:
            per_source[a.source_id] = per_source.get(a.source_id, 0) + 1
            kept.append(a)
        if len(kept) >= STORY_ARTICLES:
            break
    return sorted(kept, key=lambda a: a.published_at)


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

    def story_summary(self, articles: Sequence[Article], languages: Sequence[str] = ()) -> Summary:
        """A story's summary from several articles: each article's sentences weighed by their position in it
        and their centrality to the whole story, the same fact from two publishers shown once. Written from
        the articles in the reader's first language that has any (one fact in three languages is not three
        facts), else from all."""
        for code in languages:
            mine = [a for a in articles if (a.language or "").split("-")[0].lower() == code]
            if mine:
                articles = mine
                break
        analyses = [self.analysis(a) for a in articles]
        pool: list[tuple[int, int, summarizing.Candidate]] = []  # (article, sentence, candidate)
        for k, found in enumerate(analyses):
            for i, candidate in summarizing.candidates([word_count(s.text) for s in found.sentences]):
                pool.append((k, i, candidate))
        if not pool:
            return Summary((), (), EXTRACTIVE, articles[0].language if articles else None)
        vectors = np.vstack([self._pool_vectors(analyses[k], [i]) for k, i, _ in pool])
        candidates = [c for _, _, c in pool]
        chosen = summarizing.summary_sentences(candidates, vectors)
        points = summarizing.key_point_sentences(candidates, vectors, exclude=chosen)
        quotes = [_quoter(articles[k], analyses[k]) for k in range(len(articles))]

        def quote(n: int) -> Quote:
            k, i, _ = pool[n]
            return quotes[k](i)

        by_time = sorted(chosen, key=lambda n: (articles[pool[n][0]].published_at or _EPOCH, pool[n][1]))
        return Summary(tuple(quote(n) for n in by_time), tuple(quote(n) for n in points), EXTRACTIVE, None)

    def brief(self, story_id: str, articles: Sequence[Article], languages: Sequence[str] = ()) -> StoryBrief:
        """What the story's sources agree on, what only some report, where their numbers differ, its timeline;
        a fact reported in several languages is shown in the first of ``languages`` that reports it."""
        analyses = [self.analysis(a) for a in articles]
        leads: list[briefing.Lead] = []
        places: list[tuple[int, int]] = []
        for k, (article, found) in enumerate(zip(articles, analyses, strict=True)):
            for position, (i, _) in enumerate(summarizing.candidates([word_count(s.text) for s in found.sentences])):
                if position >= BRIEF_SENTENCES:
                    break
                code = (article.language or "en").split("-")[0].lower()
                leads.append(briefing.Lead(k, article.source_id, position, found.sentences[i].text, code))
                places.append((k, i))
        publishers = len({a.source_id for a in articles})
        read = tuple(sorted({(a.language or "").split("-")[0].lower() for a in articles} - {""}))
        if not leads or any(found.vectors is None for found in analyses):
            return StoryBrief(story_id, (), (), (), (), len(articles), publishers, EXTRACTIVE, read)
        vectors = np.vstack([self._pool_vectors(analyses[k], [i]) for k, i in places])
        language = articles[0].language or "en"
        made = briefing.brief(leads, vectors, language.split("-")[0], leading=LEAD_SENTENCES)
        quotes = [_quoter(articles[k], analyses[k]) for k in range(len(articles))]

        def quote(n: int) -> Quote:
            k, i = places[n]
            return quotes[k](i)

        rank = {code: r for r, code in enumerate(languages)}

        def shown_first(fact: briefing.Fact) -> tuple[int, ...]:
            return tuple(sorted(fact.leads, key=lambda n: rank.get(leads[n].language, len(rank))))

        return StoryBrief(
            story_id,
            tuple(BriefLine(tuple(quote(n) for n in shown_first(fact))) for fact in made.agreed),
            tuple(BriefLine(tuple(quote(n) for n in fact.leads)) for fact in made.partial),
            tuple(
                Discrepancy(d.word, quote(d.first), d.first_says, quote(d.second), d.second_says) for d in made.disputed
            ),
            tuple(quote(n) for n in made.timeline),
            len(articles),
            publishers,
            EXTRACTIVE,
            read,
        )

    def _embed(self, texts: list[str]) -> NDArray[np.float32] | None:
        return _embed(self._embedder, texts)

    @staticmethod
    def _pool_vectors(found: Analysis, indices: list[int]) -> NDArray[np.float32]:
        """The chosen sentences' vectors; zeros (position alone decides) without an embedder."""
        if found.vectors is None:
            return np.zeros((len(indices), 1), dtype=np.float32)
        return found.vectors[indices]


def _quoter(article: Article, found: Analysis) -> Callable[[int], Quote]:
    """A function from a sentence's index in the article to its :class:`Quote`."""

    def quote(index: int) -> Quote:
        s = found.sentences[index]
        return Quote(article.id, s.index, s.text, s.start, s.end, article.source_title, article.published_at)

    return quote


SOURCES_KEPT = 64  # prepared sources of the grounding checker: lines about one article come together


class Grounding:
    """The grounding checker over texts: sources prepared once (split, embedded) while lines cite them."""

    def __init__(self, embedder: EmbedderSlot) -> None:
        self._embedder = embedder
        self._sources: OrderedDict[tuple[str, str], grounding.Source] = OrderedDict()

    def check(
        self, source: str, sentence: str, language: str | None = None, threshold: float = grounding.SUPPORT_THRESHOLD
    ) -> grounding.Verdict:
        """Whether ``source`` (an article's text, or the sentences a model cited) supports ``sentence``."""
        prepared = self._prepared(source, language)
        vectors = _embed(self._embedder, [sentence])
        return grounding.check(sentence, vectors[0] if vectors is not None else None, prepared, threshold)

    def _prepared(self, source: str, language: str | None) -> grounding.Source:
        key = (hashlib.blake2b(source.encode("utf-8", "replace"), digest_size=12).hexdigest(), language or "")
        found = self._sources.get(key)
        if found is None:
            sentences = [s.text for s in split(source, language)]
            found = grounding.prepare(sentences, _embed(self._embedder, sentences), language)
            self._sources[key] = found
            while len(self._sources) > SOURCES_KEPT:
                self._sources.popitem(last=False)
        self._sources.move_to_end(key)
        return found


def _embed(slot: EmbedderSlot, texts: list[str]) -> NDArray[np.float32] | None:
    """Unit-length embeddings of the texts; None without an embedder (or without texts)."""
    embedder = slot.get()
    if embedder is None or not texts:
        return None
    return normalize_rows(embedder.embed(texts))
