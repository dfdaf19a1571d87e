"""``newsdesk`` and ``python -m newsdesk``: the CLI, started with the cyclic collector paused and
SIGTERM handled like Ctrl-C.

Importing the CLI creates ~200k long-lived objects (SQLAlchemy, aiohttp, Typer); the
collector would walk them repeatedly while they load (≈30 ms, a tenth of start-up)
and again in every full collection later. Pausing it during the imports and then
freezing what they created (moved to a generation the collector never scans)
removes both costs; collection works as usual for everything created afterwards,
only less often.

SIGTERM (``kill``, ``docker stop``, systemd) used to end the process at once, in the middle of a
write and with its worker processes left behind. It now takes the path of Ctrl-C
(:func:`newsdesk.lifetime.stop_on_sigterm`): the pass is cancelled, the chunk being written
commits or rolls back, the pools stop, and the command says ``stopped by SIGTERM`` on stderr and
ends by the signal (a shell shows 143; Ctrl-C: 130). It is installed after the imports: a SIGTERM
during them kills a process that has no work and no children yet.
"""

from __future__ import annotations

import gc

# Collect the youngest generation every 20k net allocations, not 700: a feed pass allocates
# millions of short-lived objects that reference counting frees, and each collection costs.
GEN0_THRESHOLD = 20_000


def main() -> None:
    gc.disable()
    try:
        from newsdesk.cli import main as cli_main
        from newsdesk.lifetime import stop_on_sigterm
    finally:
        gc.freeze()
        gc.set_threshold(GEN0_THRESHOLD, 20, 50)
        gc.enable()
    stop_on_sigterm()
    cli_main()


if __name__ == "__main__":
    main()
