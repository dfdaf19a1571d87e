"""The dedup decider: pure, no database."""

from __future__ import annotations

from dataclasses import replace

from newsdesk.model import ArticleDraft, DraftAction, ExtractionStatus
from newsdesk.pipeline.dedup import decide_articles, page_policy


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
