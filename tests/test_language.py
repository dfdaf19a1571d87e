"""Lemmas and dictionary words of many languages, loaded once each however the languages alternate."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.stories import language
from newsdesk.pipeline.stories.language import known_word, lemma

# More languages than simplemma's default keeps (eight): with it, the first was loaded again by the last.
ALTERNATING = ("en", "fr", "it", "nl", "cs", "sv", "da", "ro", "sk")


@pytest.mark.parametrize(
    ("word", "lang", "expected"),
    [
        ("elections", "en", "election"),
        ("élections", "fr", "élection"),
        ("ministri", "it", "ministro"),
        ("kimchi", "xx", "kimchi"),  # a language simplemma lacks: the word is its own lemma
    ],
)
def test_lemma_is_simplemmas(word: str, lang: str, expected: str) -> None:
    assert lemma(word, lang) == expected


def test_known_words() -> None:
    assert known_word("government", "en")
    assert not known_word("zxqvbnm", "en")
    assert not known_word("government", "xx")


@pytest.mark.slow
def test_alternating_languages_load_each_dictionary_once() -> None:
    factory = language._simplemma().factory
    first = {lang: factory.get_dictionary(lang) for lang in ALTERNATING}
    for round_ in range(2):  # new words each round: lemma() keeps its own cache per word
        for lang in ALTERNATING:
            lemma(f"mots{round_}{lang}", lang)
            known_word(f"woord{round_}{lang}", lang)
    assert all(factory.get_dictionary(lang) is first[lang] for lang in ALTERNATING)
