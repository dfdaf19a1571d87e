"""Every command of the CLI with hostile arguments: one line on stderr and exit 1 or 2, never a traceback.

The commands and their parameters are read from the Typer app, so a command added tomorrow is run
here too; each parameter gets the hostile values of its type (integers past 64 bits and negative
ones, 50k-character strings, NUL bytes; for files also a missing, a binary and a directory one), and
every command is run with hostile global options (a data directory on a read-only location first).

The commands run in this process, through ``cli.main`` as the ``newsdesk`` script runs them, with
their exit intercepted: a run takes milliseconds, not the half second of a new interpreter, and
arguments with a NUL byte, which no shell can pass, can be tried too. An exception escaping
``main`` is what the script would print as a traceback.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.main import get_command

from newsdesk import cli
from newsdesk.config import load_settings
from newsdesk.core import make_newsdesk
from tests.test_store import NOW

if TYPE_CHECKING:  # Typer 0.28 vendors click: its classes are typer._click's, not click's
    from typer._click import Command, Parameter

# Linux refuses to create anything under /proc, even for root (a mode-0555 directory would not stop root).
READ_ONLY_DATA_DIR = "/proc/newsdesk-test/data"


@dataclass(frozen=True)
class Files:
    """What the file-valued arguments point at, made again before each run (``sources export`` overwrites
    a file, ``sources remove`` deletes a source: the next run finds them as they were)."""

    root: Path
    seed: Path  # a data directory with one source in it

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def missing(self) -> Path:  # in a directory that does not exist
        return self.root / "no-such-directory" / "file.txt"

    @property
    def binary(self) -> Path:
        return self.root / "binary.bin"

    @property
    def directory(self) -> Path:
        return self.root / "directory"

    @property
    def empty(self) -> Path:  # the harmless value of a file argument the run does not test
        return self.root / "empty.txt"

    def reset(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(self.seed, self.data_dir)
        self.binary.write_bytes(bytes(range(256)) * 64)
        self.directory.mkdir()
        self.empty.write_bytes(b"")


def hostile_values(param: Parameter, files: Files) -> dict[str, str]:
    """The hostile values of ``param``'s type, by name."""
    values = {"50k characters": "x" * 50_000, "NUL byte": "a\x00b"}
    kind = param.type.name  # Typer's name of the type: str, int, int range, path, file, choice, …
    if kind in ("path", "file", "directory"):
        values |= {"missing file": str(files.missing), "binary file": str(files.binary)}
        values |= {"directory": str(files.directory)}
    elif kind in ("int", "int range"):
        values = {"2**64": str(2**64), "2**63": str(2**63), "-1": "-1", "-2**64": str(-(2**64))}
    elif kind in ("float", "float range"):  # out of range both ways, and what is not a finite number
        values = {"nan": "nan", "inf": "inf", "-1e308": "-1e308", "1e309": "1e309", "2**64": str(2**64)}
    elif kind == "datetime":  # a day: the calendar's ends, a day that is not one, a year past 9999
        values |= {"first day": "0001-01-01", "last day": "9999-12-31", "Feb 30": "2026-02-30"}
        values |= {"year 10000": "10000-01-01"}
    elif kind not in ("str", "choice"):
        raise AssertionError(f"{param.name}: no hostile values for a {kind} parameter yet")
    if param.name == "data_dir":
        values["read-only location"] = READ_ONLY_DATA_DIR
    return values


# Runs where exit 0 is the right answer, and why (command, parameter, hostile value's name).
ACCEPTED = {
    ("sources export", "file", "binary file"): "an existing file is overwritten, as a shell's > would",
    ("config", "data_dir", "read-only location"): "config prints the settings and opens no database",
    ("sources catalog", "data_dir", "read-only location"): "the catalog is bundled: no database",
    ("sources catalog", "config", "binary file"): "the catalog is bundled: no settings are read",
    ("categories", "data_dir", "read-only location"): "the taxonomy is fixed: no database",
    ("categories", "config", "binary file"): "the taxonomy is fixed: no settings are read",
    ("regions", "data_dir", "read-only location"): "the taxonomy is fixed: no database",
    ("regions", "config", "binary file"): "the taxonomy is fixed: no settings are read",
    ("cluster", "data_dir", "read-only location"): "cluster needs no database",
    ("grounding", "data_dir", "read-only location"): "grounding needs no database",
    ("search", "since", "first day"): "a day of the calendar: nothing is older",
    ("search", "since", "last day"): "a day of the calendar: nothing is newer",
    ("search", "until", "first day"): "a day of the calendar: nothing is older",
    ("search", "until", "last day"): "a day of the calendar: the search ends at its last instant",
    ("demo", "data_dir", "read-only location"): "the demo runs on a temporary database of its own",
}


def leaf_commands() -> Iterator[tuple[str, Command]]:
    """Every command of the app, as typed after ``newsdesk`` (``sources add``), with its click command."""

    def walk(group: Command, prefix: str) -> Iterator[tuple[str, Command]]:
        for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
            if hasattr(command, "commands"):  # a group
                yield from walk(command, f"{prefix}{name} ")
            else:
                yield prefix + name, command

    yield from walk(get_command(cli.app), "")


def value_params(command: Command) -> list[Parameter]:
    """The parameters that take a value (flags take none)."""
    return [p for p in command.params if not getattr(p, "is_flag", False)]


@dataclass(frozen=True)
class Case:
    command: str
    param: str
    value_name: str
    argv: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.command} {self.param}={self.value_name}"


