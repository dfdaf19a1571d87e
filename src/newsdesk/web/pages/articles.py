"""One article, in full ("/articles/{id}"): its text, where else it was published, the story it belongs
to, its hashtags, the AI panel (summary, key points, ask a question), related reading from other
stories, and its comments. ``/articles/{id}/ask?q=`` answers a question: the panel's fragment for htmx,
the whole page with the answer in place without JavaScript.

Three reads: the article with its tags, its related articles, its story's coverage (which names the
folded duplicates and wire copies: "also published by"); the summary is computed from the text in
hand (and kept, ``queries/insight.py``). Related reading does its own bounded search.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.core import Newsdesk
from newsdesk.model import (
    MAX_NOTE_CHARS,
    Answer,
    Article,
    Bookmark,
    CommentTarget,
    Related,
    SignedIn,
    StoryArticle,
    StoryDetail,
    Summary,
)
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.comments import CommentSection, comment_section
from newsdesk.web.pages.render import Render, by_htmx, varies_with_htmx
from newsdesk.web.params import Key, Question

router = APIRouter()


@dataclass(frozen=True, slots=True)
class ArticleView:
    article: Article
    story: StoryDetail | None
    also: tuple[StoryArticle, ...]  # the same text at other publishers (copies of it, or what it copies)
    related: Related
    summary: Summary | None  # None: loaded when the panel comes into view (/articles/{id}/summary)
    comments: CommentSection
    bookmark: Bookmark | None = None  # the signed-in reader's bookmark of it
    answer: Answer | None = None  # to the question asked (/articles/{id}/ask)
    model: str | None = None  # the language model's name, when one is configured


def also_published(article: Article, story: StoryDetail | None) -> tuple[StoryArticle, ...]:
    """The other members of the article's copy group in its story: what it copies, and what copies the same."""
    if story is None:
        return ()
    root = article.duplicate_of or article.near_duplicate_of or article.id
    return tuple(a for a in story.articles if a.id != article.id and (a.copy_of or a.id) == root)


def article_view(
    desk: Newsdesk,
    article_id: str,
    viewer: SignedIn | None = None,
    question: str | None = None,
    with_summary: bool = False,
) -> ArticleView:
    """The article and what surrounds it; for a signed-in reader also their bookmark, and the read mark; the
    answer to ``question`` when one was asked, and the summary when asked for (else the panel loads it when
    it comes into view: embedding the article's sentences is the page's dearest part)."""
    article = desk.article(article_id)
    story = desk.story(article.story_id) if article.story_id else None
    related = desk.related(article_id)
    comments = comment_section(desk, CommentTarget.ARTICLE, article.id, viewer.user if viewer else None)
    bookmark = None
    if viewer is not None:
        filt = desk.personal_filter(viewer.user.id, viewer.personal_version)
        others, same = desk.screen_related(filt, related.other_stories), desk.screen_related(filt, related.same_story)
        related = Related(related.article_id, others, same)
        bookmark = desk.bookmark_of(viewer.user.id, article.id)
        desk.mark_article_read(viewer.user.id, article.id)
    answer = desk.ask(article.id, question) if question and question.strip() else None
    return ArticleView(
        article,
        story,
        also_published(article, story),
        related,
        desk.summary(article) if with_summary else None,
        comments,
        bookmark,
        answer,
        desk.model_name,
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article_page(article_id: Key, desk: Desk, render: Render, viewer: CurrentViewer) -> HTMLResponse:
    view = await run_in_threadpool(article_view, desk, article_id, viewer)
    return render("article/article.html", view=view, article=view.article, max_note=MAX_NOTE_CHARS)


@router.get("/articles/{article_id}/summary", response_class=HTMLResponse)
async def article_summary(
    article_id: Key, desk: Desk, render: Render, viewer: CurrentViewer, request: Request
) -> HTMLResponse:
    """The AI panel's summary and key points: the fragment the panel loads when it comes into view (htmx), the
    whole article page with them in place for a browser without JavaScript."""
    if by_htmx(request):
        article = await run_in_threadpool(desk.article, article_id)
        summary = await run_in_threadpool(desk.summary, article)
        return varies_with_htmx(
            render("partials/summary.html", summary=summary, model=desk.model_name, article_id=article.id)
        )
    view = await run_in_threadpool(article_view, desk, article_id, viewer, None, True)
    return varies_with_htmx(render("article/article.html", view=view, article=view.article, max_note=MAX_NOTE_CHARS))


@router.get("/articles/{article_id}/ask", response_class=HTMLResponse)
async def ask_article(
    article_id: Key, desk: Desk, render: Render, viewer: CurrentViewer, request: Request, q: Question = ""
) -> HTMLResponse:
    """The sentences of the article that answer ``q``: the answer's fragment for the panel's htmx form, the
    whole article page with the answer in place for a browser without JavaScript."""
    if by_htmx(request):
        answer = await run_in_threadpool(desk.ask, article_id, q)  # a missing article is a 404
        return varies_with_htmx(
            render(
                "partials/answer.html",
                answer=answer if q.strip() else None,
                model=desk.model_name,
                ai_url=f"/articles/{article_id}/ai/answer?q={quote(q)}",
            )
        )
    view = await run_in_threadpool(article_view, desk, article_id, viewer, q)
    return varies_with_htmx(render("article/article.html", view=view, article=view.article, max_note=MAX_NOTE_CHARS))
