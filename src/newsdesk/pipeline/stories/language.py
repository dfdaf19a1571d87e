"""Language knowledge the story stages share: folding, lemmas, stop words, the data files they come from.

Everything here is cached per process: the tagger and the categorizer call these functions for
every word of every article. simplemma's dictionaries are loaded per language on first use, once:
simplemma's default keeps eight languages as Python dicts (≈120 MB and up to 6 s to load each), so a
batch alternating among more than eight languages loaded them again article after article (the 3,546
blurbs of the demo's 55-language file took over ten minutes). Its front-coded stream backend is read
in place (≈15 MB a language) and every language seen stays loaded.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources


def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated list, for word lists written as one string."""
    return frozenset(text.split())


# Languages whose words are not separated by spaces.
CJK = frozenset({"zh", "ja"})

# Korean particles and endings after a noun, longest first: stripped, and they close the phrase.
KOREAN_PARTICLES = tuple(
    sorted(
        word_set(
            "은 는 이 가 을 를 의 에 와 과 도 로 만 에서 에게 으로 까지 부터 처럼 보다 이라는 라는 이라고 라고 "
            "에서는 으로는 에게서 께서 한테 이다 였다 이었다 했다 하는 하고 에도 과의 와의 측은"
        ),
        key=len,
        reverse=True,
    )
)


def base_language(language: str | None) -> str:
    """``fr-CA`` → ``fr``; None → ``en`` (the most common language of untagged feeds)."""
    if not language:
        return "en"
    return language.replace("_", "-").split("-", 1)[0].lower() or "en"


@functools.lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower case with accents dropped from Latin letters only (Hangul, kana, Arabic stay intact)."""
    text = text.casefold()
    if text.isascii():
        return text
    out = []
    previous_latin = False
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if previous_latin:
                continue
        else:
            previous_latin = ch < "\u0250"
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@functools.lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """simplemma's lemma of a lower-case word, or the word itself for languages it lacks."""
    if language not in _simplemma_languages():
        return word
    try:
        return _simplemma().lemmatize(word, language).lower()
    except (ValueError, KeyError):  # simplemma refuses some tokens; the word is its own lemma then
        return word


@functools.lru_cache(maxsize=200_000)
def known_word(word: str, lang: str) -> bool:
    """Is ``word`` in simplemma's dictionary of ``lang``? (False for the languages it lacks.)"""
    if lang not in _simplemma_languages():
        return False
    try:
        return _simplemma().is_known(word, lang)
    except (ValueError, KeyError):  # see lemma()
        return False


@functools.cache
def _simplemma_languages() -> frozenset[str]:
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return frozenset(SUPPORTED_LANGUAGES)


class _Simplemma:
    """simplemma's lemmas and dictionary membership over one stream-backed dictionary per language, each
    loaded once (see the module's docstring); made on first use, so a process that tags nothing pays nothing."""

    def __init__(self) -> None:
        from simplemma import Lemmatizer
        from simplemma.strategies import DefaultStrategy, DictionaryLookupStrategy
        from simplemma.strategies.dictionaries import StreamDictionaryFactory
        from simplemma.utils import normalize_token

        self.factory = factory = StreamDictionaryFactory(cache_max_size=len(_simplemma_languages()))
        # no cache of its own: lemma() keeps one per (word, language)
        self._lemmatizer = Lemmatizer(
            cache_max_size=0, lemmatization_strategy=DefaultStrategy(dictionary_factory=factory)
        )
        self._lookup = DictionaryLookupStrategy(factory)
        self._normalize = normalize_token

    def lemmatize(self, word: str, language: str) -> str:
        return self._lemmatizer.lemmatize(word, language)

    def is_known(self, word: str, language: str) -> bool:
        return self._lookup.get_lemma(self._normalize(word), language) is not None


@functools.cache
def _simplemma() -> _Simplemma:
    return _Simplemma()


# English function words that stand in names and quotes of every language's news ("Human Rights Watch").
ENGLISH_IN_ANY = frozenset(
    ["the", "of", "and", "for", "to", "with", "from", "by", "at", "is", "are", "was", "were", "this", "that"]
)


@functools.cache
def stopwords(language: str) -> frozenset[str]:
    """The folded stop words of a language (``data/stopwords.txt``); English's for unknown languages."""
    table = _load_stopwords()
    return (table.get(language) or table["en"]) | ENGLISH_IN_ANY


@functools.cache
def _load_stopwords() -> dict[str, frozenset[str]]:
    words: dict[str, set[str]] = defaultdict(set)
    for lang, rest in data_lines("stopwords.txt"):
        for word in rest.split():
            words[lang].add(fold(word))
            if "'" in word:
                words[lang].add(fold(word.replace("'", "’")))
    return {lang: frozenset(ws) for lang, ws in words.items()}


def data_text(name: str) -> str:
    """A bundled data file of the story stages (``pipeline/stories/data``)."""
    return resources.files("newsdesk.pipeline.stories").joinpath("data", name).read_text(encoding="utf-8")


def data_lines(name: str) -> Iterable[tuple[str, str]]:
    """``language: rest`` lines of a data file, comments dropped."""
    text = data_text(name)
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if ":" in line:
            lang, rest = line.split(":", 1)
            yield lang.strip(), rest
