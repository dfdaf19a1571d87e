"""One feature written by the language model: screened sources in, grounded sentences out, kept and counted.

For a target (an article, or a story's sample of articles) and a feature, :meth:`ModelWriter.write`:

1. numbers the target's sentences (an article's first ``MAX_SOURCE_SENTENCES``; a story's articles'
   opening sentences in turn), leaving out those that address a model (``generation.quarantined``);
2. looks for the output under the hash of everything it depends on (the sources' text, the feature,
   the model, the language, the question, the prompt's version): a story that gains an article, an
   article whose text changes, or another model gets a new output;
3. checks the day's token budget, then calls the model (``ai/llm.py``) with the prompt of
   ``generation.prompt``;
4. keeps each sentence the model wrote only if it cites sources it was given and the grounding checker
   (``pipeline/insight/grounding.py``) finds those sources support it; translations are checked
   sentence by sentence against their source (meaning by the multilingual embedder, numbers kept);
5. stores the output and counts calls, tokens, kept, rejected and quarantined sentences per day.

A model failure, a spent budget or a timeout raises :class:`ModelUnavailable`; the facade then answers
with the extractive feature and the page says why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.ai.embedder import normalize_rows
from newsdesk.ai.llm import ChatModel, Message
from newsdesk.errors import EndpointError, NewsdeskError
from newsdesk.logs import event
from newsdesk.model import Article, GroundedSentence, ModelOutput, Quote
from newsdesk.pipeline.insight import generation, grounding
from newsdesk.pipeline.insight.sentences import split, word_count
from newsdesk.store import Storage

log = logging.getLogger(__name__)

PROMPT_VERSION = "1"  # part of every output's key: a changed prompt writes anew
MAX_SOURCE_SENTENCES = generation.MAX_SOURCE_SENTENCES
STORY_SENTENCES_PER_ARTICLE = 4
STORY_TRANSLATED_ARTICLES = 6  # a story's translation: six reports' headlines and leads fit one answer
TRANSLATION_FLOOR = 0.55  # a translation this close in meaning to its source sentence (multilingual embedder)
CHARS_PER_TOKEN = 4  # the budget's estimate of a prompt before the server counts it


class ModelUnavailable(NewsdeskError):
    """The model cannot write this now: ``kind`` is ``off``, ``spent`` or ``failed``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Source:
    """A numbered source sentence and where it comes from."""

    number: int
    quote: Quote


@dataclass(frozen=True, slots=True)
class Task:
    """One thing to write: its key (what it depends on), its sources and how to ask."""

    key: str
    target: str
    feature: str
    language: str
    sources: tuple[Source, ...]
    quarantined: int
    question: str | None = None


