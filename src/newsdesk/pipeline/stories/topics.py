"""The topic of a hashtag: the one key function, used by the tagger, the topic lookup, the API and the pages.

A hashtag leads to a topic page. Its *label* is what a reader sees and copies (``#FrèresMusulmans``);
its *key* is what links (``freremusulman``). The key is a function of the label alone, so anything a
reader can type for a topic they saw — the label with or without ``#``, the phrase with spaces,
another case, accents or none — computes the key the tagger stored:

- the words are found at spaces, punctuation and case changes (``#USForcesKorea`` → US, Forces,
  Korea), an English possessive is dropped (``Macron's``);
- each word is case-folded, Latin accents are dropped (Hangul, kana, Arabic stay as written), and
  a final plural ``s`` or ``x`` is cut (``Frères Musulmans`` and ``frère musulman`` meet); then the
  words are joined: ``Lee Jae-myung``, ``LEE JAE MYUNG`` and ``#LeeJaeMyung`` are ``leejaemyung``;
- a country or its demonym has one topic in every language and script: ``#ÉtatsUnis``,
  ``#UnitedStates``, ``#Américains`` and ``#미국`` are all ``unitedstate`` (the gazetteer,
  ``data/places.tsv``). A label that reads as a country links there, whatever the article meant
  by it.

Keys are link targets, not words (``Paris`` → ``pari``). Inflections the plural cut does not
reach (``chevaux``/``cheval``) are folded by the tagger instead, which labels a phrase of
common words by its dictionary form (:func:`newsdesk.pipeline.stories.tags.extract_tags`).
"""

from __future__ import annotations

import functools
import re

from newsdesk.pipeline.stories.language import fold
from newsdesk.pipeline.stories.places import gazetteer

_POSSESSIVE = re.compile(r"['’][sS]\b|(?<=[sS])['’](?=\s|$)")
_NON_WORD = re.compile(r"[\W_]+")


def topic_key(text: str) -> str:
    """The key of the topic that ``text`` (a hashtag's label, a phrase, a key) names.

    ``topic_key("#FrèresMusulmans") == topic_key("frères musulmans") == "freremusulman"``;
    ``topic_key("#ÉtatsUnis") == topic_key("United States") == "unitedstate"``.
    """
    words = _words(text)
    country = _country_keys().get("".join(fold(w) for w in words))
    if country is not None:
        return country
    return "".join(_word_key(w) for w in words)


def _words(text: str) -> list[str]:
    """The words of a label or phrase: split at anything but letters and digits, and at case changes."""
    words: list[str] = []
    for piece in _NON_WORD.split(_POSSESSIVE.sub("", text)):
        if piece:
            words.extend(_camel_words(piece))
    return words


def _camel_words(piece: str) -> list[str]:
    """``USForcesKorea`` → ``US``, ``Forces``, ``Korea``; ``iPhone`` → ``i``, ``Phone``; ``이재명`` stays whole."""
    out: list[str] = []
    start = 0
    for i in range(1, len(piece)):
        ch, before = piece[i], piece[i - 1]
        if ch.isupper() and (
            before.islower() or before.isdigit() or (before.isupper() and i + 1 < len(piece) and piece[i + 1].islower())
        ):
            out.append(piece[start:i])
            start = i
    out.append(piece[start:])
    return out


@functools.lru_cache(maxsize=200_000)
def _word_key(word: str) -> str:
    """One word's part of a key: folded, and a final plural ``s``/``x`` cut from a word of letters."""
    low = fold(word)
    if len(low) > 3 and low[-1] in "sx" and low[-2] not in "su" and low.isalpha():
        low = low[:-1]
    return low


@functools.cache
def _country_keys() -> dict[str, str]:
    """Every name and demonym of a country, folded and run together → the key of its English name."""
    gaz = gazetteer()
    entries = [*gaz.names.values(), *gaz.cjk.values(), *gaz.demonym_forms.values()]
    keys: dict[str, str] = {}
    for entry in entries:
        if entry.kind in ("country", "demonym") and entry.country:
            english = "".join(_word_key(w) for w in _words(entry.country))
            keys.setdefault("".join(fold(w) for w in _words(entry.name)), english)
    return keys


def hashtag_label(phrase: str) -> str:
    """``U.S. Forces Korea`` → ``#USForcesKorea``; ``Lee Jae-myung`` → ``#LeeJaeMyung``; ``이재명`` → ``#이재명``.

    An English possessive is no part of a label (``Macron's`` → ``#Macron``), as it is no part of a key.
    """
    pieces = []
    for raw in re.split(r"[\s\-'’.&_/]+", _POSSESSIVE.sub("", phrase)):
        part = _NON_WORD.sub("", raw).replace("_", "")
        if not part:
            continue
        if part[0].isalpha() and part[0].islower():
            # title case, not upper: Georgian's letters have capitals (Mtavruli) only for all-caps titling
            part = part[0].title() + part[1:]
        pieces.append(part)
    return "#" + "".join(pieces)
