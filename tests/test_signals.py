"""No newsdesk process outlives the command, whatever signal ends it; SIGTERM and Ctrl-C stop it in order.

Each test runs the real command (``python -m newsdesk``, the installed entry point) on the loopback
bench server, with a marker in its environment (``NEWSDESK_TEST_MARKER=<uuid>``) that every process
it starts inherits: ingest workers, the fork server, extraction workers, the resource tracker. It
stops the command at a chosen moment with a chosen signal, then looks for any process that still
carries the marker, and checks that a following ``update`` finishes the work with nothing lost and
nothing stored twice.

Before ``newsdesk.lifetime``, a ``kill -9`` (or a SIGTERM, which ended the process at once) during
the page phase or during ``serve`` left the fork server, its two workers and the resource tracker
running, re-parented to init (≈330 MB); SIGTERM exited with no clean-up and Ctrl-C in a terminal
printed the workers' tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psutil
import pytest

from tests.loopback import BenchServer, free_port
from tests.test_crash import newsdesk, stored_articles, subscribe

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes die with their parent on Linux only"),
]

ENV = {
    "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
    "NEWSDESK_MAX_CONNECTIONS_PER_HOST": "32",
    "NEWSDESK_LOG_LEVEL": "ERROR",
    "NEWSDESK_EXTRACT_WORKERS": "2",
    # Story intelligence starts no process; left out, a pass and its rerun take seconds, not a minute.
    "NEWSDESK_ENRICH": "false",
}
MANY_FEEDS = 45  # ≥ 40 (ingest.MIN_FEEDS_FOR_PROCESSES): the feed phase runs in worker processes
FEW_FEEDS = 4  # reaches the page phase (the extraction pool) within seconds; ≈150 pages
STOP_WITHIN_S = 10.0  # SIGTERM or Ctrl-C to exit, generous for a loaded CI machine (measured: ≈0.2 s)
GONE_WITHIN_S = 10.0  # the fork server, its workers, the resource tracker after the command (measured: ≈0.1 s)
REACH_WITHIN_S = 90.0  # the command to reach the moment of the stop


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchServer]:
    with BenchServer(tmp_path_factory.mktemp("corpus-many"), feeds=MANY_FEEDS) as srv:
        yield srv


@pytest.fixture(scope="module")
def few(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchServer]:
    with BenchServer(tmp_path_factory.mktemp("corpus-few"), feeds=FEW_FEEDS) as srv:
        yield srv


# --- the moments of a stop: (articles stored, of which extracted, of which enriched) -> stop now? ------


def feeds_written(stored: int, extracted: int, enriched: int) -> bool:
    """The first chunk of feeds is committed: the feed phase is under way, its workers busy."""
    return stored > 0 and extracted == 0


def pages_extracted(stored: int, extracted: int, enriched: int) -> bool:
    """The first pages are written: the extraction pool (fork server and workers) is up."""
    return extracted > 0


def enrichment_begun(stored: int, extracted: int, enriched: int) -> bool:
    """The first batch of story intelligence is written."""
    return enriched > 0


# --- running the command ---------------------------------------------------------------------------


@dataclass
class Run:
    """One newsdesk command, started with a marker every process it starts inherits."""

    proc: subprocess.Popen[bytes]
    data: Path
    marker: str
    stderr: Path

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")


def env_with(marker: str) -> dict[str, str]:
    return os.environ | ENV | {"NEWSDESK_TEST_MARKER": marker}


def start(
    server: BenchServer, tmp_path: Path, *args: str, ignore_sigint: bool = False, env: dict[str, str] | None = None
) -> Run:
    """Subscribe a fresh data directory to ``server``'s feeds and start ``newsdesk *args`` on it.

    Its own session, so a signal to the test's process group never reaches it, and a group of its
    own to signal (Ctrl-C). stderr goes to a file: a pipe would stay open as long as any leftover
    process holds it. ``ignore_sigint``: start it as a shell script starts a background job; ``env``:
    settings of this run.
    """
    data = tmp_path / "data"
    subscribe(server, data)
    marker = uuid.uuid4().hex
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as err, sigint_inherited(signal.SIG_IGN if ignore_sigint else signal.default_int_handler):
        proc = subprocess.Popen(
            newsdesk(data, *args),
            env=env_with(marker) | (env or {}),
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    return Run(proc, data, marker, stderr)


@contextlib.contextmanager
def sigint_inherited(handler: Callable[[int, FrameType | None], object] | signal.Handlers) -> Iterator[None]:
    """The SIGINT disposition a command started inside inherits: ignored with ``SIG_IGN``, else the default.

    A child inherits an ignored signal across exec, and the test process may itself have been started
    with SIGINT ignored (``pytest … &`` in a script without job control): its Ctrl-C cases then saw a
    command that ran to its end as if no Ctrl-C came. Set here, in the test process, around the start:
    no Python code runs in the child between fork and exec (unsafe with the suite's threads).
    """
    before = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def assert_stops_at(
    run: Run, moment: Callable[[int, int, int], bool], signum: int, *, group: bool = False, server: bool = False
) -> None:
    """Send ``signum`` at the first ``moment`` (to the process group with ``group``: Ctrl-C in a terminal),
    then check the end: no process outlives the command, and unless it was SIGKILL, it stopped in order
    (a ``server``: exit 0, nothing on stderr; any other command: one line, the end by the signal)."""
    deadline = time.monotonic() + REACH_WITHIN_S
    while not moment(*stored_articles(run.data)):
        assert run.proc.poll() is None, f"the command ended before the stop: {run.errors()[-2000:]}"
        assert time.monotonic() < deadline, "the command did not reach the moment of the stop"
        time.sleep(0.01)
    assert marked(run.marker), "the marker is not inherited: the test would prove nothing"
    # the moment is read from the database: a pass that ended before it was seen leaves nothing to stop
    assert run.proc.poll() is None, f"the command ended ({run.proc.returncode}) before the stop could be sent"
    if group:
        os.killpg(run.proc.pid, signum)
    else:
        os.kill(run.proc.pid, signum)
    try:
        run.proc.wait(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired:
        run.proc.kill()
        run.proc.wait()
        pytest.fail(f"{signal.Signals(signum).name}: still running {STOP_WITHIN_S} s after the signal")
    assert_none_left(run)
    if signum == signal.SIGKILL:
        return
    if server:
        assert_server_stopped(run)
    else:
        assert_stopped_in_order(run, signum)


# --- what must hold afterwards ----------------------------------------------------------------------


def marked(marker: str) -> list[psutil.Process]:
    """Live processes whose environment carries ``marker`` (zombies are dead and not counted)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get("NEWSDESK_TEST_MARKER") == marker:
                found.append(proc)
        except (psutil.Error, OSError):  # gone meanwhile, or not ours to read
            continue
    return found


def assert_none_left(run: Run) -> None:
    """No process started by the command is alive a short while after it ended (else: kill them, fail)."""
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := marked(run.marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left:
        described = []
        for proc in left:
            try:
                described.append(f"{proc.pid} ({proc.memory_info().rss >> 20} MB): {' '.join(proc.cmdline())[:90]}")
                proc.kill()
            except psutil.Error:
                continue
        pytest.fail(f"{len(left)} processes outlived the command:\n" + "\n".join(described))


def assert_stopped_in_order(run: Run, signum: int) -> None:
    """One line saying so, no traceback, and the end by that signal once stopped (a shell shows 128 + signal)."""
    name = signal.Signals(signum).name
    errors = run.errors()
    assert "Traceback" not in errors, errors[-3000:]
    assert [line for line in errors.splitlines() if line.strip()] == [f"stopped by {name}"]
    assert run.proc.returncode == -signum, f"exit status {run.proc.returncode}: {errors[-2000:]}"


def assert_server_stopped(run: Run) -> None:
    """A server's stop is its normal end: exit status 0, nothing on stderr."""
    errors = run.errors()
    assert run.proc.returncode == 0, f"exit status {run.proc.returncode}: {errors[-2000:]}"
    assert errors.strip() == "", errors[-3000:]


def assert_consistent_after_rerun(server: BenchServer, run: Run, *args: str) -> None:
    """A following ``update`` succeeds and leaves every article stored once, with its page when asked."""
    done = subprocess.run(
        newsdesk(run.data, "update", "--all", *args), check=False, env=os.environ | ENV, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    con = sqlite3.connect(run.data / "newsdesk.db")
    try:
        count, distinct = con.execute(
            "SELECT count(*), count(DISTINCT source_id || ' ' || guid) FROM articles"
        ).fetchone()
        pending = con.execute(
            "SELECT count(*) FROM articles WHERE duplicate_of IS NULL AND extraction_status = 'pending'"
        ).fetchone()[0]
        dangling = con.execute(
            "SELECT count(*) FROM articles d LEFT JOIN articles p ON p.id = d.duplicate_of "
            "WHERE d.duplicate_of IS NOT NULL AND (p.id IS NULL OR p.duplicate_of IS NOT NULL)"
        ).fetchone()[0]
    finally:
        con.close()
    assert count == distinct == server.n_items, f"{count} articles ({distinct} distinct) of {server.n_items}"
    assert dangling == 0, "a duplicate points to no primary"
    if "--feeds-only" not in args:
        assert pending == 0, f"{pending} pages still pending after the rerun"


# --- the tests --------------------------------------------------------------------------------------

SIGNALS = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]


def _ids(signum: int) -> str:
    return signal.Signals(signum).name


@pytest.mark.parametrize("signum", SIGNALS, ids=_ids)
def test_update_stopped_in_the_feed_phase(many: BenchServer, tmp_path: Path, signum: int) -> None:
    """The ingest workers (forked by the command itself) go with it; a stopped chunk is redone."""
    run = start(many, tmp_path, "update", "--all", "--feeds-only")
    assert_stops_at(run, feeds_written, signum)
    assert_consistent_after_rerun(many, run, "--feeds-only")


@pytest.mark.parametrize("signum", SIGNALS, ids=_ids)
def test_update_stopped_in_the_page_phase(few: BenchServer, tmp_path: Path, signum: int) -> None:
    """The extraction pool's fork server, its workers and the resource tracker go with the command."""
    run = start(few, tmp_path, "update", "--all")
    assert_stops_at(run, pages_extracted, signum)
    assert_consistent_after_rerun(few, run)


@pytest.mark.parametrize("signum", SIGNALS, ids=_ids)
def test_serve_stopped_while_its_scheduler_extracts(few: BenchServer, tmp_path: Path, signum: int) -> None:
    """uvicorn stops, then the scheduler's pass and its pools, and the server exits 0."""
    run = start(few, tmp_path, "serve", "--port", str(free_port()))
    assert_stops_at(run, pages_extracted, signum, server=True)
    if signum != signal.SIGINT:  # SIGINT stops the pass as SIGTERM does (a rerun costs seconds)
        assert_consistent_after_rerun(few, run)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=_ids)
def test_serve_stopped_while_its_scheduler_ingests(many: BenchServer, tmp_path: Path, signum: int) -> None:
    """A server's ingest workers are forked by the fork server, not by the command: they go too."""
    run = start(many, tmp_path, "serve", "--port", str(free_port()))
    assert_stops_at(run, feeds_written, signum, server=True)
    assert_consistent_after_rerun(many, run, "--feeds-only")


def test_ctrl_c_in_a_terminal(few: BenchServer, tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the workers leave the stop to the command (no tracebacks)."""
    run = start(few, tmp_path, "update", "--all")
    assert_stops_at(run, pages_extracted, signal.SIGINT, group=True)


def test_sigterm_of_a_background_job(few: BenchServer, tmp_path: Path) -> None:
    """A shell script's background job ignores SIGINT; SIGTERM still stops it in order."""
    run = start(few, tmp_path, "update", "--all", ignore_sigint=True)
    assert_stops_at(run, pages_extracted, signal.SIGTERM)


# A process with a forkserver ingest pool (the path of a server whose threads forbid forking), its
# workers started, that reports "ready" and waits to be killed.
FORKSERVER_POOL = """
import multiprocessing, sys, time
from newsdesk.config import Settings
from newsdesk.tasks import ingest_workers

ctx = multiprocessing.get_context("forkserver")
ingester = ingest_workers.ProcessIngester(sys.argv[1], Settings(data_dir=sys.argv[2]), ctx.Lock(), 2, context=ctx)
started = [ingester._executor.submit(ingest_workers._ready) for _ in range(2)]  # one worker each
assert all(f.result() for f in started)
print("ready", flush=True)
time.sleep(120)
"""


def test_forkserver_ingest_workers_die_with_the_process(few: BenchServer, tmp_path: Path) -> None:
    """kill -9 of a process whose ingest workers a fork server started: the fork server, the
    workers and the resource tracker go too (a server forks no worker itself once it has threads)."""
    data = tmp_path / "data"
    subscribe(few, data)  # creates the database the workers open
    marker = uuid.uuid4().hex
    proc = subprocess.Popen(
        [sys.executable, "-c", FORKSERVER_POOL, f"sqlite:///{data / 'newsdesk.db'}", str(data)],
        env=env_with(marker),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    run = Run(proc, data, marker, tmp_path / "unused")
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        assert len(marked(marker)) >= 4, "expected the process, a fork server and two workers"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    assert_none_left(run)


def test_sigterm_during_enrichment(few: BenchServer, tmp_path: Path) -> None:
    """Story intelligence ends after the batch it is writing; it used to run to the end of its backlog
    (48 s after the SIGTERM for 1,654 articles), however long that took."""
    run = start(few, tmp_path, "update", "--all", env={"NEWSDESK_ENRICH": "true", "NEWSDESK_ENRICH_BATCH": "8"})
    assert_stops_at(run, enrichment_begun, signal.SIGTERM)
    stored, _, enriched = stored_articles(run.data)
    assert enriched < stored, "the enrichment ran to its end after the SIGTERM"


def test_a_pass_stopped_while_the_extraction_pool_starts_stops_it(tmp_path: Path) -> None:
    """A stop (the pass's task cancelled) that lands while the workers warm up still closes the pool."""
    from newsdesk.config import Settings
    from newsdesk.tasks.extract_pool import ExtractorPool

    pool = ExtractorPool(Settings(data_dir=str(tmp_path)), workers=1)

    async def stop_while_starting() -> None:
        starting = asyncio.ensure_future(pool.__aenter__())
        await asyncio.sleep(0.05)  # the fork server is starting; the worker is not warm yet
        starting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await starting

    asyncio.run(stop_while_starting())
    assert pool._executor is None, "the pool was left running"


def test_a_pass_that_fails_while_stopping_still_stops(caplog: pytest.LogCaptureFixture) -> None:
    """A server's scheduler stops even when its pass raises on its way out (a pool that fails to close):
    the failure is logged, no next pass starts, and the server's shutdown goes on."""
    from newsdesk.tasks.scheduler import Scheduler

    started = 0

    async def failing_on_the_way_out() -> None:
        nonlocal started
        started += 1
        try:
            await asyncio.sleep(60)
        finally:
            if started == 1:
                raise RuntimeError("closing the pool failed")

    async def stop_during_a_pass() -> None:
        scheduler = Scheduler(failing_on_the_way_out, tick_s=0)
        scheduler.start()
        await asyncio.sleep(0.05)  # the first pass is under way
        stopping = asyncio.ensure_future(scheduler.stop())
        await asyncio.wait({stopping}, timeout=STOP_WITHIN_S)
        if not stopping.done():  # the stop was taken for a failed pass and the next one began: end that one
            assert scheduler._task is not None
            scheduler._task.cancel()
        await stopping

    asyncio.run(stop_during_a_pass())
    assert started == 1, "the scheduler went on with a next pass after the stop"
    assert "scheduler.stop_failed" in caplog.text and "closing the pool failed" in caplog.text
