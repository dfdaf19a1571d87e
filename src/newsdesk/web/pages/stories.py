"""A story's full coverage ("/stories/{id}"): its brief (what the sources agree on, what only some report,
where they differ), every article grouped by publisher, the timeline of how the story grew, its languages,
hashtags and category, related stories, and readers' comments. ``/stories/{id}/brief`` is the brief the
page loads when it comes into view, ``/stories/{id}/ask?q=`` answers a question from the articles (htmx
fragments; whole pages without JavaScript).

Reads: the story with its articles (one query), its card (the lead and image, two), and the
related reading of its representative article, whose other stories are the related stories.
A merged story's old id leads, with a permanent redirect, to the story it joined.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newsdesk.core import Newsdesk
from newsdesk.model import (
    Answer,
    CommentTarget,
    RelatedArticle,
    SignedIn,
    StoryArticle,
    StoryBrief,
    StoryCard,
    StoryChange,
    StoryDetail,
    Summary,
)
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.comments import CommentSection, comment_section
from newsdesk.web.pages.personal import FollowButton, follow_button
from newsdesk.web.pages.render import Render, by_htmx, varies_with_htmx
from newsdesk.web.params import Key, Question

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Publisher:
    source_id: int
    name: str | None
    articles: tuple[StoryArticle, ...]


@dataclass(frozen=True, slots=True)
class StoryView:
    detail: StoryDetail
    card: StoryCard
    publishers: tuple[Publisher, ...]  # the most articles first
    related: tuple[RelatedArticle, ...]  # one article per related story
    comments: CommentSection
    follow: FollowButton
    change: StoryChange | None = None  # what came since the signed-in reader last opened it
    hidden_languages: int = 0  # articles left out: not in the languages the reader reads
    brief: StoryBrief | None = None  # None: loaded when it comes into view (/stories/{id}/brief)
    summary: Summary | None = None  # the story's, with the brief
    answer: Answer | None = None  # to the question asked (/stories/{id}/ask)


def by_publisher(articles: tuple[StoryArticle, ...]) -> tuple[Publisher, ...]:
    """The coverage grouped by source: the most articles first, then who covered it first."""
    groups: dict[int, list[StoryArticle]] = defaultdict(list)
    for a in articles:  # oldest first, so each group is in time order and dict order is first coverage
        groups[a.source_id].append(a)
    ordered = sorted(groups.values(), key=lambda group: -len(group))  # stable: ties keep first coverage first
    return tuple(Publisher(g[0].source_id, g[0].source_title, tuple(g)) for g in ordered)


def in_languages(articles: tuple[StoryArticle, ...], languages: tuple[str, ...]) -> tuple[StoryArticle, ...]:
    """The coverage in the reader's languages, in their order (each language oldest first); all of it when
    they chose none or none of it is in their languages."""
    if not languages:
        return articles
    rank = {code: i for i, code in enumerate(languages)}
    kept = [a for a in articles if (a.language or "").split("-")[0].lower() in rank]
    if not kept:
        return articles
    return tuple(sorted(kept, key=lambda a: rank[(a.language or "").split("-")[0].lower()]))


def story_view(
    desk: Newsdesk,
    story_id: str,
    language: str,
    viewer: SignedIn | None = None,
    *,
    with_brief: bool = False,
    question: str | None = None,
) -> StoryView:
    """The story's page; for a signed-in reader also what changed since their last visit (recorded now),
    the coverage in the languages they read, and their follow; the brief and the answer when asked for."""
    view = _story_view(desk, story_id, language, viewer)
    if view.detail.story.id != story_id:
        return view
    languages = reader_languages(desk, viewer, language)
    brief, summary = desk.story_brief(story_id, languages) if with_brief else (None, None)
    answer = desk.ask_story(story_id, question, languages) if question and question.strip() else None
    return replace(view, brief=brief, summary=summary, answer=answer)


def reader_languages(desk: Newsdesk, viewer: SignedIn | None, locale: str) -> tuple[str, ...]:
    """The languages whose articles the AI features read first: the reader's, else the page's."""
    if viewer is not None:
        chosen = desk.personal_filter(viewer.user.id, viewer.personal_version).languages
        if chosen:
            return tuple(chosen)
    return (locale,)


def _story_view(desk: Newsdesk, story_id: str, language: str, viewer: SignedIn | None = None) -> StoryView:
    detail = desk.story(story_id)
    card = desk.story_cards([detail.story], language)[0]
    rep = detail.story.representative_id
    related = tuple(r for r in (desk.related(rep).other_stories if rep else ()) if r.story_id)
    comments = comment_section(desk, CommentTarget.STORY, detail.story.id, viewer.user if viewer else None)
    follow = follow_button(desk, viewer, "story", detail.story.id)
    if viewer is None or detail.story.id != story_id:
        if viewer is not None:  # a merged story's old address: its page redirects, mutes still apply
            related = desk.screen_related(desk.personal_filter(viewer.user.id, viewer.personal_version), related)
        return StoryView(detail, card, by_publisher(detail.articles), related, comments, follow)
    change = desk.open_story(viewer.user.id, detail)
    filt = desk.personal_filter(viewer.user.id, viewer.personal_version)
    shown = in_languages(detail.articles, filt.languages)
    hidden = len(detail.articles) - len(shown)
    related = desk.screen_related(filt, related)
    return StoryView(detail, card, by_publisher(shown), related, comments, follow, change, hidden)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
async def story_page(story_id: Key, desk: Desk, render: Render, viewer: CurrentViewer) -> Response:
    view = await run_in_threadpool(story_view, desk, story_id, render.locale, viewer)
    if view.detail.story.id != story_id:  # merged into another story: its address is the one to keep
        return RedirectResponse(f"/stories/{view.detail.story.id}", status_code=301)
    return render("stories/story.html", view=view, story=view.detail.story, follow=view.follow)


@router.get("/stories/{story_id}/brief", response_class=HTMLResponse)
async def story_brief(story_id: Key, desk: Desk, render: Render, viewer: CurrentViewer, request: Request) -> Response:
    """The brief and the story's summary: the fragment the page loads (htmx), or the whole page with them."""
    if by_htmx(request):
        languages = await run_in_threadpool(reader_languages, desk, viewer, render.locale)
        brief, summary = await run_in_threadpool(desk.story_brief, story_id, languages)
        foreign = any(code != render.locale for code in brief.languages)
        return varies_with_htmx(
            render("partials/brief.html", brief=brief, summary=summary, model=desk.model_name, translate=foreign)
        )
    view = await run_in_threadpool(lambda: story_view(desk, story_id, render.locale, viewer, with_brief=True))
    if view.detail.story.id != story_id:
        return RedirectResponse(f"/stories/{view.detail.story.id}/brief", status_code=301)
    return varies_with_htmx(render("stories/story.html", view=view, story=view.detail.story, follow=view.follow))


@router.get("/stories/{story_id}/ask", response_class=HTMLResponse)
async def ask_story(
    story_id: Key, desk: Desk, render: Render, viewer: CurrentViewer, request: Request, q: Question = ""
) -> Response:
    """The sentences of the story's articles that answer ``q`` (htmx: the answer alone; else the whole page)."""
    if by_htmx(request):
        languages = await run_in_threadpool(reader_languages, desk, viewer, render.locale)
        answer = await run_in_threadpool(desk.ask_story, story_id, q, languages)
        return varies_with_htmx(
            render(
                "partials/answer.html",
                answer=answer if q.strip() else None,
                in_story=True,
                model=desk.model_name,
                ai_url=f"/stories/{story_id}/ai/answer?q={quote(q)}",
            )
        )
    view = await run_in_threadpool(lambda: story_view(desk, story_id, render.locale, viewer, question=q))
    if view.detail.story.id != story_id:
        return RedirectResponse(f"/stories/{view.detail.story.id}", status_code=301)
    return varies_with_htmx(render("stories/story.html", view=view, story=view.detail.story, follow=view.follow))
