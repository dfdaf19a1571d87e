"""The bundled Wikinews corpus and the two things the demo derives from it: dates and summaries.

``demo/data/articles.jsonl.gz`` (built by ``scripts/build_demo_data.py``) holds
93 English (2004–05) and 100 French (2012) Wikinews articles with their original
URL, licence and attribution. The demo must look like *today's* news, so
:func:`publication_times` moves each corpus into the last three days, keeping the
original order and compressing the spacing; and since feeds should carry only a
teaser (so newsdesk has to fetch and extract the page), :func:`short_summary`
cuts the lead down to its first sentence or about forty words. All of it is pure
and deterministic given ``now``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any, Literal

ARTICLES_FILE = "articles.jsonl.gz"

BlockKind = Literal["p", "h2", "li"]

# The newest article of each corpus is this old, the oldest WINDOW older still: all within 3 days.
NEWEST_AGE = timedelta(minutes=12)
WINDOW = timedelta(hours=70)

SUMMARY_WORDS = 40
_MIN_SENTENCE_WORDS = 8  # shorter "sentences" are usually abbreviations (Corp., Mr.) cut too early
_SENTENCE_END = re.compile(r"(?<=[.!?»\"”])\s+(?=[«\"“A-ZÀ-ÖØ-Þ0-9])")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "sen", "rep", "gov", "pres",
    "corp", "inc", "co", "ltd", "no", "vs", "asst", "dept", "m", "mme", "mlle", "jan", "feb", "aug", "sept",
    "oct", "nov", "dec",
})  # fmt: skip
_FR_DATELINE = re.compile(r"^\d{1,2}(?:er)? \w+ \d{4}(?:, [^.]{1,40})?\. ?[-–] ")


@dataclass(frozen=True, slots=True)
class DemoArticle:
    """One Wikinews article as bundled: original date and URL, licence, and body blocks.

    ``published`` is the original Wikinews date (``None`` when the dump lost it);
    ``blocks`` are ``(kind, text)`` pairs with kind ``p`` (paragraph), ``h2``
    (sub-heading) or ``li`` (list item), in page order.
    """

    id: str
    title: str
    language: str
    section: str | None
    published: date | None
    url: str
    license: str
    attribution: str
    categories: tuple[str, ...]
    blocks: tuple[tuple[BlockKind, str], ...]

    @property
    def paragraphs(self) -> list[str]:
        """The running text: paragraphs and list items, without sub-headings."""
        return [text for kind, text in self.blocks if kind != "h2"]

    @property
    def text(self) -> str:
        """The plain text of the body, one paragraph per blank-line-separated block."""
        return "\n\n".join(self.paragraphs)


def _article(row: dict[str, Any]) -> DemoArticle:
    return DemoArticle(
        id=row["id"],
        title=row["title"],
        language=row["language"],
        section=row["section"],
        published=date.fromisoformat(row["published"]) if row["published"] else None,
        url=row["url"],
        license=row["license"],
        attribution=row["attribution"],
        categories=tuple(row["categories"]),
        blocks=tuple((kind, text) for kind, text in row["blocks"]),
    )


@functools.cache
def _load() -> tuple[DemoArticle, ...]:
    raw = resources.files(__package__).joinpath("data", ARTICLES_FILE).read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    return tuple(_article(json.loads(line)) for line in lines if line.strip())


def load_demo_articles() -> list[DemoArticle]:
    """All bundled articles (English first, then French), read once per process."""
    return list(_load())


def _fraction(key: str) -> float:
    """A stable pseudo-random number in [0, 1) for ``key`` (same on every run and machine)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64


def _original_instants(articles: Sequence[DemoArticle]) -> list[float]:
    """Original publication moments in days since the epoch, spread within each day.

    Wikinews gives days only, so the n articles of one day are placed at
    1/(n+1), 2/(n+1), … of it, in corpus order. Undated articles get a stable
    pseudo-random moment inside the corpus' date range: plausible, not true.
    """
    per_day: defaultdict[date, list[int]] = defaultdict(list)
    for i, a in enumerate(articles):
        if a.published is not None:
            per_day[a.published].append(i)
    instants: list[float | None] = [None] * len(articles)
    for day, indexes in per_day.items():
        for rank, i in enumerate(indexes):
            instants[i] = day.toordinal() + (rank + 1) / (len(indexes) + 1)
    known = [x for x in instants if x is not None]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    return [x if x is not None else lo + _fraction(a.id) * (hi - lo) for x, a in zip(instants, articles, strict=True)]


def _compress(instants: Sequence[float], now: datetime) -> list[datetime]:
    """Map original moments linearly onto ``[now - NEWEST_AGE - WINDOW, now - NEWEST_AGE]``."""
    lo, hi = min(instants), max(instants)
    span = (hi - lo) or 1.0
    newest = now - NEWEST_AGE
    return [(newest - WINDOW * ((hi - x) / span)).replace(second=0, microsecond=0) for x in instants]


def publication_times(articles: Iterable[DemoArticle], now: datetime) -> dict[str, datetime]:
    """Shifted publication time (UTC) of every article, by id, as the demo site shows it.

    Each language is one corpus from a different year, so each is compressed on
    its own and both fill the same three days; order and relative spacing within
    a corpus are kept, so same-story articles still follow each other.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    corpora: defaultdict[str, list[DemoArticle]] = defaultdict(list)
    for a in articles:
        corpora[a.language].append(a)
    times: dict[str, datetime] = {}
    for corpus in corpora.values():
        moments = _compress(_original_instants(corpus), now)
        times.update((a.id, t) for a, t in zip(corpus, moments, strict=True))
    return times


def lead_text(article: DemoArticle) -> str:
    """The first paragraph without a French Wikinews dateline (``22 mai 2012. - ``)."""
    first = next((text for kind, text in article.blocks if kind == "p"), article.title)
    return _FR_DATELINE.sub("", first, count=1) if article.language == "fr" else first


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
    """A teaser for the feed: the lead's first sentence, or its first ``max_words`` words and "…".

    Deliberately far below newsdesk's ``min_feed_words``, so the reader has to
    fetch the article page and extract the full text, as with most real feeds.
    """
    words: list[str] = []
    for sentence in _sentences(lead_text(article)):
        words += sentence.split()
        if len(words) >= _MIN_SENTENCE_WORDS:
            break
    if len(words) > max_words + 5:
        return " ".join(words[:max_words]).rstrip(",;:") + " …"
    return " ".join(words)
