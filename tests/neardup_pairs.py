"""Labelled text pairs for near-duplicate folding: real texts, transformations applied here, one seed.

A *copy* pair must be folded, a *distinct* pair must not. The texts come from three places,
all read at run time from ``../shared`` (no publisher text is committed):

* ``corpus``: the shared bench corpus (``../shared/bench/corpus.py``, Markov prose over Bierce,
  built in memory from its plan): article pages parsed from the HTML it renders, and its
  syndication plan, whose copies of a story (word swaps, a cut last sentence, pages trimmed
  to different lengths) give the native ``syndicated`` and ``feed_summary`` pairs.
* ``zyte``: the article bodies of the Zyte article-extraction benchmark (real news and blog
  pages in English, Russian, Portuguese, Korean, Japanese, German…). Its boilerplate is real:
  the page's own text around the article (the ``html-text`` output's lines outside the body).
* ``ecbplus``: ECB+ articles, where every topic holds two similar events reported by many
  publishers: same-topic articles that are not copies.

Kinds (``POSITIVE`` fold, ``NEGATIVE`` must not):

``summary``       a feed summary (the first 1–4 sentences, or the first 25–100 words and "…",
                  sometimes a feed trailer such as "Continue reading") against the full article
                  (half of the time with the site's boilerplate leaked into the page text)
``ending``        the article with its ending cut (40–90% of its words kept, whole sentences)
``lead``          the first paragraph replaced by another article's first paragraph
``boilerplate``   the article with share/cookie/newsletter lines and the site footer added (the
                  boilerplate is never longer than the article); against the bare article, or
                  against the article carrying another site's boilerplate
``wire``          a reprint with all of it: new lead, cut ending, a few words changed, the
                  reprinting site's boilerplate; against the original on its own site
``syndicated``    corpus: two feeds' pages of one syndicated story (as the corpus edits them)
``feed_summary``  corpus: one feed's summary of a syndicated story against another feed's page
``shared_boilerplate``  two different articles carrying the same site boilerplate (full
                  articles or briefs of 40–80 words; again boilerplate no longer than the text);
                  Zyte pages of one host with their own page boilerplate
``shared_quote``  two different articles into which the same 40–80-word quote was inserted
                  (articles of at least 100 words)
``same_topic``    ECB+: two articles of one topic (the same event or its look-alike)
``different``     two different articles of a source, the ones sharing most shingles first
                  (corpus: pages, and feed items too)
``summary_of_other``  the feed summary of one article against the full text of another (the
                  same event in ECB+, the most overlapping article elsewhere)

Every pair records the base articles it was made from (``bases``), so that a cross-validation
can hold sources, kinds or articles out. Everything is a pure function of the arguments.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import importlib.util
import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

SHARED = Path(__file__).resolve().parents[2] / "shared"
ZYTE = SHARED / "data" / "article-extraction-benchmark"
ECBPLUS = SHARED / "data" / "ecbplus-event-clustering" / "articles.dev.jsonl"
CORPUS_PY = SHARED / "bench" / "corpus.py"

POSITIVE = ("summary", "ending", "lead", "boilerplate", "wire", "syndicated", "feed_summary")
NEGATIVE = ("shared_boilerplate", "shared_quote", "same_topic", "different", "summary_of_other")
KINDS = POSITIVE + NEGATIVE
SOURCES = ("corpus", "zyte", "ecbplus")


@dataclass(frozen=True, slots=True)
class Doc:
    """A base article: its paragraphs, the site whose boilerplate it carries, its language and topic."""

    id: str
    source: str
    paragraphs: tuple[str, ...]
    site: str
    lang: str
    topic: str | None = None  # ECB+: topic (the event is ``event``)
    event: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def words(self) -> int:
        return sum(n_words(p) for p in self.paragraphs)


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    copy: bool  # True: the two must be folded
    kind: str
    source: str
    bases: tuple[str, ...]  # ids of the base articles the pair was made from


# -- text units -----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?…»”\"])\s+(?=[\"“«(\[]?[A-ZÀ-ÞА-ЯЁ0-9])|(?<=[。！？])")


def sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph (a light rule: a stop, then space and a capital; CJK stops)."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


_CJK = re.compile(r"[\u3040-\u9fff\uac00-\ud7af]")


def n_words(text: str) -> int:
    """Words of ``text``; for scripts written without spaces, about two characters a word."""
    n = len(text.split())
    return n if text.isascii() else max(n, len(_CJK.findall(text)) // 2)


def script_of(text: str) -> str:
    """A language key good enough to pair texts of one script: 'latin' or the first letters' script."""
    letters = [ch for ch in text[:2000] if ch.isalpha()]
    if not letters:
        return "none"
    if sum(ch.isascii() for ch in letters) > 0.8 * len(letters):
        return "latin"
    names = [unicodedata.name(ch, "X").split()[0] for ch in letters if not ch.isascii()]
    return max(set(names), key=names.count).lower()


