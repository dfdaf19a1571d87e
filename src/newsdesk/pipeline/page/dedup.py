"""Stage 9: exact deduplication by what an article's page says it is.

Pages say more than feeds: an extracted page brings its own canonical URL (``rel=canonical``)
and its full text's hash, and :func:`decide_page_results` folds the article into an earlier
one that the page turns out to repeat. Pure: the task looks the keys up in the database right
before the write, under the write lock, and passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from newsdesk.model import ExtractionStatus, PageResult


def decide_page_results(
    results: Sequence[PageResult],
    *,
    id_by_canonical_url: Mapping[str, str],
    id_by_content_hash: Mapping[str, str],
) -> list[PageResult]:
    """Mark each extracted page that repeats an earlier primary article as its duplicate.

    A page repeats article P when its canonical URL is P's (any site may name another
    site's article as the original: syndicated copies do) or its extracted text, of at
    least ``PAGE_HASH_MIN_WORDS`` words, hashes like P's. The keys map to primaries
    stored before (the article itself excluded) or to earlier results of this batch.
    A page is only ever folded into an article stored under the address it names,
    never the reverse, so a hostile page can hide itself and nothing else.
    """
    seen_urls = dict(id_by_canonical_url)
    seen_hashes = dict(id_by_content_hash)
    out: list[PageResult] = []
    for res in results:
        if res.status is not ExtractionStatus.EXTRACTED:
            out.append(res)
            continue
        me = res.article_id
        primary = reason = None
        if res.canonical_url and seen_urls.get(res.canonical_url, me) != me:
            primary, reason = seen_urls[res.canonical_url], "the page names its canonical URL"
        elif res.content_hash and res.word_count >= PAGE_HASH_MIN_WORDS and seen_hashes.get(res.content_hash, me) != me:
            primary, reason = seen_hashes[res.content_hash], "same text on the page"
        if primary is not None:
            out.append(replace(res, duplicate_of=primary, reason=f"duplicate of {primary} ({reason})"))
            continue
        if res.canonical_url and res.canonical_is_own:
            seen_urls.setdefault(res.canonical_url, me)
        if res.content_hash and res.word_count >= PAGE_HASH_MIN_WORDS:
            seen_hashes.setdefault(res.content_hash, me)
        out.append(res)
    return out


# Pages that a site serves for many addresses (a consent wall, a paywall teaser, an error page)
# extract to the same short text; only an article's worth of identical text means a copy.
PAGE_HASH_MIN_WORDS = 100
