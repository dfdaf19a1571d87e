"""Words of Korean, Japanese, Chinese and Arabic text, for the tagger: nouns and names, the rest cut out.

The tagger (:mod:`~newsdesk.pipeline.stories.tags`) reads words between spaces and punctuation.
That is not enough in four scripts the news it reads is written in:

- Chinese and Japanese write no spaces: a clause is one string (``中华人民共和国主席习近平5日抵达巴黎``);
- Korean writes particles and endings onto the noun (``윤석열은``, ``대통령실에서``, ``회담했다``);
- Arabic writes conjunctions, prepositions and the article onto the word (``والقاهرة``, ``بالقاهرة``,
  ``للقاهرة`` are all Cairo).

Each language gets a maintained tokenizer whose dictionary ships inside its wheel — Kiwi
(``kiwipiepy``) for Korean, MeCab with UniDic-lite (``fugashi``, ``unidic-lite``) for Japanese,
``jieba`` for Chinese — and Arabic, which has no such tagger in a wheel, a clitic stripper that
asks ``wordfreq``'s Arabic list (already the tagger's) which reading of a word is the common one.
The tokenizers' parts of speech say what a hashtag can be: nouns and proper nouns (Kiwi ``NNP`` and
``NNG``, UniDic ``名詞`` and ``固有名詞``, jieba ``nr``, ``ns``, ``nt``, ``nz``, ``n``); verbs,
particles, numbers and titles (``대통령``, ``首相``, ``总理``, ``الرئيس``) end a phrase and are never
part of one. A person's name stands alone (no ``#石破茂首相``), and a noun used as a verb
(``会談した``, ``회담했다``) is no topic.

What :func:`segment_word` returns is what the tagger's word scanner would: pieces (:class:`Segment`,
``proper`` when the tokenizer calls it a proper noun — the tagger then treats it as a name, as it
does a capitalised word) with ``None`` where a phrase must end. The tagger joins adjacent pieces
into phrases of up to three, as it does words: ``東京都`` + ``知事選挙``, ``新能源`` + ``汽车``.

Each tokenizer is imported and loaded on the first text of its language, once per process (measured
on the development machine: Kiwi about 2 s and 300 MB; MeCab with UniDic-lite 10 ms and 12 MB, its
dictionary memory-mapped; jieba about 2 s and 170 MB; Arabic's word lists 0.7 s and 100 MB); a
deployment that reads no such article pays nothing. Should a tokenizer not be installed, the
function returns None and the tagger falls back on its own crude split. A tagged text costs about
0.3 ms (Korean, Japanese, Chinese: a few hundred words) on top of the tagger's own time.
"""

from __future__ import annotations

import functools
import logging
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk.pipeline.stories.language import fold, known_word, lemma, word_set

__all__ = ["LANGUAGES", "Segment", "fixed_form", "segment_word", "word_key"]

logger = logging.getLogger(__name__)

