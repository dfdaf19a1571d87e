"""The web interface: the JSON API under ``/api/v1`` and server-rendered pages (Jinja2 and htmx).

Laid out so that each new resource or page is a new module, not a longer one:

- ``app.py``: :func:`create_app`, the app with its error handler, static files and route table;
- ``deps.py``: what every handler receives (the facade, the current viewer);
- ``params.py``: the path and query parameters the routes share, with their bounds (ids, offsets, lengths);
- ``api/``: one router per resource, registered in the list ``api.ROUTERS``;
- ``pages/``: one router per page family, registered in ``pages.ROUTERS``, rendered from
  ``templates/<page>/`` with htmx fragments in ``templates/partials/``; CSS and htmx in ``static/``;
- ``pagecache.py``: anonymous readers' pages replayed while fresh, checked against the data versions
  that ``versions.py`` reads once for the requests waiting together;
- ``server.py``: ``newsdesk serve``, the app under uvicorn with the in-process scheduler.
"""

from __future__ import annotations

from newsdesk.web.app import create_app

__all__ = ["create_app"]
