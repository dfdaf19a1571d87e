"""Stage: article page HTML → clean text and metadata (CPU-bound; runs in a process pool).

(Interface only; to be implemented.)
"""

from __future__ import annotations

from newsdesk.model import Extracted


def extract_article(html: bytes | str, url: str | None = None) -> Extracted:
    """Extract the main text and metadata of a page; raise ExtractError when there is none."""
    raise NotImplementedError
