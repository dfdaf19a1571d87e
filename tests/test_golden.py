"""Golden files: parse and extract on every input of tests/data/{parse,extract}, against NAME.expected.json.

When a change of output is intended, run ``python -m tests.golden --update`` and review the diff
of the expected files; ``tests/golden.py`` explains the layout.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests import golden
from tests.html_safety import assert_safe

CASES = golden.cases()


def test_every_stage_has_inputs() -> None:
    assert Counter(case.stage for case in CASES).keys() == set(golden.STAGES)


def test_input_names_are_unique_per_stage() -> None:
    """NAME.expected.json is shared by every NAME.*: two inputs must not share a NAME."""
    stems = Counter(case.expected for case in CASES)
    assert [str(path) for path, count in stems.items() if count > 1] == []


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_output_matches_expected_file(case: golden.Case) -> None:
    hint = f"if the change is intended, run `{golden.UPDATE_COMMAND}` and review the diff of the expected files"
    assert case.expected.is_file(), f"{case.expected.name} is missing; {hint}"
    expected = json.loads(case.expected.read_text(encoding="utf-8"))
    actual = json.loads(golden.render(golden.run(case)))
    assert actual == expected, f"{case.name}: the output differs from {case.expected.name}; {hint}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_expected_html_is_safe(case: golden.Case) -> None:
    """What the expected files pin is safe to serve, hostile inputs included."""
    if not case.expected.is_file():
        pytest.skip("no expected file yet")
    result = json.loads(case.expected.read_text(encoding="utf-8"))
    fragments = [result.get("extracted", {}).get("html")]
    for entry in result.get("feed", {}).get("entries", ()):
        fragments += [entry["summary_html"], entry["content_html"]]
    for fragment in fragments:
        if fragment:
            assert_safe(fragment)
