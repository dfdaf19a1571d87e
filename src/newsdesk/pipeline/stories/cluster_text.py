"""Text features for story clustering: terms and entity-like tokens.

Pure and language-light on purpose: a regex tokenizer, a small stop-word list
(English, French, German, Spanish), plural folding, and character bigrams for
scripts written without spaces between words (Korean eojeol carry particles,
Chinese and Japanese have no spaces). What separates two events of the same
kind ("a 6.1 earthquake") is rarely the topic words but the names, places,
numbers and dates, so those are kept apart as *entity* features: capitalised
tokens that do not merely open a sentence, runs of them ("Tony Thompson"),
and numbers. Scripts without case (Korean) simply yield no entities; their
cross-lingual and paraphrase cases are left to the optional embeddings.

Weights are log term frequencies (1 + ln tf); inverse document frequencies
are applied later by the clusterer, which learns them online.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["STOP_WORDS", "DocFeatures", "doc_features", "tokens"]

# (what precedes a token, the token): letter/digit runs; decimal numbers stay whole ("6.1", "1,000").
_SCAN = re.compile(r"([\W_]*)((?:\d+[.,](?=\d))*[^\W_]+)")
_LETTERS = re.compile(r"[^\W\d_]+")
_SPACE_WORD = re.compile(r"\S+")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_BREAK = frozenset('\n.!?:;"“”«»()[]|')  # a token after one of these opens a sentence (or a quote, a line)
# Scripts written without spaces between words, or with particles glued to words.
_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_RUN_GLUE = frozenset({"", "-", "&", "'", "’"})  # what may stand between two words of a name

_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not now of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours yourself yourselves
said says say one two new like get got many much may might must us since still yet per via
mr mrs ms according told tell year years last first
au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur leurs lui ma
mais me meme même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te
tes toi ton tu un une vos votre vous été était être avait avoir est sont ont fait plus selon aussi comme
entre après avant sans sous chez dont lors cela ceci
der die das den dem des ein eine einer eines einem einen und oder aber ist sind war waren wird werden
hat haben im ins zu zum zur mit von vom für auf aus bei nach über unter auch nicht sich dass es sie er
el los las del lo por para con una unos unas y es son fue fueron como más pero sus al se su ha han
este esta estos estas
"""  # English (8 lines), French (4), German (2), Spanish (2)
STOP_WORDS = frozenset(_STOP_TEXT.split())


def _fold(word: str) -> str:
    """Fold common plural endings so "earthquakes" meets "earthquake" (en/fr/es/de alike)."""
    if len(word) > 4 and word[-1] == "s" and word[-2] not in "su" and not word[-2].isdigit():
        return word[:-1]
    return word


def _number(word: str) -> str:
    """One spelling per number: "1,000" → "1000" (thousands), "6,4" → "6.4" (a decimal comma)."""
    if "," not in word:
        return word
    if _THOUSANDS.fullmatch(word):
        return word.replace(",", "")
    return word.replace(",", ".")


def _bigrams(word: str) -> list[str]:
    if len(word) <= 2:
        return [word]
    return [word[i : i + 2] for i in range(len(word) - 1)]


def tokens(text: str) -> list[str]:
    """Lower-cased, stop-word-free, plural-folded terms of ``text``, in order."""
    out: list[str] = []
    _scan(text, set(), out, Counter())
    return out


@dataclass(frozen=True, slots=True)
class DocFeatures:
    """What the clusterer keeps of a document's text.

    ``terms`` and ``entities`` map a feature to its log term frequency (1 + ln tf); title terms
    are counted ``title_weight`` times. Entity keys are lower-cased names (``"klitschko"``),
    adjacent pairs of them (``"tony_thompson"``) and numbers (``"#6.1"``).
    """

    terms: dict[str, float]
    entities: dict[str, float]
    length: int  # number of terms in title and text


def _scan(text: str, lowered: set[str], terms: list[str], found: Counter[str], *, title: bool = False) -> None:
    """One pass over ``text``: its terms go to ``terms``, its entity-like tokens to ``found``.

    Entities are capitalised tokens that are not ordinary words, runs of them ("tony_thompson"),
    and numbers ("#6.1"). ``lowered`` holds the words the body writes in lower case: such a
    word capitalised at a sentence start ("Police said ...") is not a name, nor anywhere in a
    ``title`` (headlines are often in Title Case).
    """
    run: list[str] = []
    first = True
    for gap, w in _SCAN.findall(text):
        opens = first or any(c in _BREAK for c in gap)
        first = False
        if run and (opens or gap.strip() not in _RUN_GLUE):
            _flush(run, found)
            run = []
        lw = w.lower()
        if w[0].isdigit():
            lw = _number(lw)
        elif _CJK.search(lw):
            terms.extend(_bigrams(lw))
            continue
        stop = len(lw) < 2 or lw in STOP_WORDS
        folded = lw if stop else _fold(lw)
        if not stop:
            terms.append(folded)
        if w[0].isdigit():
            found["#" + lw] += 1
        elif w[0].isupper() and not stop and not ((opens or title) and lw in lowered):
            run.append(folded)
            continue
        if run:
            _flush(run, found)
            run = []
    if run:
        _flush(run, found)


def _flush(run: list[str], found: Counter[str]) -> None:
    for w in run:
        found[w] += 1
    for a, b in pairwise(run):  # "tony_thompson": a full name is stronger evidence than its parts
        found[f"{a}_{b}"] += 1


def _log_tf(counts: Mapping[str, float]) -> dict[str, float]:
    # interned: a window holds thousands of documents sharing the same few thousand terms
    return {sys.intern(t): 1.0 + math.log(c) for t, c in counts.items()}


def doc_features(title: str | None, text: str | None, *, title_weight: float = 2.0, max_words: int = 0) -> DocFeatures:
    """Features of one document; the title counts ``title_weight`` times (it names the event).

    ``max_words`` > 0 keeps only the body's beginning: news is written as an inverted pyramid
    (who, what, where and when come first), and the tail of a long article adds cost and
    background more than evidence.
    """
    title = title or ""
    text = text or ""
    if max_words > 0:
        cut = _nth_word_end(text, max_words)
        if cut is not None:
            text = text[:cut]
    lowered = {w for w in _LETTERS.findall(text) if w.islower()}
    ents: Counter[str] = Counter()
    title_terms: list[str] = []
    body_terms: list[str] = []
    _scan(title, lowered, title_terms, ents, title=True)
    _scan(text, lowered, body_terms, ents)
    counts: dict[str, float] = dict(Counter(body_terms))
    for t in title_terms:
        counts[t] = counts.get(t, 0.0) + title_weight
    return DocFeatures(
        terms=_log_tf(counts),
        entities=_log_tf(ents),
        length=len(title_terms) + len(body_terms),
    )


def _nth_word_end(text: str, n: int) -> int | None:
    """Offset just past the ``n``-th whitespace-separated word, or None when there are fewer."""
    for i, m in enumerate(_SPACE_WORD.finditer(text), 1):
        if i == n:
            return m.end()
    return None
