"""``/search``: full-text search over titles and article text, ranked, with marked snippets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.model import day_start
from newsdesk.web.deps import Desk
from newsdesk.web.params import DayFilter, Filter, Offset, SearchText, SourceFilter

router = APIRouter(tags=["search"])


@router.get("/search")
async def search(
    desk: Desk,
    q: SearchText,
    source_id: SourceFilter = None,
    language: Filter = None,
    category: Filter = None,
    tag: Filter = None,
    since: DayFilter = None,
    until: DayFilter = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Primary articles matching ``q`` (words, "quoted phrases", -excluded, OR), best first.

    ``title_html`` and ``snippet_html`` are escaped text with the matched words in ``<mark>``;
    ``since`` and ``until`` are days (UTC), both included; ``more`` says whether a next page exists.
    """
    results = await run_in_threadpool(
        lambda: desk.search(
            q,
            source_id=source_id,
            language=language,
            category=category,
            tag=tag,
            since=day_start(since),
            until=day_start(until, after=True),
            limit=limit,
            offset=offset,
        )
    )
    return {"hits": plain(results.hits), "more": results.more, "limit": limit, "offset": offset}
