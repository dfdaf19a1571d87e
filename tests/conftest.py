"""Shared fixtures: real databases (SQLite and PostgreSQL), settings, paths.

PostgreSQL tests run when ``NEWSDESK_TEST_POSTGRES_URL`` is set (CI sets it);
with ``NEWSDESK_TEST_REQUIRE_POSTGRES=1`` a missing server fails instead of skipping.
With ``NEWSDESK_TEST_NO_SKIPS=1`` (CI) a run that skipped any test fails: a quality gate
or the browser test that silently skipped (shared data or Chromium missing) proves nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from newsdesk.config import Settings
from newsdesk.store import SqlStorage, open_storage

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"
SHARED_BENCH = SHARED / "bench"

# The real LLM server's fixture (``llm_server``), registered here rather than imported where used: ruff flags a
# fixture import as unused, then redefined by the test's argument.
pytest_plugins = ["tests.llm_server"]


def postgres_url() -> str | None:
    url = os.environ.get("NEWSDESK_TEST_POSTGRES_URL")
    if not url and os.environ.get("NEWSDESK_TEST_REQUIRE_POSTGRES") == "1":
        pytest.fail("NEWSDESK_TEST_REQUIRE_POSTGRES=1 but NEWSDESK_TEST_POSTGRES_URL is not set")
    return url


def _sqlalchemy_pg(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


# Each test process works in a schema of its own, so concurrent runs against the
# same database (two developers, CI and a benchmark) never drop each other's tables.
PG_SCHEMA = f"newsdesk_test_{os.getpid()}"


def reset_postgres(url: str) -> str:
    """An empty schema for this test; returns the SQLAlchemy URL that uses it."""
    engine = create_engine(_sqlalchemy_pg(url))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return _sqlalchemy_pg(url) + f"{sep}options=-csearch_path%3D{PG_SCHEMA}"


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schema() -> Iterator[None]:
    yield
    url = os.environ.get("NEWSDESK_TEST_POSTGRES_URL")
    if url:
        engine = create_engine(_sqlalchemy_pg(url))
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        engine.dispose()


def fresh_database(kind: str, directory: Path) -> str:
    """An empty database of ``kind`` (sqlite, postgresql): its URL; PostgreSQL is skipped without a server."""
    if kind == "sqlite":
        return f"sqlite:///{directory / 'newsdesk.db'}"
    url = postgres_url()
    if not url:
        pytest.skip("set NEWSDESK_TEST_POSTGRES_URL to run PostgreSQL tests")
    return reset_postgres(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL of each kind (the storage contract runs on both)."""
    return fresh_database(request.param, tmp_path)


@pytest.fixture
def storage(db_url: str) -> Iterator[SqlStorage]:
    s = open_storage(db_url)
    yield s
    s.close()


def test_settings(directory: Path, **changes: object) -> Settings:
    """Settings for tests: a private data dir, loopback allowed, fast back-off (and ``changes``)."""
    defaults: dict[str, object] = {
        "data_dir": str(directory / "data"),
        "allow_private_networks": True,
        "max_connections_per_host": 64,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 3.0,
        "total_timeout_s": 6.0,
        "error_backoff_base_s": 60.0,
    }
    return Settings(**(defaults | changes))  # type: ignore[arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for tests: a private data dir, loopback allowed, fast back-off."""
    return test_settings(tmp_path)


def require_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under ``NEWSDESK_TEST_NO_SKIPS=1``, turn a passing run with skipped tests into a failure."""
    if os.environ.get("NEWSDESK_TEST_NO_SKIPS") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = list(reporter.stats.get("skipped", [])) if reporter is not None else []
    if skipped:
        lines = [f"  {r.nodeid}: {r.longrepr[-1] if isinstance(r.longrepr, tuple) else r.longrepr}" for r in skipped]
        sys.stderr.write("NEWSDESK_TEST_NO_SKIPS=1 but these tests were skipped:\n" + "\n".join(lines) + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright for Python (``executable_path``: no downloaded browser).

    One per test module, not per session: Playwright's sync API keeps an event loop running on the main
    thread while it is open, and every other test that runs ``asyncio.run`` would then fail."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is in the dev extras")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py`` as a module (benchmarks are scripts, not a package): quality gates reuse their
    one definition of the data and the figures. Registered in ``sys.modules`` because dataclasses look
    their module up while the file runs."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
