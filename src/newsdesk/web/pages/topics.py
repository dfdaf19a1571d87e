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
from newsdesk.model import StoryCard, TopicPage
from newsdesk.web.deps import Desk
from newsdesk.web.pages.render import Render
from newsdesk.web.params import Key

TOPIC_LIMIT = 30

router = APIRouter()


@dataclass(frozen=True, slots=True)
class TopicView:
    topic: TopicPage
    cards: list[StoryCard]


def topic_view(desk: Newsdesk, tag: str, language: str) -> TopicView:
    topic = desk.topic(tag, limit=TOPIC_LIMIT)
    if topic.label is None and not topic.articles and not topic.stories:
        raise NotFoundError(f"no news carries the hashtag #{tag.strip().removeprefix('#')}")
    return TopicView(topic, desk.story_cards(topic.stories, language))


@router.get("/topics/{tag:path}", response_class=HTMLResponse)
async def topic_page(tag: Key, desk: Desk, render: Render) -> HTMLResponse:
    view = await run_in_threadpool(topic_view, desk, tag, render.locale)
    return render("topics/topic.html", view=view, topic=view.topic)
