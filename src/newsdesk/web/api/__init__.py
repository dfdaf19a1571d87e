"""The JSON API: one router per resource, registered under :data:`PREFIX` from :data:`ROUTERS`.

Handlers parse the query, call the facade (in the thread pool: storage calls
block) and return plain data (:func:`newsdesk.model.as_plain`); errors are
raised as newsdesk errors and turned into the one JSON envelope by
:mod:`newsdesk.web.app`.
"""

from __future__ import annotations

from fastapi import APIRouter

from newsdesk.web.api import articles, health, search, sources, stats, stories, topics
from newsdesk.web.api.taxonomy import taxonomy_router

PREFIX = "/api/v1"

ROUTERS: list[APIRouter] = [
    health.router,  # /health
    sources.router,  # /sources, /sources/{source_id}
    articles.router,  # /articles, /articles/{article_id}, /articles/{article_id}/related
    stories.router,  # /frontpage, /stories, /stories/{story_id}
    topics.router,  # /topics/{tag}
    taxonomy_router("category", "categories"),  # /categories, /categories/{name} (Climate/Environment: slashes and all)
    taxonomy_router("region", "regions"),  # /regions, /regions/{name}
    stats.router,  # /stats
    search.router,  # /search
]