# -- boilerplate ----------------------------------------------------------------------------

# Written for this benchmark: the kinds of lines page extraction leaks and feeds append.
_BOILERPLATE_LINES = (
    "We use cookies and similar technologies to improve your experience, personalise content and ads, "
    "and analyse our traffic. By clicking Accept you agree to this.",
    "Accept all cookies Manage preferences",
    "Share this article: Facebook Twitter WhatsApp Email Copy link",
    "Sign up for the {site} morning briefing and get the day's top stories in your inbox every weekday.",
    "Get the morning briefing. Enter your email address. Sign up",
    "Follow {site} on Facebook, Twitter and Instagram for the latest updates.",
    "© 2024 {site}. All rights reserved.",
    "About us Contact Privacy policy Terms of use Careers Advertise with us Sitemap",
    "Advertisement",
    "Our journalism depends on readers like you. Subscribe today for unlimited access to {site} from just $1 a week.",
    "Comments are moderated and may take a while to appear. Please read our community guidelines before posting.",
    "Have a news tip? Email the {site} newsroom or call us any time.",
    "Download the {site} app for breaking news alerts on your phone.",
    "Most read Related stories Trending now",
    "Copyright 2024 {site}. This material may not be published, broadcast, rewritten or redistributed.",
    "You have reached your limit of free articles this month. Log in or subscribe to keep reading.",
    "Thank you for reading {site}. Please consider supporting local journalism with a subscription.",
    "This article originally appeared on {site}. Reprinted with permission.",
    "Report an error or a correction to the editors of {site}.",
    "Listen to this article 4 min",
    "Sign in to your account to save articles and get personalised recommendations.",
    "More from {site}: the latest news, analysis and opinion delivered to your inbox.",
)
_FEED_TRAILERS = (
    "Continue reading…",
    "Read more »",
    "[…]",
    "The post {title} appeared first on {site}.",
    "Read the full story at {site}.",
)


def written_boilerplate(site: str, rng: random.Random) -> tuple[list[str], list[str]]:
    """(header lines, footer lines) for ``site``, from the written line bank."""
    lines = [ln.format(site=site) for ln in rng.sample(_BOILERPLATE_LINES, rng.randint(4, 9))]
    cut = rng.randint(0, min(3, len(lines) - 1))
    return lines[:cut], lines[cut:]


# How much boilerplate a text carries, as a share of its words: up to half. Extraction leaks
# less (trafilatura on the Zyte dev pages: median 4%, 90th percentile 33% of the article's
# words); beyond half, the text is more boilerplate than article.
BOILERPLATE_SHARE = (0.1, 0.5)
MIN_BOILERPLATE_WORDS = 15


def boilerplate_budget(words: int, rng: random.Random) -> int:
    return max(MIN_BOILERPLATE_WORDS, int(rng.uniform(*BOILERPLATE_SHARE) * words))


def fit_boilerplate(header: list[str], footer: list[str], budget: int) -> tuple[list[str], list[str]]:
    """Drop lines (footer's last first, then header's first) until at most ``budget`` words remain."""
    header, footer = list(header), list(footer)
    while header or footer:
        if sum(n_words(x) for x in header + footer) <= budget:
            break
        if footer and (len(footer) >= len(header)):
            footer.pop()
        else:
            header.pop(0)
    return header, footer


def with_boilerplate(paragraphs: Sequence[str], header: Sequence[str], footer: Sequence[str]) -> str:
    return "\n".join([*header, *paragraphs, *footer])


# -- sources --------------------------------------------------------------------------------


def _load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_ARTICLE_BODY = re.compile(r'<div class="article-body">(.*?)</div>', re.S)
_BLOCK = re.compile(r"<(p|h2)>(.*?)</\1>", re.S)


