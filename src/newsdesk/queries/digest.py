"""The extractive digest of an article: its lead and its key sentences, taken word for word from its text.

Until generated summaries exist, the article page's AI panel shows this and says it is
extractive: the lead is the article's first sentences (news puts the essentials first), and the
key sentences are up to three others, ranked by how many of the article's hashtags they mention,
earlier sentences first on a tie. A sentence that mentions no hashtag is never "key": an article
without tags, or whose tags its later sentences never name, gets a lead only — fewer rather than filler.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from newsdesk.model import Digest, Tag

LEAD_SENTENCES = 3
LEAD_MAX_CHARS = 420  # stop adding lead sentences past this
KEY_SENTENCES = 3
MIN_SENTENCE_CHARS = 25  # shorter "sentences" are captions, bylines, datelines
MAX_TEXT_CHARS = 60_000  # a digest reads the opening of a very long text only

_SENTENCE = re.compile(r"[^.!?。！？\n]+(?:[.!?。！？]+[\"'”»)]*|$)")
_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])")
_NOT_WORD = re.compile(r"\W+")


def sentences(text: str) -> list[str]:
    """The article's sentences in order, whitespace collapsed, fragments too short to be one left out."""
    found = (" ".join(m.group().split()).lstrip("-–—»«”“\"' ") for m in _SENTENCE.finditer(text[:MAX_TEXT_CHARS]))
    return [s for s in found if len(s) >= MIN_SENTENCE_CHARS]


def digest(text: str, tags: Sequence[Tag] = ()) -> Digest:
    """The lead (first sentences, up to three or ``LEAD_MAX_CHARS``) and up to three key sentences after it."""
    all_sentences = sentences(text)
    lead: list[str] = []
    for sentence in all_sentences[:LEAD_SENTENCES]:
        if lead and sum(map(len, lead)) + len(sentence) > LEAD_MAX_CHARS:
            break
        lead.append(sentence)
    terms = [t for t in (_term(tag) for tag in tags) if t]
    rest = all_sentences[len(lead) :]
    scored = [(sum(term in _folded(s) for term in terms), -i, s) for i, s in enumerate(rest)]
    best = sorted((x for x in scored if x[0] > 0), reverse=True)[:KEY_SENTENCES]
    key = [s for _, _, s in sorted(best, key=lambda x: -x[1])]  # in the article's order
    return Digest(tuple(lead), tuple(key))


def _term(tag: Tag) -> str:
    """What a sentence must contain to mention ``tag``: its label's words, folded and joined."""
    label = tag.label.removeprefix("#") or tag.key
    return _folded(_CAMEL.sub(" ", label))


def _folded(text: str) -> str:
    """Lower case, no accents, no spaces or punctuation: "Lee Jae-myung" → "leejaemyung"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _NOT_WORD.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))
