#!/usr/bin/env python3
"""Two processes, one database: ``newsdesk serve`` (its scheduler) and a CLI ``newsdesk update``
started together over the bench corpus; prints the feed and page requests the loopback server saw
against the feeds and distinct pages there are (ratio 1.0: nothing fetched twice), who enriched,
and the time until everything is fetched, extracted and enriched.

  python bench/shared_database.py [--feeds 40]

Run it beside older code with ``PYTHONPATH=OLD/src`` for the comparison (the commands run as
``python -m newsdesk``).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.loopback import BenchServer, free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=40)
    feeds = parser.parse_args().feeds
    data = Path(tempfile.mkdtemp()) / "data"
    env = {
        **os.environ,
        "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1",
        "NEWSDESK_DATA_DIR": str(data),
        "NEWSDESK_SCHEDULER_TICK_S": "1",
        "NEWSDESK_MAX_CONNECTIONS_PER_HOST": "64",  # one loopback host stands in for every publisher
    }
    cli = [sys.executable, "-m", "newsdesk"]
    with BenchServer(data.parent / "corpus", feeds=feeds) as srv:
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        opml = str(srv.corpus_dir / "feeds.opml")
        subprocess.run([*cli, "sources", "import", opml], env=env, check=True, capture_output=True)
        started = time.monotonic()
        serve = subprocess.Popen([*cli, "serve", "--port", str(free_port())], env=env, stderr=subprocess.DEVNULL)
        try:
            update = subprocess.run([*cli, "update", "--json"], env=env, capture_output=True, text=True, check=True)
            cli_s = time.monotonic() - started
            while _waiting(data / "newsdesk.db"):  # serve's scheduler goes on with what is left
                time.sleep(1)
            all_s = time.monotonic() - started
        finally:
            serve.terminate()
            serve.wait()
        served = srv.stats()
    with sqlite3.connect(data / "newsdesk.db") as db:
        pages = db.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NULL").fetchone()[0]
    report = json.loads(update.stdout)
    print(f"feeds {feeds}: feed requests {served['feed_requests']} ({served['feed_requests'] / feeds:.2f}x the feeds)")
    print(f"page requests {served['articles']} for {pages} pages ({served['articles'] / pages:.2f}x)")
    print(f"the CLI update fetched {report['pages_fetched']} pages, enriched {report['articles_enriched']} articles")
    print(f"CLI done in {cli_s:.1f} s; everything fetched, extracted and enriched in {all_s:.1f} s")


def _waiting(db_path: Path) -> int:
    """Pages still to fetch and articles still to enrich."""
    with sqlite3.connect(db_path, timeout=30) as db:
        query = (
            "SELECT count(*) FROM articles WHERE duplicate_of IS NULL"
            " AND (extraction_status = 'pending' OR enriched_at IS NULL)"
        )
        return int(db.execute(query).fetchone()[0])


if __name__ == "__main__":
    main()
