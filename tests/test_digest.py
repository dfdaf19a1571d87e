"""The extractive digest of the article page's AI panel: the lead, then the sentences naming its hashtags."""

from __future__ import annotations

from newsdesk.model import Tag
from newsdesk.queries.digest import digest, sentences

TEXT = (
    "The council approved the city budget on Monday. "
    "The vote was twelve to three after a long debate. "
    "Parks and libraries get more money than last year. "
    "Mayor Anne Hidalgo called it a budget for families. "
    "Traffic on the ring road was heavy all week long. "
    "Critics said Anne Hidalgo ignored the Paris transport deficit. "
    "The next session opens in March with housing first."
)
HIDALGO = Tag("annehidalgo", "#AnneHidalgo", "person")
PARIS = Tag("paris", "#Paris", "place")


def test_lead_is_the_first_sentences_and_key_sentences_name_the_tags_most() -> None:
    d = digest(TEXT, [HIDALGO, PARIS])
    assert d.lead == (
        "The council approved the city budget on Monday.",
        "The vote was twelve to three after a long debate.",
        "Parks and libraries get more money than last year.",
    )
    # two tags beat one; shown in the article's order
    assert d.key_sentences == (
        "Mayor Anne Hidalgo called it a budget for families.",
        "Critics said Anne Hidalgo ignored the Paris transport deficit.",
    )


def test_no_tag_mentioned_means_no_key_sentences_never_filler() -> None:
    assert digest(TEXT, []).key_sentences == ()
    assert digest(TEXT, [Tag("volcano", "#Volcano")]).key_sentences == ()


def test_ties_go_to_the_earlier_sentence_and_accents_fold() -> None:
    lead = " ".join(f"Sentence {i} is about something else entirely here." for i in range(3))
    mentions = [f"Mention {i}: les freres musulmans, sans accents ici." for i in range(4)]
    d = digest(lead + " " + " ".join(mentions), [Tag("freremusulman", "#FrèresMusulmans")])
    assert d.key_sentences == tuple(mentions[:3])  # all equal: the three earliest


def test_short_fragments_and_empty_text() -> None:
    assert sentences("Photo: AFP.\nThe minister resigned on Friday evening after the vote.") == [
        "The minister resigned on Friday evening after the vote."
    ]
    assert sentences("11 novembre 2012. - Marc Guillemot a annoncé son abandon ce matin.") == [
        "Marc Guillemot a annoncé son abandon ce matin."
    ]  # a dateline is no sentence, and a dash opening one is dropped
    empty = digest("", [PARIS])
    assert empty.lead == () and empty.key_sentences == ()