def _page_paragraphs(page_html: str) -> tuple[str, ...]:
    m = _ARTICLE_BODY.search(page_html)
    assert m, "the corpus page layout changed"
    return tuple(html.unescape(re.sub(r"<[^>]+>", "", b)) for _, b in _BLOCK.findall(m.group(1)))


@dataclass(frozen=True, slots=True)
class CorpusSource:
    docs: list[Doc]  # unsyndicated article pages, one per (feed, item)
    items: list[Doc]  # unsyndicated feed items (their summary as the feed gives it)
    copies: list[tuple[Doc, Doc, str, str]]  # (page x, page y, feed summary of x, story id) per copy pair


def load_corpus(*, feeds: int, seed: int, max_docs: int, max_items: int, max_stories: int) -> CorpusSource:
    """Article pages of the shared corpus (built in memory from its plan: no files written)."""
    mod = _load_module(CORPUS_PY, "shared_bench_corpus")
    plan = mod.Corpus.make_plan(seed, feeds, 1_767_225_600, "http://127.0.0.1:9")
    corpus = mod.Corpus(plan)
    names = [f["name"] for f in plan["feeds"]]

    def page(fi: int, j: int) -> Doc:
        body, _ = corpus.article(fi, j)
        return Doc(f"c{fi}-{j}", "corpus", _page_paragraphs(body.decode()), names[fi], "latin")

    docs: list[Doc] = []
    items: list[Doc] = []
    for j in range(60):  # round-robin over feeds: many sites
        for fi, f in enumerate(plan["feeds"]):
            if j < f["n"] and str(j) not in f["synd"]:
                if len(docs) < max_docs:
                    docs.append(page(fi, j))
                if len(items) < max_items:
                    desc = tuple(" ".join(p) for p in _halves(corpus.item(fi, j)["desc"]))
                    items.append(Doc(f"i{fi}-{j}", "corpus", desc, names[fi], "latin"))
    members: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for fi, f in enumerate(plan["feeds"]):
        for j, sid in f["synd"].items():
            members[sid].append((fi, int(j)))
    copies: list[tuple[Doc, Doc, str, str]] = []
    for sid in sorted(members)[:max_stories]:
        (fx, jx), (fy, jy) = sorted(members[sid])[:2]
        x, y = page(fx, jx), page(fy, jy)
        summary = " ".join(corpus.item(fx, jx)["desc"])
        copies.append((x, y, summary, f"s{sid}"))
    return CorpusSource(docs, items, copies)