LANGUAGES = frozenset({"ko", "ja", "zh", "ar"})

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_SCRIPT = {"ko": _HANGUL, "ja": _CJK, "zh": _CJK, "ar": _ARABIC}


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a word: ``text`` as written, ``proper`` when the tokenizer tags it a proper noun."""

    text: str
    proper: bool = False


Segmented = tuple[Segment | None, ...]

# Titles: never a topic, never part of a name (Korean's are stop words in data/stopwords.txt).
TITLES: dict[str, frozenset[str]] = {
    "ja": word_set(
        "首相 大統領 知事 社長 会長 総裁 監督 選手 議員 長官 大臣 外相 財務相 防衛相 幹事長 委員長 代表 "
        "主席 総理 市長 国王 首脳 両首脳 元首 同氏 容疑者 被告 氏 さん 会長兼社長 前首相 元首相"
    ),
    "zh": word_set(
        "主席 总统 总理 国务卿 部长 外交部长 外长 行长 董事长 首席执行官 执行官 院长 行政长官 委员 负责人 "
        "选手 教练 发言人 大使 省长 市长 书记 总书记 国家主席 首相 国王 元首 总裁 主任 局长 司长 "
        "委员长 议长 先生 女士"
    ),
    "ar": word_set(
        "الرئيس رئيس الملك ملك الأمير أمير الشيخ شيخ الوزير وزير ولي العهد العاهل المفوض النجم مدرب "
        "المدرب السيد السيدة الرئيسان الجانبان"
    ),
}


def segment_word(word: str, lang: str) -> Segmented | None:
    """A scanned word (a clause in Chinese and Japanese) as pieces; None: not this module's to split.

    None when the language has no segmenter here, the word is not in its script (a Latin name in
    a Japanese article goes the ordinary way), or the tokenizer is not installed.
    """
    script = _SCRIPT.get(lang)
    if script is None or not script.search(word):
        return None
    try:
        return _SEGMENTERS[lang](word)
    except _Unavailable:
        return None


# --- loading ----------------------------------------------------------------------------------------


class _Unavailable(Exception):
    """The tokenizer of a language is not installed (or failed to load): the caller falls back."""


def _loaded(name: str, load: Callable[[], Any]) -> Callable[[], Any]:
    """``load`` run once, on first use; an ImportError is remembered and reported as unavailable."""
    lock = threading.Lock()
    state: list[Any] = []

    def get() -> Any:
        if not state:
            with lock:
                if not state:
                    try:
                        state.append(load())
                    except (ImportError, OSError, RuntimeError) as exc:
                        logger.warning("segment.unavailable tokenizer=%s error=%s", name, exc)
                        state.append(None)
        if state[0] is None:
            raise _Unavailable(name)
        return state[0]

    return get


def _load_kiwi() -> Any:
    from kiwipiepy import Kiwi

    # The multi-word and typo dictionaries cost 190 MB and 1.5 s and add nothing to nouns of news.
    return Kiwi(load_typo_dict=False, load_multi_dict=False)


def _load_mecab() -> Any:
    import fugashi
    import unidic_lite

    # The dictionary named explicitly: fugashi would prefer the full ``unidic`` package if one were
    # installed, and that one needs a download. ``-r /dev/null``: no system mecabrc is read.
    return fugashi.Tagger(f'-d "{unidic_lite.DICDIR}" -r /dev/null')


def _load_jieba() -> Any:
    import warnings

    with warnings.catch_warnings():
        # jieba 0.42 imports pkg_resources (deprecated) and has regexes with old-style escapes.
        warnings.simplefilter("ignore")
        import jieba
        import jieba.posseg

    # jieba puts a handler of its own on its logger; the application configures logging.
    jieba_logger = logging.getLogger("jieba")
    for handler in list(jieba_logger.handlers):
        jieba_logger.removeHandler(handler)
    jieba_logger.setLevel(logging.WARNING)
    words = jieba.Tokenizer()
    words.tmp_dir = _private_cache_dir("jieba")
    tokenizer = jieba.posseg.POSTokenizer(words)
    tokenizer.tokenizer.initialize()
    return tokenizer


def _private_cache_dir(name: str) -> str:
    """A directory of this user's own, for a library's cache: jieba keeps its prefix dictionary (a
    ``marshal`` file, 2 s to build) in the system's temporary directory by default, where another local
    user could plant a file that it would load."""
    import platformdirs

    path = Path(platformdirs.user_cache_dir("newsdesk", appauthor=False)) / name
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:  # no writable home: a private directory, built again by the next process
        return tempfile.mkdtemp(prefix=f"newsdesk-{name}-")
    return str(path)


_kiwi = _loaded("kiwipiepy", _load_kiwi)
_mecab = _loaded("fugashi", _load_mecab)
_jieba = _loaded("jieba", _load_jieba)
# MeCab's tagger keeps state between calls and jieba's is not documented as thread-safe: one caller at a time.
_MECAB_LOCK = threading.Lock()
_JIEBA_LOCK = threading.Lock()


# --- building pieces ----------------------------------------------------------------------------------

PERSON, PLACE, PROPER, NOUN = "person", "place", "proper", "noun"


class _Pieces:
    """Collects units into phrases: a unit is a compound noun or a name, a phrase a run of units."""

    __slots__ = ("kind", "out", "text")

    def __init__(self) -> None:
        self.out: list[Segment | None] = [None]  # 。 is not scanned: a run never joins the word before it
        self.text = ""
        self.kind = ""

    def add(self, text: str, kind: str, *, join: bool = False) -> None:
        """A new unit (or, with ``join``, more of the current one); a person's name stands alone."""
        if join and self.text:
            self.text += text
            return
        if self.text:
            person = PERSON in (kind, self.kind) and kind != self.kind
            stacked = kind == self.kind == PLACE  # 米ワシントン, 湖南省岳阳市: two places, not one
            self.flush()
            if person or stacked:
                self.end()
        self.text, self.kind = text, kind

    def flush(self) -> None:
        if self.text:
            self.out.append(Segment(self.text, self.kind != NOUN))
        self.text = self.kind = ""

    def end(self) -> None:
        """End the phrase (the current unit is kept)."""
        self.flush()
        if self.out and self.out[-1] is not None:
            self.out.append(None)

    def drop(self) -> None:
        """Forget the current unit (a noun used as a verb) and end the phrase."""
        self.text = self.kind = ""
        self.end()

    def result(self) -> Segmented:
        self.flush()
        return tuple(self.out)


