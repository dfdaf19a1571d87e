"""``newsdesk demo``: real (old, freely licensed) news, no network, one command.

Starts the bundled Wikinews site on a loopback port, subscribes a fresh
temporary newsdesk to its feeds, runs a full update through the real pipeline
(feeds, article pages, extraction), then serves newsdesk at
http://127.0.0.1:8000 with the scheduler running, until stopped.
"""

from __future__ import annotations

import logging
import shutil
import socket
import sys
import tempfile
from typing import Any

from newsdesk.config import load_settings
from newsdesk.core import make_newsdesk
from newsdesk.demo.site import running_demo_site
from newsdesk.errors import ConfigError
from newsdesk.logs import configure_logging, event
from newsdesk.web.server import serve

log = logging.getLogger(__name__)

NOTICE = (
    "This is newsdesk's offline demo: Wikinews articles from 2004–2005 (English) and 2012 (French), "
    "CC BY 2.5 / public domain, served from a local demo site, with dates shifted into the last few days."
)


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run_demo(overrides: dict[str, Any], config_file: str | None) -> None:
    probe = load_settings(overrides, config_file=config_file)
    if not _port_is_free(probe.host, probe.port):
        raise ConfigError(f"port {probe.port} on {probe.host} is already in use; try `newsdesk demo --port 8001`")
    data_dir = tempfile.mkdtemp(prefix="newsdesk-demo-")
    try:
        _run(overrides, config_file, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)  # the demo keeps nothing


def _run(overrides: dict[str, Any], config_file: str | None, data_dir: str) -> None:
    demo_overrides = {**overrides, "data_dir": data_dir, "db": None, "allow_private_networks": True}
    settings = load_settings(demo_overrides, config_file=config_file or f"{data_dir}/newsdesk.toml")
    configure_logging(settings.log_level, settings.log_format)
    with running_demo_site() as site:
        desk = make_newsdesk(settings)
        report = desk.add_many([(f.url, f.title, f.section) for f in site.feeds])
        sys.stderr.write(f"newsdesk demo: subscribed to {len(report.added)} demo feeds at {site.base_url}\n")
        result = desk.update(all_sources=True)
        log.info(event("demo.ready", articles=result.articles_new, pages=result.pages_fetched))
        sys.stderr.write(
            f"newsdesk demo: {result.articles_new} articles, {result.pages_fetched} full texts extracted.\n"
            f"newsdesk demo: open http://{settings.host}:{settings.port}  (Ctrl-C to stop)\n"
        )
        serve(settings, desk=desk, demo_notice=NOTICE)
