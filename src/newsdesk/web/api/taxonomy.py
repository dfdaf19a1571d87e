"""``/categories`` and ``/regions``: the names stories are filed under, and the front page of each
(see ``docs/taxonomy.md``).

A name is taken as a reader types it: ``Science``, ``science``, ``climate-environment`` (its slug) and
``Climate/Environment`` (whose slash is part of the path) name the same category; an unknown name is a
404 whose message lists the names. Categories and regions answer alike, so one builder makes both routers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from newsdesk.core import taxonomy, taxonomy_name
from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk
from newsdesk.web.params import Offset, TaxonomyPath


def taxonomy_router(kind: Literal["category", "region"], plural: str) -> APIRouter:
    """``/{plural}`` (every name, with its slug) and ``/{plural}/{name}`` (its top stories now)."""
    router = APIRouter(tags=[plural])

    async def listing() -> dict[str, Any]:
        return {plural: plain(taxonomy(kind))}

    async def front_page(
        name: TaxonomyPath,
        desk: Desk,
        limit: Annotated[int, Query(ge=1, le=200)] = 30,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        if not name.strip("/"):  # /categories/: the listing, as /categories
            return await listing()
        found = taxonomy_name(kind, name)
        filters = {kind: found.name}
        items = await run_in_threadpool(lambda: desk.front_page(limit=limit, offset=offset, **filters))
        return {kind: found.name, "slug": found.slug, "stories": plain(items), "limit": limit, "offset": offset}

    router.add_api_route(
        f"/{plural}",
        listing,
        methods=["GET"],
        name=plural,
        summary=plural.capitalize(),
        description=f'Every {kind}, in the taxonomy\'s order: `{{"name": …, "slug": …}}`.',
    )
    router.add_api_route(
        f"/{plural}/{{name:path}}",
        front_page,
        methods=["GET"],
        name=kind,
        summary=kind.capitalize(),
        description=f"The {kind}'s top stories now, ranked as the front page ranks them; 404 for an unknown name.",
    )
    return router
