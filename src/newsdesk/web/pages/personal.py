"""A signed-in reader's own pages and forms: "For you", what they follow and mute, bookmarks.

``/for-you`` (stories from what they follow and read, each with why), ``/following`` (follows and mutes,
keyword filters, languages, the followed stories with unseen updates first), ``/bookmarks``; and the POST
forms the other pages carry: ``/follow`` (follow, mute or remove a source, hashtag, category, region or
story), ``/keyword-filters``, ``/bookmarks`` (add, note, remove), ``/languages``. Every POST checks the
form token (``web/sessions.check_form``) and goes back where it came from (303), so all of it works
without JavaScript. An id of another reader's bookmark or filter is a 404, as an unknown one is.
These pages are private (``Cache-Control: private, no-store``) and never enter the page cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsdesk.core import Newsdesk
from newsdesk.errors import PersonalError
from newsdesk.model import (
    MAX_NOTE_CHARS,
    MAX_PHRASE_CHARS,
    Bookmark,
    Follow,
    FollowedStory,
    ForYouCard,
    KeywordFilter,
    PersonalFilter,
    SignedIn,
)
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.account import local_path
from newsdesk.web.pages.render import Render
from newsdesk.web.sessions import check_form

router = APIRouter()

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
FOLLOW_MODES = ("follow", "mute", "remove")


@dataclass(frozen=True, slots=True)
class FollowButton:
    """The follow and mute buttons of one page: what they act on (canonical key) and the reader's choice."""

    kind: str
    key: str
    state: str | None  # follow | mute | None (also for readers not signed in)


def follow_button(desk: Newsdesk, viewer: SignedIn | None, kind: str, key: str) -> FollowButton:
    state = desk.follow_state(viewer.user.id, kind, key) if viewer is not None else None
    return FollowButton(kind, key, state)


def _sign_in(target: str) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?next={target}", status_code=303)


def _back(fields: dict[str, str], default: str) -> RedirectResponse:
    return RedirectResponse(local_path(fields.get("next") or default), status_code=303)


# -- the forms ----------------------------------------------------------------------------------


@router.post("/follow")
async def follow(request: Request, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    if viewer is None:
        return _sign_in(local_path(fields.get("next")))
    kind, key, mode = fields.get("kind", ""), fields.get("key", "")[:200], fields.get("mode", "follow")
    if mode not in FOLLOW_MODES:
        raise PersonalError(f"mode is one of {', '.join(FOLLOW_MODES)}")
    if mode == "remove":
        await run_in_threadpool(desk.unfollow, viewer.user.id, kind, key)
    else:
        await run_in_threadpool(desk.follow, viewer.user.id, kind, key, mode)
    return _back(fields, "/following")


@router.post("/keyword-filters")
async def add_keyword_filter(request: Request, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    if viewer is None:
        return _sign_in("/following")
    phrase = fields.get("phrase", "")[: MAX_PHRASE_CHARS * 2]
    language, action = fields.get("language", "")[:20] or None, fields.get("action", "hide")
    await run_in_threadpool(desk.add_keyword_filter, viewer.user.id, phrase, language, action)
    return _back(fields, "/following")


@router.post("/keyword-filters/{filter_id}/delete")
async def remove_keyword_filter(request: Request, filter_id: RowId, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    if viewer is None:
        return _sign_in("/following")
    await run_in_threadpool(desk.remove_keyword_filter, viewer.user.id, filter_id)
    return _back(fields, "/following")


@router.post("/languages")
async def set_languages(request: Request, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    if viewer is None:
        return _sign_in("/following")
    codes = fields.get("languages", "")[:200].replace(",", " ").split()
    await run_in_threadpool(desk.set_languages, viewer.user.id, codes)
    return _back(fields, "/following")


@router.post("/bookmarks")
async def add_bookmark(request: Request, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    article_id = fields.get("article_id", "")[:40]
    if viewer is None:
        return _sign_in(f"/articles/{article_id}")
    note = fields.get("note", "")[: MAX_NOTE_CHARS * 2]
    await run_in_threadpool(desk.bookmark, viewer.user.id, article_id, note)
    return _back(fields, "/bookmarks")


@router.post("/bookmarks/{bookmark_id}")
async def edit_bookmark(request: Request, bookmark_id: RowId, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    if viewer is None:
        return _sign_in("/bookmarks")
    note = fields.get("note", "")[: MAX_NOTE_CHARS * 2]
    await run_in_threadpool(desk.set_bookmark_note, viewer.user.id, bookmark_id, note)
    return _back(fields, "/bookmarks")


@router.post("/bookmarks/{bookmark_id}/delete")
async def remove_bookmark(request: Request, bookmark_id: RowId, desk: Desk, viewer: CurrentViewer) -> Response:
    fields = await check_form(request)
    if viewer is None:
        return _sign_in("/bookmarks")
    await run_in_threadpool(desk.remove_bookmark, viewer.user.id, bookmark_id)
    return _back(fields, "/bookmarks")


# -- the pages ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowingView:
    follows: tuple[Follow, ...]
    mutes: tuple[Follow, ...]
    keywords: tuple[KeywordFilter, ...]
    stories: tuple[FollowedStory, ...]
    languages: tuple[str, ...]


def following_view(desk: Newsdesk, user_id: int) -> FollowingView:
    follows = desk.follows(user_id)
    filt: PersonalFilter = desk.personal_filter(user_id)
    return FollowingView(
        follows=tuple(f for f in follows if f.mode == "follow" and f.kind != "story"),
        mutes=tuple(f for f in follows if f.mode == "mute"),
        keywords=filt.keywords,
        stories=tuple(desk.followed_stories(user_id)),
        languages=filt.languages,
    )


@router.get("/following", response_class=HTMLResponse)
async def following_page(desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    if viewer is None:
        return _sign_in("/following")
    view = await run_in_threadpool(following_view, desk, viewer.user.id)
    return render("personal/following.html", view=view, max_phrase=MAX_PHRASE_CHARS)


@router.get("/bookmarks", response_class=HTMLResponse)
async def bookmarks_page(desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    if viewer is None:
        return _sign_in("/bookmarks")
    marks: list[Bookmark] = await run_in_threadpool(lambda: desk.bookmarks(viewer.user.id, limit=500))
    return render("personal/bookmarks.html", bookmarks=marks, max_note=MAX_NOTE_CHARS)


@router.get("/for-you", response_class=HTMLResponse)
async def for_you_page(desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    if viewer is None:
        return _sign_in("/for-you")
    cards: list[ForYouCard] = await run_in_threadpool(desk.for_you, viewer.user.id, render.locale)
    return render("personal/for_you.html", cards=cards)
