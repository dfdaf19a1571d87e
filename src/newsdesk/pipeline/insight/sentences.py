"""An article's sentences, each with its place in the text, split by the rules of its language.

Every AI feature quotes sentences and links each one to where it stands in its article, so a
splitter that cuts "Mr. Smith" in two or runs two sentences together shows the reader a wrong
quote. ``pysbd`` (rule-based, with abbreviation lists per language, no model) splits the
languages it knows; the others the embedder reads are mapped to the nearest rule set
(Portuguese to Spanish; Korean and Turkish end sentences as English does), and Thai, which marks
no sentence end at all, is split at the spaces that separate its phrases. A language nobody
detected gets English rules.

Offsets are character offsets into the text given, so a caller can point at the sentence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MAX_TEXT_CHARS = 60_000
"""Only the opening of a very long text is split: summaries and answers come from it, and the splitter's time
grows with the text."""

_PYSBD_CODES = "am ar bg da de el en es fa fr hi hy it ja kk mr my nl pl ru sk ur zh"
_PYSBD_LANGUAGES = frozenset(_PYSBD_CODES.split())
_NEAREST_RULES = {
    "pt": "es",
    "ca": "es",
    "gl": "es",
    "ko": "en",
    "tr": "en",
    "id": "en",
    "ms": "en",
    "vi": "en",
    "uk": "ru",
    "be": "ru",
    "sv": "da",
    "no": "da",
    "nb": "da",
    "cs": "sk",
    "ro": "it",
}
_THAI = re.compile(r"[\u0E00-\u0E7F]")
_THAI_BREAK = re.compile(r"(?<=[\u0E00-\u0E7F.!?)\"”])\s+(?=[\u0E00-\u0E7F\"“(])")
_TITLE_WORDS = (
    "Sr Sra Srta Sres Dr Dra Dres Prof Profa Mr Mrs Ms Mme Mlle Hr Fr Av Gen Lt Col Sgt Rev Ing Lic Pe Gov Sen Rep"
)
_TITLES = "|".join(_TITLE_WORDS.split())
_ABBREVIATION_END = re.compile(rf"\b(?:{_TITLES})\.\s*$")  # "O Sr.", "la Dra.": a title, not a full stop
_WORD = re.compile(r"\w+")
_HAN_KANA = re.compile(r"[\u3040-\u30FF\u3400-\u9FFF\uF900-\uFAFF]")
_THAI_CHARS_PER_WORD = 4.5  # Thai writes words without spaces; a word is four or five characters on average
_HAN_KANA_PER_WORD = 1.7  # a Chinese or Japanese word is one to two characters
_THAI_MIN_CHARS = 40  # Thai phrases shorter than this join the next: a space there is a pause, not a full stop


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence as written, and where: ``text[start:end]`` of the text it was split from."""

    index: int
    text: str
    start: int
    end: int


def split(text: str, language: str | None = None) -> list[Sentence]:
    """The sentences of ``text`` in order, with their offsets; blank lines and whitespace-only pieces left out.

    Paragraph breaks (newlines) always end a sentence: a heading or a caption on its own line is not
    the start of the next sentence.
    """
    text = text[:MAX_TEXT_CHARS]
    code = (language or "en").split("-")[0].lower()
    found: list[tuple[int, int]] = []
    for line_start, line in _lines(text):
        for start, end in _split_line(line, code):
            found.append((line_start + start, line_start + end))
    return [Sentence(i, text[s:e], s, e) for i, (s, e) in enumerate(found)]


def word_count(sentence: str) -> float:
    """Words in a sentence, with the characters of unspaced scripts (Chinese, Japanese, Thai) counted as the
    words they make on average, so that length limits mean the same in every language."""
    han_kana = len(_HAN_KANA.findall(sentence))
    thai = len(_THAI.findall(sentence))
    spaced = len(_WORD.findall(_THAI.sub(" ", _HAN_KANA.sub(" ", sentence))))
    return spaced + han_kana / _HAN_KANA_PER_WORD + thai / _THAI_CHARS_PER_WORD


def _lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of the text with their offsets."""
    out, offset = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            out.append((offset, line))
        offset += len(line)
    return out


def _split_line(line: str, code: str) -> list[tuple[int, int]]:
    """Sentence spans within one line, trimmed of surrounding whitespace."""
    if code == "th" or _THAI.search(line):  # Thai is split at its spaces whatever the language detected
        spans = _thai_spans(line)
    else:
        rules = code if code in _PYSBD_LANGUAGES else _NEAREST_RULES.get(code, "en")
        spans = _join_abbreviations(line, [(span.start, span.end) for span in _segmenter(rules).segment(line)])
    trimmed = []
    for start, end in spans:
        piece = line[start:end]
        lead = len(piece) - len(piece.lstrip())
        tail = len(piece.rstrip())
        if tail > lead and any(unicodedata.category(c)[0] in "LN" for c in piece):
            trimmed.append((start + lead, start + tail))
    return trimmed


def _join_abbreviations(line: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join a piece that ends in a title's abbreviation ("O Sr.", "la Dra.") to the sentence it opens: the
    rule sets do not know every language's titles, and no sentence is two words ending in one."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and _ABBREVIATION_END.search(line[joined[-1][0] : joined[-1][1]]):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _thai_spans(line: str) -> list[tuple[int, int]]:
    """Thai: phrases between spaces, short ones joined to the next."""
    spans, start = [], 0
    for gap in _THAI_BREAK.finditer(line):
        if gap.start() - start >= _THAI_MIN_CHARS:
            spans.append((start, gap.start()))
            start = gap.end()
    spans.append((start, len(line)))
    return spans


@functools.cache
def _segmenter(language: str) -> Any:
    """pysbd's segmenter for one rule set (built once: it compiles its rules)."""
    import pysbd

    return pysbd.Segmenter(language=language, clean=False, char_span=True)
