"""Hashtags in Korean, Japanese, Chinese and Arabic: the tokenizers behind them, and a quality gate.

Real sentences in each language (written for newsdesk) check what the issue asked for — one tag
for a name whatever particle or clitic is written onto it, compound nouns joined, titles left out —
and the gate runs ``bench/keyphrases_cjk.py``'s evaluation on ``tests/data/hashtags`` (15 articles
per language with hand-checked tags) against floors pinned a little below the measured precision@5.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from newsdesk.pipeline.stories import segment
from newsdesk.pipeline.stories.segment import Segment, arabic_strip, segment_word, word_key
from newsdesk.pipeline.stories.tags import extract_keyphrases, extract_tags
from tests.conftest import REPO, load_bench

# Measured (bench/keyphrases_cjk.py): ko 0.717, ja 0.856, zh 0.683, ar 0.871 (0.818 before Arabic names were
# told by their article, segment.fixed_form); with segment.py off 0.600 / 0.519 / 0.651 / 0.679. Lowering a
# floor needs a reason in the commit.
P5_FLOORS = {"ko": 0.68, "ja": 0.82, "zh": 0.64, "ar": 0.84}


def _keys(title: str, text: str, language: str) -> dict[str, str]:
    return {t.key: t.label for t in extract_tags(title, text, language)}


# --- loading ---------------------------------------------------------------------------------------


def test_importing_the_tagger_loads_no_tokenizer() -> None:
    """A deployment that reads no Korean, Japanese or Chinese pays nothing for their tokenizers."""
    code = (
        "import sys, newsdesk.pipeline.stories.tags as t\n"
        "t.extract_tags('Macron à Séoul', 'Emmanuel Macron est arrivé à Séoul lundi.', 'fr')\n"
        "print(sorted(m for m in ('kiwipiepy', 'fugashi', 'unidic_lite', 'jieba', 'wordfreq') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() in ("[]", "['wordfreq']"), out.stdout  # wordfreq: the tagger's, not segment.py's
    assert "kiwipiepy" not in out.stdout and "fugashi" not in out.stdout and "jieba" not in out.stdout


def test_jiebas_dictionary_cache_is_private_to_the_user(tmp_path: Path) -> None:
    """jieba's prefix dictionary cache (a marshal file it loads) is kept where only this user writes, not in /tmp."""
    code = (
        "import newsdesk.pipeline.stories.tags as t\nt.extract_tags('习近平抵达巴黎', '国家主席习近平抵达巴黎。', 'zh')"
    )
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache"), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, env=env)
    cache = tmp_path / "cache" / "newsdesk" / "jieba"
    assert (cache / "jieba.cache").stat().st_size > 1_000_000
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert not list((tmp_path / "tmp").glob("jieba*"))


def test_a_missing_tokenizer_falls_back_instead_of_raising() -> None:
    def load() -> object:
        raise ImportError("not installed")

    get = segment._loaded("nothing", load)
    for _ in range(2):  # tried once, remembered
        with pytest.raises(segment._Unavailable):
            get()


def test_other_scripts_are_not_this_modules() -> None:
    assert segment_word("Macron", "ja") is None
    assert segment_word("2025", "zh") is None
    assert segment_word("Seoul", "ko") is None
    assert segment_word("서울", "fr") is None


# --- Korean ----------------------------------------------------------------------------------------


def test_korean_name_is_one_tag_whatever_particle_follows() -> None:
    keys = _keys(
        "대통령 윤석열, 용산서 기자회견",
        "대통령 윤석열은 9일 용산 대통령실에서 기자회견을 열었다. 윤석열 대통령이 의대 정원 확대를 강조했다. "
        "윤석열의 발언에 야당은 반발했다. 여당은 윤석열을 지지했다.",
        "ko",
    )
    assert "윤석열" in keys and keys["윤석열"] == "#윤석열"
    assert not [k for k in keys if k.startswith("윤석열") and k != "윤석열"], keys  # 윤석열은, 윤석열이, 윤석열의…
    assert "대통령" not in keys  # a title is no tag


@pytest.mark.parametrize(
    ("eojeol", "noun"),
    [
        ("윤석열은", "윤석열"),
        ("대통령실에서", "대통령실"),
        ("국민의힘은", "국민의힘"),
        ("SK하이닉스도", "SK하이닉스"),
        ("관계자들과", "관계자"),
        ("베이징서", "베이징"),
    ],
)
def test_korean_particles_and_endings_come_off(eojeol: str, noun: str) -> None:
    pieces = segment_word(eojeol, "ko")
    assert pieces is not None and pieces[0] is not None and pieces[0].text == noun


@pytest.mark.parametrize("eojeol", ["회담했다", "열었다", "발표", "동결"])
def test_korean_verbs_and_verbal_nouns_are_no_tags(eojeol: str) -> None:
    assert segment_word(eojeol, "ko") == (None,)