# --- Korean --------------------------------------------------------------------------------------------

_KO_NOUN = frozenset({"NNG", "NNP", "SL", "SH"})
_KO_DROP_SUFFIX = frozenset({"들", "님", "씨", "측", "께"})  # plural and honorific suffixes: not part of the name


@functools.lru_cache(maxsize=100_000)
def _segment_korean(word: str) -> Segmented:
    """An eojeol (a word between spaces) → its leading noun compound, particles and endings cut off.

    ``윤석열은`` → ``윤석열``; ``대통령실에서`` → ``대통령실``; ``국민의힘은`` → ``국민의힘`` (a ``의``
    inside one eojeol joins a name); ``회담했다`` → nothing (a noun made a verb is no topic). Each
    eojeol is a phrase of its own: Korean writes a compound noun as one word (``기준금리``,
    ``더불어민주당``), and nouns side by side are mostly stacked apposition (``서울 용산 대통령실``,
    ``미국 조지아주``), not one name.
    """
    kiwi = _kiwi()
    tokens = kiwi.tokenize(word)
    start = end = -1
    proper = False
    i = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        tag = t.tag.split("-", 1)[0]
        if tag in _KO_NOUN:
            proper = proper or tag == "NNP" or (tag == "SL" and t.form.isupper())
        elif tag == "XPN" and start < 0 and i + 1 < n and tokens[i + 1].tag in _KO_NOUN:
            pass
        elif tag == "SN" and start >= 0 and i + 1 < n and tokens[i + 1].tag in _KO_NOUN:
            pass  # 제2여객터미널
        elif tag == "XSN" and start >= 0 and t.form not in _KO_DROP_SUFFIX:
            pass
        elif tag == "JKG" and start >= 0 and i + 1 < n and tokens[i + 1].tag in ("NNG", "NNP"):
            proper = True  # 국민의힘: a 의 written inside one word makes a name
        else:
            break
        if start < 0:
            start = t.start
        end = t.start + t.len
        i += 1
    if start < 0:
        return (None,)
    if i < n and tokens[i].tag.split("-", 1)[0] in ("XSV", "XSA"):
        return (None,)  # 회담했다, 강화된: the noun is a verb's
    if i == n and i >= 2 and tokens[i - 1].form == "서" and tokens[i - 2].tag == "NNP":
        end = tokens[i - 2].start + tokens[i - 2].len  # 베이징서: a headline's 에서, which Kiwi takes for a noun
    if i == 1 and tokens[0].tag == "NNG" and _korean_verbal(tokens[0].form):
        return (None,)  # 금리 동결, 미사일 발사: a headline's verb, written as its noun
    return (Segment(word[start:end], proper), None)


# How much likelier (natural log) Kiwi's language model finds ``X했다`` than ``X이다`` for a verbal noun.
# Set by reading the margins of 45 news nouns: names and things score below +1 (삼성전자 −3.5,
# 태풍 −3.2, 기자회견 +0.6), nouns that name an action above +2 (발표 +4.8, 동결 +3.9, 취임 +7.0).
KOREAN_VERBAL_MARGIN = 2.0


@functools.lru_cache(maxsize=50_000)
def _korean_verbal(noun: str) -> bool:
    """Is ``noun`` mostly used as a verb (``발표하다``), so that alone it is no topic?

    Korean headlines end on such a noun (``기준금리 동결``, ``탄도미사일 발사``) where the body says
    ``동결했다``; Kiwi's dictionary does not mark them, but its language model tells them apart.
    """
    kiwi = _kiwi()
    as_verb = kiwi.analyze(noun + "했다", top_n=1)[0][1]
    as_noun = kiwi.analyze(noun + "이다", top_n=1)[0][1]
    return bool(as_verb - as_noun > KOREAN_VERBAL_MARGIN)


