"""Stage 5: exact deduplication and the "fetch the page?" decision.

Pure: given drafts and what the database already knows (:class:`KnownKeys`),
return one :class:`ArticleUpdate` per draft. An article seen before under the
same id is updated only if its feed entry changed. A new article whose
canonical URL or content hash matches an earlier one (in the database or
earlier in this batch) is stored as a duplicate of it, so nothing is lost and
the primary keeps its place; near-duplicates are folded later (story stage).

What the article's page reveals later (its ``rel=canonical``, its full text) is judged by
:mod:`newsdesk.pipeline.page.dedup`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from newsdesk.model import ArticleDraft, ArticleUpdate, DraftAction, ExtractionStatus


def decide_articles(
    drafts: Iterable[ArticleDraft],
    *,
    entry_hash_by_id: Mapping[str, str],
    id_by_canonical_url: Mapping[str, str],
    id_by_content_hash: Mapping[str, str],
    wants_page: Callable[[ArticleDraft], bool],
) -> list[ArticleUpdate]:
    """Decide insert/update/skip, duplicate-of, and page fetching for each draft.

    ``wants_page(draft)`` says whether this draft's page should be fetched
    (per-source policy and the feed text's length); it is not called for
    duplicates, whose page would only repeat the primary's.
    """
    seen_urls = dict(id_by_canonical_url)
    seen_hashes = dict(id_by_content_hash)
    out: list[ArticleUpdate] = []
    for d in drafts:
        old_hash = entry_hash_by_id.get(d.id)
        if old_hash is not None:
            if old_hash == d.entry_hash:
                out.append(ArticleUpdate(draft=d, action=DraftAction.SKIP))
            else:
                out.append(ArticleUpdate(draft=d, action=DraftAction.UPDATE, extraction_status=_status(d, wants_page)))
            continue
        primary = None
        reason = None
        if d.canonical_url and seen_urls.get(d.canonical_url, d.id) != d.id:
            primary, reason = seen_urls[d.canonical_url], "same canonical URL"
        elif d.content_hash and seen_hashes.get(d.content_hash, d.id) != d.id:
            primary, reason = seen_hashes[d.content_hash], "same text"
        if primary is not None:
            out.append(
                ArticleUpdate(
                    draft=d,
                    action=DraftAction.INSERT,
                    duplicate_of=primary,
                    extraction_status=ExtractionStatus.SKIPPED,
                    reason=f"duplicate of {primary} ({reason})",
                )
            )
            continue
        if d.canonical_url:
            seen_urls[d.canonical_url] = d.id
        if d.content_hash:
            seen_hashes[d.content_hash] = d.id
        out.append(ArticleUpdate(draft=d, action=DraftAction.INSERT, extraction_status=_status(d, wants_page)))
    return out


def _status(d: ArticleDraft, wants_page: Callable[[ArticleDraft], bool]) -> ExtractionStatus:
    if wants_page(d):
        return ExtractionStatus.PENDING
    return ExtractionStatus.FEED if d.word_count else ExtractionStatus.SKIPPED


def page_policy(fetch_pages: bool | None, default_on: bool, min_feed_words: int) -> Callable[[ArticleDraft], bool]:
    """Build ``wants_page`` for one source.

    ``fetch_pages`` is the source's own setting (None: follow the default);
    with page fetching on, only entries whose feed text is shorter than
    ``min_feed_words`` need their page.
    """
    enabled = default_on if fetch_pages is None else fetch_pages

    def wants_page(d: ArticleDraft) -> bool:
        return enabled and bool(d.url) and d.word_count < min_feed_words

    return wants_page
