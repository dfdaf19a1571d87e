"""Which copy of an exact duplicate is the primary: decided by the copies, not by fetch order.

Stages 5 and 9 fold an article into the first stored article it repeats, and the first stored
is whichever feed or page happened to arrive first: two clean runs over the same feeds chose a
different primary for 15 of 197 groups. After each phase of a pass, the pass hands the groups
it touched to :func:`elect_primaries`, which names the primary by the copies' own properties —
the earliest published (most likely the original; wire copies go out together), then the
source subscribed first, then the article id — and returns the swaps that make it so.

A swap is only proposed while it is cheap and safe: the group's primary has not been enriched
yet (no story, no tags, no vector point to it; the pass filters for that), and the two copies
stand on the same footing — both extracted from their pages (identical text), or the new
primary a feed-level duplicate whose page was never fetched, taking over a primary that has no
page text either. An article whose page text is stored keeps its place against a copy without.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from newsdesk.model import CopyOf, ExtractionStatus, PrimarySwap

_WITHOUT_PAGE = {ExtractionStatus.PENDING, ExtractionStatus.FEED, ExtractionStatus.SKIPPED, ExtractionStatus.FAILED}
_WHY = re.compile(r"\(([^()]*)\)\s*$")
_LATEST = datetime.max.replace(tzinfo=None)


def rank(copy: CopyOf) -> tuple[bool, datetime, int, str]:
    """Sort key of a group's copies: the first is the primary it should have."""
    published = copy.published_at.replace(tzinfo=None) if copy.published_at else _LATEST
    return (copy.published_at is None, published, copy.source_id, copy.id)


def elect_primaries(groups: Iterable[Sequence[CopyOf]]) -> list[PrimarySwap]:
    """The swaps that give each group (its primary and its duplicates) the primary :func:`rank` names."""
    swaps = []
    for group in groups:
        primaries = [c for c in group if c.duplicate_of is None]
        if len(primaries) != 1 or len(group) < 2:
            continue
        old = primaries[0]
        for new in sorted(group, key=rank):
            if new is old:
                break
            if _can_swap(old, new):
                swaps.append(
                    PrimarySwap(
                        old=old.id,
                        new=new.id,
                        new_status=old.extraction_status,
                        new_reason=old.reason,
                        old_status=new.extraction_status,
                        old_reason=f"duplicate of {new.id} ({_why(new.reason)})",
                    )
                )
                break
    return swaps


def _can_swap(old: CopyOf, new: CopyOf) -> bool:
    both_extracted = old.extraction_status is new.extraction_status is ExtractionStatus.EXTRACTED
    neither_page = new.extraction_status is ExtractionStatus.SKIPPED and old.extraction_status in _WITHOUT_PAGE
    return both_extracted or neither_page


def _why(reason: str | None) -> str:
    """The "(same text)" part of a duplicate's reason, which the swapped primary inherits."""
    match = _WHY.search(reason or "")
    return match.group(1) if match else "same article"
