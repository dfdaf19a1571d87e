"""A story's brief: what its sources agree on, what only some report, where their numbers differ, and how it
developed, every line made of the articles' own sentences.

The input is each article's sentences with their embeddings and publishers; the facts are the opening
ones (what a report leads with), and a publisher that states a fact further down still counts as
reporting it. Two sentences *report the same fact* when their embeddings are at least
``AGREE_SIMILARITY`` alike: on ECB+ (two articles of one event against two of different events of the
same kind) the best-matching lead sentences of one event's articles lie mostly at 0.6–0.9, those of
different events mostly below 0.63, so a fact counts as shared only above that band. Across languages the
same multilingual model puts one event's sentences lower (Wikipedia "In the news" blurbs of one event in
two languages: median 0.54, against 0.09 for two events), so sentences in different languages need only
``CROSS_LANGUAGE_AGREE``.

- **agreed**: a fact reported by two or more publishers (one sentence each: the best match that does not
  give another number for the same thing or swap a name), most publishers first, then earliest;
- **partial**: a leading sentence no other publisher matches anywhere in its article, the most central to
  the story first; the page names who reports it;
- **disputed**: two publishers' sentences about the same thing (``RELATED_SIMILARITY``) that give different
  numbers for the same word ("39 dead" and "36 dead", "aged 41" and "aged 42"). A number is tied to the
  content word after it, or before it when none follows, so a difference in unrelated numbers (a date
  and a toll) is not a dispute. Names too, where two sentences in one language are very alike
  (``NAME_SIMILARITY``) and differ by exactly one name each ("in Mogadishu, Somalia" and "in Mogadishu,
  Uganda"): one more name in a sentence is detail, one name swapped for another is a disagreement;
- **timeline**: each article's first sentence in publication order, less those that repeat an earlier one
  (and bring no number it did not give).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from newsdesk.pipeline.stories.language import fold, stopwords

AGREE_SIMILARITY = 0.66
CROSS_LANGUAGE_AGREE = 0.52
RELATED_SIMILARITY = 0.6
NAME_SIMILARITY = 0.75
REPEAT_SIMILARITY = 0.85  # a timeline line this close to an earlier one adds nothing
MAX_AGREED = 5
MAX_PARTIAL = 4
MAX_DISPUTED = 3
MAX_TIMELINE = 12
LEADING = 6  # a report's facts: its first sentences

_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[,.\u202f ]\d{3})+|\d+(?:[.,]\d+)?)(?![\w])")
_WORD = re.compile(r"[^\W\d_]+")
_NAME = re.compile(r"\b[A-ZÀ-Þ][a-zà-ÿ]{2,}(?:-[A-ZÀ-Þ][a-zà-ÿ]+)?\b")
_NAME_STOP_WORDS = """
the this that these those there their they then when where what which while after before during
monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december
"""
_NAME_STOPS = frozenset(_NAME_STOP_WORDS.split())
_GROUPED = re.compile(r"\d{1,3}(?:[,.\u202f ]\d{3})+")
_YEAR = re.compile(r"(1[89]|20)\d\d")


@dataclass(frozen=True, slots=True)
class Lead:
    """One of an article's opening sentences as the brief sees it."""

    article: int  # which article (its index in publication order)
    publisher: int  # which source
    position: int  # among the article's eligible sentences
    text: str
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Fact:
    """A line of the brief: the indices (into the leads given) of the sentences that report it, first the one shown."""

    leads: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Dispute:
    """Two sentences that give different numbers for the same thing, and those numbers (``word``: what they count)."""

    first: int
    second: int
    word: str
    first_says: str
    second_says: str


@dataclass(frozen=True, slots=True)
class Brief:
    agreed: tuple[Fact, ...]
    partial: tuple[Fact, ...]
    disputed: tuple[Dispute, ...]
    timeline: tuple[int, ...]


