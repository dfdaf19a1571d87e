"""A topic page: the latest articles and stories carrying a hashtag, found from whatever the reader typed.

A reader looks a topic up by the label a page showed (``#FrèresMusulmans``), the phrase
(``frères musulmans``) or the key a link carries (``freremusulman``). The key is computed by the
one key function the tagger used (:func:`~newsdesk.pipeline.stories.topics.topic_key`); a key
given as such is taken as it is, since a key is not always its own key (``naturalgas``, the key of
``#NaturalGas``, would lose its ``s`` again).
"""

from __future__ import annotations

from newsdesk.model import TopicPage
from newsdesk.pipeline.stories.language import fold
from newsdesk.pipeline.stories.topics import topic_key
from newsdesk.queries.tagged import with_tags
from newsdesk.store import Storage


def topic_page(storage: Storage, tag: str, *, limit: int) -> TopicPage:
    """The topic ``tag`` names: its newest primary articles and the stories they belong to."""
    key, label = _resolve(storage, tag)
    return TopicPage(
        tag=key,
        label=label,
        articles=tuple(with_tags(storage, [storage.get_article(i) for i in storage.tagged_article_ids(key, limit)])),
        stories=tuple(storage.list_stories(tag=key, limit=limit)),
    )


def resolve_topic(storage: Storage, tag: str) -> str:
    """The stored key ``tag`` names: itself when it is a stored key, else its topic key."""
    return _resolve(storage, tag)[0]


def _resolve(storage: Storage, tag: str) -> tuple[str, str | None]:
    """(the key ``tag`` names, the label shown for it), asking the database once."""
    text = tag.strip().removeprefix("#")
    if text and text.isalnum() and fold(text) == text and (label := storage.tag_label(text)) is not None:
        return text, label
    key = topic_key(text)
    return key, storage.tag_label(key)
