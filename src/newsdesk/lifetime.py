"""Process lifetime: no newsdesk process outlives the command that started it, and SIGTERM stops a
command the way Ctrl-C does.

**Workers** (the ingest and extraction pools of :mod:`newsdesk.tasks`) call :func:`become_worker`
first thing. Without it a ``kill -9`` of ``newsdesk update`` or ``serve`` left four processes
behind (≈330 MB), re-parented to init, forever, because they keep each other alive:

* CPython's fork server exits when the write end of its "alive" pipe is closed everywhere, and it
  hands that write end to every worker it forks;
* a pool worker waits on a task queue whose write end it holds too, so it never sees EOF;
* the resource tracker exits when every holder of *its* pipe is gone, workers included.

A worker therefore asks the kernel to SIGKILL it when its parent dies (``PR_SET_PDEATHSIG``, Linux)
and then gives the fork server's pipe back. The chain unwinds by itself: the command dies → the fork
server reads EOF and exits → its workers get SIGKILL → the resource tracker reads EOF, unlinks the
semaphores they leave and exits. The parent-death signal belongs to the *thread* that forked the
worker, not its process: a fork server is single-threaded, and a pool forked directly
(``newsdesk update``) is forked by the event loop's thread, which lives as long as the pass. The
fork server itself gets no parent-death signal, because the thread that starts it may be a
short-lived one; it has the pipe. Workers also ignore SIGINT: Ctrl-C in a terminal reaches the whole
process group, and the command stops its pools in order (a worker's traceback, and a pool broken
mid-chunk, helped nobody). SIGTERM keeps its default in workers: pools stop a broken pool's workers
with it. Under systemd, ``KillMode=mixed`` sends SIGTERM to the command alone.

**The command** (:mod:`newsdesk.__main__`) calls :func:`stop_on_sigterm`: SIGTERM is then handled by
whatever handles SIGINT at that moment — asyncio's runner, which cancels the pass (each ``finally``
and ``async with`` runs: the chunk being written commits or rolls back, pools stop), uvicorn, which
shuts the server down, or Python's default, KeyboardInterrupt. :func:`stop_signal` tells the CLI
which of the two stopped it, and :func:`leave` ends the process by that signal (a shell shows 130 or
143). A server's end is its normal end: ``serve`` exits 0 after either signal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import NoReturn

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# The stop signals this process received through stop_on_sigterm's handler (SIGINT itself is left to
# asyncio, uvicorn and Python, which turn it into KeyboardInterrupt). Process state, like a handler.
_received: list[signal.Signals] = []


# --- the command -------------------------------------------------------------------------------


def stop_on_sigterm() -> None:
    """Handle SIGTERM as Ctrl-C: work stops in order, then the command exits (see :func:`stop_signal`)."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _received.append(signal.Signals(signum))
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):  # asyncio.Runner's (cancels the main task), uvicorn's, or Python's default
        handler(signal.SIGINT, frame)
        return
    raise KeyboardInterrupt  # SIGINT ignored (a background job of a shell script): stop all the same


def stop_signal(exit_code: int | str | None) -> signal.Signals | None:
    """The signal that stopped a command which ended with ``exit_code``, or None.

    Both signals surface as KeyboardInterrupt, which Typer turns into exit code 130; the handler of
    SIGTERM tells them apart.
    """
    if exit_code != 128 + signal.SIGINT:
        return None
    return _received[-1] if _received else signal.SIGINT


def leave(exit_code: int) -> NoReturn:
    """End this process at once with ``exit_code``; with 128 + SIGINT or SIGTERM, by that signal.

    A command stopped by a signal ends by it once its work is stopped in order, as Python does
    after an uncaught KeyboardInterrupt: a shell script interrupted with Ctrl-C then stops instead
    of going on with its next command, and systemd counts a death by SIGTERM as a clean stop where
    it counts exit status 143 as a failure. A shell shows 130 or 143 either way.
    """
    if os.name == "posix" and exit_code - 128 in (signal.SIGINT, signal.SIGTERM):
        signum = signal.Signals(exit_code - 128)
        signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
        signal.raise_signal(signum)  # to this thread: delivered before it returns
    os._exit(exit_code)


# --- workers -----------------------------------------------------------------------------------


def become_worker(parent_pid: int | None = None) -> None:
    """First thing in a pool worker: die with the parent, release the fork server, leave Ctrl-C to the parent.

    ``parent_pid``, when the caller knows it (a worker forked directly), catches a parent that died
    before the kernel took the request. A fork server's worker needs no such check: it holds the
    fork server's pipe until after the request, so its parent is alive when the request is made.
    """
    _die_with_parent(parent_pid)
    _release_forkserver()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent (thread) dies. Elsewhere, nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def _release_forkserver() -> None:
    """Close this process's copy of the write end of the fork server's "alive" pipe.

    A fork server hands it to every process it forks (and a forked process inherits its parent's),
    so that a child could start processes through it in turn; ours never do, and while any child holds
    it the fork server outlives the command. CPython internals, read defensively: on a version where
    they differ nothing is closed, and a worker still dies with the fork server.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if server is None or not isinstance(fd, int):
        return
    with contextlib.suppress(OSError):
        os.close(fd)
    # This process's view of the fork server is gone: if it ever needed one, it would start its own.
    for attr in ("_forkserver_alive_fd", "_forkserver_address", "_forkserver_pid"):
        if hasattr(server, attr):
            setattr(server, attr, None)
