"""``newsdesk demo``: real (freely licensed) news, no network, one command.

Starts the bundled demo news site on a loopback port, subscribes a fresh newsdesk
to its feeds, runs a full update through the real pipeline (feeds, article pages,
extraction, story clustering), then serves newsdesk at http://127.0.0.1:8000 with
the scheduler running, until stopped.

The demo's database lives in ``DATA_DIR/demo`` (by default the platform's user data
directory, e.g. ``~/.local/share/newsdesk/demo``), printed at start with the line that
points the CLI at it. Each run starts it afresh, so the demo is the same every time;
it is kept after Ctrl-C, so the CLI can still read it. A folder that holds a
database but no demo marker is never emptied: it is someone's real data.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsdesk.config import load_settings
from newsdesk.core import make_newsdesk
from newsdesk.demo.site import running_demo_site
from newsdesk.errors import ConfigError
from newsdesk.logs import configure_logging, event
from newsdesk.web.server import serve

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # gettext's name for "translate later": pybabel extracts it
    """Marks a message for the UI catalogues; pages translate it when they show it."""
    return message


NOTICE = N_(
    'This is newsdesk\'s offline demo: Wikipedia "In the news" blurbs from 21 language editions '
    "(2022–2023, CC BY-SA 3.0, each edition its own source) and English Wikinews articles (2019–2020, CC BY 2.5), "
    "served from a local demo site, with dates shifted into the last few days; each article links its original."
)

DEMO_FOLDER = "demo"
MARKER = ".newsdesk-demo"  # says: this folder is the demo's, emptied at each start
_DATABASE_FILES = ("newsdesk.db", "newsdesk.db-wal", "newsdesk.db-shm", "newsdesk.db-journal")


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def demo_data_dir(data_dir: str) -> Path:
    """Where the demo keeps its database: the ``demo`` folder of the data directory."""
    return Path(data_dir).expanduser().absolute() / DEMO_FOLDER


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the folder's lock while the demo runs, so a second demo cannot empty it under the first."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; the port check still stops a second demo
        yield
        return
    with (folder / MARKER).open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConfigError(f"another newsdesk demo is running on {folder}") from None
        yield


def fresh_demo_folder(folder: Path) -> None:
    """Create the demo folder, or empty the database of an earlier demo in it; refuse anyone else's data."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / "newsdesk.db").exists() and not (folder / MARKER).exists():
            raise ConfigError(f"{folder} holds a newsdesk database that is not the demo's; not touching it")
        (folder / MARKER).touch()
    except OSError as exc:
        raise ConfigError(f"cannot use {folder} for the demo's data: {exc.strerror or exc}") from exc


def _empty(folder: Path) -> None:
    for name in _DATABASE_FILES:
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()


def run_demo(overrides: dict[str, Any], config_file: str | None) -> None:
    probe = load_settings(overrides, config_file=config_file)
    if not _port_is_free(probe.host, probe.port):
        raise ConfigError(f"port {probe.port} on {probe.host} is already in use; try `newsdesk demo --port 8001`")
    folder = demo_data_dir(probe.resolved_data_dir)
    fresh_demo_folder(folder)
    with _locked(folder):
        _empty(folder)
        _run(overrides, config_file, folder)


def cli_hint(folder: Path) -> str:
    """The line that points the CLI, in another terminal, at the running demo's data."""
    return f"NEWSDESK_DATA_DIR={shlex.quote(str(folder))} newsdesk stories list"


def _run(overrides: dict[str, Any], config_file: str | None, folder: Path) -> None:
    # The demo's own folder and SQLite, whatever NEWSDESK_DB or a newsdesk.toml say; the loopback
    # site is fetched (private networks allowed) and its pages' canonical links, to the
    # originals on Wikinews and Wikipedia, are trusted.
    with running_demo_site() as site:
        host = site.base_url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
        demo_overrides = {
            **overrides,
            "data_dir": str(folder),
            "db": "",
            "allow_private_networks": True,
            "trusted_canonical_hosts": host,
        }
        settings = load_settings(demo_overrides, config_file=config_file or str(folder / "newsdesk.toml"))
        configure_logging(settings.log_level, settings.log_format)
        sys.stderr.write(f"newsdesk demo: data in {folder} (started afresh; kept after Ctrl-C)\n")
        desk = make_newsdesk(settings)
        report = desk.add_many([(f.url, f.title, f.section) for f in site.feeds])
        sys.stderr.write(f"newsdesk demo: subscribed to {len(report.added)} demo feeds at {site.base_url}\n")
        result = desk.update(all_sources=True)
        log.info(event("demo.ready", articles=result.articles_new, pages=result.pages_fetched, data=str(folder)))
        sys.stderr.write(
            f"newsdesk demo: {result.articles_new} articles, {result.pages_fetched} full texts extracted.\n"
            f"newsdesk demo: use the CLI on this demo from another terminal: {cli_hint(folder)}\n"
            f"newsdesk demo: open http://{settings.host}:{settings.port}  (Ctrl-C to stop)\n"
        )
        serve(settings, desk=desk, demo_notice=NOTICE)
