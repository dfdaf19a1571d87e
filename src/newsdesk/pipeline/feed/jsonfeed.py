"""JSON Feed 1.0/1.1 → :class:`~newsdesk.model.ParsedFeed`, mapped directly (no parser library).

A JSON document counts as a feed when its ``version`` names jsonfeed.org or it
has an ``items`` list; every field is checked for its JSON type before use,
since any value may be of any type. JSON Feed has no scheduling hints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from newsdesk.errors import ParseError
from newsdesk.model import ParsedEntry, ParsedFeed
from newsdesk.pipeline.feed.budget import Deadline
from newsdesk.pipeline.feed.dates import from_iso, parse_full_date
from newsdesk.pipeline.feed.fields import (
    absolute_url,
    bodies,
    build_feed,
    first_image,
    is_image,
    names,
    short_reason,
    tag_names,
    title,
)
from newsdesk.pipeline.feed.hints import ChannelHints

__all__ = ["parse_json_feed"]


def parse_json_feed(body: bytes, url: str, deadline: Deadline) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(url, f"malformed JSON: {short_reason(exc)}") from exc
    if not isinstance(doc, dict):
        raise ParseError(url, "not a feed: the JSON document is not a JSON Feed")
    version = _str(doc.get("version")) or ""
    items = doc.get("items")
    if "jsonfeed.org/version/" not in version and not isinstance(items, list):
        raise ParseError(url, "not a feed: the JSON document is not a JSON Feed")
    if not isinstance(items, list):
        items = []
    return build_feed(
        url,
        ChannelHints(),
        title=_str(doc.get("title")),
        site_link=_str(doc.get("home_page_url")),
        description=_str(doc.get("description")),
        language=_str(doc.get("language")),
        format="json11" if version.endswith("/1.1") else "json10" if version.endswith("/1") else "json",
        entries=(_entry_from_json(item, url) for item in items if isinstance(item, dict)),
        deadline=deadline,
    )


def _entry_from_json(item: Mapping[str, Any], feed_url: str) -> ParsedEntry:
    url = absolute_url(_str(item.get("url")) or _str(item.get("external_url")), feed_url)  # JSON ids are not links
    base = url or feed_url
    content = _str(item.get("content_html"))
    content_is_text = False
    if content is None:
        content = _str(item.get("content_text"))
        content_is_text = content is not None
    # JSON Feed's summary is plain text by definition.
    summary_html, content_html = bodies(_str(item.get("summary")), True, content, content_is_text, base)
    guid = item.get("id")
    tags = item.get("tags")
    return ParsedEntry(
        guid=(str(guid).strip() or None) if isinstance(guid, (str, int)) and not isinstance(guid, bool) else None,
        url=url,
        title=title(item.get("title")),
        authors=_json_authors(item),
        published=from_iso(parse_full_date(_str(item.get("date_published")) or "")),
        updated=from_iso(parse_full_date(_str(item.get("date_modified")) or "")),
        summary_html=summary_html,
        content_html=content_html,
        image_url=first_image(_json_images(item), content_html or summary_html, base),
        categories=tag_names([{"term": t} for t in tags if isinstance(t, str)] if isinstance(tags, list) else None),
    )


def _json_authors(item: Mapping[str, Any]) -> tuple[str, ...]:
    authors = item.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [item.get("author")]  # 1.0
    return names([a.get("name") for a in authors if isinstance(a, dict)])


def _json_images(item: Mapping[str, Any]) -> Iterator[str]:
    for key in ("image", "banner_image"):
        if image := _str(item.get(key)):
            yield image
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if isinstance(attachment, dict) and is_image(None, _str(attachment.get("mime_type")), None):
            yield _str(attachment.get("url")) or ""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
