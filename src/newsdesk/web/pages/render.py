"""Rendering pages and fragments: one Jinja2 environment, autoescaped, and what every page is given.

Article HTML was sanitized at ingest and is the only value a template marks
``|safe``; everything else is escaped by Jinja2, and links taken from feeds pass
:func:`safe_url` so a hostile feed cannot plant a ``javascript:`` link.

Every template receives ``request`` and ``viewer`` from :class:`Renderer`, the
one place that builds per-request context: the CSRF token of the first form
will be added there, and the header's viewer slot fills in once accounts exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from newsdesk.config import VERSION
from newsdesk.model import Clock
from newsdesk.web.deps import CurrentViewer, Viewer
from newsdesk.web.pages.humanize import relative_time

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"


def safe_url(url: str | None) -> str:
    """The URL if it is http(s), else an empty string."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return ""


@pass_context
def ago(context: Context, when: datetime | None) -> str:
    """``{{ when|ago }}``: "10 hours ago", relative to the ``now`` the page was rendered at."""
    now: datetime = context["now"]
    return relative_time(when, now)


class Templates:
    """The template environment and what every page shows whoever reads it: the demo notice, the time."""

    def __init__(self, *, clock: Clock, demo_notice: str | None) -> None:
        self.clock = clock  # the facade's, so relative times agree with the data (and tests can fix it)
        self.demo_notice = demo_notice
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,  # a misspelt variable fails the page instead of rendering blank
        )
        self.env.filters["safe_url"] = safe_url
        self.env.filters["ago"] = ago
        self.env.globals["version"] = VERSION  # busts browser caches of /static files on upgrade

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        return self.env.get_template(name).render(demo=self.demo_notice, now=self.clock(), **context)


@dataclass(frozen=True, slots=True)
class Renderer:
    """Renders templates for one request; handlers call it as ``render("latest/index.html", …)``."""

    templates: Templates
    request: Request
    viewer: Viewer | None

    def __call__(self, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.render(name, {"request": self.request, "viewer": self.viewer, **context})
        return HTMLResponse(html, status_code=status_code)


def get_renderer(request: Request, viewer: CurrentViewer) -> Renderer:
    """The page renderer bound to this request and its viewer (a FastAPI dependency)."""
    templates: Templates = request.app.state.templates
    return Renderer(templates, request, viewer)


Render = Annotated[Renderer, Depends(get_renderer)]
