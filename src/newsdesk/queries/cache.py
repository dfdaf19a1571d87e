"""Read results kept while what they were computed from is unchanged: the front page's ranking
(:class:`FreshCache`), the rendered pages of anonymous readers (:class:`PageStore`), and values whose caller
knows their version (:class:`KeptByVersion`: a reader's mutes, by the count read with their session).

Ranking the front page reads every story active in the window with its articles' times (tens of
thousands of rows at 100k articles) and scores them all: hundreds of milliseconds, for a page
every reader opens first. Its inputs change only when a write commits new story state, which
bumps the database's data version (``Storage.data_version``, one small row read per request),
so a ranking is served again while:

1. the data version is the one read *before* it was computed (a write that commits during the
   computation makes the next request compute again), and
2. it is younger than ``max_age`` by the facade's clock: scores decay with time alone (recency
   halves every 12 hours), so a ranking is never more than a minute behind the clock either.

One computation per key at a time: when a ranking expires under load, the first request
computes it; the others are given the ranking it replaces meanwhile (stale by at most that one
computation, about a second at 100k articles), or, when there is none yet, wait for its result —
instead of all computing the same ranking, or all waiting for it: at 100 signed-in readers a
minute's renewal used to hold every front page for the second it took.
The number of keys is bounded (least recently used dropped first), since category and region
come from readers' URLs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

V = TypeVar("V")

MAX_AGE = timedelta(seconds=60)
MAX_KEYS = 256


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    version: Hashable
    computed_at: datetime


class FreshCache(Generic[V]):
    """``get(key, compute)``: the cached value of ``key`` while fresh (see the module docstring), else ``compute()``."""

    def __init__(
        self,
        version: Callable[[], Hashable],
        clock: Callable[[], datetime],
        *,
        max_age: timedelta = MAX_AGE,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._version = version
        self._clock = clock
        self._max_age = max_age
        self._max_keys = max_keys
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()  # guards the two dicts, never held while computing

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        version = self._version()
        if (value := self._fresh(key, version)) is not None:
            return value.value
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
            stale = self._entries.get(key)
        # One computation per key: the other readers take the value it replaces, or wait for it if none.
        if not computing.acquire(blocking=stale is None):
            assert stale is not None
            return stale.value
        try:
            version = self._version()
            if (value := self._fresh(key, version)) is not None:
                return value.value
            started = self._clock()
            result = compute()
            with self._lock:
                self._entries[key] = _Entry(result, version, started)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max_keys:
                    old, _ = self._entries.popitem(last=False)
                    self._computing.pop(old, None)
        finally:
            computing.release()
        return result

    def _fresh(self, key: Hashable, version: Hashable) -> _Entry[V] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                return None
            age = self._clock() - entry.computed_at
            if not timedelta(0) <= age < self._max_age:  # a clock set back counts as expired too
                return None
            self._entries.move_to_end(key)
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class KeptByVersion(Generic[V]):
    """``get(key, version, compute)``: the value kept for ``key`` if it was computed under ``version``, else
    ``compute()`` (kept under that version). The caller reads the version *before* asking, so a value is never
    kept under a version newer than the data it was computed from. Bounded: least recently used go first."""

    def __init__(self, max_keys: int) -> None:
        self._max_keys = max_keys
        self._entries: OrderedDict[Hashable, tuple[Hashable, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable, compute: Callable[[], V]) -> V:
        with self._lock:
            kept = self._entries.get(key)
            if kept is not None and kept[0] == version:
                self._entries.move_to_end(key)
                return kept[1]
        value = compute()
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_keys:
                self._entries.popitem(last=False)
        return value


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A rendered response as the web layer replays it: status, raw headers and body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    versions: tuple[tuple[str, int], ...]
    stored_at: datetime


PAGE_MAX_ENTRIES = 2000
PAGE_MAX_BYTES = 64 * 1024 * 1024
PAGE_MAX_BODY = 1024 * 1024  # a larger page is not kept: it would push out many small ones


class PageStore:
    """Rendered pages by key, each good while the data versions it was rendered under are the current
    ones and for at most ``max_age`` (the rule of :class:`FreshCache`: the versions are read *before*
    rendering, and relative times like "5 minutes ago" age with the clock alone).

    Bounded by count and by bytes, least recently used dropped first: keys come from readers' URLs
    (any query string makes a new one), so nothing a reader sends can grow it without limit.
    """

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        max_age: timedelta = MAX_AGE,
        max_entries: int = PAGE_MAX_ENTRIES,
        max_bytes: int = PAGE_MAX_BYTES,
    ) -> None:
        self._clock = clock
        self.max_age = max_age
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, StoredPage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, versions: tuple[tuple[str, int], ...]) -> StoredPage | None:
        """The page kept for ``key`` if rendered under ``versions`` and younger than ``max_age``."""
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            age = self._clock() - page.stored_at
            if page.versions != versions or not timedelta(0) <= age < self.max_age:
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(
        self,
        key: Hashable,
        status: int,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        versions: tuple[tuple[str, int], ...],
        stored_at: datetime,
    ) -> bool:
        """Keep a page rendered under ``versions`` (read before rendering began, at ``stored_at``); False
        when it is too large to keep."""
        size = len(body) + sum(len(k) + len(v) for k, v in headers)
        if size > min(PAGE_MAX_BODY, self.max_bytes):
            return False
        with self._lock:
            self._drop(key)
            self._pages[key] = StoredPage(status, tuple(headers), body, versions, stored_at)
            self._bytes += size
            while len(self._pages) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))
        return True

    def _drop(self, key: Hashable) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self._bytes -= len(page.body) + sum(len(k) + len(v) for k, v in page.headers)

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0
