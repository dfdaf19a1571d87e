"""Network adapter: polite, bounded, SSRF-safe HTTP fetching of feeds, pages and robots.txt.

Callers use :class:`Fetcher` (one per update pass, ``async with``); every failure
reaches them as a :class:`~newsdesk.errors.FetchError` with a human reason.

Layout, one job per module:

* :mod:`~newsdesk.net.fetcher` — the :class:`Fetcher`: one aiohttp session, connection
  limits and per-host slots, conditional GET, redirects followed by hand, size caps
  counted while streaming;
* :mod:`~newsdesk.net.guard` — the SSRF guard: which URLs may be requested and which
  addresses connected to (IP literals before connecting, names inside the resolver);
* :mod:`~newsdesk.net.robots` — robots.txt, fetched once per origin and shared, and
  what a failure to fetch it means;
* :mod:`~newsdesk.net.failures` — HTTP statuses and network errors turned into the
  FetchError a user reads, with permanence and Retry-After decided;
* :mod:`~newsdesk.net.http_headers` — Cache-Control/Expires freshness, Retry-After and
  HTTP dates, pure functions the scheduler's inputs come from.

The package imports only the leaves (``newsdesk.model``, ``errors``, ``config``,
``logs``) and third-party libraries; the import-linter layers contract holds it there.
"""

from __future__ import annotations

from newsdesk.net.fetcher import (
    ACCEPT_ENCODING,
    DEFERRED_ACCEPT_ENCODING,
    FEED_ACCEPT,
    IMAGE_ACCEPT,
    PAGE_ACCEPT,
    Fetcher,
)
from newsdesk.net.guard import GuardedResolver, refused_category
from newsdesk.net.http_headers import freshness_s, retry_after_s

__all__ = [
    "ACCEPT_ENCODING",
    "DEFERRED_ACCEPT_ENCODING",
    "FEED_ACCEPT",
    "IMAGE_ACCEPT",
    "PAGE_ACCEPT",
    "Fetcher",
    "GuardedResolver",
    "freshness_s",
    "refused_category",
    "retry_after_s",
]
