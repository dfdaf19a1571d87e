"""robots.txt: fetched once per origin and shared, and what a failure to fetch it means (RFC 9309).

Only article pages ask robots.txt; feeds never do. The rules of an origin are
fetched by the first page fetch that needs them; every other page of that
origin, concurrent or later, waits for and reuses the same lookup. Looking rules
up never raises: a robots.txt that cannot be fetched decides by its status, as
:func:`_rules_after_failure` states (not as RFC 9309 §2.3.1 does; see there).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from yarl import URL

from newsdesk.errors import BlockedAddressError, FetchError
from newsdesk.logs import event
from newsdesk.model import FetchedDocument

if TYPE_CHECKING:  # imported on first use: urllib.robotparser loads urllib.request (≈15 ms), feeds never need it
    from urllib.robotparser import RobotFileParser

log = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 500_000
ROBOTS_ACCEPT = "text/plain, */*;q=0.5"


class RobotsCache:
    """The robots.txt rules of every origin asked about during one update pass.

    ``fetch`` GETs a robots.txt URL; the :class:`~newsdesk.net.fetcher.Fetcher`
    passes its own, so these fetches share its connection pool, per-host slots,
    timeouts and SSRF guard.
    """

    def __init__(self, fetch: Callable[[str], Awaitable[FetchedDocument]], user_agent: str) -> None:
        self._fetch = fetch
        self._user_agent = user_agent
        self._rules: dict[URL, asyncio.Task[RobotFileParser]] = {}

    async def allows(self, target: URL) -> bool:
        """Ask the (cached) robots.txt of ``target``'s origin; one fetch per origin, shared."""
        origin = target.origin()
        task = self._rules.get(origin)
        if task is None:
            task = asyncio.create_task(self._load(origin))
            self._rules[origin] = task
        # shield: one cancelled page fetch must not cancel the lookup others are waiting for
        rules = await asyncio.shield(task)
        return rules.can_fetch(self._user_agent, str(target))

    async def aclose(self) -> None:
        """Stop robots.txt fetches still running (before the fetcher closes its connections)."""
        tasks = list(self._rules.values())
        self._rules.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _load(self, origin: URL) -> RobotFileParser:
        """Fetch and parse one robots.txt; failures decide by status (RFC 9309), never raise."""
        url = str(origin.with_path("/robots.txt"))
        try:
            doc = await self._fetch(url)
        except FetchError as exc:
            return _rules_after_failure(url, exc)
        log.debug(event("fetch.robots_loaded", url=url, bytes=len(doc.body)))
        return _rules(doc.body.decode("utf-8", errors="replace").splitlines())


def _rules(lines: list[str]) -> RobotFileParser:
    from urllib.robotparser import RobotFileParser

    rules = RobotFileParser()
    rules.parse(lines)
    return rules


def _rules_after_failure(url: str, exc: FetchError) -> RobotFileParser:
    """4xx means no rules, but 401/403 forbid everything; 5xx and unreachable mean no rules, with a warning.

    RFC 9309 §2.3.1 says otherwise on two points: every 4xx (401/403 too) allows everything, and
    a 5xx or unreachable robots.txt forbids everything. These choices predate the restructure and
    are kept as they are; bringing them to the RFC is a behaviour change of its own.
    """
    status = exc.status
    if isinstance(exc, BlockedAddressError):
        return _rules([])  # the page fetch meets the same guard and reports it
    if status in (401, 403):
        log.info(event("fetch.robots_forbidden", url=url, status=status))
        return _rules(["User-agent: *", "Disallow: /"])
    if status is not None and 400 <= status < 500 and status != 429:
        return _rules([])
    # 5xx, 429, timeouts, network errors: be lenient, but say so.
    log.warning(event("fetch.robots_unavailable", url=url, reason=exc.reason))
    return _rules([])
