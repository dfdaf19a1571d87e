"""Language detection and reading time (pipeline/metadata.py)."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.page.metadata import detect_language, reading_time_s

SAMPLES = {
    "en": "The city council approved the new budget on Tuesday after a long debate about public transport.",
    "fr": "Le conseil municipal a adopté mardi le nouveau budget après un long débat sur les transports publics.",
    "de": "Der Stadtrat hat am Dienstag nach langer Debatte über den Nahverkehr den neuen Haushalt beschlossen.",
    "ko": "시의회는 화요일 대중교통에 관한 긴 토론 끝에 새 예산안을 승인했다고 밝혔습니다.",
    "es": "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate sobre el transporte público.",
    "ja": "市議会は火曜日、公共交通機関をめぐる長い議論の末、新しい予算案を承認した。",
}


@pytest.mark.parametrize(("language", "text"), SAMPLES.items())
def test_detects_the_language_of_a_sentence(language: str, text: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "Hello", "OK!", "12345 67890 — 2024", "Ruud van Nistelrooy"])
def test_short_or_letterless_text_has_no_language(text: str) -> None:
    assert detect_language(text) is None


def test_long_text_is_judged_on_its_opening() -> None:
    text = SAMPLES["de"] * 200 + SAMPLES["en"] * 5
    assert detect_language(text) == "de"


def test_upper_case_text_is_recognised() -> None:
    assert detect_language(SAMPLES["en"].upper()) == "en"


@pytest.mark.parametrize(("words", "seconds"), [(0, 0), (-5, 0), (1, 60), (230, 60), (460, 120), (1000, 261)])
def test_reading_time(words: int, seconds: int) -> None:
    assert reading_time_s(words) == seconds
