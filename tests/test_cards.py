"""Front-page cards and taxonomy names, on SQLite and PostgreSQL: what a story's card shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from newsdesk.errors import NotFoundError
from newsdesk.model import ArticleEnrichment, ExtractionStatus
from newsdesk.queries.cards import LEAD_CHARS, lead_of, story_cards
from newsdesk.queries.taxonomy import resolve, slug
from newsdesk.store import SqlStorage
from tests.test_store import draft, insert, ok_update
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


def _bilingual_story(storage: SqlStorage) -> None:
    """story-m: first told in English, then in French by two sources (a copy folded into the second);
    story-e: English only."""
    s = storage.add_source("https://m.example/feed", title="Multi", now=NOW)
    hours = iter(range(10, 0, -1))
    drafts = [
        draft(
            s.id,
            guid,
            title=title,
            language=lang,
            text=f"{title}. {lang}: what happened, told at length.",
            published_at=NOW - timedelta(hours=next(hours)),
        )
        for guid, title, lang in [
            ("en-1", "Storm reaches the coast", "en"),
            ("fr-copy", "La tempête atteint la côte (copie)", "fr"),
            ("fr-1", "La tempête atteint la côte", "fr-FR"),
            ("fr-2", "Tempête : les secours mobilisés", "fr"),
            ("en-only", "Parliament passes the budget", "en"),
        ]
    ]
    storage.apply_feed_updates([ok_update(s.id, *drafts)], [insert(d, ExtractionStatus.FEED) for d in drafts], NOW)
    story_of = {"en-only": "story-e"}
    storage.apply_enrichment(
        [
            ArticleEnrichment(
                article_id=d.id,
                story_id=story_of.get(d.guid, "story-m"),
                near_duplicate_of=f"{s.id}-fr-1" if d.guid == "fr-copy" else None,
            )
            for d in drafts
        ],
        [],
        NOW,
    )


def test_cards_show_the_first_report_in_the_readers_language_when_the_story_has_one(storage: SqlStorage) -> None:
    _bilingual_story(storage)
    listed = storage.list_stories()
    english = {c.story.id: c for c in story_cards(storage, listed)}
    french = {c.story.id: c for c in story_cards(storage, listed, "fr")}
    assert english["story-m"].headline == "Storm reaches the coast" and english["story-m"].language == "en"
    # the first French original (the earlier copy is folded, so not it), with its own lead and language
    m = french["story-m"]
    assert (m.headline, m.language) == ("La tempête atteint la côte", "fr-FR")
    assert m.lead == "fr-FR: what happened, told at length."  # its own opening, the headline not repeated
    assert m.story.headline == "Storm reaches the coast"  # the story itself is unchanged
    # no French article: the representative, in its own language
    assert french["story-e"].headline == "Parliament passes the budget" and french["story-e"].language == "en"
    assert story_cards(storage, listed, "de")[0].headline in {"Storm reaches the coast", "Parliament passes the budget"}


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


def test_a_card_is_rendered_once_a_minute_for_every_reader_who_sees_it() -> None:
    from newsdesk.model import Story, StoryCard
    from newsdesk.web.pages.render import Templates

    templates = Templates(
        clock=lambda: NOW, demo_notice=None, site_url="http://news.example", proxied=lambda u: u or ""
    )
    story = Story("s1", "H", None, NOW - timedelta(hours=3), NOW - timedelta(hours=2), 3, 2, {"en": 2, "fr": 1})
    card = StoryCard(story, "Headline one", "A lead long enough to show.", None, "en", ("A", "B"))
    page = templates.envs["en"].from_string("{{ card_html(card, blurred) }}")
    first = page.render(card=card, blurred=None, now=NOW, locale="en")
    assert "Headline one" in first and "2 sources · 2 languages" in first and "2 hours ago" in first
    assert page.render(card=card, blurred=None, now=NOW + timedelta(seconds=30), locale="en") == first
    assert len(templates.cards._entries) == 1  # the same minute: rendered once
    assert "Headline two" in page.render(
        card=replace(card, headline="Headline two"), blurred=None, now=NOW, locale="en"
    )
    blurred = page.render(card=card, blurred={"s1"}, now=NOW, locale="en")
    assert 'class="card blurred"' in blurred and 'class="card blurred"' not in first
    later = page.render(card=card, blurred=None, now=NOW + timedelta(hours=1), locale="en")
    assert "3 hours ago" in later  # a new minute, a new rendering
