"""The dedup decider: pure, no database."""

from __future__ import annotations

from dataclasses import replace

from newsdesk.model import ArticleDraft, DraftAction, ExtractionStatus, PageResult
from newsdesk.pipeline.feed.dedup import decide_articles, page_policy
from newsdesk.pipeline.page.dedup import PAGE_HASH_MIN_WORDS, decide_page_results


def draft(i: str, **kw: object) -> ArticleDraft:
    d = ArticleDraft(
        id=i,
        source_id=1,
        guid=i,
        url=f"https://e.com/{i}",
        canonical_url=f"https://e.com/{i}",
        title=i,
        authors=(),
        published_at=None,
        updated_at=None,
        summary=None,
        content_html=None,
        text="",
        image_url=None,
        categories=(),
        word_count=10,
        content_hash=None,
        entry_hash="h",
    )
    return replace(d, **kw)  # type: ignore[arg-type]


def decide(drafts: list[ArticleDraft], **known: dict[str, str]) -> list:  # type: ignore[type-arg]
    return decide_articles(
        drafts,
        entry_hash_by_id=known.get("hashes", {}),
        id_by_canonical_url=known.get("urls", {}),
        id_by_content_hash=known.get("texts", {}),
        wants_page=lambda d: d.word_count < 100,
    )


def test_new_changed_and_unchanged() -> None:
    out = decide([draft("a"), draft("b", entry_hash="new"), draft("c")], hashes={"b": "old", "c": "h"})
    assert [u.action for u in out] == [DraftAction.INSERT, DraftAction.UPDATE, DraftAction.SKIP]
    assert out[0].extraction_status is ExtractionStatus.PENDING


def test_duplicates_by_url_and_text_within_batch_and_against_db() -> None:
    out = decide(
        [
            draft("a", canonical_url="https://e.com/x"),
            draft("b", canonical_url="https://e.com/x"),  # same URL as a, in this batch
            draft("c", content_hash="t1"),  # same text as a stored article
            draft("d", content_hash="t2"),
            draft("e", content_hash="t2"),
        ],
        texts={"t1": "old"},
    )
    assert [u.duplicate_of for u in out] == [None, "a", "old", None, "d"]
    assert all(u.extraction_status is ExtractionStatus.SKIPPED for u in out if u.duplicate_of)
    assert "same canonical URL" in (out[1].reason or "")


def test_page_policy() -> None:
    short, long = draft("s", word_count=20), draft("l", word_count=500)
    auto = page_policy(None, True, 150)
    assert auto(short) and not auto(long)
    assert not page_policy(False, True, 150)(short)
    assert page_policy(True, False, 150)(short)
    assert not page_policy(None, True, 150)(replace(short, url=None))
    out = decide_articles(
        [long, replace(short, id="z", word_count=0, content_hash=None, canonical_url=None)],
        entry_hash_by_id={},
        id_by_canonical_url={},
        id_by_content_hash={},
        wants_page=page_policy(False, True, 150),
    )
    assert [u.extraction_status for u in out] == [ExtractionStatus.FEED, ExtractionStatus.SKIPPED]


def page(i: str, *, url: str | None = None, own: bool = True, text: str | None = None, words: int = 300) -> PageResult:
    return PageResult(
        article_id=i,
        status=ExtractionStatus.EXTRACTED,
        word_count=words,
        content_hash=text,
        canonical_url=url,
        canonical_is_own=own,
    )


def test_a_page_naming_or_repeating_a_primary_becomes_its_duplicate() -> None:
    out = decide_page_results(
        [
            page("a", url="https://e.com/a"),  # its own stored address: not a duplicate of itself
            page("b", url="https://e.com/a", own=False),  # a syndicated copy naming the original
            page("c", url="https://f.com/c", text="T"),  # the same text as the stored primary p
            page("d", url="https://f.com/d", text="T2"),
            page("e", url="https://g.com/e", text="T2"),  # repeats d, earlier in this batch
            PageResult(article_id="f", status=ExtractionStatus.FAILED, reason="HTTP 404"),
        ],
        id_by_canonical_url={"https://e.com/a": "a"},
        id_by_content_hash={"T": "p"},
    )
    assert [r.duplicate_of for r in out] == [None, "a", "p", None, "d", None]
    assert "canonical" in (out[1].reason or "") and "text" in (out[2].reason or "")
    assert out[5].reason == "HTTP 404"


def test_a_foreign_canonical_or_a_short_text_claims_nothing() -> None:
    short = PAGE_HASH_MIN_WORDS - 1
    out = decide_page_results(
        [
            page("a", url="https://other.com/x", own=False),  # names another site's page, unknown here
            page("b", url="https://other.com/x", own=False),  # so a second page naming it is no copy of a
            page("c", text="wall", words=short),  # a consent wall served at many addresses
            page("d", text="wall", words=short),
        ],
        id_by_canonical_url={},
        id_by_content_hash={"wall": "z"},
    )
    assert [r.duplicate_of for r in out] == [None, None, None, None]
