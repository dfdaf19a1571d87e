"""The bundled demo corpus and the two things the demo derives from it: dates and teasers.

``demo/data/articles.jsonl.gz`` (built by ``scripts/build_demo_data.py``) holds two
licence-clean sets, each article with its original address, date, licence and
attribution:

* ``itn``: one-sentence Wikipedia "In the news" blurbs from some thirty language
  editions, grouped by the event they report (``event``, a Wikidata id), so one event
  is covered by many sources in many languages (CC BY-SA 3.0);
* ``wikinews``: full-text English Wikinews articles of 2019–2020, follow-ups tied into
  threads (``event``, e.g. ``covid-19``) (CC BY 2.5).

The demo must look like *today's* news, so :func:`publication_times` moves each set
into the last few days, event by event, keeping the order and spacing inside an event
(so a story still grows over days); and since feeds should carry only a teaser,
:func:`short_summary` cuts a Wikinews lead to its first sentence. All of it is pure and
deterministic given ``now``.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Literal

ARTICLES_FILE = "articles.jsonl.gz"

BlockKind = Literal["p", "h2", "li"]
Collection = Literal["itn", "wikinews"]
COLLECTIONS: tuple[Collection, ...] = ("itn", "wikinews")

# Each set's latest event ends this long before ``now``; its earliest event ends SPREAD earlier.
NEWEST_AGE = timedelta(minutes=12)
SPREAD = timedelta(hours=36)
# An event keeps its own spacing up to this span (the build keeps ITN events within 60 h); a longer
# Wikinews thread is compressed to it, in order, so it stays inside newsdesk's 72 h story window.
MAX_EVENT_SPAN = timedelta(hours=60)

SUMMARY_WORDS = 40
_MIN_SENTENCE_WORDS = 8  # shorter "sentences" are usually abbreviations (Corp., Mr.) cut too early
_SENTENCE_END = re.compile(r"(?<=[.!?\"”])\s+(?=[\"“A-Z0-9])")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "sen", "rep", "gov", "pres",
    "corp", "inc", "co", "ltd", "no", "vs", "asst", "dept", "jan", "feb", "aug", "sept", "oct", "nov", "dec",
    "u.s", "u.k",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoArticle:
    """One bundled article: its set, event, original date and address, licence, and body blocks.

    ``published`` is the original UTC time (Wikinews gives days only: noon). ``kicker``
    is, for a blurb, the title of the Wikipedia article it links (its subject).
    ``blocks`` are ``(kind, text)`` pairs with kind ``p``, ``h2`` or ``li``, in page order.
    """

    id: str
    collection: Collection
    event: str | None
    title: str
    kicker: str | None
    language: str
    published: datetime
    url: str
    license: str
    attribution: str
    blocks: tuple[tuple[BlockKind, str], ...]

    @property
    def paragraphs(self) -> list[str]:
        """The running text: paragraphs and list items, without sub-headings."""
        return [text for kind, text in self.blocks if kind != "h2"]

    @property
    def text(self) -> str:
        """The plain text of the body, one paragraph per blank-line-separated block."""
        return "\n\n".join(self.paragraphs)

    @property
    def publisher(self) -> str:
        """Who first published the text, as the pages name it."""
        if self.collection == "itn":
            return f"Wikipedia ({self.language}.wikipedia.org), In the news"
        return "Wikinews (en.wikinews.org)"


def _article(row: dict[str, Any]) -> DemoArticle:
    return DemoArticle(
        id=row["id"],
        collection=row["collection"],
        event=row["event"],
        title=row["title"],
        kicker=row["kicker"],
        language=row["language"],
        published=datetime.fromisoformat(row["published"]).astimezone(UTC),
        url=row["url"],
        license=row["license"],
        attribution=row["attribution"],
        blocks=tuple((kind, text) for kind, text in row["blocks"]),
    )


@functools.cache
def _load() -> tuple[DemoArticle, ...]:
    raw = resources.files(__package__).joinpath("data", ARTICLES_FILE).read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    return tuple(_article(json.loads(line)) for line in lines if line.strip())


def load_demo_articles() -> list[DemoArticle]:
    """All bundled articles (the blurbs first, then Wikinews), read once per process."""
    return list(_load())


def _events(articles: Iterable[DemoArticle]) -> list[list[DemoArticle]]:
    """The articles grouped by event (an article of no event is one on its own), each in time order."""
    groups: defaultdict[str, list[DemoArticle]] = defaultdict(list)
    for a in articles:
        groups[a.event or "\x00" + a.id].append(a)
    return [sorted(g, key=lambda a: (a.published, a.id)) for g in groups.values()]


def _place(articles: Sequence[DemoArticle], now: datetime) -> dict[str, datetime]:
    """Shift one set: events end evenly over ``SPREAD`` in their original order, each keeping its spacing."""
    events = sorted(_events(articles), key=lambda g: (g[-1].published, g[-1].id))
    newest = now - NEWEST_AGE
    times: dict[str, datetime] = {}
    for rank, group in enumerate(events):
        end = newest - SPREAD * (1 - rank / max(len(events) - 1, 1))
        span = group[-1].published - group[0].published
        scale = min(1.0, MAX_EVENT_SPAN / span) if span else 1.0
        for a in group:
            times[a.id] = (end - (group[-1].published - a.published) * scale).replace(second=0, microsecond=0)
    return times


def publication_times(articles: Iterable[DemoArticle], now: datetime) -> dict[str, datetime]:
    """Shifted publication time (UTC) of every article, by id, as the demo site shows it.

    The two sets are years apart, so each is shifted on its own into the same last
    few days; inside an event (or a Wikinews thread) the order and spacing are kept,
    so the same-story articles follow each other over hours and days.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    by_set: defaultdict[str, list[DemoArticle]] = defaultdict(list)
    for a in articles:
        by_set[a.collection].append(a)
    times: dict[str, datetime] = {}
    for corpus in by_set.values():
        times.update(_place(corpus, now))
    return times


def lead_text(article: DemoArticle) -> str:
    """The first paragraph (for a blurb, the blurb)."""
    return next((text for kind, text in article.blocks if kind == "p"), article.title)


def _sentences(text: str) -> list[str]:
    """Split at sentence ends, re-joining splits after abbreviations and initials (``Mr. Roh``, ``J. Smith``)."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        last = out[-1].rsplit(None, 1)[-1].rstrip(".").lower() if out else ""
        if out and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


def short_summary(article: DemoArticle, max_words: int = SUMMARY_WORDS) -> str:
    """A teaser for the feed: a blurb whole; a Wikinews lead's first sentence, or ``max_words`` words and "…".

    Far below newsdesk's ``min_feed_words``, so the reader fetches the article page and
    extracts it, as with most real feeds (a blurb's page holds just the blurb).
    """
    if article.collection == "itn":
        return lead_text(article)
    words: list[str] = []
    for sentence in _sentences(lead_text(article)):
        words += sentence.split()
        if len(words) >= _MIN_SENTENCE_WORDS:
            break
    if len(words) > max_words + 5:
        return " ".join(words[:max_words]).rstrip(",;:") + " …"
    return " ".join(words)
