"""``/categories``: the categories stories are filed under, and the front page of each (see ``docs/taxonomy.md``).

A category is named as a reader types it: ``Science``, ``science``, ``climate-environment`` (its slug) and
``Climate/Environment`` (whose slash is part of the path) name the same one; an unknown name is a 404
whose message lists the names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.core import taxonomy, taxonomy_name
from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk
from newsdesk.web.params import Offset, TaxonomyPath

router = APIRouter(tags=["categories"])


@router.get("/categories")
async def categories() -> dict[str, Any]:
    """Every category, in the taxonomy's order: ``{"name": "Climate/Environment", "slug": "climate-environment"}``."""
    return {"categories": plain(taxonomy("category"))}


@router.get("/categories/{name:path}")
async def category(
    name: TaxonomyPath,
    desk: Desk,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The category's top stories now, ranked as the front page ranks them; 404 for an unknown name."""
    if not name.strip("/"):  # /categories/: the listing, as /categories
        return await categories()
    found = taxonomy_name("category", name)
    items = await run_in_threadpool(lambda: desk.front_page(category=found.name, limit=limit, offset=offset))
    return {"category": found.name, "slug": found.slug, "stories": plain(items), "limit": limit, "offset": offset}
