"""The story listings: top stories ("/"), the latest ("/?tab=latest"), of one category or region
("/categories/{name}", "/regions/{name}", or "/?category=", "/?region="), and the fragment that continues them.

Every listing is two batched reads: the page of stories (ranked, or most recently active),
then their cards (:meth:`~newsdesk.core.Newsdesk.story_cards`). An empty page says why: past
the end of the list (with the way back), nothing in this category, no stories or no articles yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.core import Newsdesk, taxonomy, taxonomy_name
from newsdesk.model import SignedIn, StoryCard
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.listing import Pager, pager
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Filter, Offset

PAGE_SIZE = 24
SCREENED_READ = 3 * PAGE_SIZE + 1  # stories read for a reader whose mutes may leave many out
FRAGMENT = "/fragments/stories"

Tab = Annotated[Literal["top", "latest"], Query()]

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a story listing, as front/index.html shows it."""

    tab: str
    category: str | None  # canonical names
    region: str | None
    cards: list[StoryCard]
    pager: Pager
    empty: str | None  # why there are no cards: past_end, filtered, no_stories, no_articles
    categories: tuple[str, ...]
    regions: tuple[str, ...]
    blurred: frozenset[str] = frozenset()  # story ids a signed-in reader's keyword filters blur
    muted: int = 0  # cards of this page the reader's mutes left out


def story_listing(
    desk: Newsdesk,
    path: str,
    tab: str,
    category: str | None,
    region: str | None,
    offset: int,
    language: str,
    viewer: SignedIn | None = None,
) -> Listing:
    """The page at ``offset`` of the listing at ``path``, headlines in the reader's ``language`` where a story
    has them (an unknown category or region is a NotFoundError). A signed-in ``viewer``'s mutes and keyword
    filters apply (:meth:`~newsdesk.core.Newsdesk.screen`); their pages are never cached for others.

    A reader who mutes things is given a full page all the same: more stories are read (``SCREENED_READ``) and
    the first ``PAGE_SIZE`` they keep are shown; the next page starts after the last story looked at (the
    offset counts the listing everyone sees, muted stories included)."""
    filters = {"category": category, "region": region}
    filt = None if viewer is None else desk.personal_filter(viewer.user.id, viewer.personal_version)
    screening = filt is not None and not filt.empty
    wanted = SCREENED_READ if screening else PAGE_SIZE + 1
    listed = desk.stories if tab == "latest" else desk.front_page
    stories = listed(limit=wanted, offset=offset, **filters)
    cards = desk.story_cards(stories if screening else stories[:PAGE_SIZE], language)
    more, step = len(stories) > PAGE_SIZE, PAGE_SIZE
    blurred: frozenset[str] = frozenset()
    muted = 0
    if filt is not None and screening:
        screened = desk.screen(filt, cards)
        kept = list(screened.cards[:PAGE_SIZE])
        step = len(cards)  # a short page: every story read was looked at
        if len(kept) == PAGE_SIZE:  # a full page: the next starts after its last story
            step = next(i for i, c in enumerate(cards) if c.story.id == kept[-1].story.id) + 1
        muted = step - len(kept)
        more = len(stories) > step or len(stories) == wanted  # all read were looked at: more may follow
        cards, blurred = kept, screened.blurred
    empty = None
    if not cards:
        empty = "past_end" if offset else "muted" if muted else "filtered" if category or region else None
        empty = empty or ("no_stories" if desk.stats().articles else "no_articles")
    names, regions = (tuple(e.name for e in taxonomy(kind)) for kind in ("category", "region"))
    shown = {
        "category": None if category is None else taxonomy_name("category", category).name,
        "region": None if region is None else taxonomy_name("region", region).name,
    }
    kept_params = {"tab": "latest" if tab == "latest" else None} | (filters if path == "/" else {})
    links = pager(path, FRAGMENT, offset, PAGE_SIZE, more, kept_params, filters, step=step)
    return Listing(tab, shown["category"], shown["region"], cards, links, empty, names, regions, blurred, muted)


@router.get("/", response_class=HTMLResponse)
async def front_page(
    desk: Desk,
    render: Render,
    viewer: CurrentViewer,
    tab: Tab = "top",
    category: Filter = None,
    region: Filter = None,
    offset: Offset = 0,
) -> HTMLResponse:
    view = await run_in_threadpool(story_listing, desk, "/", tab, category, region, offset, render.locale, viewer)
    return render("front/index.html", view=view, follow=None)


@router.get(FRAGMENT, response_class=HTMLResponse)
async def more_stories(
    desk: Desk,
    render: Render,
    viewer: CurrentViewer,
    tab: Tab = "top",
    category: Filter = None,
    region: Filter = None,
    offset: Offset = 0,
) -> HTMLResponse:
    """The cards of one page of a listing and its pager, for htmx to append to the list."""
    view = await run_in_threadpool(story_listing, desk, "/", tab, category, region, offset, render.locale, viewer)
    return render("partials/cards.html", cards=view.cards, pager=view.pager, fragment=True, blurred=view.blurred)
