"""Categories and regions: the taxonomy, labels, text evidence, regions, story votes — and a quality gate.

The gate runs ``bench/categories.py``'s evaluation: accuracy on the categorized English Wikinews
articles of ``demo-news`` (text only; the Wikinews section mapped onto the taxonomy as that
benchmark documents) and on the ECB+ dev topics mapped there, each above a floor pinned when the
categorizer was written (lowering one needs a reason in the commit) and above the majority class.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

from newsdesk.pipeline.stories.categorize import (
    CATEGORIES,
    DEFAULT_CATEGORY,
    DESCRIPTIONS,
    REGIONS,
    Categorization,
    categorize,
    category_of_label,
    category_prototypes,
    regions_of,
    story_category,
)
from tests.conftest import load_bench

# As measured (text only): Wikinews 2004 0.795 (majority 0.658), the demo's Wikinews 2019-20 0.942
# (majority 0.433), ECB+ dev 0.980 (majority 0.564). The demo's multilingual blurbs need the
# embedder (0.82 with it, 0.56 without: most of their languages have no lexicon); bench/categories.py
# --embed measures that.
FLOORS = {"wikinews-en-2004": 0.76, "wikinews-en-2019-2020": 0.92, "ecbplus-dev": 0.95}
REGION_FLOORS = (0.82, 0.84)  # precision, recall on Wikinews' continent categories (0.867 / 0.886)


# --- taxonomy and labels ---------------------------------------------------------------------------


def test_taxonomy_is_fixed() -> None:
    assert CATEGORIES == (
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
    assert REGIONS == ("Africa", "Asia", "Europe", "Latin America", "Middle East", "North America", "Oceania")


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("Politique", "Politics"),
        ("Politics and conflicts", "Politics"),
        ("Wirtschaft", "Business"),
        ("Économie", "Business"),
        ("High-Tech", "Technology"),
        ("Tech News", "Technology"),
        ("NBA", "Sports"),
        ("Sport - Football", "Sports"),
        ("Cinéma", "Entertainment"),
        ("Santé", "Health"),
        ("Climate Change", "Climate/Environment"),
        ("Planète", "Climate/Environment"),
        ("News > World > Europe", "World"),
        ("Science", "Science"),
        ("USA | Texas", None),
        ("Brazil", None),
        ("", None),
    ],
)
def test_feed_labels_map_onto_the_taxonomy(label: str, category: str | None) -> None:
    assert category_of_label(label) == category


# --- text -------------------------------------------------------------------------------------------


# Stories a new user found misfiled on the demo (texts written for this test): a sailing race,
# a canonisation, a television programme; words a desk uses in two senses (French "navigateur" is
# a sailor and a web browser, "émission" a TV programme and an emission) must not decide alone.
MISFILED = [
    (
        "French skipper takes the lead in the round-the-world race",
        "The sailor took the lead of the solo non-stop round-the-world sailing race as the fleet entered the "
        "Southern Ocean; her yacht covered 500 nautical miles in 24 hours. Two competitors have retired.",
        "en",
        "Sports",
    ),
    (
        "La navigatrice prend la tête du tour du monde",
        "La navigatrice a pris la tête de la course à la voile en solitaire autour du monde ; son bateau a "
        "parcouru 500 milles en 24 heures. Deux concurrents ont abandonné.",
        "fr",
        "Sports",
    ),
    (
        "Pope canonises two missionaries",
        "The Pope declared two missionaries saints at a canonisation Mass attended by thousands of pilgrims; "
        "the Vatican had recognised a second miracle, the healing of a child with a tumour.",
        "en",
        "World",
    ),
    (
        "Le pape canonise deux religieuses",
        "Le pape a proclamé saintes deux religieuses lors d'une messe de canonisation devant des milliers de "
        "fidèles ; le Vatican avait reconnu un miracle.",
        "fr",
        "World",
    ),
    (
        "New quiz programme to air this autumn",
        "The broadcaster commissioned a Saturday-night quiz show with a former newsreader as presenter; eight "
        "episodes will air on its main channel and the format drew four million viewers abroad.",
        "en",
        "Entertainment",
    ),
    (
        "Une nouvelle émission de télévision",
        "La chaîne lance une émission de jeu présentée par une ancienne présentatrice, diffusée le samedi soir ; "
        "le programme compte huit épisodes et vise une forte audience.",
        "fr",
        "Entertainment",
    ),
]


@pytest.mark.parametrize(("title", "text", "language", "category"), MISFILED)
def test_stories_once_misfiled(title: str, text: str, language: str, category: str) -> None:
    assert categorize(title, text, language).category == category


@pytest.mark.parametrize(
    ("title", "text", "language", "category"),
    [
        (
            "Parliament passes budget after opposition walkout",
            "The prime minister's coalition won the vote 212 to 190 after opposition lawmakers left the chamber.",
            "en",
            "Politics",
        ),
        (
            "Gunman kills three in shopping centre",
            "Police arrested a suspect after a shooting left three people dead; the victims were shoppers.",
            "en",
            "World",
        ),
        (
            "Chipmaker to buy rival for $12 billion",
            "The acquisition lifted the company's shares 8% as investors welcomed the merger; revenue rose.",
            "en",
            "Business",
        ),
        (
            "Browser update fixes zero-day flaw",
            "The software patch closes a vulnerability that hackers used to install malware on computers.",
            "en",
            "Technology",
        ),
        (
            "Telescope finds water on a distant planet",
            "Astronomers using the space telescope detected water vapour in the planet's atmosphere.",
            "en",
            "Science",
        ),
        (
            "Measles outbreak spreads as vaccination falls",
            "Hospitals reported 300 cases; doctors urged parents to vaccinate children against the disease.",
            "en",
            "Health",
        ),
        (
            "Late goal sends champions into the cup final",
            "The striker scored in stoppage time and the coach praised his team after the semifinal match.",
            "en",
            "Sports",
        ),
        (
            "Singer's new album tops the charts",
            "The album, her first in five years, follows a world concert tour and a film soundtrack.",
            "en",
            "Entertainment",
        ),
        (
            "Emissions must fall faster to limit global warming",
            "Greenhouse gas emissions from coal keep rising, the climate report says; glaciers are melting.",
            "en",
            "Climate/Environment",
        ),
        (
            "Le Sénat adopte la réforme des retraites",
            "Les sénateurs ont voté le projet de loi du gouvernement ; l'opposition de gauche dénonce le scrutin.",
            "fr",
            "Politics",
        ),
        (
            "Le PSG remporte le championnat",
            "L'équipe de l'entraîneur a battu Lyon 3-1 ; l'attaquant a marqué deux buts lors de ce match.",
            "fr",
            "Sports",
        ),
        (
            "Une canicule record menace la biodiversité",
            "Le réchauffement climatique et la sécheresse frappent les forêts, alertent les écologistes.",
            "fr",
            "Climate/Environment",
        ),
    ],
)
def test_text_decides_when_no_label_is_given(title: str, text: str, language: str, category: str) -> None:
    result = categorize(title, text, language)
    assert result.category == category, result
    assert result.evidence == "text"
    assert 0 < result.confidence <= 1


def test_nothing_to_go_on_is_world_news() -> None:
    result = categorize("A quiet day", "Nothing much happened here.", "en")
    assert result == Categorization(DEFAULT_CATEGORY, result.confidence, (), "default")
    assert categorize(None, None, None).category == DEFAULT_CATEGORY
    assert categorize("", "", "xx", ["", "???"], "").category == DEFAULT_CATEGORY


def test_a_specialist_feed_label_outweighs_weak_text() -> None:
    title, text = "A big night in Madrid", "Fans celebrated in the streets until morning."
    assert categorize(title, text, "en").category != "Sports"
    result = categorize(title, text, "en", feed_categories=["Football", "La Liga"])
    assert (result.category, result.evidence) == ("Sports", "feed")
    assert categorize(title, text, "en", source_category="Soccer").category == "Sports"


def test_a_general_label_does_not_override_the_text() -> None:
    result = categorize(
        "Central bank raises interest rates",
        "Inflation pushed the central bank to raise its rate; markets and shares fell.",
        "en",
        feed_categories=["World", "News"],
        source_category="World",
    )
    assert result.category == "Business"


def test_other_languages_fall_back_on_the_english_lexicon_and_never_crash() -> None:
    assert categorize("NASA verschiebt Mondmission", "Die NASA und ihr Astronaut …", "de").category == "Science"
    for title, text, language in [
        ("이재명 대통령, 워싱턴 방문", "이재명 대통령은 워싱턴에서 트럼프 대통령과 만났다.", "ko"),
        ("习近平访问法国", "中国国家主席习近平抵达巴黎。", "zh"),
        ("الرئيس الفرنسي يزور القاهرة", "وصل الرئيس الفرنسي إلى القاهرة.", "ar"),
    ]:
        assert categorize(title, text, language).category in CATEGORIES


# --- regions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "language", "regions"),
    [
        ("Floods in Lagos", "Heavy rain flooded Lagos, Nigeria's largest city, on Monday.", "en", ("Africa",)),
        (
            "Séisme au Chili",
            "Un séisme a frappé Santiago ; les Chiliens sont sortis dans la rue.",
            "fr",
            ("Latin America",),
        ),
        (
            "Seoul and Washington agree on tariffs",
            "South Korea and the United States agreed after talks in Washington.",
            "en",
            ("Asia", "North America"),
        ),
        (
            "이재명 대통령, 서울 떠나 워싱턴 방문",
            "이재명 대통령은 서울에서 출발해 워싱턴에 도착했다.",
            "ko",
            ("Asia", "North America"),
        ),
        ("東京で地震", "東京で強い地震があった。", "ja", ("Asia",)),
        ("Tsunami warning across the Indian Ocean", "Warnings were issued for the Indian Ocean.", "en", ()),
        ("Nice weather ahead", "Nice weather is expected this weekend across the country.", "en", ()),
        ("Talks in Nice", "Leaders met in Nice on Friday.", "en", ("Europe",)),
    ],
)
def test_regions_from_places_names_and_demonyms(title: str, text: str, language: str, regions: tuple[str, ...]) -> None:
    assert set(regions_of(title, text, language)) == set(regions)


def test_regions_from_labels() -> None:
    assert regions_of("Storm hits", "A storm hit the coast.", "en", ["USA | Texas"]) == ("North America",)
    assert "Middle East" in categorize("Talks resume", "Negotiators met.", "en", ["Middle East"]).regions


# --- stories ----------------------------------------------------------------------------------------


def test_story_category_is_a_confidence_weighted_vote() -> None:
    articles = [
        Categorization("Politics", 0.8, ("Europe",), "text"),
        Categorization("Politics", 0.6, ("Europe", "Africa"), "text"),
        Categorization("World", 0.3, ("Europe",), "default"),
    ]
    story = story_category(articles)
    assert story.category == "Politics" and story.evidence == "vote"
    assert story.regions[0] == "Europe"
    assert story_category([]).category == DEFAULT_CATEGORY


# --- embeddings (optional evidence) -------------------------------------------------------------------


class _BagOfWords:
    """A stand-in embedder with real vectors: hashed words, L2-normalised (no model needed)."""

    def embed(self, texts: Any) -> np.ndarray[Any, np.dtype[np.float32]]:
        rows = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().replace(",", " ").replace(":", " ").split():
                rows[i, sum(map(ord, word)) % 64] += 1.0
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
        return rows


def test_zero_shot_vectors_add_evidence() -> None:
    embedder = _BagOfWords()
    prototypes = category_prototypes(embedder)
    assert prototypes.matrix.shape == (sum(map(len, DESCRIPTIONS.values())), 64)
    assert sorted(set(prototypes.owners)) == list(range(len(CATEGORIES)))
    title, text = "Tuesday evening", "A long evening of talk and waiting."
    vector = embedder.embed(["match team player coach league championship football basketball"])[0]
    without = categorize(title, text, "en")
    with_vector = categorize(title, text, "en", vector=vector, prototypes=prototypes)
    assert without.category == DEFAULT_CATEGORY
    assert (with_vector.category, with_vector.evidence) == ("Sports", "embedding")


# --- quality gate -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    module = load_bench("categories")
    for path in (module.WIKINEWS_FILE, module.ECBPLUS_FILE, module.WIKINEWS_2019_FILE):
        if not path.exists():
            pytest.skip(f"benchmark data not found: {path} (the shared data sits beside the repository)")
    return module


@pytest.mark.slow
@pytest.mark.parametrize("dataset", sorted(FLOORS))
def test_accuracy_stays_above_its_floor_and_the_majority_class(bench: ModuleType, dataset: str) -> None:
    loaders = {
        "wikinews-en-2004": bench.load_wikinews,
        "wikinews-en-2019-2020": bench.load_wikinews_2019,
        "ecbplus-dev": bench.load_ecbplus,
    }
    items = loaders[dataset]()
    accuracy = bench.accuracy(items, lambda i: categorize(i.title, i.text, "en").category)
    _, majority = bench.majority(items)
    assert accuracy >= FLOORS[dataset], accuracy
    assert accuracy > majority + 0.1, (accuracy, majority)


@pytest.mark.slow
def test_region_precision_and_recall(bench: ModuleType) -> None:
    precision, recall, n = bench.region_scores(bench.load_wikinews())
    assert n >= 30
    assert precision >= REGION_FLOORS[0] and recall >= REGION_FLOORS[1], (precision, recall)
