"""Kill -9 during `newsdesk update`, run it again: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.loopback import BenchServer

pytestmark = pytest.mark.slow

ENV = {"NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1", "NEWSDESK_MAX_CONNECTIONS_PER_HOST": "32", "NEWSDESK_LOG_LEVEL": "ERROR"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchServer]:
    with BenchServer(tmp_path_factory.mktemp("corpus"), feeds=12) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_leaked_semaphores() -> Iterator[None]:
    """Killing the whole process group also kills multiprocessing's resource tracker, which would
    have unlinked the extraction pool's named semaphores: remove the ones these kills leave in /dev/shm."""
    shm = Path("/dev/shm")
    before = set(shm.glob("sem.mp-*")) if shm.is_dir() else set()
    yield
    if shm.is_dir():
        for leaked in set(shm.glob("sem.mp-*")) - before:
            leaked.unlink(missing_ok=True)


def newsdesk(data: Path, *args: str) -> list[str]:
    """The ``newsdesk`` command on the data directory ``data`` (also run by tests/test_signals.py)."""
    return [sys.executable, "-m", "newsdesk", "--data-dir", str(data), *args]


def subscribe(server: BenchServer, data: Path) -> None:
    """Subscribe the data directory ``data`` to every feed of ``server`` (its OPML list)."""
    opml = server.corpus_dir / "feeds.opml"
    subprocess.run(
        newsdesk(data, "sources", "import", str(opml)), check=True, env=os.environ | ENV, capture_output=True
    )


def snapshot(data: Path) -> tuple[set[tuple[object, ...]], int, int]:
    """Every stored article with the primary it is a copy of, and how exact duplicates are folded.

    Which copy of a syndicated text becomes the primary does not depend on which chunk is
    written first (``pipeline/primaries.py``), so a killed and rerun pass must fold every
    copy into the same primary as an uninterrupted one.
    """
    con = sqlite3.connect(data / "newsdesk.db")
    try:
        rows = con.execute(
            "SELECT s.url, a.guid, a.title, a.word_count, p.guid FROM articles a JOIN sources s ON s.id = a.source_id"
            " LEFT JOIN articles p ON p.id = a.duplicate_of"
        ).fetchall()
        duplicates = con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]
        pending = con.execute(
            "SELECT count(*) FROM articles WHERE duplicate_of IS NULL AND extraction_status = 'pending'"
        ).fetchone()[0]
        count = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        dangling = con.execute(
            "SELECT count(*) FROM articles d LEFT JOIN articles p ON p.id = d.duplicate_of "
            "WHERE d.duplicate_of IS NOT NULL AND (p.id IS NULL OR p.duplicate_of IS NOT NULL)"
        ).fetchone()[0]
    finally:
        con.close()
    assert count == len(rows)
    assert dangling == 0, "a duplicate points to no primary"
    return set(rows), duplicates, pending