def command_argv(command: Command, tested: Parameter | None, value: str, files: Files) -> list[str]:
    """The command's own arguments: ``value`` for ``tested``, a harmless value for each other required
    argument (1, or an empty file)."""
    argv: list[str] = []
    for param in command.params:
        if param is tested:
            given = value
        elif param.param_type_name == "argument" and param.required:
            given = str(files.empty) if param.type.name in ("path", "file") else "1"
        else:
            continue
        argv += [given] if param.param_type_name == "argument" else [param.opts[0], given]
    return argv


def cases(files: Files) -> list[Case]:
    """Each command with each hostile value of each of its parameters, and with each hostile global option."""
    root = get_command(cli.app)
    out = []
    for name, command in leaf_commands():
        for param in value_params(command):
            for value_name, value in hostile_values(param, files).items():
                argv = ["--data-dir", str(files.data_dir), *name.split(), *command_argv(command, param, value, files)]
                out.append(Case(name, str(param.name), value_name, tuple(argv)))
        for option in value_params(root):
            for value_name, value in hostile_values(option, files).items():
                global_options = [option.opts[0], value]
                if option.name != "data_dir":
                    global_options += ["--data-dir", str(files.data_dir)]
                argv = [*global_options, *name.split(), *command_argv(command, None, "", files)]
                out.append(Case(name, str(option.name), value_name, tuple(argv)))
    return out


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    traceback: str | None


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class _WouldServe(Exception):
    """Raised where ``serve`` or ``demo`` would start serving: the command took its arguments."""


def _exit_now(code: int | str | None) -> None:
    """``cli._exit_now`` without leaving the process: the same exit code, a string printed as it prints it."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    raise _Exited(code or 0)


def run_cli(argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """``newsdesk ARGV`` in this process: exit code, stdout, stderr, and the traceback it would print."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    logger = logging.getLogger("newsdesk")
    saved = (logger.handlers[:], logger.level, logger.propagate)  # configure_logging takes the logger over
    tb = None
    with monkeypatch.context() as patch:
        patch.setattr(sys, "argv", ["newsdesk", *argv])
        patch.setattr(sys, "excepthook", sys.excepthook)  # Typer installs its own on every call
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        patch.setattr(cli, "_exit_now", _exit_now)
        try:
            cli.main()
            code = 0
        except _Exited as exc:
            code = exc.code
        except _WouldServe:
            code = 0
        except BaseException as exc:  # what the script would print as a traceback
            code = 1
            tb = "".join(traceback.format_exception(exc))
        finally:
            logger.handlers[:], logger.level, logger.propagate = saved
    out.flush()
    err.flush()
    stdout = out.buffer.getvalue().decode()  # type: ignore[attr-defined]
    stderr = err.buffer.getvalue().decode()  # type: ignore[attr-defined]
    if tb is None and "Traceback (most recent call last)" in stderr:
        tb = stderr
    return Outcome(code, stdout, stderr, tb)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """A data directory with one paused source (id 1: commands that take an id get past the lookup,
    and no update fetches anything), and the hostile files."""
    seed = tmp_path / "seed"
    desk = make_newsdesk(load_settings({"data_dir": str(seed)}, env={}))
    try:
        source = desk.storage.add_source("http://127.0.0.1:9/feed", title="Loopback", now=NOW)
        desk.pause_source(source.id, "never fetched by this test")
    finally:
        desk.close()
    return Files(tmp_path / "run", seed)


def test_every_command_refuses_hostile_arguments_in_one_line(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("NEWSDESK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    import uvicorn

    from newsdesk.demo import run as demo_run

    def would_serve(*_args: object, **_kwargs: object) -> None:
        raise _WouldServe

    for where, name in ((uvicorn, "run"), (uvicorn.Server, "run"), (uvicorn.Server, "serve")):
        monkeypatch.setattr(where, name, would_serve)  # serve: everything up to listening runs
    monkeypatch.setattr(demo_run, "running_demo_site", would_serve)  # demo: up to starting its news site

    all_cases = cases(files)
    commands = {case.command for case in all_cases}
    assert {"sources remove", "articles list", "update", "cluster", "serve", "demo"} <= commands
    failures: dict[str, list[str]] = {}
    for case in all_cases:
        files.reset()
        outcome = run_cli(case.argv, monkeypatch)
        problem = judge(case, outcome)
        if problem:
            failures.setdefault(case.command, []).append(f"{case.id}: {problem}")
    report = [
        f"{command}: {len(lines)} failing runs\n    " + "\n    ".join(lines) for command, lines in failures.items()
    ]
    assert not failures, f"{len(failures)} of {len(commands)} commands fail:\n" + "\n".join(sorted(report))
    assert set(ACCEPTED) <= {(case.command, case.param, case.value_name) for case in all_cases}  # none stale


def judge(case: Case, outcome: Outcome) -> str | None:
    """What is wrong with ``outcome``, or None."""
    lines = outcome.stderr.splitlines()
    if outcome.traceback is not None:
        last = outcome.traceback.strip().splitlines()[-1][:150]
        return f"traceback ({len(outcome.traceback.splitlines())} lines): {last}"
    if outcome.code == 0:
        if (case.command, case.param, case.value_name) in ACCEPTED:
            return None
        return "exit 0: the value was taken"
    if outcome.code not in (1, 2):
        return f"exit {outcome.code}"
    if len(lines) != 1:
        return f"exit {outcome.code} with {len(lines)} lines on stderr: {outcome.stderr[:300]!r}"
    return None
