"""A feed's CPU budget: however hostile the document, one feed takes a bounded time.

Article pages get theirs from a timer signal in their worker process (``tasks/extract_pool.py``).
A feed cannot: it is processed in an ingest worker process, on the writer thread of a small pass,
or by feed discovery on the event loop's thread, and only a process's main thread receives
signals. So the feed stage checks a :class:`Deadline` between entries instead — while mapping
the parser's entries (fields, sanitizing: ``fields.py: build_feed``) and while normalizing them
(plain text, hashes: ``normalize.py: make_drafts``) — and bounds the work of each entry on its
own: every HTML fragment and title is capped in size (``fields.py``) and sanitized in time linear
in its size (``pipeline/sanitize.py``). A feed therefore stops at most one entry past its budget.

The one step between checks that is not bounded per entry is the parser's single call over the
whole document; it is linear in the body, whose size is capped (``feed_max_bytes``, 10 MB by
default): fastfeedparser reads 12 MB of RSS in 0.06 s of CPU on the test machine, and feedparser
(the fallback, which a document can choose by declaring ``xml:base``) in 6.2 s.

The clock is the thread's CPU time, not the wall clock: a busy machine must not fail feeds, and
a pool of workers must not charge one feed for another's work.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["FEED_CPU_BUDGET_S", "Deadline"]

# CPU seconds one feed may use from inflating to its last draft: a 10 MB feed of ordinary entries
# takes 1-2 s on the slow test machine (most of it feedparser, when it reads the document); the
# article page stage gives a page the same 10 s.
FEED_CPU_BUDGET_S = 10.0


class Deadline:
    """The CPU time a feed may still use; :meth:`expired` is checked between entries.

    Once expired it stays expired (a CPU clock only moves forward), so every later check (and the
    caller, at the end) agrees that the feed was cut short. ``clock`` is for tests; it defaults to
    this thread's CPU time.
    """

    __slots__ = ("_clock", "_end", "budget_s")

    def __init__(self, budget_s: float = FEED_CPU_BUDGET_S, clock: Callable[[], float] = time.thread_time) -> None:
        self.budget_s = budget_s
        self._clock = clock
        self._end = clock() + budget_s

    def expired(self) -> bool:
        return self._clock() > self._end

    @property
    def reason(self) -> str:
        """The failure a user reads, recorded on the source."""
        return f"the feed took too long to process (over {self.budget_s:g} s of CPU)"
