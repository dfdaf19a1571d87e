"""The demo site's edition: which source (feed) carries which article, at which path and time.

Every Wikipedia language edition is a source of its own, "In the news — ru.wikipedia.org",
with its language; English Wikinews is one more. So one event reported by fifteen editions
reaches newsdesk from fifteen publishers in as many languages, as a story should. Feed
formats alternate between RSS 2.0 and Atom, so both parsers are exercised.
:func:`make_edition` is pure: the same articles and ``now`` always give the same edition.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from newsdesk.demo.articles import Collection, DemoArticle, publication_times, short_summary

FeedFormat = Literal["rss", "atom"]

# The category each set's sources are filed under in newsdesk.
CATEGORIES: dict[Collection, str] = {"itn": "Wikipedia: In the news", "wikinews": "Wikinews"}


@dataclass(frozen=True, slots=True)
class DemoSource:
    """One section of the demo site and its feed: a Wikipedia language edition, or Wikinews."""

    slug: str
    title: str
    section: str
    language: str
    format: FeedFormat
    collection: Collection

    @property
    def feed_path(self) -> str:
        return f"/feeds/{self.slug}.{'xml' if self.format == 'rss' else 'atom'}"

    @property
    def page_path(self) -> str:
        return f"/{self.slug}/"

    @property
    def category(self) -> str:
        return CATEGORIES[self.collection]


WIKINEWS = DemoSource("wikinews", "Wikinews — English", "Wikinews", "en", "rss", "wikinews")


def make_sources(articles: Sequence[DemoArticle]) -> tuple[DemoSource, ...]:
    """Wikinews first, then one source per Wikipedia edition (by language code), formats alternating."""
    languages = sorted({a.language for a in articles if a.collection == "itn"})
    editions = tuple(
        DemoSource(
            f"in-the-news-{language}",
            f"In the news — {language}.wikipedia.org",
            f"In the news ({language})",
            language,
            "atom" if i % 2 == 0 else "rss",
            "itn",
        )
        for i, language in enumerate(languages)
    )
    return ((WIKINEWS,) if any(a.collection == "wikinews" for a in articles) else ()) + editions


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


def source_for(article: DemoArticle, sources: Sequence[DemoSource]) -> DemoSource:
    """The source that carries ``article``: Wikinews, or its Wikipedia edition."""
    for source in sources:
        if source.collection == article.collection and source.language == article.language:
            return source
    raise ValueError(f"no demo source for {article.collection} in {article.language!r}")


def slug(text: str, max_length: int = 60) -> str:
    """An ASCII URL slug of a headline, cut at a word boundary ("article" when nothing is left)."""
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
    return f"{source.page_path}{slug(article.kicker or article.title)}-{short_id}"


def make_edition(articles: Sequence[DemoArticle], now: datetime) -> Edition:
    """Place every article in its source with its shifted time and teaser."""
    times = publication_times(articles, now)
    sources = make_sources(articles)
    now = now.astimezone(UTC)
    stories = []
    for article in articles:
        source = source_for(article, sources)
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
    return Edition(now=now, sources=sources, stories=tuple(stories))
