"""The path and query parameters of the routes, with their bounds: declared once for the API and the pages.

A request whose parameter is out of bounds is refused by FastAPI's validation, before any handler
runs, with a 422 and the one error envelope (or the HTML error page) of :mod:`newsdesk.web.app`:

- a source id fits the column it is looked up in (``INTEGER``: 32 bits in PostgreSQL, where a larger
  number fails the query instead of finding nothing), an offset the databases' 64-bit integers (a larger
  one SQLite's driver cannot bind);
- ids, names and tags are short, and never hold a NUL character (PostgreSQL's text cannot), so a
  50k-character value never reaches a ``LIKE`` pattern or the tag normalizer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator

from newsdesk.model import MAX_KEY_CHARS, MAX_OFFSET, MAX_QUERY_CHARS, MAX_QUESTION_CHARS, MAX_SOURCE_ID


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


SourceId = Annotated[int, Path(ge=1, le=MAX_SOURCE_ID)]
"""A source's id, in the path."""

SourceFilter = Annotated[int | None, Query(ge=1, le=MAX_SOURCE_ID)]
"""Only this source's articles (``?source_id=``)."""

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
"""How many items of a listing to skip (``?offset=``)."""

Key = Annotated[str, Path(min_length=1, max_length=MAX_KEY_CHARS), AfterValidator(_no_nul)]
"""An article's or story's id, a tag or a category name, in the path."""

TaxonomyPath = Annotated[str, Path(max_length=MAX_KEY_CHARS), AfterValidator(_no_nul)]
"""A category or region name in the path, slashes and all (``Climate/Environment``): routes declare it
``{name:path}``; empty, it names the listing of them all."""

Filter = Annotated[str | None, Query(max_length=MAX_KEY_CHARS), AfterValidator(_no_nul)]
"""A category, region or tag a listing is narrowed to."""


def _blank_is_none(value: Any) -> Any:
    """A form's empty field (``?source_id=&since=``) means no filter, not a value to refuse."""
    return None if value == "" else value


SearchText = Annotated[str, Query(max_length=MAX_QUERY_CHARS), AfterValidator(_no_nul)]
"""What a reader searches for (``?q=``): any text, bounded; never database syntax."""


def _source_id(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_SOURCE_ID:
        raise ValueError(f"must be between 1 and {MAX_SOURCE_ID}")
    return value


Question = Annotated[str, Query(max_length=MAX_QUESTION_CHARS), AfterValidator(_no_nul)]
"""A reader's question about an article (``?q=``): plain text, bounded."""

FormSourceFilter = Annotated[int | None, BeforeValidator(_blank_is_none), AfterValidator(_source_id), Query()]
"""A source filter from a form, where "any source" is sent as an empty value."""

DayFilter = Annotated[date | None, BeforeValidator(_blank_is_none), Query()]
"""A day (``YYYY-MM-DD``) a listing starts or ends at; empty is none."""
