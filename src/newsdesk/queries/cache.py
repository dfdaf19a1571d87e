"""Read results kept while what they were computed from is unchanged: the front page's cache.

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
computes it and the others wait for its result instead of all computing the same ranking.
The number of keys is bounded (least recently used dropped first), since category and region
come from readers' URLs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

V = TypeVar("V")

MAX_AGE = timedelta(seconds=60)
MAX_KEYS = 256


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    version: int
    computed_at: datetime


class FreshCache(Generic[V]):
    """``get(key, compute)``: the cached value of ``key`` while fresh (see the module docstring), else ``compute()``."""

    def __init__(
        self,
        version: Callable[[], int],
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
        with computing:  # one computation per key; the others wait for it and take its result
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
        return result

    def _fresh(self, key: Hashable, version: int) -> _Entry[V] | None:
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
