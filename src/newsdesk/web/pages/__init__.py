"""Server-rendered HTML pages: one router per page family, registered in :data:`ROUTERS`.

Templates live in ``web/templates/<page>/``, htmx fragments in
``web/templates/partials/``; :mod:`newsdesk.web.pages.render` renders both.
"""

from __future__ import annotations

from fastapi import APIRouter

from newsdesk.web.pages import article, latest, search, sources

ROUTERS: list[APIRouter] = [
    latest.router,  # /  and its fragment /fragments/latest
    article.router,  # /articles/{article_id}
    sources.router,  # /sources
    search.router,  # /search and its fragment /fragments/search
]
