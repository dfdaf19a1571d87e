"""Stage 1: polite, bounded, SSRF-safe HTTP fetching of feeds and article pages.

(Interface only; to be implemented.)
"""

from __future__ import annotations

from types import TracebackType

from newsdesk.config import Settings
from newsdesk.model import FetchedDocument


class Fetcher:
    """One HTTP client for a whole update pass (connection pool, robots.txt cache).

    Use as ``async with Fetcher(settings) as f: await f.fetch_feed(url, etag, lm)``.
    Raises :class:`~newsdesk.errors.FetchError` (or a subclass) with a human reason.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def fetch_feed(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchedDocument:
        raise NotImplementedError

    async def fetch_page(self, url: str) -> FetchedDocument:
        raise NotImplementedError