def _halves(sentences: list[str]) -> list[list[str]]:
    """A feed item's paragraphs, as the corpus renders them (one, or two halves from four sentences)."""
    if len(sentences) < 4:
        return [sentences]
    return [sentences[: len(sentences) // 2], sentences[len(sentences) // 2 :]]


@dataclass(frozen=True, slots=True)
class ZyteSource:
    docs: list[Doc]
    boilerplate: dict[str, tuple[list[str], list[str]]]  # doc id → the page's own (header, footer) lines


def load_zyte() -> ZyteSource:
    """Article bodies of the Zyte benchmark's dev pages, and each page's own boilerplate."""
    truth = json.loads((ZYTE / "ground-truth.dev.json").read_text())
    full = json.loads(gzip.decompress((ZYTE / "output-dev" / "html-text.json.gz").read_bytes()))["output"]
    docs: list[Doc] = []
    boilerplate: dict[str, tuple[list[str], list[str]]] = {}
    for key in sorted(truth):
        body = truth[key]["articleBody"]
        paragraphs = tuple(p.strip() for p in body.split("\n") if p.strip())
        host = truth[key]["url"].split("/")[2].removeprefix("www.")
        doc = Doc(f"z{key[:8]}", "zyte", paragraphs, host, script_of(body))
        docs.append(doc)
        lines = [ln.strip() for ln in full.get(key, {}).get("articleBody", "").split("\n") if ln.strip()]
        inside = set(paragraphs)
        at = [i for i, ln in enumerate(lines) if ln in inside]
        if at:
            # site lines: before the article, leaving out its headline, byline and caption; after it
            header = [ln for ln in lines[max(0, at[0] - 30) : max(0, at[0] - 8)] if len(ln.split()) >= 3]
            footer = [ln for ln in lines[at[-1] + 1 : at[-1] + 40] if ln not in inside]
            boilerplate[doc.id] = (header[-4:], footer)
    return ZyteSource(docs, boilerplate)


def load_ecbplus() -> list[Doc]:
    docs = []
    for line in ECBPLUS.read_text().splitlines():
        r = json.loads(line)
        paragraphs = tuple(p.strip() for p in r["text"].split("\n") if p.strip())
        site = r["host"] or f"ecb-{r['topic']}"
        docs.append(Doc(f"e{r['doc_id']}", "ecbplus", paragraphs, site, "latin", str(r["topic"]), r["cluster_id"]))
    return docs


# -- transformations ------------------------------------------------------------------------


def summary_of(doc: Doc, rng: random.Random) -> str:
    """A feed summary: the first sentences (at least 20 words) or the first 25–100 words and '…'."""
    sents = [s for p in doc.paragraphs for s in sentences(p)]
    if rng.random() < 0.5:
        k = rng.randint(1, 4)
        out = sents[:k]
        while sum(map(n_words, out)) < 20 and len(out) < len(sents):
            out = sents[: len(out) + 1]
        text = " ".join(out)
    else:
        words = doc.text.split()
        text = " ".join(words[: rng.randint(25, 100)]) + "…"
        if n_words(doc.text) > 2 * len(words):  # written without spaces: characters
            text = doc.text[: rng.randint(50, 200)] + "…"
    if rng.random() < 0.4:
        title = " ".join(doc.text.split()[:8])
        text += " " + rng.choice(_FEED_TRAILERS).format(site=doc.site, title=title)
    return text


def cut_ending(doc: Doc, rng: random.Random, keep_share: tuple[float, float] = (0.4, 0.9)) -> list[str] | None:
    """The paragraphs up to a share of the words (40–90%), in whole sentences (None if too short to cut)."""
    total = doc.words
    keep = rng.uniform(*keep_share) * total
    out: list[str] = []
    count = 0
    for p in doc.paragraphs:
        kept: list[str] = []
        for s in sentences(p):
            if count + n_words(s) > keep and count:
                break
            kept.append(s)
            count += n_words(s)
        if kept:
            out.append(" ".join(kept))
        if len(kept) < len(sentences(p)):
            break
    return out if count < total and count >= 20 else None


def lead_span(doc: Doc) -> int:
    """How many leading paragraphs form the lead: at least 15 words, at most 40% of the article (0: none)."""
    count = 0
    for i, p in enumerate(doc.paragraphs[:-1]):
        count += n_words(p)
        if count >= 15:
            return i + 1 if count <= 0.4 * doc.words else 0
    return 0


def new_lead(doc: Doc, donors: Sequence[Doc]) -> tuple[list[str], Doc] | None:
    """``doc`` with its lead replaced by the lead of the first donor whose lead is about as long."""
    k = lead_span(doc)
    if not k:
        return None
    mine = sum(n_words(p) for p in doc.paragraphs[:k])
    for donor in donors:
        d = lead_span(donor)
        theirs = sum(n_words(p) for p in donor.paragraphs[:d])
        if d and theirs <= max(1.5 * mine, mine + 10) and theirs <= 0.4 * (theirs + doc.words - mine):
            return [*donor.paragraphs[:d], *doc.paragraphs[k:]], donor
    return None


def edit_words(paragraphs: Sequence[str], rng: random.Random, rate: float = 0.02) -> list[str]:
    """A copy editor's pass: about ``rate`` of the words replaced by another word of the text."""
    pool = " ".join(paragraphs).split()
    return [" ".join(rng.choice(pool) if rng.random() < rate else w for w in p.split()) for p in paragraphs]


def insert_quote(doc: Doc, quote: str, rng: random.Random) -> str:
    """``doc`` with ``quote`` as a paragraph of its body (never the lead)."""
    at = rng.randint(1, max(1, len(doc.paragraphs)))
    return "\n".join([*doc.paragraphs[:at], quote, *doc.paragraphs[at:]])


_SPEAKERS = ("the minister said", "a spokesperson said", "the report says", "she told reporters", "he said")


def a_quote(source: Doc, rng: random.Random) -> str | None:
    """40–80 consecutive words of ``source``, quoted and attributed."""
    words = source.text.split()
    n = rng.randint(40, 80)
    if len(words) < n + 10:
        return None
    start = rng.randint(0, len(words) - n)
    return f"“{' '.join(words[start : start + n])},” {rng.choice(_SPEAKERS)}."


# -- shingle overlap (to pick the hardest distinct pairs) -----------------------------------


def _shingle_set(text: str) -> set[int]:
    words = re.findall(r"\w+", text.casefold())
    if len(words) <= 3 and text:
        chars = "".join(words)
        return {hash(chars[i : i + 5]) for i in range(max(1, len(chars) - 4))}
    return {hash((a, b, c)) for a, b, c in zip(words, words[1:], words[2:], strict=False)}


def hardest_pairs(
    left: Sequence[tuple[Doc, str]], right: Sequence[tuple[Doc, str]], n: int
) -> list[tuple[Doc, str, Doc, str]]:
    """The ``n`` pairs (left, right) of different docs that share most shingles, as a share of the smaller."""
    right_sets = [_shingle_set(t) for _, t in right]
    postings: dict[int, list[int]] = defaultdict(list)
    for j, s in enumerate(right_sets):
        for h in s:
            postings[h].append(j)
    best: dict[frozenset[str], tuple[float, int, int]] = {}
    for i, (doc, text) in enumerate(left):
        mine = _shingle_set(text)
        shared: dict[int, int] = defaultdict(int)
        for h in mine:
            ids = postings.get(h, ())
            if len(ids) <= 50:  # a shingle in more docs than that says nothing about a pair
                for j in ids:
                    shared[j] += 1
        for j, c in shared.items():
            other = right[j][0]
            if other.id == doc.id:
                continue
            key = frozenset((doc.id, other.id))
            score = c / max(1, min(len(mine), len(right_sets[j])))
            if key not in best or best[key][0] < score:
                best[key] = (score, i, j)
    top = sorted(best.values(), reverse=True)[:n]
    return [(left[i][0], left[i][1], right[j][0], right[j][1]) for _, i, j in top]


# -- pairs ----------------------------------------------------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    h = hashlib.blake2b(":".join(map(str, (seed, *parts))).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(h, "big"))


def _positives(
    docs: Sequence[Doc],
    boilerplate_of: Callable[[Doc, random.Random], tuple[list[str], list[str]]],
    seed: int,
    per_kind: int,
) -> Iterable[Pair]:
    """The transformation kinds over ``docs`` (one source, one pair per doc and kind at most)."""
    by_lang: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        by_lang[d.lang].append(d)

    def donors(doc: Doc, rng: random.Random) -> list[Doc]:
        others = [d for d in by_lang[doc.lang] if d.id != doc.id and d.site != doc.site]
        return rng.sample(others, min(len(others), 20))

    def bp(doc: Doc, rng: random.Random, words: int) -> tuple[list[str], list[str]]:
        return fit_boilerplate(*boilerplate_of(doc, rng), boilerplate_budget(words, rng))

    made: dict[str, int] = defaultdict(int)
    for doc in docs:
        src = doc.source
        rng = _rng(seed, "pos", doc.id)
        if made["summary"] < per_kind and doc.words >= 60:
            page: str = doc.text
            if rng.random() < 0.5:
                page = with_boilerplate(doc.paragraphs, *bp(doc, rng, doc.words))
            made["summary"] += 1
            yield Pair(summary_of(doc, rng), page, True, "summary", src, (doc.id,))
        cut = cut_ending(doc, rng)
        if made["ending"] < per_kind and cut:
            made["ending"] += 1
            yield Pair("\n".join(cut), doc.text, True, "ending", src, (doc.id,))
        new = new_lead(doc, donors(doc, rng))
        led, other = new if new else (None, None)
        if made["lead"] < per_kind and led and other:
            made["lead"] += 1
            yield Pair("\n".join(led), doc.text, True, "lead", src, (doc.id, other.id))
        if made["boilerplate"] < per_kind and doc.words >= 40:
            mine = with_boilerplate(doc.paragraphs, *bp(doc, rng, doc.words))
            if other is not None and rng.random() < 0.5:  # carried by another site too, with its boilerplate
                theirs = with_boilerplate(doc.paragraphs, *bp(other, rng, doc.words))
            else:
                theirs = doc.text
            made["boilerplate"] += 1
            yield Pair(mine, theirs, True, "boilerplate", src, (doc.id,))
        if made["wire"] < per_kind and led and other:
            # the reprint: the other site's lead, then the body cut at its end (the body kept
            # at least 1.5 times as long as the new lead), a few words changed, its boilerplate
            k_new = len(led) - (len(doc.paragraphs) - lead_span(doc))
            body = Doc(doc.id, src, doc.paragraphs[lead_span(doc) :], doc.site, doc.lang)
            cut = cut_ending(body, rng, (0.6, 0.95)) or list(body.paragraphs)
            if n_words(" ".join(cut)) >= 1.5 * n_words(" ".join(led[:k_new])):
                edited = edit_words([*led[:k_new], *cut], rng, 0.01)
                a = with_boilerplate(edited, *bp(other, rng, n_words(" ".join(edited))))
                b = with_boilerplate(doc.paragraphs, *bp(doc, rng, doc.words))
                made["wire"] += 1
                yield Pair(a, b, True, "wire", src, (doc.id, other.id))


def _negatives(
    docs: Sequence[Doc],
    boilerplate_of: Callable[[Doc, random.Random], tuple[list[str], list[str]]],
    seed: int,
    per_kind: int,
    *,
    min_summary_words: int = 0,
) -> Iterable[Pair]:
    """Shared boilerplate, shared quotes, hardest different pairs and summaries of another article."""
    src = docs[0].source
    rng = _rng(seed, "neg", src)
    by_lang: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        by_lang[d.lang].append(d)
    langs = sorted(k for k, v in by_lang.items() if len(v) >= 3)

    def two(pool: Sequence[Doc]) -> tuple[Doc, Doc]:
        x, y = rng.sample(list(pool), 2)
        return x, y

    for i in range(per_kind):
        lang = langs[i % len(langs)]
        x, y = two(by_lang[lang])
        site = rng.choice([x, y, *rng.sample(docs, 1)])
        brief = rng.random()
        texts: list[list[str]] = []
        for d in (x, y):
            words = d.text.split()
            if brief < 0.5 and len(words) > 80 and (brief < 0.25 or d is x):  # a brief: 40-80 words
                texts.append([" ".join(words[: rng.randint(40, 80)])])
            else:
                texts.append(list(d.paragraphs))
        budget = boilerplate_budget(min(n_words(" ".join(t)) for t in texts), rng)
        header, footer = fit_boilerplate(*boilerplate_of(site, rng), budget)
        a, b = (with_boilerplate(t, header, footer) for t in texts)
        yield Pair(a, b, False, "shared_boilerplate", src, (x.id, y.id))

    long_docs = [d for d in docs if d.words >= 100]
    by_lang_long: dict[str, list[Doc]] = defaultdict(list)
    for d in long_docs:
        by_lang_long[d.lang].append(d)
    langs_long = sorted(k for k, v in by_lang_long.items() if len(v) >= 3)
    made = 0
    while made < per_kind and langs_long:
        pool = by_lang_long[langs_long[made % len(langs_long)]]
        x, y, z = rng.sample(pool, 3)
        quote = a_quote(z, rng)
        if quote is None:
            continue
        made += 1
        yield Pair(insert_quote(x, quote, rng), insert_quote(y, quote, rng), False, "shared_quote", src, (x.id, y.id))

    full = [(d, d.text) for d in docs]
    for x, a, y, b in hardest_pairs(full, full, per_kind):
        yield Pair(a, b, False, "different", src, (x.id, y.id))

    summaries = [(d, summary_of(d, _rng(seed, "sum-of-other", d.id))) for d in docs if d.words >= 60]
    summaries = [(d, t) for d, t in summaries if n_words(t) >= min_summary_words]
    for x, a, y, b in hardest_pairs(summaries, full, per_kind):
        yield Pair(a, b, False, "summary_of_other", src, (x.id, y.id))


def make_pairs(
    *,
    seed: int = 16,
    per_kind: int = 400,
    corpus_feeds: int = 300,
    sources: Sequence[str] = SOURCES,
) -> list[Pair]:
    """The labelled pairs: at most ``per_kind`` of each kind per source."""
    pairs: list[Pair] = []
    if "corpus" in sources:
        corpus = load_corpus(
            feeds=corpus_feeds, seed=seed, max_docs=per_kind + 50, max_items=4 * per_kind, max_stories=per_kind
        )

        def corpus_bp(doc: Doc, rng: random.Random) -> tuple[list[str], list[str]]:
            return written_boilerplate(doc.site, _rng(seed, "site", doc.site))

        pairs += _positives(corpus.docs, corpus_bp, seed, per_kind)
        for x, y, summary, sid in corpus.copies:
            pairs.append(Pair(x.text, y.text, True, "syndicated", "corpus", (sid,)))
            pairs.append(Pair(summary, y.text, True, "feed_summary", "corpus", (sid,)))
        # Markov prose repeats whole sentences in unrelated articles (its chain often has one
        # successor), so a one-sentence summary is found verbatim inside others: news does
        # that only with quotes and boilerplate (kinds of their own). Summaries of 40+ words.
        pairs += _negatives(corpus.docs, corpus_bp, seed, per_kind, min_summary_words=40)
        # and unrelated feed items (60–110 words of that prose): the ones sharing most
        items = [(d, d.text) for d in corpus.items]
        for x, a, y, b in hardest_pairs(items, items, per_kind):
            pairs.append(Pair(a, b, False, "different", "corpus", (x.id, y.id)))
    if "zyte" in sources:
        zyte = load_zyte()
        docs = [d for d in zyte.docs if d.id in zyte.boilerplate]

        def zyte_bp(doc: Doc, rng: random.Random) -> tuple[list[str], list[str]]:
            return zyte.boilerplate[doc.id]

        pairs += _positives(docs, zyte_bp, seed, per_kind)
        pairs += _negatives(docs, zyte_bp, seed, per_kind)
        by_site: dict[str, list[Doc]] = defaultdict(list)
        for d in docs:
            by_site[d.site].append(d)
        for site_docs in by_site.values():  # pages of one host, each with its own real boilerplate
            for i, x in enumerate(site_docs):
                for y in site_docs[i + 1 :]:
                    rng = _rng(seed, "site-pair", x.id, y.id)
                    bx = fit_boilerplate(*zyte.boilerplate[x.id], boilerplate_budget(x.words, rng))
                    by = fit_boilerplate(*zyte.boilerplate[y.id], boilerplate_budget(y.words, rng))
                    a, b = with_boilerplate(x.paragraphs, *bx), with_boilerplate(y.paragraphs, *by)
                    pairs.append(Pair(a, b, False, "shared_boilerplate", "zyte", (x.id, y.id)))
    if "ecbplus" in sources:
        ecb = load_ecbplus()
        rng = _rng(seed, "ecb")
        # Articles of one *event* are often versions of one wire story (copies, or half copies:
        # their labels are a matter of judgement); the topic's other event never is.
        by_event: dict[str, list[Doc]] = defaultdict(list)
        for d in ecb:
            by_event[d.event or ""].append(d)
        topics = sorted({d.topic or "" for d in ecb})
        for i in range(per_kind):
            t = topics[i % len(topics)]
            x, y = (rng.choice(by_event[f"{t}_{half}"]) for half in rng.sample(["ecb", "ecbplus"], 2))
            pairs.append(Pair(x.text, y.text, False, "same_topic", "ecbplus", (x.id, y.id)))
        for i in range(per_kind):
            t = topics[i % len(topics)]
            x, y = (rng.choice(by_event[f"{t}_{half}"]) for half in rng.sample(["ecb", "ecbplus"], 2))
            if x.words >= 60:
                pairs.append(Pair(summary_of(x, rng), y.text, False, "summary_of_other", "ecbplus", (x.id, y.id)))

        def ecb_bp(doc: Doc, rng: random.Random) -> tuple[list[str], list[str]]:
            return written_boilerplate(doc.site, _rng(seed, "site", doc.site))

        pairs += _positives(sorted(ecb, key=lambda d: _rng(seed, "order", d.id).random()), ecb_bp, seed, per_kind)
    return pairs


def describe(pairs: Sequence[Pair]) -> str:
    """Counts per source and kind, one line."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for p in pairs:
        counts[p.source, p.kind] += 1
    order = sorted(counts, key=lambda sk: (sk[0], KINDS.index(sk[1])))
    return ", ".join(f"{s}/{k} {counts[s, k]}" for s, k in order)
