"""``newsdesk cluster``: a JSON-lines stream of articles into stories, without a database.

The stream goes through the very stage live ingestion uses (``pipeline/stories/enrich.py``), in
file order and in batches of ``enrich_batch``, so what it prints is what an update would store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.config import Settings
from newsdesk.errors import ConfigError
from newsdesk.model import EnrichInput
from newsdesk.pipeline.stories.enrich import EnrichmentOutcome, EnrichmentState, enrich_batch, refine


def cluster_lines(settings: Settings, embedder: EmbedderSlot, lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(id, story id) for each JSON line (``id``, ``title``, ``text``, optional ``published``,
    ``language``, ``source``), in file order, through the stage live ingestion uses.

    The stories are printed once the whole stream is read, with the moves and merges
    that later articles caused applied, as the database would hold them.
    """
    state = EnrichmentState.empty(embedder.get(), window_h=settings.story_window_h)
    story_of: dict[str, str] = {}
    merged_into: dict[str, str] = {}
    order: list[str] = []
    batch: list[EnrichInput] = []
    latest = datetime(1970, 1, 1, tzinfo=UTC)

    def apply(outcome: EnrichmentOutcome) -> None:
        for r in outcome.results:
            story_of[r.article_id] = r.story_id or r.article_id
        story_of.update(outcome.moves)
        for m in outcome.merges:
            merged_into[m.merged] = m.into

    def flush() -> None:
        apply(enrich_batch(batch, state, tags=False))
        batch.clear()

    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item = _item(line, number)
        published = _when(item.get("published"), number) or latest
        latest = max(latest, published)
        language = item.get("language")
        doc = EnrichInput(
            id=str(item["id"]),
            source_id=0,
            title=str(item["title"]) if item.get("title") is not None else None,
            text=str(item.get("text") or ""),
            published_at=published,
            language=str(language) if language else None,
        )
        batch.append(doc)
        order.append(doc.id)
        if len(batch) >= settings.enrich_batch:
            flush()
    if batch:
        flush()
    apply(refine(state))  # the last articles get the revisit the earlier ones had
    for item_id in order:
        story = story_of.get(item_id, item_id)
        for _ in range(len(merged_into) + 1):  # follow merges to the surviving story
            if story not in merged_into:
                break
            story = merged_into[story]
        yield item_id, story


def _item(line: str, number: int) -> dict[str, object]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"line {number}: not JSON ({exc.msg})") from exc
    if not isinstance(item, dict) or "id" not in item:
        raise ConfigError(f"line {number}: expected an object with an 'id'")
    return item


def _when(value: object, number: int) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"line {number}: 'published' is not an ISO 8601 time: {value!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)
