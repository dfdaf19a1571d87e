"""Stage: article → hashtags (key phrases and named entities), and a story's hashtags from its articles'.

A hashtag leads to a topic page, so the same topic must get the same key in every article and
every spelling of it: ``Emmanuel Macron``, ``Macron's`` and ``MACRON`` are one topic,
``élections`` and ``Élection`` another. Each tag therefore has a *label* (what is shown: ``#`` and
the words of the phrase's most frequent spelling in CamelCase, acronyms and inner capitals kept:
``#LeeJaeMyung``, ``#USForcesKorea``, ``#SpaceX``) and a *key* (what links), computed from the
label alone by :func:`~newsdesk.pipeline.stories.topics.topic_key` — the same function the topic
lookup, the API and the pages use, so a label copied from a page finds its topic.

Inside one article, phrases are counted under a finer *merge key* (each common word lemmatised,
``forces`` → ``force``, ``chevaux`` → ``cheval``; names kept as written, since a lemmatiser turns
``Paris`` into ``pari``), so that inflected repeats of a phrase add up before it is ranked.

How phrases are found and ranked (no model, no part-of-speech tagger; about 1 ms of CPU for a
300-word article, and the text is read up to :data:`MAX_CHARS`):

1. tokens: one regular-expression scan gives words, numbers, acronyms (``U.S.``) and the
   punctuation that ends a phrase (an abbreviation's dot does not: ``M. Macron``); French
   elisions (``l'``, ``d'``) are split off, English possessives and Korean particles end the
   phrase; Chinese and Japanese runs are cut at function characters, kana and gazetteer names.
2. names: a capital counts as a name's unless the start of a sentence or a title-cased
   headline forced it — then only if the word is capitalised elsewhere, or starts a pair of
   capitalised words seen elsewhere, or is unknown to the dictionary and never written in lower
   case.
3. candidates: runs of words that are neither stop words (``data/stopwords.txt``) nor, in
   French and English, inflected verbs (told by the lemma: ``tués`` → ``tuer``; an infinitive
   has no plural), cut into n-grams of up to three tokens; a connector may join two names
   (``Bank of England``, ``Banque de France``); a title (``President``) is not part of a name.
   A first name or surname alone joins the full name of the same article (``Macron`` →
   ``Emmanuel Macron``), and a part that never occurs outside a longer phrase is dropped
   (``Rights Watch`` inside ``Human Rights Watch``).
4. scores: how often the phrase and its words occur, divided by the log of its first position
   (news states its subject first), doubled when the headline has it, with a bonus for names
   and a penalty for a phrase of common words seen once. The parameters are module constants;
   the benchmark's F1@10 moves by less than 0.01 when any of them is halved or doubled, but for
   the name bonus (doubled: −0.03), and is the same on either half of the articles (0.420 / 0.425).
5. stop topics (``news``, ``update``, ``year``, days, months, numbers, titles, wire agencies,
   see ``data/stoptopics.txt``) never become a tag on their own; they may sit inside a phrase.
6. kinds: ``place`` (gazetteer), ``org`` (gazetteer bodies, words like Bank/Party/Ministère,
   acronyms), ``person`` (after a title, or a name whose surname stood alone), ``entity`` (a name
   of unknown kind), ``phrase`` (common words).

Measured on the 100 French Wikinews articles of ``../shared/data/wikinews-fr-keyphrases``
(``python bench/keyphrases.py``; Snowball-stemmed exact match): F1@5 0.366 and F1@10 0.423,
where plain YAKE on the same input gets 0.190 and 0.237.

:func:`extract_tags` and :func:`story_tags` are pure: text in, :class:`~newsdesk.model.Tag`
values out. They never raise on any text in any script.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from newsdesk.model import Tag
from newsdesk.pipeline.stories.language import (
    CJK,
    KOREAN_PARTICLES,
    base_language,
    data_lines,
    fold,
    known_word,
    lemma,
    stopwords,
    word_set,
)
from newsdesk.pipeline.stories.places import demonym_stem, gazetteer, place
from newsdesk.pipeline.stories.segment import LANGUAGES as SEGMENTED
from newsdesk.pipeline.stories.segment import Segment, fixed_form, segment_word
from newsdesk.pipeline.stories.segment import word_key as segment_key
from newsdesk.pipeline.stories.topics import hashtag_label, topic_key

__all__ = ["Keyphrase", "extract_keyphrases", "extract_tags", "story_tags"]

# Only the opening of a long text is read (about 400 words): the topic of a news article is stated
# early, and the tagger must stay within its time budget (2 ms an article) on long pages.
MAX_CHARS = 2_500
MAX_PHRASE_WORDS = 3
# Scoring (see _score); set on the French Wikinews benchmark, see bench/keyphrases.py.
SUPPORT_WEIGHT = 1.0  # how much the phrase's words' frequency adds to its own
POSITION_SCALE = 10.0  # tokens: a phrase first seen at token 10 weighs 1/log2(3) of one in the lead
TITLE_BONUS = 2.0
NAME_BONUS = 1.5
RARE_PHRASE_FACTOR = 0.5  # a phrase of common words seen once is a phrase, not a topic
DEMONYM_FACTOR = 0.5  # "française" alone: the country's name usually carries the topic
# What makes a hashtag (extract_tags), on top of the ranking. Word frequencies are Zipf values of
# the ``wordfreq`` lists (log10 of uses per billion words: "the" 7.7, "election" 5.1, "measles"
# 3.3). Read off the hand-checked tags of tests/data/tag-precision.jsonl (bench/tag_precision.py):
# of the tags made of one common word, those seen once were all bad, and of the rest nearly every
# one at or above 3.8 was a generic word (outbreak, funeral, study, election: no topic a reader
# follows) while the good ones were rarer (measles 3.3, stampede 3.1, anti-Brexit 3.8, French
# semi-conducteurs 3.8). A small sample: the cut is rounded, not fitted.
TAG_MIN_COUNT = 2  # a phrase of common words must recur to be the article's topic ("Calculations")
GENERIC_ZIPF = 3.8  # one common word at least this frequent is too generic for a tag ("state", "meet")
STOP_ZIPF = 6.0  # in a language without a stop list, a word this frequent is a function word ("och", "dan")
COMMON_NAME_ZIPF = 4.0  # a name made only of words this common is no sure person ("White Noise")
RARE_FIRST_ZIPF = 3.5  # a capital forced by position, before a name, on a word this rare: a first name
MIN_TAGS = 1  # an article with ranked phrases keeps at least its best one, whatever the filter says
SAME_LANGUAGE = 9  # langcodes distance up to which a frequency list is the language's own (see frequency_language)


# Connectors allowed *inside* a name made of capitalised words.
# ("and" is no connector: "France and Germany" is two names far more often than "Procter and Gamble".)
CONNECTORS: dict[str, frozenset[str]] = {
    "en": frozenset({"of", "the", "for", "de", "du", "la", "von", "van", "der", "al", "bin", "da", "dos"}),
    "fr": frozenset({"de", "du", "des", "la", "le", "les", "d", "l"}),
    "de": frozenset({"von", "der", "des", "für", "am", "zu"}),
    "es": frozenset({"de", "del", "la", "las", "los"}),
    "it": frozenset({"di", "del", "della", "dei", "degli"}),
    "pt": frozenset({"de", "do", "da", "dos", "das"}),
    "nl": frozenset({"van", "de", "der", "den", "het", "voor"}),
}
ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"})
# Titles before a name: they tell that the name is a person's.
HONORIFICS = word_set(
    "mr mrs ms dr sir lady lord president minister senator governor mayor judge pope king queen prince "
    "princess m mme mlle presidente ministre senateur senatrice maire juge roi reine chancelier "
    "chanceliere herr frau prasident kanzler kanzlerin senor senora ministro sr sra"
)
# Plurals without an s: the English verb test (lemma differs, no plural s) must not take them for verbs.
IRREGULAR_PLURALS = word_set("children men women people feet teeth mice geese data media criteria phenomena")
# Abbreviations whose dot ends no sentence (``M. Macron``, ``Dr. Gupta``, ``George W. Bush``).
ABBREVIATIONS = word_set("m mr mrs ms dr st mme mlle jr sr gen col lt sgt gov sen rep prof no vs inc co corp ltd")
ORG_WORDS = word_set(
    "inc corp corporation co ltd llc plc group company bank party ministry department university college "
    "institute agency council union association federation committee commission court army navy police "
    "forces force club fc foundation organization organisation network air airlines airways news times "
    "post banque parti ministère université institut agence conseil syndicat fédération comité armée "
    "société groupe compagnie tribunal cour assemblée fondation"
)
_SCAN = re.compile(
    r"(?P<acr>\b(?:[A-Z]\.){2,})"  # U.S. U.K. (dots dropped later)
    r"|(?P<num>\d+(?:[.,]\d+)*[^\W\d_]*)"  # 2012  3.5  42e  10,000
    r"|(?P<word>[^\W\d_][^\W_]*(?:['’\-][^\W_]+)*)"  # words, with inner hyphens and apostrophes
    r"|(?P<stop>[.!?…;:]+|\n)"  # ends a sentence: the next capital is forced
    r"|(?P<brk>[,()\[\]{}\"«»“”„‹›/|•·–—]+|\s-\s|['’](?=\s))"  # ends a phrase
)
# The same, without groups, for findall (the groups are read once per distinct string, see _pieces).
_SCAN_ALL = re.compile(re.sub(r"\(\?P<\w+>", "(?:", _SCAN.pattern))
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f]")
_HIRAGANA = re.compile(r"[\u3040-\u309f]+")
_NON_TAG = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class Keyphrase:
    """A ranked phrase of one text: ``text`` as written (its most frequent spelling), ``key`` as linked."""

    text: str
    key: str
    kind: str  # person, place, org, entity (a name of unknown kind) or phrase
    score: float
    count: int


# --- merge keys ---------------------------------------------------------------------------------


def _word_key(word: str, language: str, *, name: bool) -> str:
    """One word's part of a key: possessive dropped, common words lemmatised, then a plural ``s`` cut.

    The last cut is what makes a name and its lower-case spelling meet (``Frères Musulmans`` and
    ``frères musulmans``: a lemmatiser must not touch names, it turns ``Paris`` into ``pari``): it
    is applied to every word alike, so a key is the same in every article, even where it is not a
    real word (``paris`` → ``pari``). Arabic, Chinese and Japanese words have their own (segment.py).
    """
    if language in SEGMENTED and (own := segment_key(word, language, name=name)) is not None:
        return _NON_TAG.sub("", own).replace("_", "")
    low = word.casefold()
    if low.endswith(("'s", "’s")):
        low = low[:-2]
    elif low.endswith(("s'", "s’")):
        low = low[:-1]
    if not name and "-" not in low:
        low = lemma(low, language)
    low = _NON_TAG.sub("", fold(low)).replace("_", "")
    if len(low) > 3 and low[-1] in "sx" and low[-2] not in "su" and low.isalpha():
        low = low[:-1]
    return low


def _phrase_key(phrase: str, language: str | None = None, *, name: bool | None = None) -> str:
    """The merge key of a phrase: lemmas of common words, names as written, then folded and squeezed.

    ``name`` None decides per word: a capitalised word is a name's. ``_phrase_key("Forces
    américaines", "fr")`` is ``forceamericain``; ``_phrase_key("Lee Jae-myung")`` is ``leejaemyung``.
    """
    lang = base_language(language)
    parts = []
    for match in _SCAN.finditer(phrase):
        token = match.group()
        if match.lastgroup in ("stop", "brk"):
            continue
        is_name = token[:1].isupper() if name is None else name
        parts.append(_word_key(token, lang, name=is_name))
    return _NON_TAG.sub("", "".join(parts)).replace("_", "")


@functools.cache
def stop_topics(language: str) -> frozenset[str]:
    """Keys that are never a tag on their own (``data/stoptopics.txt``), for one language plus ``*``.

    Built per language on first use, with that language's lemmatiser only: loading every
    language's dictionary would cost seconds and hundreds of megabytes.
    """
    topics: set[str] = set()
    for lang, rest in data_lines("stoptopics.txt"):
        if lang not in (language, "*"):
            continue
        for item in rest.split(","):
            phrase = item.strip()
            if phrase:
                topics.add(_phrase_key(phrase, language, name=False))
                topics.add(_word_key(phrase, language, name=True))
                topics.add(_NON_TAG.sub("", fold(phrase)))
    return frozenset(topics)


# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    """What a written word is, whatever its position: cached per (word, language)."""

    text: str
    low: str  # folded
    common_key: str  # key when the word is a common word (lemmatised)
    name_key: str  # key when it is part of a name (as written)
    cap: bool  # written with a capital (or a word of a script without case)
    stop: bool
    num: bool
    frequent: bool  # as frequent as a function word, in a language without a stop list (see _judge_capitals)
    verb: bool  # an inflected verb form (French, English): it ends a noun phrase
    known: bool  # in simplemma's dictionary: a capital at a sentence start is then no name's
    abbreviation: bool  # a dot after it ends no sentence


class _Token:
    """A word at a position of the text."""

    __slots__ = ("forced", "key", "name", "pos", "title", "word")

    def __init__(self, word: _Word, pos: int, *, forced: bool, title: bool) -> None:
        self.word = word
        self.pos = pos
        self.forced = forced  # its capital is forced by position (sentence start, title case)
        self.title = title
        self.name = False  # decided by _judge_capitals
        self.key = word.common_key


def _tokenize(text: str, lang: str, *, title: bool, title_case: bool) -> list[_Token | None]:
    """Tokens of a text, with None where a phrase must end (punctuation)."""
    out: list[_Token | None] = []
    append = out.append
    sentence_start = True
    pos = 0
    last: _Word | None = None
    for raw in _SCAN_ALL.findall(text):
        pieces = _pieces(raw, lang)
        if pieces is _SENTENCE_END:
            if last is not None and raw == "." and (last.abbreviation or (len(last.text) == 1 and last.text.isupper())):
                continue  # an abbreviation's dot or an initial's
            append(None)
            last = None
            sentence_start = True
            continue
        for word in pieces:
            if word is None:
                append(None)
                last = None
                continue
            append(_Token(word, pos, forced=word.cap and (sentence_start or title_case) and not word.num, title=title))
            last = word
            pos += 1
            sentence_start = False
    return out


_SENTENCE_END: tuple[_Word | None, ...] = (None,)
_PHRASE_END: tuple[_Word | None, ...] = (None,)


@functools.lru_cache(maxsize=200_000)
def _pieces(raw: str, lang: str) -> tuple[_Word | None, ...]:
    """A scanned string as words (elisions split off, particles stripped, CJK runs cut); None ends a phrase."""
    match = _SCAN.fullmatch(raw)
    kind = match.lastgroup if match else "brk"
    if kind == "stop":
        return _SENTENCE_END
    if kind == "brk":
        return _PHRASE_END
    if kind in ("word", "num") and lang in SEGMENTED:
        # Korean, Japanese, Chinese, Arabic: the language's tokenizer (see segment.py), loaded on first use.
        # A Chinese or Japanese clause that starts with a digit (7日投開票の東京都知事選挙で) is scanned as a number.
        segments = segment_word(raw, lang)
        if segments is not None:
            return tuple(None if s is None else _segment(s, lang) for s in segments)
    if kind == "word":
        pieces: Sequence[str | None] = _split_word(raw, lang)
    elif kind == "acr":
        pieces = (raw.replace(".", ""),)
    else:
        pieces = (raw,)
    return tuple(None if p is None else _word(p, lang, kind == "num") for p in pieces)


def _segment(piece: Segment, lang: str) -> _Word:
    """A tokenizer's piece as a word: a proper noun is a name's word, as a capital is, even of one character."""
    word = _word(piece.text, lang, False)
    if piece.proper and not word.cap:
        return replace(word, cap=True, stop=word.low in stopwords(lang))
    return word


@functools.lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    """How common a word is in a language: its Zipf frequency in ``wordfreq``'s lists (0.0 when unknown).

    ``wordfreq`` ships its lists in its wheel; a language's list is read on first use (about 0.1 s).
    Chinese, Japanese and Korean are left out: their lists need a tokenizer of their own. So is every
    language :func:`frequency_language` finds no list for: 0.0 then means "not known", not "rare".
    """
    code = frequency_language(lang)
    if not word or code is None:
        return 0.0
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, code))


@functools.cache
def frequency_language(lang: str) -> str | None:
    """The code of ``wordfreq``'s list for the language itself (``no`` → ``nb``), None when it has none.

    ``wordfreq`` alone would answer for any language with the nearest list it has, however far
    (Georgian with English's, Sorani Kurdish with Arabic's, Belarusian with Russian's), and warn on
    stderr each time: such numbers say nothing about the language's words. A list is taken only at a
    ``langcodes`` distance under 10, which its scale calls the same language (``no``/``nb`` 1,
    ``sr``/``sh`` 5, ``hr``/``sh`` 9; ``be``/``ru`` 24, ``ka``/``en`` 44).
    """
    if lang in CJK or lang == "ko":
        return None
    try:
        import langcodes
        from wordfreq import available_languages

        best, distance = langcodes.closest_match(lang, list(available_languages()), max_distance=SAME_LANGUAGE)
    except (ImportError, ValueError):  # no wordfreq, or no valid language code ("zh-classical")
        return None
    return None if best == "und" or distance > SAME_LANGUAGE else str(best)


@functools.cache
def _has_stop_list(lang: str) -> bool:
    """Whether ``data/stopwords.txt`` has the language's own list (others fall back on English's)."""
    return lang == "en" or stopwords(lang) != stopwords("en")


@functools.lru_cache(maxsize=200_000)
def _word(text: str, lang: str, num: bool) -> _Word:
    low = fold(text)
    cap = text[:1].isupper()  # scripts without case (Hangul, Chinese, Arabic) write no names apart
    acronym = len(text) >= 2 and text.isupper()  # "US", "IT", "WHO": names, not the pronouns
    stop = (low in stopwords(lang) and not acronym) or (len(low) == 1 and not num and not (cap and text.isupper()))
    lower = text.lower()
    frequent = not stop and not num and not acronym and not _has_stop_list(lang) and zipf(lower, lang) >= STOP_ZIPF
    # "och", "dan": no list names them, their frequency does. Written with a capital, the word may be
    # a name as frequent ("Norge", "України", "Suomen"): _judge_capitals tells by the capital's place.
    stop = stop or (frequent and not cap)
    lem = lemma(lower, lang)
    verb = False
    if not num and not stop and lem != lower and lower not in (lem + "s", lem + "x"):
        if lang == "fr":
            verb = lem.endswith(("er", "ir", "re", "oir"))
        elif lang == "en":
            # Inflected forms that are no plural: "killed", "running", "left" (irregular plurals listed).
            verb = not lower.endswith("s") and lower not in IRREGULAR_PLURALS
    elif lang == "fr" and not num and not stop and lem == lower and lower.endswith(("er", "ir", "re", "oir")):
        # An infinitive has no plural: "supprimers" is no word, "dossiers" is.
        verb = known_word(lower, lang) and lemma(lower + "s", lang) != lower
    return _Word(
        text=text,
        low=low,
        common_key=low if num else _word_key(text, lang, name=False),
        name_key=low if num else _word_key(text, lang, name=True),
        cap=cap,
        stop=stop,
        num=num,
        frequent=frequent,
        verb=verb,
        known=known_word(lower, lang),
        abbreviation=low in ABBREVIATIONS,
    )


def _split_word(word: str, lang: str) -> Sequence[str | None]:
    """A scanned word as tokens: French elisions split off, Korean particles stripped, CJK runs cut.

    An English possessive ends the phrase: ``Macron's government`` is ``Macron`` and ``government``.
    """
    if len(word) > 3 and word[-2] in "'’" and word[-1] in "sS":
        return (word[:-2], None)
    if lang in ("fr", "it") and ("'" in word or "’" in word):
        head, _, tail = word.replace("’", "'").partition("'")
        if fold(head) in ELISIONS and tail:
            return [head, *_split_word(tail, lang)]
    if lang == "ko" and len(word) > 2:
        for particle in KOREAN_PARTICLES:
            if word.endswith(particle) and len(word) - len(particle) >= 2:
                return (word[: -len(particle)], None)  # a particle closes the noun phrase
    if lang in CJK and len(word) > 1 and _CJK_RUN.match(word):
        return _split_cjk(word, lang)
    return (word,)


def _split_cjk(run: str, lang: str) -> list[str | None]:
    """Chinese/Japanese run → pieces between function characters (and kana in Japanese).

    Place names of the gazetteer are cut out as words of their own (``习近平访问法国`` →
    ``习近平访问``, ``法国``); pieces are capped at eight characters.
    """
    stops = stopwords(lang)
    text = _HIRAGANA.sub(" ", run) if lang == "ja" else run
    pattern = gazetteer().cjk_pattern
    if pattern is not None:
        text = pattern.sub(lambda m: f" {m.group()} ", text)
    pieces: list[str | None] = []
    for chunk in text.split():
        current = ""
        for ch in chunk:
            if ch in stops:
                if current:
                    pieces.append(current)
                current = ""
                pieces.append(None)
            else:
                current += ch
        if current:
            pieces.append(current)
        pieces.append(None)
    return [None if p is None or p[0].isdigit() else p[:8] for p in pieces]


def _is_title_case(title: str) -> bool:
    """Headlines in English style capitalise most words; their capitals then tell nothing."""
    words = re.findall(r"[^\W\d_]{4,}", title)
    return len(words) >= 2 and sum(w[0].isupper() for w in words) / len(words) > 0.6


def _judge_capitals(tokens: Sequence[_Token | None], lang: str = "") -> None:
    """Decide which capitalised tokens are written as names, and set every token's key.

    A capital forced by position is a name's when the word is capitalised elsewhere, or starts a
    pair of capitalised words seen elsewhere (``New Orleans``), or when it is never written in
    lower case and the dictionary does not know it. A word as frequent as a function word, in a
    language without a stop list, is a name only when capitalised where no position forces it
    (``Norge`` mid-sentence); forced, it is the function word (``Og``, ``Och`` opening a sentence).
    """
    free_caps: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    pairs: set[tuple[str, str]] = set()
    previous: _Token | None = None
    for t in tokens:
        if t is not None:
            w = t.word
            if not w.cap:
                lower[w.low] += 1
            elif not t.forced:
                free_caps[w.low] += 1
                if previous is not None and previous.word.cap and not previous.forced:
                    pairs.add((previous.word.low, w.low))
        previous = t
    n = len(tokens)
    for i, t in enumerate(tokens):
        if t is None or not t.word.cap or t.word.stop:
            continue
        w = t.word
        if t.forced and free_caps[w.low] <= lower[w.low] and (lower[w.low] or w.known or w.frequent):
            nxt = tokens[i + 1] if i + 1 < n else None
            if nxt is None or (w.low, nxt.word.low) not in pairs:
                # A rare word never written in lower case, before a word written as a name, is a
                # first name ("25 février : Bola Tinubu"), even if some dictionary lists it.
                first_name = (
                    nxt is not None
                    and nxt.word.cap
                    and not nxt.forced
                    and not nxt.word.stop
                    and not lower[w.low]
                    and zipf(w.text.lower(), lang) < RARE_FIRST_ZIPF
                )
                if not first_name:
                    if w.frequent:  # "Och" opening a sentence: the function word, not a name
                        t.word = replace(w, stop=True)
                    continue
        t.name = True
        t.key = w.name_key


# --- candidates and scores -------------------------------------------------------------------------


class _Candidate:
    __slots__ = ("count", "first", "forms", "honorific", "in_title", "name_votes", "parts", "person_votes", "words")

    def __init__(self, words: tuple[str, ...], parts: tuple[str, ...]) -> None:
        self.words = words  # keys of its words, connectors left out
        self.parts = parts  # keys of its tokens, connectors included
        self.honorific = False  # preceded by a title (Mr, président…) somewhere
        self.person_votes = 0  # a surname or first name of it stood alone
        self.count = 0
        self.first = 1 << 30
        self.in_title = False
        self.name_votes = 0  # occurrences written as a name
        self.forms: dict[str, int] = {}

    @property
    def is_name(self) -> bool:
        return self.name_votes * 2 >= self.count

    def best_form(self) -> str:
        """The most frequent spelling (ties: the alphabetically last, which prefers capitals less)."""
        return max(self.forms, key=lambda f: (self.forms[f], f))

    def absorb(self, other: _Candidate) -> None:
        self.count += other.count
        self.name_votes += other.name_votes
        self.first = min(self.first, other.first)
        self.in_title = self.in_title or other.in_title


def _runs(tokens: Sequence[_Token | None], lang: str) -> list[tuple[list[_Token], str]]:
    """Maximal runs of phrase words, each with the word before it; a connector joins two names."""
    connectors = CONNECTORS.get(lang, frozenset()) | CONNECTORS["en"]
    runs: list[tuple[list[_Token], str]] = []
    run: list[_Token] = []
    before = ""
    for i, t in enumerate(tokens):
        if t is not None:
            w = t.word
            if not w.stop and not (w.verb and not t.name):
                if not run:
                    prev = tokens[i - 1] if i else None
                    before = prev.word.low if prev is not None else ""
                run.append(t)
                continue
            if w.low in connectors and run and run[-1].name and i + 1 < len(tokens):
                nxt = tokens[i + 1]
                if nxt is not None and nxt.name:
                    run.append(t)
                    continue
        if run:
            runs.append((run, before))
            run = []
    if run:
        runs.append((run, before))
    return runs


def _candidates(tokens: Sequence[_Token | None], lang: str) -> dict[str, _Candidate]:
    """Every n-gram of up to MAX_PHRASE_WORDS words of every run, counted by key."""
    out: dict[str, _Candidate] = {}
    for run, before in _runs(tokens, lang):
        n = len(run)
        keys = [t.key for t in run]
        texts = [t.word.text for t in run]
        for i in range(n):
            first = run[i]
            if first.word.stop or first.word.num:
                continue
            honorific = (run[i - 1].word.low if i else before) in HONORIFICS
            leading_title = first.word.low in HONORIFICS  # "President Macron" is Macron
            key = ""
            names = 0
            size = 0
            for j in range(i, min(n, i + MAX_PHRASE_WORDS)):
                t = run[j]
                w = t.word
                key += keys[j]
                if w.stop:
                    continue
                size += 1
                names += t.name
                if (w.num and not (j > i and run[j - 1].name)) or (leading_title and j > i):
                    continue
                cand = out.get(key)
                if cand is None:
                    parts = tuple(keys[i : j + 1])
                    words = tuple(keys[m] for m in range(i, j + 1) if not run[m].word.stop)
                    cand = out[key] = _Candidate(words, parts)
                cand.count += 1
                if first.title:
                    cand.first = 0
                    cand.in_title = True
                elif first.pos < cand.first:
                    cand.first = first.pos
                if names == size:
                    cand.name_votes += 1
                    cand.honorific = cand.honorific or honorific
                form = " ".join(texts[i : j + 1])
                cand.forms[form] = cand.forms.get(form, 0) + 1
    return out


def _absorb_name_parts(cands: dict[str, _Candidate]) -> None:
    """A first name or surname alone joins the full name it belongs to (``Macron`` → ``Emmanuel Macron``).

    Only full names of two or three words without connectors take part (a person's, mostly),
    and never a place: ``France`` stays itself beside ``France Télécom``.
    """
    full: dict[str, list[str]] = defaultdict(list)
    for key, c in cands.items():
        if 2 <= len(c.words) <= 3 and c.is_name and len(c.words) == len(c.parts):
            full[c.words[0]].append(key)
            full[c.words[-1]].append(key)
    for key in list(cands):
        c = cands[key]
        if len(c.words) != 1 or not c.is_name or key not in full or place(c.best_form()) is not None:
            continue
        owners = [o for o in full[key] if o in cands]
        if not owners:
            continue
        owner = max(owners, key=lambda o: (cands[o].count, o))
        cands[owner].absorb(c)
        if cands[owner].words[-1] == key:
            cands[owner].person_votes += 1  # a surname alone: a person's name
        del cands[key]


def _drop_dependent(cands: dict[str, _Candidate]) -> None:
    """Drop the parts of longer phrases that never occur on their own (``Rights Watch``)."""
    inside: dict[str, int] = {}
    for c in cands.values():
        n = len(c.parts)
        if n < 2:
            continue
        for i in range(n):
            for j in range(i + 1, n + 1):
                if j - i < n:
                    key = "".join(c.parts[i:j])
                    if key in cands:
                        inside[key] = max(inside.get(key, 0), c.count)
    for key, count in inside.items():
        c = cands[key]
        if c.count <= count and not (len(c.parts) == 1 and place(c.best_form()) is not None):
            del cands[key]


def _kind(c: _Candidate, lang: str) -> str:
    """person, place, org or entity for a name; phrase for the rest."""
    form = c.best_form()
    caseless = not any(ch.isupper() or ch.islower() for ch in form)  # Hangul, Chinese, Arabic…
    if c.is_name or caseless:
        found = place(form)
        if found is not None:
            return "org" if found.kind == "org" else "place"
    if not c.is_name:
        return "phrase"
    if any(w in ORG_WORDS for w in c.words) or any(fold(p) in ORG_WORDS for p in form.split()):
        return "org"
    parts = form.split()
    personal = all(len(p) > 1 and p.replace("-", "").replace("'", "").isalpha() and not p.isupper() for p in parts)
    # A surname alone elsewhere says "person", unless the name starts with a dictionary word
    # ("Nouvelle Démocratie"); English dictionaries list first names, so there it cannot tell.
    dictionary_first = lang != "en" and known_word(parts[0].lower(), lang)
    plural_last = parts[-1].endswith("s") and known_word(parts[-1][:-1].lower(), lang)  # "Academy Awards"
    # A name of common words only ("White Noise", "Red Cross") is as often a title or a body as a
    # person's: its surname standing alone proves nothing.
    common_words = all(zipf(p.lower(), lang) >= COMMON_NAME_ZIPF for p in parts)
    surname = (
        c.person_votes and 2 <= len(c.words) <= 3 and not dictionary_first and not plural_last and not common_words
    )
    if personal and (c.honorific or surname):
        return "person"
    if form.isupper() and len(form) >= 2:
        return "org"
    return "entity"


def _score(c: _Candidate, word_count: Counter[str], lang: str) -> float:
    """A phrase's weight: its own and its words' frequency, damped by how late it first appears."""
    support = sum(word_count[w] for w in c.words) / len(c.words)
    value = (c.count + SUPPORT_WEIGHT * support) / math.log2(2.0 + c.first / POSITION_SCALE)
    if c.in_title:
        value *= TITLE_BONUS
    if c.is_name:
        value *= NAME_BONUS
    elif len(c.words) > 1 and c.count < 2:
        value *= RARE_PHRASE_FACTOR
    elif len(c.words) == 1 and _demonym_word(c.words[0]):
        value *= DEMONYM_FACTOR
    return value


@functools.lru_cache(maxsize=50_000)
def _demonym_word(key: str) -> bool:
    return demonym_stem(key) in gazetteer().demonyms


_SENTENCE_PUNCTUATION = ".!?…。！？"


def _repeats_headline(title: str, body: str) -> bool:
    """Whether the body opens with the headline as a sentence or paragraph of its own (a blurb's page).

    A headline that is only the body's first words is no repeat: under the headline "Liz Truss", a
    body "Liz Truss resigns…" still names her, and cutting the name off would count it once.
    """
    if not title:
        return False
    body = body.lstrip()
    if not body.startswith(title):
        return False
    rest = body[len(title) :]
    return (
        title[-1] in _SENTENCE_PUNCTUATION
        or not rest.strip()
        or rest.lstrip(" \t")[:1] in ("\n", *_SENTENCE_PUNCTUATION)
    )


def extract_keyphrases(title: str | None, text: str | None, language: str | None, k: int = 10) -> list[Keyphrase]:
    """The ``k`` best key phrases and names of an article, best first (see the module docstring)."""
    lang = base_language(language)
    title = (title or "").strip()
    body = (text or "")[:MAX_CHARS]
    if _repeats_headline(title, body):
        body = body.lstrip()[len(title) :]  # a body that repeats its headline (a blurb) says it once
    title_case = lang not in CJK and lang != "ko" and _is_title_case(title)
    tokens = _tokenize(title, lang, title=True, title_case=title_case)
    tokens.append(None)
    offset = len(tokens)
    for t in (body_tokens := _tokenize(body, lang, title=False, title_case=False)):
        if t is not None:
            t.pos += offset
    tokens.extend(body_tokens)
    _judge_capitals(tokens, lang)
    cands = _candidates(tokens, lang)
    _absorb_name_parts(cands)
    _drop_dependent(cands)

    word_count: Counter[str] = Counter()
    for t in tokens:
        if t is not None and not t.word.stop and not t.word.num:
            word_count[t.key] += 1

    banned = stop_topics(lang)
    scored: list[tuple[float, str, _Candidate]] = []
    for key, c in cands.items():
        if key in banned or key.isdigit() or len(key) < 2 or all(w in banned or w.isdigit() for w in c.words):
            continue
        scored.append((_score(c, word_count, lang), key, c))
    scored.sort(key=lambda item: (-item[0], item[1]))

    out: list[Keyphrase] = []
    for value, key, c in scored[:k]:
        form = c.best_form()
        out.append(
            Keyphrase(
                text=form if c.is_name else form.lower(), key=key, kind=_kind(c, lang), score=value, count=c.count
            )
        )
    return out


def extract_tags(title: str | None, text: str | None, language: str | None, k: int = 10) -> list[Tag]:
    """An article's hashtags, best first: :func:`extract_keyphrases` as :class:`~newsdesk.model.Tag` values.

    Scores are relative to the best tag (1.0). The key is the topic of the label
    (:func:`~newsdesk.pipeline.stories.topics.topic_key`): a country gets one key in every language
    (``#ÉtatsUnis``, ``#USA`` and ``#미국`` all link to ``unitedstate``); its label stays as written.
    Two phrases of one article whose labels name one topic make one tag (the better one).

    A ranked phrase of common words becomes a tag only when it recurs (:data:`TAG_MIN_COUNT`) and
    is not one very frequent word alone (:data:`GENERIC_ZIPF`): "Calculations" opening a sentence,
    "meet" in a headline or "ville" say nothing a reader would follow. Names need no repeat.
    """
    lang = base_language(language)
    ranked = extract_keyphrases(title, text, language, 2 * k)
    phrases = [p for p in ranked if _worth_a_tag(p, lang)][:k]
    if len(phrases) < MIN_TAGS:  # the filter judges words; an article with phrases stays findable
        extra = [p for p in ranked if p not in phrases][: MIN_TAGS - len(phrases)]
        phrases = [p for p in ranked if p in phrases or p in extra]
    top = phrases[0].score if phrases else 1.0
    tags: dict[str, Tag] = {}
    for p in phrases:
        label = hashtag_label(p.text)
        key = topic_key(label)
        if key and key not in tags:
            tags[key] = Tag(key=key, label=label, kind=p.kind, score=round(p.score / top, 4))
    return list(tags.values())


def _worth_a_tag(phrase: Keyphrase, lang: str) -> bool:
    """A name always; a phrase of common words when it recurs and is not one generic word.

    "Common words" are those no capital marks as a name's. In a script without case (Arabic,
    Persian, Georgian, Hindi…) that is every word the tokenizer does not call a proper noun: such a
    phrase must recur too, and a lone frequent word is dropped unless its form marks a name the way a
    capital would (:func:`~newsdesk.pipeline.stories.segment.fixed_form`: Arabic ``القاهرة``, 5.2, is
    never written without its article, ``الشركة`` is). Frequency drops nothing in a language
    ``wordfreq`` has no list of its own for (:func:`frequency_language`), and an article is never left
    without tags by this filter (:data:`MIN_TAGS`).
    """
    if phrase.kind != "phrase":
        return True
    if phrase.count < TAG_MIN_COUNT:
        return False
    words = phrase.text.split()
    return not (len(words) == 1 and zipf(words[0], lang) >= GENERIC_ZIPF and not fixed_form(words[0], lang))


def story_tags(articles: Sequence[Sequence[Tag]], k: int = 10, *, sources: Sequence[object] | None = None) -> list[Tag]:
    """A story's hashtags from its articles' tags: tags that several articles (publishers) share rank first.

    Each publisher (``sources``, one per article; each article its own publisher when None)
    votes for a tag with its best score in that outlet's articles; a tag's story score is the sum
    of the votes times the share of publishers that have it, so one outlet's idiosyncratic
    phrase, even repeated in its updates, never outranks what the coverage agrees on. A surname
    alone (``#Macron``) joins the full name another article gave (``#EmmanuelMacron``). The
    label is the most frequent spelling.
    """
    owners = list(sources) if sources is not None else list(range(len(articles)))
    best: dict[tuple[str, object], float] = {}  # (key, publisher) → its best score in that outlet's articles
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for tags, owner in zip(articles, owners, strict=True):
        for tag in tags:
            best[tag.key, owner] = max(best.get((tag.key, owner), 0.0), tag.score)
            labels[tag.key][tag.label] += 1
            kinds[tag.key][tag.kind] += 1
    total: dict[str, float] = defaultdict(float)
    publishers: dict[str, set[object]] = defaultdict(set)
    for (key, owner), score in best.items():
        total[key] += score
        publishers[key].add(owner)
    _merge_surnames(total, publishers, labels, kinds)
    n = max(1, len(set(owners)))
    weight = {key: total[key] * len(publishers[key]) / n for key in total}
    ranked = sorted(total, key=lambda key: (-weight[key], -len(publishers[key]), key))
    return [
        Tag(
            key=key,
            label=labels[key].most_common(1)[0][0],
            kind=kinds[key].most_common(1)[0][0],
            score=round(weight[key], 4),
        )
        for key in ranked[:k]
    ]


def _merge_surnames(
    total: dict[str, float],
    publishers: dict[str, set[object]],
    labels: dict[str, Counter[str]],
    kinds: dict[str, Counter[str]],
) -> None:
    people = [key for key in total if kinds[key].most_common(1)[0][0] == "person"]
    for key in list(total):
        if key in people or kinds[key].most_common(1)[0][0] not in ("entity", "person"):
            continue
        label = labels[key].most_common(1)[0][0]
        owners = [p for p in people if p != key and p.endswith(key) and any(lb.endswith(label[1:]) for lb in labels[p])]
        if len(owners) != 1:
            continue  # no full name, or several people share the surname: leave it
        owner = owners[0]
        total[owner] += total.pop(key)
        publishers[owner] |= publishers.pop(key)
        del labels[key], kinds[key]
