"""A hashtag's page ("/topics/{tag}", "Latest news with #Tag"): its stories first, as cards, then its articles.

The tag is taken in any form a page shows it: ``#FrèresMusulmans``, ``%23FrèresMusulmans``,
``frères musulmans`` or the key ``freremusulman``. A tag nothing carries is the 404 page.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from newsdesk.core import Newsdesk
from newsdesk.errors import NotFoundError
from newsdesk.model import SignedIn, StoryCard, TopicPage
from newsdesk.web.deps import CurrentViewer, Desk
from newsdesk.web.pages.personal import FollowButton, follow_button
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Key

TOPIC_LIMIT = 30

router = APIRouter()


@dataclass(frozen=True, slots=True)
class TopicView:
    topic: TopicPage
    cards: list[StoryCard]
    follow: FollowButton
    blurred: frozenset[str] = frozenset()  # story and article ids a signed-in reader's keyword filters blur


def topic_view(desk: Newsdesk, tag: str, language: str, viewer: SignedIn | None = None) -> TopicView:
    """The topic's stories and articles; a signed-in reader's mutes leave out what they muted."""
    topic = desk.topic(tag, limit=TOPIC_LIMIT)
    if topic.label is None and not topic.articles and not topic.stories:
        raise NotFoundError(f"no news carries the hashtag #{tag.strip().removeprefix('#')}")
    cards = desk.story_cards(topic.stories, language)
    follow = follow_button(desk, viewer, "tag", topic.tag)
    if viewer is None:
        return TopicView(topic, cards, follow)
    filt = desk.personal_filter(viewer.user.id, viewer.personal_version)
    screened = desk.screen(filt, cards)
    kept, blurred_articles = desk.screen_articles(filt, topic.articles, lambda a: a.id)
    blurred = screened.blurred | blurred_articles
    shown = TopicPage(topic.tag, topic.label, tuple(kept), tuple(c.story for c in screened.cards))
    return TopicView(shown, list(screened.cards), follow, blurred)


@router.get("/topics/{tag:path}", response_class=HTMLResponse)
async def topic_page(tag: Key, desk: Desk, render: Render, viewer: CurrentViewer) -> HTMLResponse:
    view = await run_in_threadpool(topic_view, desk, tag, render.locale, viewer)
    return render("topics/topic.html", view=view, topic=view.topic, follow=view.follow, blurred=view.blurred)
