"""The demo site's edition: which source (feed) carries which article, at which path and time.

The corpus has one ``section`` per article (English: the Wikinews topic
category; French: "France" or "Monde", from the title prefix). A real reader
subscribes to several feeds of one publisher, so the articles are grouped into
seven sources — five English, two French, half RSS 2.0 and half Atom, so both
parsers are exercised. :func:`make_edition` is pure: the same articles and
``now`` always give the same edition.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from newsdesk.demo.articles import DemoArticle, publication_times, short_summary

FeedFormat = Literal["rss", "atom"]


@dataclass(frozen=True, slots=True)
class DemoSource:
    """One section of the demo site and its feed.

    ``sections`` are the corpus sections it carries; a source with
    ``catch_all`` also takes its language's articles no other source claims.
    """

    slug: str
    title: str
    section: str
    language: str
    format: FeedFormat
    sections: frozenset[str]
    catch_all: bool = False

    @property
    def feed_path(self) -> str:
        return f"/feeds/{self.slug}.{'xml' if self.format == 'rss' else 'atom'}"

    @property
    def page_path(self) -> str:
        return f"/{self.slug}/"


SOURCES: tuple[DemoSource, ...] = (
    DemoSource("politics", "Wikinews — Politics", "Politics", "en", "rss", frozenset({"Politics and conflicts"})),
    DemoSource(
        "science",
        "Wikinews — Science & Technology",
        "Science & Technology",
        "en",
        "atom",
        frozenset({"Science and technology", "Health", "Environment"}),
    ),
    DemoSource("crime-law", "Wikinews — Crime & Law", "Crime & Law", "en", "rss", frozenset({"Crime and law"})),
    DemoSource(
        "business-culture",
        "Wikinews — Business, Culture & Sports",
        "Business & Culture",
        "en",
        "atom",
        frozenset({"Economy and business", "Culture and entertainment", "Sports"}),
    ),
    DemoSource(
        "world", "Wikinews — World", "World", "en", "rss", frozenset({"Disasters and accidents"}), catch_all=True
    ),
    DemoSource("france", "Wikinews en français — France", "France", "fr", "atom", frozenset({"France"})),
    DemoSource("monde", "Wikinews en français — Monde", "Monde", "fr", "rss", frozenset({"Monde"}), catch_all=True),
)


@dataclass(frozen=True, slots=True)
class Story:
    """An article as placed in the edition: its source, page path, shifted time and teaser."""

    article: DemoArticle
    source: DemoSource
    path: str
    published: datetime
    summary: str


@dataclass(frozen=True, slots=True)
class Edition:
    """Everything the demo site serves, before rendering; ``stories`` are newest first."""

    now: datetime
    sources: tuple[DemoSource, ...]
    stories: tuple[Story, ...]

    def stories_of(self, source: DemoSource) -> list[Story]:
        return [s for s in self.stories if s.source == source]

    def related(self, story: Story, n: int = 3) -> list[Story]:
        """Other stories of the same source, those nearest in time first ("Read more" links)."""
        others = [s for s in self.stories_of(story.source) if s != story]
        return sorted(others, key=lambda s: abs((s.published - story.published).total_seconds()))[:n]


def source_for(article: DemoArticle, sources: Sequence[DemoSource] = SOURCES) -> DemoSource:
    """The source that carries ``article``: by section, else its language's catch-all source."""
    same_language = [s for s in sources if s.language == article.language]
    for source in same_language:
        if article.section in source.sections:
            return source
    for source in same_language:
        if source.catch_all:
            return source
    raise ValueError(f"no demo source for language {article.language!r}")


def slug(text: str, max_length: int = 60) -> str:
    """An ASCII URL slug of a headline, cut at a word boundary."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", " ", folded).split()
    out: list[str] = []
    for word in words:
        if out and len("-".join([*out, word])) > max_length:
            break
        out.append(word)
    return "-".join(out)[:max_length] or "article"


def story_path(article: DemoArticle, source: DemoSource) -> str:
    """``/<source>/<headline-slug>-<id>``: stable across runs, so re-running the demo finds the same URLs."""
    short_id = article.id.split("-", 1)[-1][:8]
    return f"{source.page_path}{slug(article.title)}-{short_id}"


def make_edition(articles: Sequence[DemoArticle], now: datetime) -> Edition:
    """Place every article in its source with its shifted time and teaser."""
    times = publication_times(articles, now)
    now = now.astimezone(UTC)
    stories = []
    for article in articles:
        source = source_for(article)
        stories.append(
            Story(
                article=article,
                source=source,
                path=story_path(article, source),
                published=times[article.id],
                summary=short_summary(article),
            )
        )
    stories.sort(key=lambda s: (s.published, s.article.id), reverse=True)
    return Edition(now=now, sources=SOURCES, stories=tuple(stories))
