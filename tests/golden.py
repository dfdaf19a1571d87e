"""Golden files for the pure stages: parse (feed bytes → ParsedFeed) and extract (page → Extracted).

Each input sits beside the JSON of what the stage makes of it today::

    tests/data/parse/NAME.{xml,rss,atom,rdf,json}   →  NAME.expected.json
    tests/data/extract/NAME.html                     →  NAME.expected.json

(NAME is everything before the first dot, so it has none itself.)

An expected file holds the request the input was run with (its URL, and the
Content-Type header or charset when a sidecar ``NAME.request.json`` gives one)
and either the stage's value, as :func:`newsdesk.model.as_plain` writes it, or
the reason of the ParseError / ExtractError for inputs that must fail, plus
the warnings the run raised, if any.

``python -m tests.golden`` lists the inputs whose output differs from their
expected file (exit status 1 when any does); ``python -m tests.golden --update``
rewrites every expected file from the current code, to be reviewed in the diff.
``tests/test_golden.py`` runs one test per input. The inputs were written for
these tests (no publisher's text), a few KB each.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk.errors import ExtractError, ParseError
from newsdesk.model import as_plain
from newsdesk.pipeline.feed.parse import parse_feed
from newsdesk.pipeline.page.extract import extract_article

DATA = Path(__file__).resolve().parent / "data"
STAGES = ("parse", "extract")
EXPECTED_SUFFIX = ".expected.json"
REQUEST_SUFFIX = ".request.json"
UPDATE_COMMAND = "python -m tests.golden --update"
_BASE_URL = {  # where an input is served unless its sidecar says otherwise
    "parse": "https://news.example/feeds/",
    "extract": "https://news.example/articles/",
}


@dataclass(frozen=True, slots=True)
class Case:
    """One input file of one stage."""

    stage: str  # "parse" or "extract"
    input: Path

    @property
    def name(self) -> str:
        return f"{self.stage}/{self.input.name}"

    @property
    def expected(self) -> Path:
        return self.input.with_name(self.input.name.split(".", 1)[0] + EXPECTED_SUFFIX)

    @property
    def request(self) -> dict[str, str]:
        """The URL (and Content-Type or charset) the input is run with."""
        request = {"url": _BASE_URL[self.stage] + self.input.name}
        sidecar = self.input.with_name(self.input.name.split(".", 1)[0] + REQUEST_SUFFIX)
        if sidecar.is_file():
            request.update(json.loads(sidecar.read_text(encoding="utf-8")))
        return request


def cases(data: Path = DATA) -> list[Case]:
    """Every input of every stage, in a stable order."""
    return [
        Case(stage, path)
        for stage in STAGES
        for path in sorted((data / stage).iterdir())
        if path.is_file() and not path.name.endswith((EXPECTED_SUFFIX, REQUEST_SUFFIX))
    ]


def run(case: Case) -> dict[str, Any]:
    """What the stage makes of the input today, JSON-ready, with the warnings it raised.

    Warnings are recorded, not raised (pytest turns them into errors): the expected file
    shows what a production run, which only logs them, returns and warns.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _run(case)
    if caught:
        result["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return result


def _run(case: Case) -> dict[str, Any]:
    request = case.request
    body = case.input.read_bytes()
    if case.stage == "parse":
        try:
            feed = parse_feed(body, request["url"], request.get("content_type"))
        except ParseError as exc:
            return {"request": request, "error": str(exc)}
        plain = as_plain(feed)
        for key in ("skip_hours", "skip_days"):  # frozensets: sorted, so the order never depends on hashing
            plain[key] = sorted(plain[key])
        return {"request": request, "feed": plain}
    try:
        extracted = extract_article(body, request["url"], charset=request.get("charset"))
    except ExtractError as exc:
        return {"request": request, "error": str(exc)}
    return {"request": request, "extracted": as_plain(extracted)}


def render(result: dict[str, Any]) -> str:
    """The expected file's text: sorted keys, indented, non-ASCII kept readable."""
    return json.dumps(result, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def differs(case: Case) -> bool:
    """Is the expected file missing, or different from the current output?"""
    if not case.expected.is_file():
        return True
    return case.expected.read_text(encoding="utf-8") != render(run(case))


def update(all_cases: Sequence[Case]) -> list[Case]:
    """Rewrite every expected file from the current code; return those whose text changed."""
    changed = []
    for case in all_cases:
        text = render(run(case))
        if not case.expected.is_file() or case.expected.read_text(encoding="utf-8") != text:
            case.expected.write_text(text, encoding="utf-8")
            changed.append(case)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite every expected file from the current code")
    args = parser.parse_args(argv)
    all_cases = cases()
    if args.update:
        changed = update(all_cases)
        for case in changed:
            print(f"updated {case.expected.relative_to(DATA.parent.parent)}")
        print(f"{len(all_cases)} golden files, {len(changed)} rewritten; review them with git diff")
        return 0
    different = [case for case in all_cases if differs(case)]
    for case in different:
        print(f"differs: {case.expected.relative_to(DATA.parent.parent)}")
    print(f"{len(all_cases)} golden files, {len(different)} differ" + (f"; run {UPDATE_COMMAND}" if different else ""))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