# --- Japanese ------------------------------------------------------------------------------------------

# Suffixes and one-character nouns that make a place's name (東京都, 石川県, 輪島市) or a body's (自民党).
_JA_NAME_SUFFIX = word_set("都 道 府 県 市 区 町 村 州 省 島 湾 郡 党 庁 軍 社 線 駅 港")
_JA_HONORIFIC = word_set("氏 さん 様 君 ちゃん 殿 ら 容疑者 被告 選手 監督 首相")


@functools.lru_cache(maxsize=50_000)
def _segment_japanese(text: str) -> Segmented:
    """A Japanese run → compound nouns and names, UniDic's short units joined back.

    UniDic cuts words short (``人工|知能``, ``気象|庁``, ``ソフト|バンク|グループ``): consecutive
    common nouns, with their prefixes and suffixes, are joined into one unit; a proper noun is a
    unit of its own, so that ``東京都`` and ``知事選挙`` can stand alone or together. A family name
    and a given name are two units of one phrase (``石破`` ``茂``), as words are in Latin script, so
    the tagger folds ``石破`` alone into ``石破茂``.
    """
    pieces = _Pieces()
    titles = TITLES["ja"]
    prefix = ""
    counter = False  # after a number: its counter (日, 人, 円) is no noun
    lone_verbal = False  # the current unit is one noun that can take する (会談, 上陸, 発売)
    with _MECAB_LOCK:
        nodes = [(n.surface, n.feature.pos1, n.feature.pos2, n.feature.pos3, n.feature.lemma) for n in _mecab()(text)]
    for i, (surface, pos1, pos2, pos3, lem) in enumerate(nodes):
        noun = pos1 == "名詞" and pos2 in ("普通名詞", "固有名詞")
        if pos1 == "名詞" and pos2 == "数詞":
            pieces.end()
            prefix, counter, lone_verbal = "", True, False
            continue
        if counter and (pos3.startswith("助数詞") or pos1 == "接尾辞"):
            continue
        counter = False
        following_noun = i + 1 < len(nodes) and nodes[i + 1][1] in ("名詞", "接尾辞") and nodes[i + 1][2] != "数詞"
        if (surface in titles and not following_noun) or (pieces.kind == PERSON and surface in _JA_HONORIFIC):
            pieces.end()  # 石破茂首相は, トランプ大統領と; but 知事選挙 is an election
            prefix, lone_verbal = "", False
            continue
        if pos1 == "接頭辞":
            prefix += surface
            continue
        if pos1 == "接尾辞" and pos2 == "名詞的":
            if pieces.kind == NOUN or (pieces.kind in (PLACE, PROPER) and surface in _JA_NAME_SUFFIX):
                pieces.add(surface, pieces.kind, join=True)
            else:
                pieces.end()  # 大谷選手, マーリンズ戦: the suffix is no part of the name
            lone_verbal = False
            continue
        if noun and pos2 == "固有名詞":
            kind = PERSON if pos3 == "人名" else PLACE if pos3 == "地名" else PROPER
            pieces.add(prefix + surface, kind)
            lone_verbal = False
        elif noun and not pos3.startswith(("副詞可能", "助数詞")):
            if pieces.kind == NOUN and not prefix:
                pieces.add(surface, NOUN, join=True)
                lone_verbal = False
            elif pieces.kind in (PLACE, PROPER) and surface in _JA_NAME_SUFFIX:
                pieces.add(surface, pieces.kind, join=True)
            else:
                pieces.add(prefix + surface, NOUN)
                lone_verbal = not prefix and pos3.startswith("サ変")
        elif pos1 == "動詞" and lem == "為る" and pieces.kind == NOUN:
            pieces.drop()  # 会談した: a noun made a verb
            lone_verbal = False
        else:
            pieces.end()
            lone_verbal = False
        prefix = ""
    if lone_verbal:
        pieces.drop()  # a headline's or a clause's last word, alone: its verb (金利を解除, 九州に上陸)
    pieces.end()  # the scanner skips 、。「」 without a word: a run ends its phrase
    return pieces.result()


# --- Chinese -------------------------------------------------------------------------------------------

_ZH_KIND = {
    "nr": PERSON,
    "nrfg": PERSON,
    "nrt": PERSON,
    "ns": PLACE,
    "nt": PROPER,
    "nz": PROPER,
    "n": NOUN,
    "vn": NOUN,
    "nl": NOUN,
    "ng": NOUN,
    "j": NOUN,  # abbreviations: 央行, 中美
    "l": NOUN,  # fixed expressions that jieba lists as one word: 洪涝灾害, 女子单打
    "eng": NOUN,
}


