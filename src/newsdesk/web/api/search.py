"""``/search``: full-text search over titles and article text, ranked, with marked snippets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.model import day_start
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.params import DayFilter, Filter, Offset, SearchText, SourceFilter

router = APIRouter(tags=["search"])


@router.get("/search")
async def search(
    desk: Desk,
    viewer: CurrentViewer,
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
    With a reader's session cookie their mutes apply: ``blurred`` lists the hits their keyword filters blur.
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
    hits, blurred = list(results.hits), frozenset[str]()
    if viewer is not None:
        hits, blurred = await run_in_threadpool(desk.screen_hits, viewer, results.hits)
    return {"hits": plain(hits), "more": results.more, "limit": limit, "offset": offset, "blurred": sorted(blurred)}