class ModelWriter:
    """Writes features with a chat model; thread-safe (jobs run it on worker threads)."""

    def __init__(
        self,
        model: ChatModel,
        storage: Storage,
        embedder: EmbedderSlot,
        *,
        daily_tokens: int,
        max_tokens: int,
        concurrency: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.model = model
        self.storage = storage
        self.embedder = embedder
        self.daily_tokens = daily_tokens
        self.max_tokens = max_tokens
        self.clock = clock
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    # -- what to write ----------------------------------------------------------------------------

    def task(
        self,
        target: str,
        feature: str,
        articles: Sequence[Article],
        language: str,
        question: str | None = None,
    ) -> Task:
        """The task for a feature over one article (its first sentences) or several (each one's opening)."""
        per_article = MAX_SOURCE_SENTENCES if len(articles) == 1 else STORY_SENTENCES_PER_ARTICLE
        if feature == "translation" and len(articles) > 1:  # a story's: each report's headline and lead
            per_article, articles = 1, articles[:STORY_TRANSLATED_ARTICLES]
        sources: list[Source] = []
        quarantined = 0
        for article in articles:
            taken = 0
            if feature == "translation" and article.title and not generation.quarantined(article.title):
                # the headline first (index -1: no sentence of the text), so the reader gets it in their language
                sources.append(
                    Source(len(sources) + 1, Quote(article.id, -1, article.title, 0, 0, article.source_title))
                )
            for sentence in split(article.text or "", article.language):
                if taken >= per_article or len(sources) >= MAX_SOURCE_SENTENCES:
                    break
                if word_count(sentence.text) < 4:
                    continue
                if generation.quarantined(sentence.text):
                    quarantined += 1
                    continue
                quote = Quote(
                    article.id,
                    sentence.index,
                    sentence.text,
                    sentence.start,
                    sentence.end,
                    article.source_title,
                    article.published_at,
                )
                sources.append(Source(len(sources) + 1, quote))
                taken += 1
        digest = hashlib.sha256()
        for part in (PROMPT_VERSION, target, feature, self.model.name, language, question or ""):
            digest.update(part.encode("utf-8", "replace") + b"\x00")
        for source in sources:
            digest.update(source.quote.text.encode("utf-8", "replace") + b"\x00")
        return Task(digest.hexdigest(), target, feature, language, tuple(sources), quarantined, question)

    def cached(self, task: Task) -> ModelOutput | None:
        """The output kept for this task, counted as a cache hit, or None."""
        payload = self.storage.ai_output(task.key)
        if payload is None:
            return None
        self._count(cache_hits=1)
        return output_from_json(payload)

    def budget_left(self) -> int:
        """Tokens left today under ``llm_daily_tokens``."""
        return max(0, self.daily_tokens - self.storage.ai_tokens_spent(self._day()))

    def fell_back(self, kind: str) -> None:
        """Count an answer given by the extractive features instead of the model."""
        self._count(fallbacks=1)
        log.info(event("ai.fallback", kind=kind, model=self.model.name))

    # -- writing ----------------------------------------------------------------------------------

    def write(self, task: Task) -> ModelOutput:
        """Ask the model, keep what the sources support, store it; :class:`ModelUnavailable` when it cannot."""
        found = self.storage.ai_output(task.key)
        if found is not None:  # another worker or process wrote it meanwhile
            return output_from_json(found)
        if not task.sources:
            output = ModelOutput(task.feature, self.model.name, task.language, (), 0, task.quarantined)
            self._keep(task, output)
            return output
        sources = [(s.number, generation.clean(s.quote.text)) for s in task.sources]
        messages = [
            Message(role, content)
            for role, content in generation.prompt(
                task.feature, sources, language=_language_name(task.language), question=task.question
            )
        ]
        estimate = sum(len(m.content) for m in messages) // CHARS_PER_TOKEN + self.max_tokens
        if self.daily_tokens == 0 or estimate > self.budget_left():
            raise ModelUnavailable("spent", "the day's token budget for the language model is spent")
        with self._slots:
            try:
                completion = self.model.complete(messages, max_tokens=self.max_tokens)
            except EndpointError as exc:
                self._count(calls=1, failures=1)
                log.warning(event("ai.model_failed", model=self.model.name, reason=exc.reason))
                raise ModelUnavailable("failed", exc.reason) from exc
        self._count(calls=1, prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens)
        if task.feature == "translation":
            output = self._translation(task, completion.text)
        else:
            output = self._grounded(task, completion.text)
        self._count(kept=len(output.sentences), rejected=output.rejected, quarantined=task.quarantined)
        self._keep(task, output)
        log.info(
            event(
                "ai.written",
                feature=task.feature,
                model=self.model.name,
                kept=len(output.sentences),
                rejected=output.rejected,
                tokens=completion.tokens,
            )
        )
        return output

    def _grounded(self, task: Task, text: str) -> ModelOutput:
        """The model's sentences that cite given sources which support them."""
        by_number = {s.number: s for s in task.sources}
        claims, uncited = generation.parse(text, list(by_number))
        not_found = task.feature == "answer" and not claims and generation.said_not_found(text)
        kept: list[GroundedSentence] = []
        rejected = uncited
        if claims:
            vectors = self._embed([c.text for c in claims])
            source_vectors = self._embed([s.quote.text for s in task.sources])
            row = {s.number: i for i, s in enumerate(task.sources)}
            for k, claim in enumerate(claims):
                cited = [by_number[n] for n in claim.citations]
                cited_vectors = (
                    source_vectors[[row[n] for n in claim.citations]] if source_vectors is not None else None
                )
                source = grounding.prepare([c.quote.text for c in cited], cited_vectors, task.language)
                verdict = grounding.check(claim.text, vectors[k] if vectors is not None else None, source)
                if verdict.supported:
                    kept.append(GroundedSentence(claim.text, tuple(c.quote for c in cited), round(verdict.score, 3)))
                else:
                    rejected += 1
        return ModelOutput(
            task.feature,
            self.model.name,
            task.language,
            tuple(kept),
            rejected,
            task.quarantined,
            not_found,
            task.question,
        )

    def _translation(self, task: Task, text: str) -> ModelOutput:
        """Each translated line kept when it means what its source sentence means and keeps its numbers."""
        translated = generation.parse_translation(text, [s.number for s in task.sources])
        kept: list[GroundedSentence] = []
        rejected = len(task.sources) - len(translated)
        numbers = sorted(translated)
        if numbers:
            by_number = {s.number: s for s in task.sources}
            vectors = self._embed([translated[n] for n in numbers])
            source_vectors = self._embed([by_number[n].quote.text for n in numbers])
            for k, n in enumerate(numbers):
                similarity = (
                    float(vectors[k] @ source_vectors[k]) if vectors is not None and source_vectors is not None else 0.0
                )
                same_numbers = _digits(translated[n]) == _digits(by_number[n].quote.text)
                if similarity >= TRANSLATION_FLOOR and same_numbers:
                    kept.append(GroundedSentence(translated[n], (by_number[n].quote,), round(similarity, 3)))
                else:
                    rejected += 1
        return ModelOutput(task.feature, self.model.name, task.language, tuple(kept), rejected, task.quarantined)

    def _keep(self, task: Task, output: ModelOutput) -> None:
        self.storage.put_ai_output(
            task.key,
            target=task.target,
            feature=task.feature,
            model=self.model.name,
            language=task.language,
            payload=output_to_json(output),
            now=self.clock(),
        )

    def _embed(self, texts: list[str]) -> NDArray[np.float32] | None:
        embedder = self.embedder.get()
        if embedder is None or not texts:
            return None
        return normalize_rows(embedder.embed(texts))

    def _count(self, **counts: int) -> None:
        self.storage.count_ai_usage(self._day(), counts)

    def _day(self) -> str:
        return self.clock().strftime("%Y-%m-%d")


def output_to_json(output: ModelOutput) -> str:
    return json.dumps(dataclasses.asdict(output), ensure_ascii=False, default=_json_default)


def output_from_json(payload: str) -> ModelOutput:
    data = json.loads(payload)
    sentences = tuple(
        GroundedSentence(
            s["text"],
            tuple(
                Quote(
                    q["article_id"],
                    q["index"],
                    q["text"],
                    q["start"],
                    q["end"],
                    q.get("source_title"),
                    datetime.fromisoformat(q["published_at"]) if q.get("published_at") else None,
                )
                for q in s["quotes"]
            ),
            s["score"],
        )
        for s in data["sentences"]
    )
    return ModelOutput(
        data["feature"],
        data["model"],
        data["language"],
        sentences,
        data["rejected"],
        data["quarantined"],
        data.get("not_found", False),
        data.get("question"),
    )


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def _digits(text: str) -> list[str]:
    """The numbers a sentence gives, as digits, in order of size (a translation must keep them all)."""
    import re

    return sorted(re.sub(r"[,.\u202f ](?=\d{3}\b)", "", n) for n in re.findall(r"\d[\d,.\u202f ]*\d|\d", text))


_LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "pl": "Polish", "ru": "Russian", "tr": "Turkish", "ar": "Arabic", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "th": "Thai", "id": "Indonesian", "uk": "Ukrainian", "sv": "Swedish",
}  # fmt: skip


def _language_name(code: str) -> str:
    """The language's English name for the prompt (small models follow "in French" better than "in fr")."""
    return _LANGUAGE_NAMES.get(code.split("-", maxsplit=1)[0].lower(), code)