@functools.lru_cache(maxsize=50_000)
def _segment_chinese(text: str) -> Segmented:
    """A Chinese run → jieba's words that are nouns or names; each word a unit of a phrase.

    jieba's words are whole words (``新能源`` ``汽车``, ``中华人民共和国``): the tagger joins
    adjacent ones into phrases of up to three, and a person's name stands apart from the title or
    organisation before it (``国务院`` | ``李强``).
    """
    pieces = _Pieces()
    titles = TITLES["zh"]
    with _JIEBA_LOCK:
        words = [(w.word, w.flag) for w in _jieba().cut(text)]
    for word, flag in words:
        kind = _ZH_KIND.get(flag)
        if kind is None or word in titles:
            pieces.end()
            continue
        if flag == "l" and len(word) > 4:
            pieces.end()  # a longer "expression" is a phrase with a verb: 发射成功, 圆满成功
            continue
        head = _title_head(word, titles)
        if head is not None:  # 德国总理: jieba's one word, a place and a title
            if head:
                pieces.add(head, PLACE if kind == PERSON else kind)
            pieces.end()
            continue
        pieces.add(word, kind)
    pieces.end()  # the scanner skips 、。，without a word: a run ends its phrase
    return pieces.result()


def _title_head(word: str, titles: frozenset[str]) -> str | None:
    """What comes before a title that ends ``word`` (``德国总理`` → ``德国``), or None when none ends it."""
    for size in (4, 3, 2):
        if len(word) > size and word[-size:] in titles:
            return word[:-size] if len(word) - size >= 2 else ""
    return None


# --- Arabic --------------------------------------------------------------------------------------------

_TASHKEEL = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # vowel marks and tatweel
_CONJUNCTIONS = ("و", "ف")
_PREPOSITIONS = ("ب", "ك", "ل")


def _arabic_frequency(word: str) -> float:
    """How common an Arabic word is: its Zipf value in ``wordfreq``'s list (log10 of uses per billion words).

    Without ``wordfreq``, simplemma's dictionary stands in: a known word 3, an unknown one 0.
    """
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return 3.0 if len(word) >= 2 and known_word(word, "ar") else 0.0
    return float(zipf_frequency(word, "ar"))


# A reading must be this much more common than the word as written (Zipf, log10: three times as common).
ARABIC_CLITIC_MARGIN = 0.5


@functools.lru_cache(maxsize=100_000)
def arabic_strip(word: str) -> tuple[str, bool]:
    """``(word without its leading conjunction and preposition, whether one was taken off)``.

    ``والقاهرة``, ``بالقاهرة`` and ``للقاهرة`` → ``القاهرة``; ``وترامب`` → ``ترامب``; ``لسد`` →
    ``سد``. A word's first letter may be its own or a clitic's: ``لبنان``, ``وزير``, ``واشنطن``,
    ``بايدن`` are words as written. The reading taken is the most common one, and only when it is
    at least three times as common as the word as written (``وترامب`` 2.5, ``ترامب`` 4.4;
    ``بايدن`` 3.5, ``ايدن`` 2.4); a word unknown to the list whose clitic is followed by the article
    is a name with a clitic (``والسيسي``).
    """
    word = _TASHKEEL.sub("", word)
    if len(word) < 3:
        return word, False
    readings: list[str] = []
    for conj in ("", *_CONJUNCTIONS):
        if conj and not word.startswith(conj):
            continue
        rest = word[len(conj) :]
        if conj and len(rest) >= 2:
            readings.append(rest)
        for prep in _PREPOSITIONS:
            if rest.startswith(prep) and len(rest) >= 3:
                after = rest[1:]
                readings.append(after)
                if prep == "ل" and after.startswith("ل") and len(after) >= 3:
                    readings.append("ا" + after)  # للقاهرة = ل + القاهرة, the article's alif dropped
    if not readings:
        return word, False
    own = _arabic_frequency(word)
    best = max(readings, key=_arabic_frequency)  # ties: the first, fewest letters taken off
    if _arabic_frequency(best) >= own + ARABIC_CLITIC_MARGIN:
        return best, True
    if own == 0.0:
        for reading in readings:
            if reading.startswith("ال") and len(reading) >= 5:
                return reading, True  # والسيسي: a clitic, then the article, then a name
    return word, False


