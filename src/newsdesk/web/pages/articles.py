"""One article, in full ("/articles/{id}"): its text, where else it was published, the story it belongs
to, its hashtags, the extractive digest, related reading from other stories, and its comments.

Four reads: the article with its tags, its related articles, its story's coverage (which names the
folded duplicates and wire copies: "also published by"), and the digest, computed from the text in
hand. The story is read once and shared with nothing else; related reading does its own bounded search.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.core import Newsdesk
from newsdesk.model import (
    MAX_NOTE_CHARS,
    Article,
    Bookmark,
    CommentTarget,
    Digest,
    Related,
    SignedIn,
    StoryArticle,
    StoryDetail,
)
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.comments import CommentSection, comment_section
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Key

router = APIRouter()


@dataclass(frozen=True, slots=True)
class ArticleView:
    article: Article
    story: StoryDetail | None
    also: tuple[StoryArticle, ...]  # the same text at other publishers (copies of it, or what it copies)
    related: Related
    digest: Digest
    comments: CommentSection
    bookmark: Bookmark | None = None  # the signed-in reader's bookmark of it


def also_published(article: Article, story: StoryDetail | None) -> tuple[StoryArticle, ...]:
    """The other members of the article's copy group in its story: what it copies, and what copies the same."""
    if story is None:
        return ()
    root = article.duplicate_of or article.near_duplicate_of or article.id
    return tuple(a for a in story.articles if a.id != article.id and (a.copy_of or a.id) == root)


def article_view(desk: Newsdesk, article_id: str, viewer: SignedIn | None = None) -> ArticleView:
    """The article and what surrounds it; for a signed-in reader also their bookmark, and the read mark."""
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
    return ArticleView(
        article, story, also_published(article, story), related, desk.digest(article), comments, bookmark
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article_page(article_id: Key, desk: Desk, render: Render, viewer: CurrentViewer) -> HTMLResponse:
    view = await run_in_threadpool(article_view, desk, article_id, viewer)
    return render("article/article.html", view=view, article=view.article, max_note=MAX_NOTE_CHARS)