def brief(
    sentences: Sequence[Lead], vectors: NDArray[np.float32], language: str = "en", leading: int = LEADING
) -> Brief:
    """The brief of a story from its articles' sentences and their unit-length vectors. Facts are the articles'
    first ``leading`` sentences (what a report leads with); the later ones only count as agreement, so a lead
    another publisher states further down is not "only" theirs."""
    if not sentences:
        return Brief((), (), (), ())
    similarity = vectors @ vectors.T
    counts = [numbers_by_word(s.text, language) for s in sentences]
    names = [names_in(s.text) for s in sentences]
    anchors = [i for i, s in enumerate(sentences) if s.position < leading]
    agreed, taken = _agreed(sentences, anchors, similarity, counts, names)
    partial = _partial(sentences, anchors, vectors, similarity, taken)
    disputed = _disputed(sentences, anchors, similarity, counts, names)
    return Brief(agreed, partial, disputed, _timeline(sentences, similarity, counts))


def _conflict(i: int, j: int, counts: Sequence[dict[str, str]], names: Sequence[frozenset[str]]) -> bool:
    """Whether two sentences give different numbers for the same thing, or swap one name for another: they may
    be about the same fact, but they do not agree on it."""
    if any(counts[i][w] != counts[j][w] for w in counts[i].keys() & counts[j].keys()):
        return True
    only_i, only_j = names[i] - names[j], names[j] - names[i]
    return len(only_i) == 1 and len(only_j) == 1 and bool(names[i] & names[j])


def _agreed(
    sentences: Sequence[Lead],
    anchors: Sequence[int],
    similarity: NDArray[np.float32],
    counts: Sequence[dict[str, str]],
    names: Sequence[frozenset[str]],
) -> tuple[tuple[Fact, ...], set[int]]:
    """Facts two or more publishers report (a leading sentence and the best match of each other publisher that
    does not contradict it); and every sentence that belongs to one."""
    order = sorted(anchors, key=lambda i: (sentences[i].position, sentences[i].article))
    taken: set[int] = set()
    groups: list[list[int]] = []
    for i in order:
        if i in taken:
            continue
        best: dict[int, int] = {}  # publisher → its sentence most like i
        for j in range(len(sentences)):
            if j == i or j in taken or sentences[j].publisher == sentences[i].publisher:
                continue
            if similarity[i, j] >= _agree_floor(sentences[i], sentences[j]) and not _conflict(i, j, counts, names):
                current = best.get(sentences[j].publisher)
                if current is None or similarity[i, j] > similarity[i, current]:
                    best[sentences[j].publisher] = j
        if best:
            group = [i, *sorted(best.values(), key=lambda j: -similarity[i, j])]
            groups.append(group)
            taken.update(group)
    groups.sort(key=lambda g: (-len(g), sentences[g[0]].position, sentences[g[0]].article))
    return tuple(Fact(tuple(g)) for g in groups[:MAX_AGREED]), taken


def _agree_floor(a: Lead, b: Lead) -> float:
    return AGREE_SIMILARITY if a.language == b.language else CROSS_LANGUAGE_AGREE


def _partial(
    sentences: Sequence[Lead],
    anchors: Sequence[int],
    vectors: NDArray[np.float32],
    similarity: NDArray[np.float32],
    taken: set[int],
) -> tuple[Fact, ...]:
    """Leading sentences no other publisher states anywhere in its article, the most central to the story first,
    none repeating another."""
    if len({s.publisher for s in sentences}) < 2:
        return ()  # one publisher: nothing is "only some"
    centroid = vectors[list(anchors)].mean(axis=0)
    centrality = vectors @ centroid

    def stated_elsewhere(i: int) -> bool:
        return any(
            sentences[j].publisher != sentences[i].publisher
            and similarity[i, j] >= _agree_floor(sentences[i], sentences[j])
            for j in range(len(sentences))
        )

    alone = [i for i in anchors if i not in taken and sentences[i].position < 3 and not stated_elsewhere(i)]
    alone.sort(key=lambda i: -float(centrality[i]))
    chosen: list[int] = []
    for i in alone:
        if all(similarity[i, j] < REPEAT_SIMILARITY for j in chosen):
            chosen.append(i)
        if len(chosen) >= MAX_PARTIAL:
            break
    return tuple(Fact((i,)) for i in chosen)


