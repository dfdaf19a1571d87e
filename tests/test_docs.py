"""The documents stay true: what docs/architecture.md names exists, and it describes every import contract."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "src" / "newsdesk"
ARCHITECTURE = REPO / "docs" / "architecture.md"
# `some/path.py`, `some/dir/`, optionally followed by `: name` (a function or class in that module)
_PATH = re.compile(r"`((?:[\w.-]+/)*[\w.-]+(?:\.py|/))(?::\s*(\w+)(?:\.\w+)?)?")
_DOTTED = re.compile(r"`((?:newsdesk|pipeline|tasks|queries|store|ai|net|web|sources)\.[\w.]+)`")


def _where(path: str) -> Path:
    """A path as the docs write it: relative to the package, or to the repository (tests/, bench/, docs/)."""
    first = path.split("/", 1)[0]
    if first in {"tests", "bench", "docs", "scripts", "src"} or path in {"pyproject.toml", "Makefile"}:
        return REPO / path
    return PACKAGE / path


def _names(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return found


def test_every_module_the_architecture_names_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = [(m.group(1), m.group(2)) for m in _PATH.finditer(text)]
    assert len(named) > 60, "the page names the modules it describes"
    missing = [path for path, _ in named if not path.startswith("../") and not _where(path).exists()]
    assert not missing, f"docs/architecture.md names modules that do not exist: {sorted(set(missing))}"
    wrong = [
        f"{path}: {name}" for path, name in named if name and path.endswith(".py") and name not in _names(_where(path))
    ]
    assert not wrong, f"docs/architecture.md names definitions that are not where it says: {wrong}"


def test_every_dotted_module_the_architecture_names_exists() -> None:
    for dotted in _DOTTED.findall(ARCHITECTURE.read_text(encoding="utf-8")):
        parts = dotted.removeprefix("newsdesk.").split(".")
        base = PACKAGE.joinpath(*parts)
        module, _, attribute = dotted.rpartition(".")
        owner = PACKAGE.joinpath(*module.removeprefix("newsdesk.").split("."))
        assert (
            base.with_suffix(".py").exists()
            or base.is_dir()
            or (owner.with_suffix(".py").exists() and attribute in _names(owner.with_suffix(".py")))
            or (owner.is_dir() and attribute in _names(owner / "__init__.py"))
        ), dotted


def test_every_package_of_the_source_tree_is_on_the_page() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    for package in sorted(p for p in PACKAGE.rglob("__init__.py") if "migrations" not in p.parts):
        rel = package.parent.relative_to(PACKAGE)
        if rel == Path():
            continue
        assert f"{rel.name}/" in text, f"docs/architecture.md does not mention {rel}/"


@pytest.mark.parametrize(
    "contract",
    [c["name"] for c in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]],
)
def test_every_import_contract_is_described(contract: str) -> None:
    assert f"**{contract}**" in ARCHITECTURE.read_text(encoding="utf-8"), contract
