"""Stage: article → one category of a fixed taxonomy, and the world regions it is about.

Taxonomy
========

Every article and story gets exactly one **category**:

=====================  ======================================================================
category               what belongs there
=====================  ======================================================================
World                  general and international news that has no specialist desk: wars and
                       armed conflict, terrorism, crime and justice (arrests, trials, courts),
                       disasters and accidents (earthquakes, storms, fires, crashes), refugees
                       and humanitarian crises, religion, society. Also the default when
                       nothing is clear.
Politics               government and the contest for power: elections, parliaments, parties,
                       heads of state and ministers, legislation, diplomacy and summits.
Business               the economy, markets, companies and deals, jobs, trade, prices, energy
                       and commodity business, personal finance.
Technology             computing, the internet, software and hardware, telecoms, artificial
                       intelligence, cybersecurity, consumer electronics, video games.
Science                research and discovery: space and astronomy, physics, chemistry,
                       biology, archaeology, earth sciences.
Health                medicine, diseases and epidemics, public health, hospitals and care,
                       drugs and vaccines, nutrition, mental health.
Sports                professional and amateur sport of every kind (sailing and chess too),
                       athletes, results.
Entertainment         film, television, music, books, the arts, celebrities, fashion, culture.
Climate/Environment   climate change, emissions, pollution, energy transition, biodiversity,
                       wildlife and conservation, environmental policy.
=====================  ======================================================================

and zero to three **regions**, most prominent first: Africa, Asia, Europe, Latin America, Middle
East, North America, Oceania. Conventions (those of most news sites): Mexico, Central America and
the Caribbean are Latin America; Egypt is the Middle East and the rest of North Africa is Africa;
Turkey, Russia and the Caucasus are Europe; Afghanistan and Pakistan are Asia; Australia, New
Zealand and the Pacific islands are Oceania. A story about one country's domestic affairs gets that
country's region too (a US election is Politics + North America).

How it is decided
=================

Evidence, strongest first, all optional but the text:

1. the feed's own category strings (``<category>`` in RSS, ``term`` in Atom) and the source's
   catalog category, mapped onto the taxonomy from their many spellings and languages
   (``data/categories.txt``, ``labels`` lines: "Politique", "Wirtschaft", "NBA", "High-Tech",
   "Politics and conflicts", a path such as "News > World > Europe"…); a general label ("News",
   "World", "International") is weak evidence, a specialist one strong;
2. the text: a weighted lexicon per category in English and French (``terms`` lines: 60 to 130
   lemmas and phrases per category and language, matched on lemmas, the headline counting three
   times), other languages fall back on the English lexicon (names like NASA, FIFA, Microsoft
   carry across);
3. optionally, an embedding of the article compared with embeddings of each category's
   descriptions (zero-shot), when the pipeline passes the article's vector and
   :func:`category_prototypes` built with the same embedder. A category has one description
   per kind of story it files (World: wars, attacks, crime, disasters, accidents, religion…),
   and counts by its closest one; its weight (``EMBEDDING_SCALE``) was chosen by 5-fold
   cross-validation grouped by event (``bench/categories.py --embed --cv``).
   Lexicon words a desk uses in two senses count only in a phrase that settles the sense
   (French ``émission de CO2``, ``navigateur web``).

Regions come from a gazetteer (``data/places.tsv``: every country with its names in several
languages and scripts, demonyms, capitals, major cities and subdivisions, and a few bodies that
locate a story — Kremlin, Hamas, Wall Street) matched in the headline (three times the weight) and
the opening of the text, and from region names in feed and catalog labels ("USA | Texas").

Measured (``python bench/categories.py --embed``), text only / with the zero-shot vectors of the
default embedder: on the 73 categorized English Wikinews 2004 articles of ``demo-news`` 0.795 / 0.863
(majority class 0.658); on the demo's 293 Wikinews 2019–20 articles, hand-labelled, 0.942 / 0.976
(majority 0.433); on its 3,546 "In the news" blurbs in 55 languages (312 events, hand-labelled)
0.557 / 0.820 (majority 0.456: most of these languages have no lexicon, the embedder carries them);
on 590 ECB+ dev articles of 26 hand-mapped topics 0.980 / 0.975 (majority 0.564). Regions against
Wikinews' continent categories: precision 0.87, recall 0.89. About 0.4 ms of CPU an article.

Everything here is pure and deterministic; :func:`categorize` never raises on any text.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from newsdesk.pipeline.stories.language import KOREAN_PARTICLES, base_language, data_text, fold, lemma, stopwords
from newsdesk.pipeline.stories.places import Place, demonym_stem, gazetteer, place

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "CATEGORIES",
    "DEFAULT_CATEGORY",
    "REGIONS",
    "Categorization",
    "CategoryPrototypes",
    "categorize",
    "category_of_label",
    "category_prototypes",
    "regions_of",
    "story_category",
    "text_scores",
]

CATEGORIES = (
    "World",
    "Politics",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Sports",
    "Entertainment",
    "Climate/Environment",
)
REGIONS = ("Africa", "Asia", "Europe", "Latin America", "Middle East", "North America", "Oceania")
DEFAULT_CATEGORY = "World"

# Text read: the headline and the opening of the body, where news states its subject.
MAX_CHARS = 4_000
TITLE_WEIGHT = 3.0
# Below this text score nothing speaks for a specialist desk: the article is World news.
MIN_TEXT_SCORE = 2.0
# How much a feed or catalog label adds to its category's text score.
LABEL_WEIGHT_SPECIFIC = 8.0
LABEL_WEIGHT_GENERAL = 1.5
SOURCE_WEIGHT_SPECIFIC = 4.0
# Weights of one gazetteer mention by kind, and the regions' cut-offs.
PLACE_WEIGHTS = {"country": 1.0, "city": 1.0, "org": 0.7, "demonym": 0.5, "region": 1.0}
MIN_REGION_SCORE = 1.0
REGION_SHARE = 0.35
MAX_REGIONS = 3
# Zero-shot: cosine above the mean of the categories, scaled into text-score units.
EMBEDDING_SCALE = 60.0

GENERAL_LABELS = frozenset({"World"})
# Place names that are also common words: at a sentence start, their capital proves nothing.
AMBIGUOUS_PLACES = frozenset(
    [
        "nice",
        "turkey",
        "chad",
        "china",
        "jordan",
        "guinea",
        "cork",
        "sucre",
        "lima",
        "mobile",
        "victoria",
        "kent",
        "sale",
    ]
)

_WORD = re.compile(r"(?:\b[A-Z]\.){2,}|[^\W_]+(?:['’\-][^\W_]+)*|[.!?:;\n]")
_SPLIT_LABEL = re.compile(r"\s*(?:[/|>»:;,]|\s-\s|\s–\s)\s*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")


@dataclass(frozen=True, slots=True)
class Categorization:
    """An article's or story's category (one of :data:`CATEGORIES`) and regions (of :data:`REGIONS`).

    ``confidence`` is in [0, 1]: the share of the evidence that speaks for the category;
    ``evidence`` says what decided: ``feed``, ``source``, ``text``, ``embedding`` or ``default``.
    """

    category: str
    confidence: float
    regions: tuple[str, ...] = ()
    evidence: str = "text"


# --- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lexicon:
    labels: Mapping[str, str]  # folded label → category
    first: Mapping[str, tuple[tuple[tuple[str, ...], str, float], ...]]  # first word → (words, category, weight)


@functools.cache
def _lexicon(language: str) -> _Lexicon:
    labels: dict[str, str] = {}
    terms: dict[str, list[tuple[tuple[str, ...], str, float]]] = defaultdict(list)
    lexicon_lang = language if language in _lexicon_languages() else "en"
    stops = stopwords(lexicon_lang)
    for raw in data_text("categories.txt").splitlines():
        if raw.startswith("#") or ":" not in raw:
            continue
        head, rest = raw.split(":", 1)
        parts = head.split()
        if parts[0] == "labels":
            category = " ".join(parts[1:])
            for label in rest.split(","):
                if label.strip():
                    labels.setdefault(fold(label.strip()), category)
        elif parts[0] == "terms" and parts[-1] == lexicon_lang:
            category = " ".join(parts[1:-1])
            for item in rest.split(","):
                term, _, weight = item.strip().partition("^")
                if term:
                    words = tuple(_term_key(w.group(), lexicon_lang) for w in _WORD.finditer(term))
                    if len(words) == 1 and words[0] in stops:
                        continue  # a pronoun's lemma, never evidence
                    terms[words[0]].append((words, category, float(weight or 1.0)))
    return _Lexicon(labels=labels, first={k: tuple(sorted(v, key=lambda t: -len(t[0]))) for k, v in terms.items()})


@functools.cache
def _lexicon_languages() -> frozenset[str]:
    found = set()
    for raw in data_text("categories.txt").splitlines():
        if raw.startswith("terms ") and ":" in raw:
            found.add(raw.split(":", 1)[0].split()[-1])
    return frozenset(found)


@functools.lru_cache(maxsize=200_000)
def _term_key(word: str, language: str) -> str:
    """A word as the lexicon matches it: lemma, folded. Words of three letters or fewer are kept
    as written, lemmatisers get them wrong (``ai`` → ``be``, ``aids`` → ``aid``)."""
    low = word.lower()
    return fold(low if len(low) <= 3 else lemma(low, language))


# --- labels ---------------------------------------------------------------------------------------


def category_of_label(label: str | None) -> str | None:
    """The taxonomy category a feed or catalog label names, if any (``"Économie"`` → ``Business``).

    The whole label is tried first, then its parts from the most specific (``"News > World >
    Europe"`` → World), then, for labels of up to three words, each word (``"Tech News"``).
    """
    if not label:
        return None
    labels = _lexicon("en").labels
    whole = fold(label.strip())
    if whole in labels:
        return labels[whole]
    # Parts from the most specific, then single words; a specialist desk beats a general one.
    parts = [p for p in reversed(_SPLIT_LABEL.split(whole)) if p]
    words = whole.split() if len(whole.split()) <= 3 else []
    found = [labels[p] for p in [*parts, *reversed(words)] if p in labels]
    specific = [c for c in found if c not in GENERAL_LABELS]
    if specific:
        return specific[0]
    return found[0] if found else None


def _label_regions(label: str) -> list[str]:
    out = []
    for part in _SPLIT_LABEL.split(label):
        found = place(part.strip()) if part.strip() else None
        if found is not None and found.region:
            out.append(found.region)
    return out


# --- text -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    """A headline and text as tokens, read once for both the category and the regions."""

    words: tuple[str, ...]  # as written
    lows: tuple[str, ...]  # folded
    forced: tuple[bool, ...]  # capital forced by position (sentence start, title-cased headline)
    title_words: int  # the first title_words tokens are the headline's


def _read(title: str | None, text: str | None) -> _Text:
    title = title or ""
    words: list[str] = []
    forced: list[bool] = []
    long_words = re.findall(r"[^\W\d_]{4,}", title)
    title_case = len(long_words) >= 2 and sum(w[0].isupper() for w in long_words) / len(long_words) > 0.6
    title_words = 0
    for chunk, is_title in ((title, True), ((text or "")[:MAX_CHARS], False)):
        start = True
        for word in _WORD.findall(chunk):
            if word in _BREAKS:
                start = True
                continue
            words.append(word)
            forced.append(start or (is_title and title_case))
            start = False
        if is_title:
            title_words = len(words)
    lows = tuple(fold(w).replace(".", "") for w in words)
    return _Text(tuple(words), lows, tuple(forced), title_words)


_BREAKS = frozenset(".!?:;\n")


def text_scores(title: str | None, text: str | None, language: str | None) -> dict[str, float]:
    """Lexicon score of each category for a text (zero for categories without evidence)."""
    return _text_scores(_read(title, text), base_language(language))


def _text_scores(doc: _Text, lang: str) -> dict[str, float]:
    lex = _lexicon(lang)
    lexicon_lang = lang if lang in _lexicon_languages() else "en"
    keys = [_term_key(w, lexicon_lang) for w in doc.words]
    hits: dict[tuple[tuple[str, ...], str], list[float]] = {}
    i = 0
    n = len(keys)
    while i < n:
        options = lex.first.get(keys[i])
        matched = 1
        if options:
            for words, category, weight in options:  # longest first
                size = len(words)
                if size < matched:
                    break
                if size == 1 or tuple(keys[i : i + size]) == words:
                    entry = hits.setdefault((words, category), [weight, 0.0, 0.0])
                    entry[1 if i < doc.title_words else 2] += 1
                    matched = size
        i += matched
    scores: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
    for (_, category), (weight, in_title, in_body) in hits.items():
        scores[category] += weight * (TITLE_WEIGHT * min(in_title, 1) + math.sqrt(in_body))
    return scores


def regions_of(
    title: str | None, text: str | None, language: str | None = None, labels: Iterable[str] = ()
) -> tuple[str, ...]:
    """The regions an article is about, most prominent first (at most three)."""
    return _regions(_read(title, text), base_language(language), labels, title or "", (text or "")[:MAX_CHARS])


def _regions(doc: _Text, lang: str, labels: Iterable[str], title: str, body: str) -> tuple[str, ...]:
    scores: dict[str, float] = defaultdict(float)
    for label in labels:
        for region in _label_regions(label):
            scores[region] += 3.0
    gaz = gazetteer()
    words, lows = doc.words, doc.lows
    n = len(lows)
    i = 0
    while i < n:
        found: Place | None = None
        size = 1
        for length in gaz.lengths.get(lows[i], ()):
            if i + length > n:
                continue
            entry = gaz.names.get(lows[i : i + length])
            if entry is None or not any(_looks_like_name(w) for w in words[i : i + length]):
                continue
            if length == 1 and doc.forced[i] and lows[i] in AMBIGUOUS_PLACES:
                continue
            found, size = entry, length
            break
        if found is None:
            word = words[i]
            if _HANGUL.match(word):
                found = _hangul_place(word)
            elif lows[i] in gaz.demonym_forms and (word[0].isupper() or lang not in ("en", "de")):
                found = gaz.demonym_forms[lows[i]]
            elif word[0].isalpha() and (word[0].isupper() or lang not in ("en", "de")):
                found = _demonym(lows[i])
        if found is not None and found.region:
            scores[found.region] += PLACE_WEIGHTS[found.kind] * (TITLE_WEIGHT if i < doc.title_words else 1.0)
        i += size
    if gaz.cjk_pattern is not None and _CJK.search(title + body):
        for chunk, factor in ((title, TITLE_WEIGHT), (body, 1.0)):
            for m in gaz.cjk_pattern.finditer(chunk):
                entry = gaz.cjk[m.group()]
                if entry.region:
                    scores[entry.region] += PLACE_WEIGHTS[entry.kind] * factor
    if not scores:
        return ()
    top = max(scores.values())
    ranked = sorted(scores, key=lambda r: (-scores[r], r))
    return tuple(r for r in ranked if scores[r] >= max(MIN_REGION_SCORE, REGION_SHARE * top))[:MAX_REGIONS]


@functools.lru_cache(maxsize=100_000)
def _demonym(low: str) -> Place | None:
    return gazetteer().demonyms.get(demonym_stem(low)) if len(low) > 3 else None


def _looks_like_name(word: str) -> bool:
    """Capitalised, or written in a script without case (Hangul, Arabic, Chinese)."""
    first = word[0]
    return first.isupper() or (first.isalpha() and first.lower() == first.upper())


def _hangul_place(word: str) -> Place | None:
    gaz = gazetteer()
    for particle in KOREAN_PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            found = gaz.names.get((word[: -len(particle)],))
            if found is not None:
                return found
    return None


# --- zero-shot over embeddings (optional) ------------------------------------------------------------


class _Embedder(Protocol):
    """What :func:`category_prototypes` needs of :class:`newsdesk.ai.embed.Embedder`."""

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


# Several short descriptions per category, one per kind of story it files (English and French; the
# multilingual embedder carries them across languages). A category is as close to an article as its
# closest description: broad desks (World, Sports, Entertainment) gather stories that do not look
# alike — a sailing race and a cup final, a canonisation and a bombing — and one averaged description
# sits near none of them.
DESCRIPTIONS: Mapping[str, tuple[str, ...]] = {
    "World": (
        "War and armed conflict: troops, missiles, air strikes, invasion, rebels, ceasefire, refugees.",
        "Guerre et conflit armé : armée, frappes, missiles, invasion, rebelles, cessez-le-feu, réfugiés.",
        "Terrorist attack, bombing, mass shooting: gunman kills people, police hunt suspects.",
        "Attentat, explosion, fusillade : un tireur tue des passants, la police recherche les suspects.",
        "Crime and justice: police arrest, murder, robbery, trial in court, verdict, prison sentence.",
        "Faits divers et justice : arrestation, meurtre, vol, procès, verdict, condamnation à la prison.",
        "Disaster: earthquake, flood, hurricane, storm, wildfire, landslide kills dozens, rescuers search.",
        "Catastrophe : séisme, inondation, ouragan, tempête, incendie, glissement de terrain, victimes.",
        "Accident: plane crash, train collision, bus crash, shipwreck, building collapse, fire, deaths.",
        "Accident : crash d'avion, collision de trains, accident de car, naufrage, effondrement, incendie.",
        "Religion: the Pope, the Vatican, church, bishops, saints, canonisation, mosque, pilgrims, faith.",
        "Religion : le pape, le Vatican, l'Église, les évêques, canonisation d'un saint, pèlerins, fidèles.",
        "Protests, riots, migrants and human rights; society, demonstrations, police clashes.",
    ),
    "Politics": (
        "Election: voters, ballot, candidates, campaign, results, wins the presidential election.",
        "Élection : électeurs, scrutin, candidats, campagne, résultats, élu président au second tour.",
        "Government and parliament: prime minister, ministers, cabinet, law passed, resignation, coalition.",
        "Gouvernement et parlement : Premier ministre, ministres, loi votée, démission, coalition, députés.",
        "Diplomacy: summit of leaders, foreign minister, treaty, sanctions, embassy, talks between countries.",
        "Diplomatie : sommet, ministre des Affaires étrangères, traité, sanctions, ambassade, négociations.",
        "A head of state or former leader: president, king, queen, prime minister dies, is impeached or sworn in.",
    ),
    "Business": (
        "Business and economy: markets, stocks, company earnings, acquisition, banks, inflation, jobs, trade.",
        "Économie : marchés, bourse, entreprise, résultats, rachat, banque, inflation, emploi, commerce.",
        "Bank collapse, financial crisis, central bank interest rates, currency, the euro, recession.",
        "Company news: chief executive, merger, takeover, factory, airline, carmaker, strike, layoffs.",
    ),
    "Technology": (
        "Technology: software, internet, computers, smartphones, artificial intelligence, cybersecurity, chips.",
        "Technologie : logiciel, internet, informatique, smartphone, intelligence artificielle, cybersécurité.",
        "Tech companies and apps: Apple, Google, Microsoft, Facebook, social media, hackers, data breach.",
        "Video games, consoles, gaming, esports tournaments.",
    ),
    "Science": (
        "Science: research, scientists, study published in a journal, discovery, physics, biology, chemistry.",
        "Science : recherche, chercheurs, étude publiée, découverte, physique, biologie, chimie.",
        "Space: NASA, rocket launch, spacecraft, astronauts, space station, Moon, Mars, asteroid, telescope.",
        "Espace : fusée, lancement, vaisseau spatial, astronautes, station spatiale, Lune, astéroïde.",
        "Archaeology, fossils, dinosaurs, ancient remains, evolution, animal species studied by biologists.",
        "Nobel Prize in physics or chemistry awarded to scientists.",
    ),
    "Health": (
        "Health: medicine, disease, hospital, doctors, patients, vaccine, epidemic, cancer, public health.",
        "Santé : médecine, maladie, hôpital, médecins, patients, vaccin, épidémie, cancer.",
        "Pandemic: COVID-19 cases and deaths, virus infections, lockdown, vaccination, outbreak.",
    ),
    "Sports": (
        "Sports: match, team, player, coach, league, championship, football, basketball, tennis, Olympics.",
        "Sport : match, équipe, joueur, entraîneur, championnat, football, tennis, Jeux olympiques.",
        "A race: sailing, yacht, skipper, regatta, cycling, marathon, motor racing, Formula One, skiing.",
        "Une course : voile, navigateur, skipper, régate, cyclisme, marathon, Formule 1, ski.",
        "Athlete wins the final, gold medal, world record, world cup title, tournament champion.",
    ),
    "Entertainment": (
        "Entertainment and culture: film, movie stars, music, album, concert, television, celebrities, arts.",
        "Culture et divertissement : cinéma, acteurs, musique, album, concert, télévision, célébrités.",
        "Television: a TV programme, show, series, presenter, broadcaster, channel, viewers, episode.",
        "Télévision : émission, série, présentateur, chaîne, téléspectateurs, audience, épisode.",
        "Awards: Oscars, film festival, best picture; a singer, actor or writer dies; a novel, literature prize.",
    ),
    "Climate/Environment": (
        "Environment and climate change: emissions, pollution, wildlife, endangered species, conservation.",
        "Environnement et climat : réchauffement, émissions, pollution, biodiversité, espèces menacées.",
        "Climate activists protest; oil spill, deforestation, renewable energy, carbon, global warming.",
    ),
}


@dataclass(frozen=True, slots=True)
class CategoryPrototypes:
    """The categories' descriptions embedded, one row each, and which category each row describes.

    ``owners[i]`` is the index in :data:`CATEGORIES` of ``matrix[i]``'s category.
    """

    matrix: NDArray[np.float32]
    model_id: str = ""
    owners: tuple[int, ...] = ()


def category_prototypes(embedder: _Embedder, model_id: str = "") -> CategoryPrototypes:
    """Embed the category descriptions once per process; pass the result to :func:`categorize`."""
    import numpy as np

    texts = [d for c in CATEGORIES for d in DESCRIPTIONS[c]]
    owners = tuple(i for i, c in enumerate(CATEGORIES) for _ in DESCRIPTIONS[c])
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    matrix = vectors / np.where(norms > 0, norms, 1.0)
    return CategoryPrototypes(matrix=matrix.astype(np.float32), model_id=model_id, owners=owners)


def _embedding_scores(vector: NDArray[np.float32], prototypes: CategoryPrototypes) -> dict[str, float]:
    """Each category's closest description, above the mean of the categories, in text-score units."""
    sims = prototypes.matrix @ vector
    owners = prototypes.owners or tuple(range(len(CATEGORIES)))
    best = [-1.0] * len(CATEGORIES)
    for owner, sim in zip(owners, sims.tolist(), strict=True):
        best[owner] = max(best[owner], sim)
    mean = sum(best) / len(best)
    return {c: max(0.0, s - mean) * EMBEDDING_SCALE for c, s in zip(CATEGORIES, best, strict=True)}


# --- decision -------------------------------------------------------------------------------------


def categorize(
    title: str | None,
    text: str | None,
    language: str | None,
    feed_categories: Sequence[str] = (),
    source_category: str | None = None,
    *,
    vector: NDArray[np.float32] | None = None,
    prototypes: CategoryPrototypes | None = None,
) -> Categorization:
    """Category and regions of one article (see the module docstring for the taxonomy and evidence)."""
    lang = base_language(language)
    doc = _read(title, text)
    scores = _text_scores(doc, lang)
    evidence: dict[str, str] = {}
    best_text = max(scores.values())
    if vector is not None and prototypes is not None:
        for category, value in _embedding_scores(vector, prototypes).items():
            scores[category] += value
    feed_votes = Counter(c for c in map(category_of_label, feed_categories) if c)
    for category, votes in feed_votes.items():
        weight = LABEL_WEIGHT_GENERAL if category in GENERAL_LABELS else LABEL_WEIGHT_SPECIFIC
        scores[category] += weight * (1 + math.log(votes))
        evidence[category] = "feed"
    source = category_of_label(source_category)
    if source and source not in GENERAL_LABELS:
        scores[source] += SOURCE_WEIGHT_SPECIFIC
        evidence.setdefault(source, "source")
    labels = [*feed_categories, *([source_category] if source_category else [])]
    regions = _regions(doc, lang, labels, title or "", (text or "")[:MAX_CHARS])

    ranked = sorted(CATEGORIES, key=lambda c: (-scores[c], CATEGORIES.index(c)))
    top = ranked[0]
    total = sum(v for v in scores.values() if v > 0)
    if scores[top] < MIN_TEXT_SCORE:
        confidence = 0.3 if scores[top] <= 0 else round(0.3 + 0.2 * scores[top] / MIN_TEXT_SCORE, 3)
        if top != DEFAULT_CATEGORY:
            return Categorization(DEFAULT_CATEGORY, 0.3, regions, "default")
        return Categorization(DEFAULT_CATEGORY, confidence, regions, "default")
    confidence = round(scores[top] / (total + 1.0), 3)
    if top in evidence:
        how = evidence[top]
    elif vector is not None and prototypes is not None and scores[top] > best_text:
        how = "embedding"
    else:
        how = "text"
    return Categorization(top, confidence, regions, how)


def story_category(articles: Sequence[Categorization]) -> Categorization:
    """A story's category by its articles' vote (weighted by confidence), and its common regions.

    A region is kept when at least a third of the articles name it (or, for one or two
    articles, when any does), most frequent first.
    """
    if not articles:
        return Categorization(DEFAULT_CATEGORY, 0.0, (), "default")
    votes: dict[str, float] = defaultdict(float)
    for c in articles:
        votes[c.category] += max(c.confidence, 0.05)
    ranked = sorted(votes, key=lambda c: (-votes[c], CATEGORIES.index(c) if c in CATEGORIES else 99))
    top = ranked[0]
    region_votes: Counter[str] = Counter(r for c in articles for r in c.regions)
    need = max(1, math.ceil(len(articles) / 3)) if len(articles) > 2 else 1
    regions = tuple(r for r, n in sorted(region_votes.items(), key=lambda item: (-item[1], item[0])) if n >= need)[
        :MAX_REGIONS
    ]
    confidence = round(votes[top] / sum(votes.values()), 3)
    return Categorization(top, confidence, regions, "vote")
