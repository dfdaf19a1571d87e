"""The search page (``/search?q=``) and the fragment that continues its results.

A plain GET form: the results of a search are a page one can bookmark, share and reload. The "more
results" link at the foot is a link to the next page; with JavaScript, htmx fetches the next page's
results as a fragment and puts them in place of the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.core import Newsdesk
from newsdesk.model import SignedIn, day_start
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.render import Render
from newsdesk.web.params import DayFilter, Filter, FormSourceFilter, Offset, SearchText

PAGE_SIZE = 20
RANKED_MATCHES = 1000
"""The storage's rank cap (``store/search.py: RANK_CAP``; a test keeps the two equal), which the page's help
states: of a search that matches more articles, the newest this many are ranked and shown."""
MAX_SOURCE_CHOICES = 300  # more sources than this are asked for by id: a longer list helps no reader

router = APIRouter()


@dataclass(frozen=True, slots=True)
class _Form:
    """The search as the form sent it (and as the page shows it back)."""

    q: str
    source_id: int | None
    language: str | None
    category: str | None
    tag: str | None
    since: date | None
    until: date | None

    def query_string(self, offset: int) -> str:
        return urlencode(self._fields() | ({"offset": offset} if offset else {}))

    def _fields(self) -> dict[str, Any]:
        values = {
            "q": self.q,
            "source_id": self.source_id,
            "language": self.language,
            "category": self.category,
            "tag": self.tag,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in values.items() if v not in (None, "")}

    def without_filters(self) -> str:
        return urlencode({"q": self.q})

    @property
    def filtered(self) -> bool:
        return len(self._fields()) > 1


def _form(
    q: SearchText = "",
    source_id: FormSourceFilter = None,
    language: Filter = None,
    category: Filter = None,
    tag: Filter = None,
    since: DayFilter = None,
    until: DayFilter = None,
) -> _Form:
    """The form's fields from the query string: the page and its fragment read them alike."""
    return _Form(q, source_id, language, category, tag, since, until)


SearchForm = Annotated[_Form, Depends(_form)]


async def _results(desk: Newsdesk, form: _Form, offset: int, viewer: SignedIn | None = None) -> dict[str, Any]:
    """One page of results and the query string of the next page (``None`` on the last one); a signed-in
    reader's mutes leave hits out (the page may then hold fewer than ``PAGE_SIZE``)."""
    if not form.q.strip():
        return {"hits": (), "more": None, "blurred": ()}
    results = await run_in_threadpool(
        lambda: desk.search(
            form.q,
            source_id=form.source_id,
            language=form.language or None,
            category=form.category or None,
            tag=form.tag or None,
            since=day_start(form.since),
            until=day_start(form.until, after=True),
            limit=PAGE_SIZE,
            offset=offset,
        )
    )
    more = form.query_string(offset + PAGE_SIZE) if results.more else None
    if viewer is None:
        return {"hits": results.hits, "more": more, "blurred": ()}
    hits, blurred = await run_in_threadpool(desk.screen_hits, viewer, results.hits)
    return {"hits": hits, "more": more, "blurred": blurred}


@router.get("/search", response_class=HTMLResponse)
async def search_page(
    desk: Desk,
    render: Render,
    form: SearchForm,
    viewer: CurrentViewer,
    offset: Offset = 0,
) -> HTMLResponse:
    listing = await _results(desk, form, offset, viewer)
    names = await run_in_threadpool(desk.source_names, MAX_SOURCE_CHOICES + 1)  # not every source, whole
    choices = [(s.id, s.name) for s in names] if len(names) <= MAX_SOURCE_CHOICES else None
    ranked = format_decimal(RANKED_MATCHES, locale=render.locale)
    return render("search/search.html", form=form, sources=choices, offset=offset, ranked=ranked, **listing)


@router.get("/fragments/search", response_class=HTMLResponse)
async def more_results(
    desk: Desk,
    render: Render,
    form: SearchForm,
    viewer: CurrentViewer,
    offset: Offset = 0,
) -> HTMLResponse:
    """The results of one page of /search and the link to the next, for htmx to put in place of the link."""
    return render("partials/search_results.html", **await _results(desk, form, offset, viewer))
