"""Paging of the pages' listings: the "newer" and "older" links, and the fragment htmx appends instead.

Every listing pages by ``?offset=``: "older" is a plain link to the next page, which htmx turns
into a request for the next page's items only (``fragment``), swapped in place of the links so
the list grows where the reader is; "newer" leads back. Both work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True, slots=True)
class Pager:
    newer: str | None  # the address of the page before, None on the first
    older: str | None  # the address of the next page, None on the last
    older_fragment: str | None  # the next page's items alone, for htmx
    first: str  # the address of the first page (the way back from past the end)


def pager(
    path: str,
    fragment: str,
    offset: int,
    size: int,
    more: bool,
    params: Mapping[str, str | None] = {},
    fragment_params: Mapping[str, str | None] = {},
    *,
    step: int | None = None,
) -> Pager:
    """The links of the page at ``offset`` of ``path``; ``more``: a next page exists. ``params`` are kept
    in every link (None values dropped); the fragment's address carries ``fragment_params`` too. ``step``:
    how far the next page starts (``size`` unless the page looked at more items than it shows)."""
    step = size if step is None else step
    kept = {k: v for k, v in params.items() if v is not None}

    def address(base: str, at: int, extra: Mapping[str, str | None] = {}) -> str:
        query = urlencode(
            kept | {k: v for k, v in extra.items() if v is not None} | ({"offset": str(at)} if at else {})
        )
        return base + ("?" + query if query else "")

    newer = address(path, max(0, offset - size)) if offset > 0 else None
    older = address(path, offset + step) if more else None
    return Pager(newer, older, address(fragment, offset + step, fragment_params) if more else None, address(path, 0))