# --- Japanese --------------------------------------------------------------------------------------


def test_japanese_governor_and_election_segmented() -> None:
    pieces = segment_word("東京都知事選挙で現職の小池百合子氏が当選", "ja")
    assert pieces is not None
    words = [p.text for p in pieces if p is not None]
    assert words[:2] == ["東京都", "知事選挙"]  # one phrase: 東京都 and 知事選挙 can stand alone or together
    assert "小池" in words and "百合子" in words and not any("氏" in w for w in words)
    keys = _keys(
        "東京都知事選、小池百合子氏が3選",
        "7日投開票の東京都知事選挙で、現職の小池百合子氏が3回目の当選を果たした。小池氏は子育て支援を訴えた。",
        "ja",
    )
    assert "小池百合子" in keys and "小池" not in keys  # the surname alone joins the full name
    assert "東京都" in keys
    assert not [k for k in keys if k.endswith("氏")]


def test_japanese_title_after_a_name_is_left_out() -> None:
    keys = _keys(
        "石破首相、トランプ大統領と会談",
        "石破茂首相は7日、ワシントンでトランプ大統領と会談した。石破首相は日米同盟の強化を訴えた。",
        "ja",
    )
    assert "石破茂" in keys and "トランプ" in keys
    assert not [k for k in keys if "首相" in k or "大統領" in k or k == "会談"], keys


# --- Chinese ---------------------------------------------------------------------------------------


def test_chinese_names_of_state_and_people() -> None:
    keys = _keys(
        "习近平抵达巴黎",
        "中华人民共和国主席习近平5日抵达巴黎，开始对法国进行国事访问。国务院总理李强在北京会见德国客人。",
        "zh",
    )
    assert {"习近平", "巴黎"} <= keys.keys()
    assert "中华人民共和国" in keys or "china" in keys  # the state's name, or its country key
    assert not [k for k in keys if "主席" in k or "总理" in k], keys  # titles are no part of a name


def test_chinese_clauses_do_not_run_together() -> None:
    pieces = segment_word("李强会见朔尔茨", "zh")
    assert pieces is not None and pieces[0] is None and pieces[-1] is None  # 、 and 。 are not scanned


@pytest.mark.parametrize(
    ("a", "b", "language"),
    [("海南省", "海南", "zh"), ("札幌市", "札幌", "ja"), ("東京都", "東京", "ja"), ("بالقاهرة", "القاهرة", "ar")],
)
def test_a_place_with_and_without_its_suffix_or_clitic_is_one_phrase(a: str, b: str, language: str) -> None:
    assert word_key(a, language, name=True) == word_key(b, language, name=True)


# --- Arabic ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stripped"),
    [
        ("والقاهرة", "القاهرة"),
        ("بالقاهرة", "القاهرة"),
        ("للقاهرة", "القاهرة"),
        ("وترامب", "ترامب"),
        ("لبنان", "لبنان"),  # ل is the name's own letter
        ("واشنطن", "واشنطن"),
        ("وزير", "وزير"),
    ],
)
def test_arabic_clitics_come_off_a_name(word: str, stripped: str) -> None:
    assert arabic_strip(word)[0] == stripped


def test_arabic_city_is_one_phrase_whatever_clitic() -> None:
    phrases = extract_keyphrases(
        "ماكرون يصل إلى القاهرة",
        "وصل الرئيس الفرنسي إيمانويل ماكرون إلى القاهرة. واستقبل السيسي ماكرون بالقاهرة. "
        "وغادر ماكرون القاهرة مساء. وقال مسؤولون إن الزيارة للقاهرة ناجحة.",
        "ar",
    )
    by_text = {p.text: p for p in phrases}
    assert "القاهرة" in by_text and by_text["القاهرة"].count == 5, by_text  # القاهرة, بالقاهرة, للقاهرة: one
    assert not by_text.keys() & {"والقاهرة", "بالقاهرة", "للقاهرة", "الرئيس"}, by_text  # a title is none either


def test_segments_are_frozen_values() -> None:
    assert Segment("서울", proper=True) == Segment("서울", True)


# --- quality gate ----------------------------------------------------------------------------------


def _bench() -> ModuleType:
    return load_bench("keyphrases_cjk")


@pytest.fixture(scope="module")
def precision() -> dict[str, float]:
    bench = _bench()
    return {lang: bench.precision(bench.tag_keys(arts := bench.load(lang), 5), arts) for lang in bench.LANGUAGES}


@pytest.mark.parametrize("language", sorted(P5_FLOORS))
def test_precision_at_5_stays_above_its_floor(precision: dict[str, float], language: str) -> None:
    assert precision[language] >= P5_FLOORS[language], f"{language} P@5 {precision[language]:.3f}"
