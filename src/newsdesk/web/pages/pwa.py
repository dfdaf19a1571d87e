"""The installable app: the web app manifest and the service worker, both at the site's root.

``/manifest.webmanifest`` lets a phone add newsdesk to its home screen and open it as an app;
``/sw.js`` is ``static/sw.js``, served from the root because a service worker controls only the
pages under its own path. It keeps the pages a reader has opened, so they read offline (see the
file for its caching rules); ``static/sw-register.js``, loaded by every page, registers it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

STATIC_DIR = Path(__file__).parent.parent / "static"
THEME_COLOR = "#111111"  # the header's background
BACKGROUND_COLOR = "#f6f6f4"  # the page's background: the splash screen while the app starts

MANIFEST: dict[str, Any] = {
    "name": "newsdesk",
    "short_name": "newsdesk",
    "description": "The news of the sources you follow, grouped into stories.",
    "id": "/",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "theme_color": THEME_COLOR,
    "background_color": BACKGROUND_COLOR,
    "icons": [
        {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": "/static/icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ],
}

router = APIRouter()


class ManifestResponse(JSONResponse):
    media_type = "application/manifest+json"


@router.get("/manifest.webmanifest", response_class=ManifestResponse)
async def manifest() -> ManifestResponse:
    return ManifestResponse(MANIFEST, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/sw.js", response_class=FileResponse)
async def service_worker() -> FileResponse:
    """The worker script; ``no-cache`` so browsers look for a new version each time they check."""
    return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})
