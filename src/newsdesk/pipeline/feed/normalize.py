"""Stage 3: parsed entries → :class:`~newsdesk.model.ArticleDraft` values.

Each entry gets its identity (guid, else link, else title and date), its canonical URL
(:mod:`newsdesk.pipeline.urls`), its stable id and content hash (:mod:`newsdesk.pipeline.keys`),
its plain text, and an ``entry_hash`` over every feed field, so that a changed entry is
recognised on the next poll and an unchanged one skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from newsdesk.model import ArticleDraft, ParsedEntry, ParsedFeed
from newsdesk.pipeline.feed.budget import Deadline
from newsdesk.pipeline.keys import ID_HASH_DIGITS, digest_of, hex_digest, source_prefix, words_and_hash
from newsdesk.pipeline.sanitize import html_to_text
from newsdesk.pipeline.urls import canonicalize_url


def entry_guid(entry: ParsedEntry) -> str | None:
    """The entry's identity within its feed: guid, else link, else title+date."""
    if entry.guid:
        return entry.guid.strip()[:1000]
    if entry.url:
        return entry.url.strip()[:1000]
    if entry.title:
        stamp = entry.published.isoformat() if entry.published else ""
        return "title:" + digest_of(entry.title, stamp)
    return None


def make_drafts(source_id: int, feed: ParsedFeed, deadline: Deadline | None = None) -> list[ArticleDraft]:
    """Turn every usable entry into a draft; entries without any identity are dropped.

    With a ``deadline``, only the entries reached before it expires (the caller can tell).
    """
    # The hot loop of normalizing (one pass per entry of every feed): hashes and word
    # counts are computed inline, and a repeated guid is skipped before any work.
    drafts: dict[str, ArticleDraft] = {}
    hash_prefix = f"{source_id}\x1f"  # article_id(source_id, guid), inlined: the source, then the hash of this + guid
    id_prefix = source_prefix(source_id)
    language = feed.language
    for entry in feed.entries:
        if deadline is not None and deadline.expired():
            break
        guid = entry_guid(entry)
        if guid is None:
            continue
        draft_id = id_prefix + hex_digest(hash_prefix + guid)[:ID_HASH_DIGITS]
        if draft_id in drafts:
            continue  # a feed repeating a guid keeps its first entry
        content_html = entry.content_html
        body_html = content_html or entry.summary_html
        text = html_to_text(body_html) if body_html else ""
        word_count, text_hash = words_and_hash(text)
        url = entry.url
        drafts[draft_id] = ArticleDraft(
            id=draft_id,
            source_id=source_id,
            guid=guid,
            url=url,
            canonical_url=canonicalize_url(url),
            title=entry.title,
            authors=entry.authors,
            published_at=entry.published,
            updated_at=entry.updated,
            summary=entry.summary_html,
            content_html=content_html,  # None: the summary is all the feed has (not stored twice)
            text=text,
            image_url=entry.image_url,
            categories=entry.categories,
            word_count=word_count,
            content_hash=text_hash,
            entry_hash=_entry_hash(entry),
            language=language,
        )
    return list(drafts.values())


def _entry_hash(entry: ParsedEntry) -> str:
    published, updated = entry.published, entry.updated
    return hex_digest(
        "\x1f".join(
            (
                entry.url or "",
                entry.title or "",
                "\x1e".join(entry.authors),
                str(published.timestamp()) if published else "",
                str(updated.timestamp()) if updated else "",
                entry.summary_html or "",
                entry.content_html or "",
                entry.image_url or "",
                "\x1e".join(entry.categories),
            )
        )
    )


def collect_keys(drafts: Iterable[ArticleDraft]) -> tuple[list[str], list[str], list[str]]:
    """The ids, canonical URLs and content hashes to look up before deciding."""
    ids, urls, hashes = [], [], []
    for d in drafts:
        ids.append(d.id)
        if d.canonical_url:
            urls.append(d.canonical_url)
        if d.content_hash:
            hashes.append(d.content_hash)
    return ids, urls, hashes
