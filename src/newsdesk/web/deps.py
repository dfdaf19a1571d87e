"""What every handler receives, as FastAPI dependencies: the facade and who is reading.

Handlers declare them as parameters (``desk: Desk``, ``viewer: CurrentViewer``)
rather than closing over variables inside :func:`~newsdesk.web.app.create_app`,
so each router module stands on its own and a test, or the accounts layer, can
swap one with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from newsdesk.core import Newsdesk


class Viewer(Protocol):
    """A signed-in reader. Accounts give it its attributes; until then there is none, and
    handlers and templates that take ``Viewer | None`` already treat ``None`` as anonymous."""


def get_desk(request: Request) -> Newsdesk:
    """The facade that :func:`~newsdesk.web.app.create_app` stored on the app."""
    desk: Newsdesk = request.app.state.desk
    return desk


def get_viewer(request: Request) -> Viewer | None:
    """The reader behind this request: ``None``, an anonymous reader, until accounts land.

    It takes the request because that is where the session cookie will be read.
    """
    return None


Desk = Annotated[Newsdesk, Depends(get_desk)]
CurrentViewer = Annotated[Viewer | None, Depends(get_viewer)]
