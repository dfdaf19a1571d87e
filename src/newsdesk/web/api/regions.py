"""``/regions``: the world regions stories are placed in, and the front page of each (see ``docs/taxonomy.md``).

Named as categories are (``asia``, ``latin-america``, ``Latin America``); an unknown name is a 404 whose
message lists the names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.core import taxonomy, taxonomy_name
from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk
from newsdesk.web.params import Offset, TaxonomyPath

router = APIRouter(tags=["regions"])


@router.get("/regions")
async def regions() -> dict[str, Any]:
    """Every region: ``{"name": "Latin America", "slug": "latin-america"}``."""
    return {"regions": plain(taxonomy("region"))}


@router.get("/regions/{name:path}")
async def region(
    name: TaxonomyPath,
    desk: Desk,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The region's top stories now, ranked as the front page ranks them; 404 for an unknown name."""
    if not name.strip("/"):  # /regions/: the listing, as /regions
        return await regions()
    found = taxonomy_name("region", name)
    items = await run_in_threadpool(lambda: desk.front_page(region=found.name, limit=limit, offset=offset))
    return {"region": found.name, "slug": found.slug, "stories": plain(items), "limit": limit, "offset": offset}
