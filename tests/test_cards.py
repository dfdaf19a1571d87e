"""Front-page cards and taxonomy names, on SQLite and PostgreSQL: what a story's card shows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from newsdesk.errors import NotFoundError
from newsdesk.model import ArticleEnrichment
from newsdesk.queries.cards import LEAD_CHARS, lead_of, story_cards
from newsdesk.queries.taxonomy import resolve, slug
from newsdesk.store import SqlStorage
from tests.test_store import ok_update
from tests.test_stories import NOW, seed


def test_cards_show_the_representative_lead_and_the_publishers_most_articles_first(storage: SqlStorage) -> None:
    for source_id in seed(storage):  # three sources, two articles each; feeds name themselves on update
        storage.apply_feed_updates([replace(ok_update(source_id), title=f"Publisher {source_id}")], [], NOW)
    batch = storage.pending_enrichment(100)
    story_of = {a.id: ("story-a" if a.source_id != batch[-1].source_id or a is batch[-1] else "story-b") for a in batch}
    storage.apply_enrichment([ArticleEnrichment(article_id=a.id, story_id=story_of[a.id]) for a in batch], [], NOW)
    listed = storage.list_stories()
    cards = {c.story.id: c for c in story_cards(storage, listed)}
    a = cards["story-a"]
    assert (
        a.story.source_count == 3
        and len(a.publishers) == 3
        and set(a.publishers) == {"Publisher 1", "Publisher 2", "Publisher 3"}
    )
    assert a.publishers[-1] == "Publisher 3"  # one article in story-a against two for the others
    assert cards["story-b"].publishers == ("Publisher 3",)
    rep = storage.get_article(a.story.representative_id or "")
    assert a.language == rep.language and a.image_url == rep.image_url
    assert story_cards(storage, []) == []


def test_lead_prefers_the_description_then_whole_sentences_never_the_headline_again() -> None:
    assert lead_of("A standfirst written by the publisher.", "Body text.") == "A standfirst written by the publisher."
    body = "Storm hits coast. " + " ".join(f"Sentence number {i} says more about it." for i in range(30))
    lead = lead_of(None, body, headline="Storm hits coast")
    assert lead is not None and lead.startswith("Sentence number 0") and lead.endswith(".") and len(lead) <= LEAD_CHARS
    assert lead_of(None, "Too short.") is None
    unbroken = "word " * 200
    cut = lead_of(None, unbroken)
    assert cut is not None and cut.endswith("…") and len(cut) <= LEAD_CHARS + 1


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("science", "Science"),
        ("SCIENCE", "Science"),
        ("climate-environment", "Climate/Environment"),
        ("Climate/Environment", "Climate/Environment"),
        ("climate environment", "Climate/Environment"),
    ],
)
def test_category_names_match_whatever_case_and_separators(typed: str, name: str) -> None:
    assert resolve("category", typed).name == name


def test_unknown_names_are_not_found_and_list_the_valid_ones() -> None:
    assert resolve("region", "latin-america").name == "Latin America" and resolve("region", "asia").name == "Asia"
    with pytest.raises(NotFoundError, match="Politics") as caught:
        resolve("category", "sciense")
    assert "'sciense'" in caught.value.reason
    with pytest.raises(NotFoundError, match="North America"):
        resolve("region", "atlantis")
    assert slug("Climate/Environment") == "climate-environment" and slug("Middle East") == "middle-east"
