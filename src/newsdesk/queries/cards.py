"""Front-page cards: each story with the headline and lead of its best article, its image and its publishers.

The article shown is the story's representative (its first report), or, for a reader whose
language the story also covers, the first report in that language.

The lead is the representative article's own description when it has one (publishers write it
as a standfirst), else its opening sentences, cut at a sentence end near :data:`LEAD_CHARS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from newsdesk.model import Story, StoryCard
from newsdesk.store import Storage
from newsdesk.store.port import CardFacts

LEAD_CHARS = 280
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")


def story_cards(storage: Storage, stories: Sequence[Story], language: str | None = None) -> list[StoryCard]:
    """The cards of ``stories``, in their order; headline and lead in ``language`` where a story has it."""
    return cards_from(stories, storage.card_facts(stories, language))


def cards_from(stories: Sequence[Story], facts: Mapping[str, CardFacts]) -> list[StoryCard]:
    """The cards of ``stories`` from their facts (read by :meth:`Storage.card_facts`, or kept)."""
    cards = []
    for story in stories:
        f = facts.get(story.id)
        if f is None:
            cards.append(
                StoryCard(story=story, headline=story.headline, lead=None, image_url=None, language=None, publishers=())
            )
            continue
        lead = lead_of(f.description, f.opening, f.headline)
        cards.append(
            StoryCard(
                story=story,
                headline=f.headline,
                lead=lead,
                image_url=f.image_url,
                language=f.language,
                publishers=f.publishers,
            )
        )
    return cards


def lead_of(description: str | None, opening: str, headline: str | None = None) -> str | None:
    """A short lead: the description, else whole sentences of the opening text (never just the headline again)."""
    for given in (description, opening):
        text = " ".join((given or "").split())
        if headline and text.startswith(headline):
            text = text[len(headline) :].lstrip(" .:-–—")
        if len(text) < 20:
            continue
        if len(text) <= LEAD_CHARS:
            return text
        ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, LEAD_CHARS + 1)]
        if ends and ends[-1] >= LEAD_CHARS // 3:
            return text[: ends[-1]]
        cut = text.rfind(" ", 0, LEAD_CHARS)
        return text[: cut if cut > 0 else LEAD_CHARS].rstrip(" ,;:") + "…"
    return None