def test_kill_9_then_rerun_equals_uninterrupted_run(server: BenchServer, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    subscribe(server, reference)
    subprocess.run(newsdesk(reference, "update", "--all"), check=True, env=os.environ | ENV, capture_output=True)
    expected = snapshot(reference)
    assert len(expected[0]) == server.n_items and expected[2] == 0  # every page extracted

    total = len(expected[0])
    # Killed once the feeds' articles are stored, and again once some of their pages are extracted.
    for name, moment in (("feeds-stored", _articles_stored), ("pages-partly-done", _pages_partly_done)):
        data = tmp_path / f"killed-{name}"
        subscribe(server, data)
        proc = subprocess.Popen(
            newsdesk(data, "update", "--all"),
            env=os.environ | ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        state = kill_when(proc, data, moment)
        assert state is not None, f"{name}: the pass ended before the kill"
        subprocess.run(newsdesk(data, "update", "--all"), check=True, env=os.environ | ENV, capture_output=True)
        assert snapshot(data) == expected, f"state after a kill at {name} ({state}) differs from {total} articles"


def _articles_stored(stored: int, extracted: int, _enriched: int) -> bool:
    return stored > 0 and extracted == 0


def _pages_partly_done(stored: int, extracted: int, _enriched: int) -> bool:
    return 0 < extracted < stored


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchServer]:
    with BenchServer(tmp_path_factory.mktemp("corpus-200"), feeds=200) as srv:
        yield srv


def stored_articles(data: Path) -> tuple[int, int, int]:
    """(articles, of which extracted, of which enriched) committed so far, read beside the running
    writer (WAL lets both in); zeros before any."""
    try:
        con = sqlite3.connect(f"file:{data / 'newsdesk.db'}?mode=ro", uri=True, timeout=1)
        try:
            stored, extracted, enriched = con.execute(
                "SELECT count(*), coalesce(sum(extraction_status = 'extracted'), 0), count(enriched_at) FROM articles"
            ).fetchone()
            return int(stored), int(extracted), int(enriched)
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0, 0, 0


def kill_when(
    proc: subprocess.Popen[bytes], data: Path, moment: Callable[[int, int, int], bool], deadline_s: float = 60
) -> tuple[int, int, int] | None:
    """SIGKILL the process group (the process and its workers, like a power cut) at the first
    ``moment(stored, extracted, enriched)``; what was stored then, or None when the pass ended first."""
    deadline = time.monotonic() + deadline_s
    while proc.poll() is None and time.monotonic() < deadline:
        state = stored_articles(data)
        if moment(*state):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return state
        time.sleep(0.005)
    proc.wait()
    return None


def test_kill_9_during_parallel_ingest(big_server: BenchServer, tmp_path: Path) -> None:
    """Same, on the worker-process path (≥ 40 feeds): chunks written by several processes,
    killed as soon as the first chunk is committed and again halfway through the pass."""
    reference = tmp_path / "reference"
    subscribe(big_server, reference)
    args = ("update", "--all", "--feeds-only")
    subprocess.run(newsdesk(reference, *args), check=True, env=os.environ | ENV, capture_output=True)
    expected = snapshot(reference)
    total = len(expected[0])
    assert total == big_server.n_items
    for name, at_least in (("first-chunk", 1), ("halfway", total // 2)):

        def moment(stored: int, _extracted: int, _enriched: int, at_least: int = at_least) -> bool:
            return stored >= at_least

        data = tmp_path / f"killed-{name}"
        subscribe(big_server, data)
        proc = subprocess.Popen(
            newsdesk(data, *args),
            env=os.environ | ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        state = kill_when(proc, data, moment)
        # The kill must land mid-pass, with part of the articles committed, or the test proves nothing.
        assert state is not None and 0 < state[0] < total, f"{name}: the pass was not killed mid-write ({state})"
        seen = state[0]
        assert stored_articles(data)[0] == seen  # what was committed stays committed
        subprocess.run(newsdesk(data, *args), check=True, env=os.environ | ENV, capture_output=True)
        assert snapshot(data) == expected, f"state after a kill with {seen} of {total} articles stored differs"


def _session_processes(sid: int) -> list[int]:
    """Live processes of session ``sid`` (zombies, already dead, are not counted)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:  # state, ppid, pgrp, session
            alive.append(int(entry.name))
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers die with their parent on Linux only")
def test_workers_do_not_outlive_a_killed_update(big_server: BenchServer, tmp_path: Path) -> None:
    """kill -9 of `newsdesk update` alone (not its process group): its ingest workers exit too."""
    data = tmp_path / "orphans"
    subscribe(big_server, data)
    proc = subprocess.Popen(
        newsdesk(data, "update", "--all", "--feeds-only"),
        env=os.environ | ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while len(_session_processes(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)  # until the workers are up
    assert len(_session_processes(proc.pid)) >= 2, "no worker process was started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _session_processes(proc.pid) == [], "ingest workers outlived the killed update"
