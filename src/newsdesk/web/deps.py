"""What every handler receives, as FastAPI dependencies: the facade and who is reading.

Handlers declare them as parameters (``desk: Desk``, ``viewer: CurrentViewer``)
rather than closing over variables inside :func:`~newsdesk.web.app.create_app`,
so each router module stands on its own and a test, or the accounts layer, can
swap one with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from newsdesk.core import Newsdesk
from newsdesk.model import SignedIn
from newsdesk.web.sessions import viewer_of

Viewer = SignedIn
"""A signed-in reader: the account and its session's form token; ``None`` is an anonymous reader."""


def get_desk(request: Request) -> Newsdesk:
    """The facade that :func:`~newsdesk.web.app.create_app` stored on the app."""
    desk: Newsdesk = request.app.state.desk
    return desk


async def get_viewer(request: Request) -> Viewer | None:
    """The signed-in reader behind this request's session cookie, or ``None`` (read once per request)."""
    return await viewer_of(request)


Desk = Annotated[Newsdesk, Depends(get_desk)]
CurrentViewer = Annotated[Viewer | None, Depends(get_viewer)]
