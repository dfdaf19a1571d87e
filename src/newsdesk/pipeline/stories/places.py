"""The gazetteer: which names locate a story (``data/places.tsv``), in every language and script.

Every country with its names in several languages and scripts, its demonyms, capitals, major
cities and subdivisions, and a few bodies that locate a story (Kremlin, Hamas, Wall Street).
The tagger uses it to tell places from other names and the categorizer to find a story's
regions; :func:`newsdesk.pipeline.stories.topics.topic_key` uses it so that a country has one
topic in every language (``#ÉtatsUnis``, ``#UnitedStates`` and ``#미국`` are one topic).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from newsdesk.pipeline.stories.language import data_text, fold


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer entry: what a name locates (``data/places.tsv``; regions are categorize's)."""

    name: str
    country: str
    region: str | None  # None for names that locate nothing ("Indian Ocean")
    kind: str  # country, city, org, demonym, region


_NAME_WORD = re.compile(r"(?:\b[A-Z]\.){2,}|[^\W_]+(?:['’\-][^\W_]+)*")
_CJK_NAME = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_HANGUL_NAME = re.compile(r"[\uac00-\ud7af]")


def _name_tokens(name: str) -> tuple[str, ...]:
    return tuple(fold(m.group()).replace(".", "") for m in _NAME_WORD.finditer(name))


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """``data/places.tsv`` loaded: names, demonyms and Chinese/Japanese names → :class:`Place`."""

    names: Mapping[tuple[str, ...], Place]  # folded token tuples (Latin, Cyrillic, Arabic, Hangul)
    demonyms: Mapping[str, Place]  # stemmed demonyms
    cjk: Mapping[str, Place]  # Chinese/Japanese names, matched as substrings
    cjk_pattern: re.Pattern[str] | None
    lengths: Mapping[str, tuple[int, ...]]  # first token → lengths of the names it starts, longest first
    demonym_forms: Mapping[str, Place]  # demonyms exactly as listed, folded


@functools.cache
def gazetteer() -> Gazetteer:
    names: dict[tuple[str, ...], Place] = {}
    demonyms: dict[str, Place] = {}
    cjk: dict[str, Place] = {}
    demonym_forms: dict[str, Place] = {}
    for raw in data_text("places.tsv").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        cols = (raw.split("\t") + [""] * 6)[:6]
        region = None if cols[0] == "-" else cols[0]
        country = cols[1] if cols[1] != "—" else (cols[0] if region else "")
        kinds = ("region" if cols[1] == "—" else "country", "demonym", "city", "org")
        for column, kind in zip(cols[2:], kinds, strict=True):
            for name in filter(None, (n.strip() for n in column.split("|"))):
                entry = Place(name=name, country=country, region=region, kind=kind)
                if _CJK_NAME.search(name) and not _HANGUL_NAME.search(name):
                    cjk.setdefault(name, entry)
                elif kind == "demonym":
                    demonyms.setdefault(demonym_stem(fold(name)), entry)
                    demonym_forms.setdefault(fold(name), entry)
                else:
                    names.setdefault(_name_tokens(name), entry)
    pattern = re.compile("|".join(sorted(map(re.escape, cjk), key=len, reverse=True))) if cjk else None
    lengths: dict[str, set[int]] = defaultdict(set)
    for key in names:
        if key:
            lengths[key[0]].add(len(key))
    return Gazetteer(
        names=names,
        demonyms=demonyms,
        cjk=cjk,
        cjk_pattern=pattern,
        lengths={k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
        demonym_forms=demonym_forms,
    )


def demonym_stem(word: str) -> str:
    """``françaises``, ``française``, ``français`` → ``francai``; ``italiennes`` → ``italien``."""
    if word.endswith("s"):
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if word.endswith("s") and len(word) > 4:
        word = word[:-1]
    if word.endswith("nn"):
        word = word[:-1]
    return word


@functools.lru_cache(maxsize=50_000)
def place(name: str) -> Place | None:
    """The gazetteer entry for a name as written (``"Séoul"``, ``"États-Unis"``, ``"서울"``), if any."""
    gaz = gazetteer()
    if name in gaz.cjk:
        return gaz.cjk[name]
    found = gaz.names.get(_name_tokens(name))
    if found is None:
        found = gaz.demonym_forms.get(fold(name).strip())
    if found is None and " " not in name.strip():
        found = gaz.demonyms.get(demonym_stem(fold(name)))
    return found
