"""Sanitizing third-party HTML and turning it into plain text.

(Interface only; to be implemented.)
"""

from __future__ import annotations


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return safe HTML: no script/style/iframe, no event handlers, no javascript: URLs."""
    raise NotImplementedError


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment, paragraphs separated by blank lines."""
    raise NotImplementedError
