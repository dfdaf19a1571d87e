"""One stored article, as a feed delivers it: what the AI features' tests read and ask about."""

from __future__ import annotations

from datetime import datetime, timedelta

from newsdesk.core import Newsdesk
from newsdesk.model import ArticleDraft, ArticleUpdate, DraftAction, ExtractionStatus, FeedUpdate


def seed_article(
    desk: Newsdesk,
    article_id: str,
    text: str,
    *,
    now: datetime,
    title: str = "Rivertown approves its budget",
    source_title: str | None = None,
    hours_ago: float = 2,
    language: str | None = None,
) -> str:
    """Store ``text`` as the article ``article_id`` of a source of its own (``source_title``; ``language``: what its
    feed declares), and return the id."""
    source = desk.storage.add_source(
        f"https://{article_id}.example/feed", title=source_title or f"{article_id} news", now=now
    )
    draft = ArticleDraft(
        id=article_id,
        source_id=source.id,
        guid=article_id,
        url=f"https://{article_id}.example/a",
        canonical_url=None,
        title=title,
        authors=(),
        published_at=now - timedelta(hours=hours_ago),
        updated_at=None,
        summary=None,
        content_html=None,
        text=text,
        image_url=None,
        categories=(),
        word_count=len(text.split()),
        content_hash=None,
        entry_hash=article_id,
        language=language,
    )
    update = FeedUpdate(
        source_id=source.id,
        checked_at=now,
        next_check_at=now + timedelta(hours=1),
        check_interval_s=3600,
        ok=True,
        language=language,
    )
    desk.storage.apply_feed_updates(
        [update], [ArticleUpdate(draft=draft, action=DraftAction.INSERT, extraction_status=ExtractionStatus.FEED)], now
    )
    return draft.id
