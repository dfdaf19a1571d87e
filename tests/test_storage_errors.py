"""Storage failures are the operator's problem: reported once, with the path and the cause, never
blamed on a source; a database that can only be read can still be read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from newsdesk.config import Settings
from newsdesk.core import make_newsdesk
from newsdesk.errors import StorageError
from newsdesk.store import SqlStorage, open_storage
from tests.loopback import BenchServer

NEWSDESK = [sys.executable, "-m", "newsdesk"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchServer]:
    with BenchServer(tmp_path_factory.mktemp("corpus-6"), feeds=6) as srv:
        yield srv


def _cap_pages(storage: Any, pages: int) -> None:
    """Make the database file unable to grow past ``pages`` pages: SQLite's own "disk is full"."""

    def cap(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    event.listen(storage.engine, "connect", cap)
    storage.engine.dispose()  # every connection from now on is capped


def test_a_full_disk_stops_the_pass_and_blames_no_source(
    server: BenchServer, settings: Settings, tmp_path: Path
) -> None:
    db = tmp_path / "full.db"
    storage = open_storage(f"sqlite:///{db}")
    with make_newsdesk(settings, storage=storage) as desk:
        desk.add_many([(u, None, None) for u in server.feed_urls])
        with storage.engine.connect() as conn:
            used = conn.execute(text("PRAGMA page_count")).scalar_one()
        _cap_pages(storage, used + 1)  # room for a feed state or two, not for the articles
        before = {s.id: s for s in desk.sources()}
        with pytest.raises(StorageError) as caught:
            desk.update(all_sources=True, feeds_only=True)
        assert "full" in caught.value.reason and str(db) in caught.value.reason
        after = {s.id: s for s in desk.sources()}
        assert after == before  # no source was marked failed, none marked read
        assert desk.stats().source_errors == 0 and desk.stats().articles == 0


def _data_dir_with_database(tmp_path: Path, settings: Settings, server: BenchServer) -> Path:
    data = tmp_path / "data"
    env = {**os.environ, "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1"}
    subprocess.run([*NEWSDESK, "--data-dir", str(data), "init"], check=True, env=env, capture_output=True)
    for url in server.feed_urls[:2]:
        subprocess.run(
            [*NEWSDESK, "--data-dir", str(data), "sources", "add", url], check=True, env=env, capture_output=True
        )
    return data


def _read_only(mount: Path, *args: str, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI on ``data`` (default: ``mount``) with ``mount`` read-only: a private bind mount
    as root, file modes otherwise."""
    cli = " ".join([*NEWSDESK, "--data-dir", str(data or mount), *args])
    if os.geteuid() == 0:
        assert shutil.which("unshare"), "root without unshare cannot make a read-only mount"
        cmd = ["unshare", "-m", "sh", "-c", f"mount --bind -o ro {mount} {mount} && exec {cli}"]
    else:
        for path in [mount, *mount.iterdir()]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        cmd = ["sh", "-c", f"exec {cli}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_a_read_only_database_can_be_read(tmp_path: Path, settings: Settings, server: BenchServer) -> None:
    data = _data_dir_with_database(tmp_path, settings, server)
    listed = _read_only(data, "sources", "list")
    assert listed.returncode == 0, listed.stderr
    assert server.feed_urls[0] in listed.stdout
    stats = _read_only(data, "stats", "--json")
    assert stats.returncode == 0 and '"sources": 2' in stats.stdout, stats.stderr
    assert _read_only(data, "articles", "list").returncode == 0


def test_a_write_to_a_read_only_database_names_the_path_and_the_cause(
    tmp_path: Path, settings: Settings, server: BenchServer
) -> None:
    data = _data_dir_with_database(tmp_path, settings, server)
    removed = _read_only(data, "sources", "remove", "1")
    assert removed.returncode == 1
    lines = removed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in removed.stderr, removed.stderr
    assert str(data / "newsdesk.db") in lines[0] and "readonly" in lines[0].replace("-", "").replace(" ", "")


def test_a_missing_data_directory_on_a_read_only_mount_is_one_line(tmp_path: Path) -> None:
    mount = tmp_path / "mnt"
    mount.mkdir()
    run = _read_only(mount, "stats", data=mount / "missing")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip().count("\n") == 0 and str(mount / "missing") in run.stderr


def test_update_fails_when_every_source_fails(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1"}
    data = tmp_path / "data"
    subprocess.run([*NEWSDESK, "--data-dir", str(data), "init"], check=True, env=env, capture_output=True)
    # A source whose feed went away after it was added: every check of the pass fails.
    with BenchServer(tmp_path / "corpus", feeds=1) as srv:
        add = [*NEWSDESK, "--data-dir", str(data), "sources", "add", srv.feed_urls[0]]
        subprocess.run(add, check=True, env=env, capture_output=True)
    run = subprocess.run(
        [*NEWSDESK, "--data-dir", str(data), "update", "--all"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1 and "every source checked failed" in run.stderr, (run.stdout, run.stderr)


def test_extract_fails_when_an_input_fails(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_text("<html><body><article><h1>T</h1>" + "<p>Some words of an article.</p>" * 40 + "</article>")
    for inputs, code in (([good], 0), ([good, tmp_path / "missing.html"], 1), ([tmp_path / "missing.html"], 1)):
        run = subprocess.run(
            [*NEWSDESK, "extract", *map(str, inputs)], capture_output=True, text=True, timeout=120, check=False
        )
        assert run.returncode == code, (inputs, run.stderr)
        assert len(run.stdout.strip().splitlines()) == len(inputs)


def test_storage_errors_name_the_database(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'x.db'}")
    (tmp_path / "x.db").unlink()
    shutil.rmtree(tmp_path)
    storage.engine.dispose()
    with pytest.raises(StorageError) as caught:
        storage.stats()
    assert str(tmp_path / "x.db") in caught.value.reason


def test_a_number_no_column_can_hold_is_a_storage_error(storage: SqlStorage) -> None:
    """SQLite's driver raises OverflowError itself (no SQLAlchemy error), PostgreSQL "out of range"."""
    with pytest.raises(StorageError) as caught:
        storage.get_source(10**20)
    assert "get_source" in caught.value.reason
