"""``newsdesk`` and ``python -m newsdesk``: the CLI, started with the cyclic collector paused.

Importing the CLI creates ~200k long-lived objects (SQLAlchemy, aiohttp, Typer); the
collector would walk them repeatedly while they load (≈30 ms, a tenth of start-up)
and again in every full collection later. Pausing it during the imports and then
freezing what they created (moved to a generation the collector never scans)
removes both costs; collection works as usual for everything created afterwards,
only less often.
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
    finally:
        gc.freeze()
        gc.set_threshold(GEN0_THRESHOLD, 20, 50)
        gc.enable()
    cli_main()


if __name__ == "__main__":
    main()
