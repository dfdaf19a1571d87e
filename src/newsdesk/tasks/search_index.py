"""The search index step: the articles whose text changed since the last pass are (re)indexed.

The update pass runs it after its feed and page phases (``tasks/update.py``), off the ingest
transactions: there, an article's write only queues its id (``store/search.py``), so a first poll
writes as fast as it did without search, and the index is built here in batches, which FTS5 and a
GIN index take far better than rows one at a time.
"""

from __future__ import annotations

import logging
import threading
import time

from newsdesk.logs import event
from newsdesk.store import Storage

log = logging.getLogger(__name__)

INDEX_BATCH = 500  # articles per transaction: a short write lock, and few enough to hold their text in memory


def index_for_search(storage: Storage, stop: threading.Event | None = None) -> int:
    """Drain the search queue a batch per transaction (until ``stop`` is set); the articles indexed."""
    started = time.perf_counter()
    done = 0
    while not (stop is not None and stop.is_set()):
        taken = storage.index_search(INDEX_BATCH)
        if not taken:
            break
        done += taken
    if done:
        log.info(event("search.indexed", articles=done, seconds=round(time.perf_counter() - started, 2)))
    return done