def _disputed(
    sentences: Sequence[Lead],
    anchors: Sequence[int],
    similarity: NDArray[np.float32],
    counts: Sequence[dict[str, str]],
    names: Sequence[frozenset[str]],
) -> tuple[Dispute, ...]:
    """Pairs of publishers' sentences about the same thing (one of them leading) whose numbers for the same word
    differ, or where one name is swapped for another."""
    found: list[tuple[float, Dispute]] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    for i in anchors:
        for j in range(len(sentences)):
            if j == i or (j in anchors and j < i) or sentences[i].publisher == sentences[j].publisher:
                continue
            if similarity[i, j] < RELATED_SIMILARITY:
                continue
            for word in counts[i].keys() & counts[j].keys():
                a, b = counts[i][word], counts[j][word]
                if a != b and (word, frozenset((a, b))) not in seen:
                    seen.add((word, frozenset((a, b))))
                    found.append((float(similarity[i, j]), Dispute(i, j, word, a, b)))
            if sentences[i].language == sentences[j].language and similarity[i, j] >= NAME_SIMILARITY:
                only_i, only_j = names[i] - names[j], names[j] - names[i]
                if len(only_i) == 1 and len(only_j) == 1 and names[i] & names[j]:
                    a, b = next(iter(only_i)), next(iter(only_j))
                    if ("name", frozenset((a, b))) not in seen:
                        seen.add(("name", frozenset((a, b))))
                        found.append((float(similarity[i, j]), Dispute(i, j, "name", a, b)))
    found.sort(key=lambda x: -x[0])
    return tuple(d for _, d in found[:MAX_DISPUTED])


def names_in(text: str) -> frozenset[str]:
    """The capitalised words of a sentence that are names: not its first word, not a stop word, a weekday or
    a month, three letters or more ("Somalia", "Mogadishu"; not "The", not "May")."""
    found = set()
    for k, match in enumerate(_NAME.finditer(text)):
        if k == 0 and not text[: match.start()].strip(" \"'“‘(«"):
            continue  # the sentence's first word is capitalised whatever it is
        if fold(match.group()) not in _NAME_STOPS:
            found.add(match.group())
    return frozenset(found)


def numbers_by_word(text: str, language: str = "en") -> dict[str, str]:
    """The numbers of a sentence keyed by the content word they count: the next word, or the word before when
    no content word follows ("39 people" → people: 39; "aged 41." → aged: 41). Years are left out: a year
    dates a fact, it does not count anything."""
    stops = stopwords(language)
    out: dict[str, str] = {}
    for match in _NUMBER.finditer(text):
        raw = match.group(1)
        value = re.sub(r"[,.\u202f ]", "", raw) if _GROUPED.fullmatch(raw) else raw  # 1,000 and 1.000 are 1000
        if _YEAR.fullmatch(value):
            continue
        after = _content_words(text[match.end() : match.end() + 40], stops)
        before = _content_words(text[max(0, match.start() - 30) : match.start()], stops)
        word = after[0] if after else before[-1] if before else None
        if word and word not in out:
            out[word] = value
    return out


def _content_words(text: str, stops: frozenset[str]) -> list[str]:
    return [w for w in (fold(x) for x in _WORD.findall(text)) if w not in stops]


def _timeline(
    sentences: Sequence[Lead], similarity: NDArray[np.float32], counts: Sequence[dict[str, str]]
) -> tuple[int, ...]:
    """Each article's first sentence, in the articles' order, less those that repeat an earlier line (a line
    that says the same with a new number, a higher toll, is news)."""
    firsts: dict[int, int] = {}
    for i, lead in enumerate(sentences):
        if lead.article not in firsts or lead.position < sentences[firsts[lead.article]].position:
            firsts[lead.article] = i
    shown: list[int] = []
    for article in sorted(firsts):
        i = firsts[article]
        if all(similarity[i, j] < REPEAT_SIMILARITY or not counts[i].items() <= counts[j].items() for j in shown):
            shown.append(i)
    return tuple(shown[:MAX_TIMELINE])