def _arabic_verb(word: str) -> bool:
    """A verb by its form: ``يجري``, ``تستضيف`` (present), ``حذرت`` (past, she), which ends a phrase.

    Arabic has no tagger here. A present-tense verb takes the future prefix س and never the
    article, a noun the other way round: ``سيجري`` is far more common than ``اليجري``, ``التعاون``
    than ``ستعاون`` (``wordfreq``). Without the lists, simplemma's lemma tells the clearest cases
    (``يستقبل`` → ``استقبل``, ``حذرت`` → ``حذر``). Verbs that look like nouns (``استقبل``) are left.
    """
    if word.startswith("ال") or len(word) < 3:
        return False
    if word[0] in "يتنأ":
        future = _arabic_frequency("س" + word)
        if future > 0.0 and future >= _arabic_frequency("ال" + word) + ARABIC_CLITIC_MARGIN:
            return True
    lem = lemma(word, "ar")
    if lem == word or len(word) < 4:
        return False
    if word[0] == "ي" and not lem.startswith("ي"):
        return True
    if word[0] == "ت" and (lem == word[1:] or lem[0] == "ا"):
        return True  # ترفض → رفض; تستضيف → استضاف
    return word.endswith("ت") and not word.endswith("ات") and lem == word[:-1]


def _segment_arabic(word: str) -> Segmented:
    """An Arabic word → the word without its clitics; a clitic (and, with, to…), a title or a verb ends the phrase."""
    text, clitic = arabic_strip(word)
    if text in TITLES["ar"] or _arabic_verb(text):
        return (None,)
    if clitic:
        return (None, Segment(text))  # غزة ولبنان: two places, not one phrase
    return (Segment(text),)


def fixed_form(word: str, lang: str) -> bool:
    """Whether a word is written in one form where a common word takes several: a name's mark without case.

    Arabic: a noun takes the article or not as the sentence needs (``الشركة`` and ``شركة`` are both
    common, ``مشروع`` and ``المشروع``), a proper noun keeps the form it has (``القاهرة`` 5.2 but
    ``قاهرة`` 2.9; ``قطر`` 5.2 but ``القطر`` 3.7; ``بايدن`` 3.5, ``البايدن`` unknown). The word as
    written must be at least ten times as common (Zipf + 1) as its other form in ``wordfreq``'s list.
    Other languages: False (no such test here).
    """
    if lang != "ar":
        return False
    text, _ = arabic_strip(word)
    other = text[2:] if text.startswith("ال") and len(text) >= 5 else "ال" + text
    own = _arabic_frequency(text)
    return own > 0.0 and own >= _arabic_frequency(other) + ARABIC_FIXED_MARGIN


# How much more common (Zipf, log10) a word must be than its form with or without the article to be a name's.
ARABIC_FIXED_MARGIN = 1.0


_ALIFS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def word_key(word: str, lang: str, *, name: bool) -> str | None:
    """A word's part of a merge key in these languages; None: the tagger's own key will do.

    Arabic: clitics and vowel marks off, a common word's lemma, the forms of alif as one
    (``القاهرة``, ``قاهرة``, ``القاهره``; ``الانتخابات``, ``انتخابات``). Chinese and Japanese: a
    place with and without its administrative suffix (``海南省``, ``海南``; ``札幌市``, ``札幌``),
    so that an article naming both gets one tag.
    """
    script = _SCRIPT.get(lang)
    if script is None or lang == "ko" or not script.search(word):
        return None
    if lang == "ar":
        text, _ = arabic_strip(word)
        if not name:
            text = lemma(text, "ar")
        text = text.translate(_ALIFS)
        if text.startswith("ال") and len(text) >= 5:
            text = text[2:]
        return text
    text = fold(word)
    if len(text) >= 3 and text[-1] in _ADMIN_SUFFIX[lang]:
        return text[:-1]
    return text


# Suffixes a place is named with or without (not 道: 北海道; not 区: 選挙区 is no place).
_ADMIN_SUFFIX = {"zh": frozenset("省市县"), "ja": frozenset("都府県市")}


_SEGMENTERS: dict[str, Callable[[str], Segmented]] = {
    "ko": _segment_korean,
    "ja": _segment_japanese,
    "zh": _segment_chinese,
    "ar": _segment_arabic,
}
