"""Stage 2: feed bytes → :class:`~newsdesk.model.ParsedFeed` (HTML sanitized).

(Interface only; to be implemented.)
"""

from __future__ import annotations

from newsdesk.model import ParsedFeed


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.x; raise ParseError otherwise."""
    raise NotImplementedError
