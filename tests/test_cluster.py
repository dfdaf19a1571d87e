"""Story clustering: quality gates on ECB+ and MStream, translations, and the clusterer's contract.

The gates run ``bench/cluster_quality.py``'s own loaders and metrics (one definition of the
scores) on the shared dev splits and pin floors; lowering one needs a reason in the commit. The
unit tests use sentences written for this file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from newsdesk.model import StoryAssignment, StoryIntent, StoryMerge
from newsdesk.pipeline.stories.cluster import ClusterDoc, ClusterParams, StoredArticle, StoryClusterer
from newsdesk.pipeline.stories.cluster_text import doc_features, tokens
from tests.conftest import load_bench

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ECB = SHARED_DATA / "ecbplus-event-clustering" / "articles.dev.jsonl"
MSTREAM = SHARED_DATA / "mstream-news-clustering" / "news.dev.jsonl"

# Measured (lexical, no embeddings): ECB+ dev B³-F1 0.945, NMI 0.979; MStream dev NMI 0.880
# (bench/cluster_quality.py, docs/benchmarks.md); floors a little under (raised 2026-12-03 from
# 0.88 / 0.95 / 0.83, the first issue's targets).
ECB_B3_F1_FLOOR = 0.93
ECB_NMI_FLOOR = 0.97
MSTREAM_NMI_FLOOR = 0.87

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """bench/cluster_quality.py holds the one definition of the metrics; the gate reuses it."""
    return load_bench("cluster_quality")


# -- quality gates ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not ECB.exists(), reason=f"shared ECB+ data not found at {ECB}")
def test_ecbplus_gate(bench: ModuleType) -> None:
    docs, gold = bench.load_ecb(ECB)
    scores = bench.score(gold, bench.cluster_labels(docs))
    assert scores.b3_f1 >= ECB_B3_F1_FLOOR, scores
    assert scores.nmi >= ECB_NMI_FLOOR, scores
    baseline = bench.score(gold, bench.baseline_labels(docs))
    assert scores.b3_f1 > baseline.b3_f1
    assert scores.nmi > baseline.nmi


@pytest.mark.slow
@pytest.mark.skipif(not MSTREAM.exists(), reason=f"shared MStream data not found at {MSTREAM}")
def test_mstream_gate(bench: ModuleType) -> None:
    docs, gold = bench.load_mstream(MSTREAM)
    scores = bench.score(gold, bench.cluster_labels(docs))
    assert scores.nmi >= MSTREAM_NMI_FLOOR, scores


# Held-out folds (bench/cluster_cv.py: ECB+ topics and MStream stories split in random halves, each
# half clustered alone with the production embedding, today's defaults). Measured 2026-12-03: ECB+
# B³-F1 mean 0.959 (worst fold 0.927), NMI 0.981 (0.967); MStream NMI 0.871 (0.861) over 10 folds.
# The targets are the floors of the means; the worst fold may sit a little under them.
CV_ECB_B3_F1_FLOOR = 0.92
CV_ECB_NMI_FLOOR = 0.96
CV_ECB_WORST_B3_F1_FLOOR = 0.90
CV_MSTREAM_NMI_FLOOR = 0.86


@pytest.fixture(scope="module")
def cv() -> ModuleType:
    return load_bench("cluster_cv")


@pytest.mark.slow
@pytest.mark.skipif(not ECB.exists() or not MSTREAM.exists(), reason="shared ECB+/MStream data not found")
def test_held_out_topic_folds_gate(cv: ModuleType) -> None:
    """The defaults on topics they were not looked at with: every fold clustered on its own."""
    for corpus, repeats in ((cv.ecb(), 5), (cv.mstream(), 1)):
        embed = cv.lookup(cv.embeddings(corpus.docs))
        per_fold = []
        for idx, _ in cv.folds(corpus, repeats):
            docs = [corpus.docs[i] for i in idx]
            gold = [corpus.gold[i] for i in idx]
            per_fold.append(cv.Q.score(gold, cv.Q.cluster_labels(docs, ClusterParams(), embed=embed)))
        mean = cv.mean_scores(per_fold)
        if corpus.name == "ECB+":
            assert mean.b3_f1 >= CV_ECB_B3_F1_FLOOR, mean
            assert mean.nmi >= CV_ECB_NMI_FLOOR, mean
            assert min(s.b3_f1 for s in per_fold) >= CV_ECB_WORST_B3_F1_FLOOR, per_fold
        else:
            assert mean.nmi >= CV_MSTREAM_NMI_FLOOR, mean


def test_metrics_match_their_definitions(bench: ModuleType) -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = [1, 1, 2, 2, 2, 3]
    p, r, f = bench.b_cubed(gold, pred)
    # per item precision: 1, 1, 1/3, 2/3, 2/3, 1; recall: 2/3, 2/3, 1/3, 1, 1, 1
    assert p == pytest.approx((1 + 1 + 1 / 3 + 2 / 3 + 2 / 3 + 1) / 6)
    assert r == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1 + 1) / 6)
    assert f == pytest.approx(2 * p * r / (p + r))
    pp, pr, _ = bench.pairwise(gold, pred)
    # predicted pairs: (0,1), (2,3), (2,4), (3,4), of which (0,1) and (3,4) are gold; gold has 3 + 1 pairs
    assert (pp, pr) == pytest.approx((2 / 4, 2 / 4))
    assert bench.nmi(gold, gold) == pytest.approx(1.0)
    assert bench.nmi(gold, [0] * 6) == 0.0
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    expected = sklearn_metrics.normalized_mutual_info_score(gold, pred, average_method="geometric")
    assert bench.nmi(gold, pred) == pytest.approx(expected)


# -- translations (embeddings on) -----------------------------------------------------------------

# Five short news items written for this test, each in English, French and Korean. Two are
# earthquakes of the same kind (different country, magnitude and day): translations must meet,
# look-alike events must not.
NEWS: dict[str, dict[str, tuple[str, str]]] = {
    "quake-chile": {
        "en": (
            "Strong earthquake hits northern Chile",
            "A magnitude 6.4 earthquake struck off the coast of northern Chile on Tuesday morning, damaging roads "
            "and cutting power to thousands of homes in Antofagasta. No deaths were reported, officials said.",
        ),
        "fr": (
            "Fort séisme dans le nord du Chili",
            "Un séisme de magnitude 6,4 a frappé mardi matin au large des côtes du nord du Chili, endommageant des "
            "routes et privant d'électricité des milliers de foyers à Antofagasta. Aucun décès n'a été signalé, "
            "selon les autorités.",
        ),
        "ko": (
            "칠레 북부에 강진",
            "화요일 아침 칠레 북부 해안에서 규모 6.4의 지진이 발생해 안토파가스타의 도로가 파손되고 수천 가구에 "
            "전기가 끊겼다. 당국은 사망자는 보고되지 않았다고 밝혔다.",
        ),
    },
    "quake-japan": {
        "en": (
            "Earthquake shakes northern Japan",
            "A magnitude 6.1 earthquake shook northern Japan on Saturday night, briefly halting bullet trains around "
            "Sendai. The weather agency said there was no risk of a tsunami.",
        ),
        "fr": (
            "Un séisme secoue le nord du Japon",
            "Un séisme de magnitude 6,1 a secoué samedi soir le nord du Japon, interrompant brièvement les trains à "
            "grande vitesse autour de Sendai. L'agence météorologique a indiqué qu'il n'y avait aucun risque de "
            "tsunami.",
        ),
        "ko": (
            "일본 북부에 지진",
            "토요일 밤 일본 북부에서 규모 6.1의 지진이 발생해 센다이 인근의 신칸센 운행이 잠시 중단됐다. "
            "기상청은 쓰나미 위험은 없다고 밝혔다.",
        ),
    },
    "rates": {
        "en": (
            "Central bank raises rates for a tenth time",
            "The Northland central bank raised its key interest rate by a quarter point to 4 percent on Thursday, "
            "its tenth increase in a row, saying inflation remains well above its target.",
        ),
        "fr": (
            "La banque centrale relève ses taux pour la dixième fois",
            "La banque centrale du Northland a relevé jeudi son principal taux directeur d'un quart de point, à "
            "4 %, sa dixième hausse consécutive, estimant que l'inflation reste nettement supérieure à son objectif.",
        ),
        "ko": (
            "중앙은행, 10회 연속 금리 인상",
            "노스랜드 중앙은행은 목요일 기준금리를 0.25%포인트 올려 4%로 인상했다. 10회 연속 인상으로, "
            "은행은 물가 상승률이 여전히 목표치를 크게 웃돌고 있다고 밝혔다.",
        ),
    },
    "rocket": {
        "en": (
            "Rocket explodes after launch in New Zealand",
            "A private rocket carrying two weather satellites exploded shortly after lift-off from a launch site in "
            "New Zealand on Friday. The company said nobody was hurt and it would investigate the failure.",
        ),
        "fr": (
            "Une fusée explose après son lancement en Nouvelle-Zélande",
            "Une fusée privée transportant deux satellites météorologiques a explosé peu après son décollage d'un "
            "site de lancement en Nouvelle-Zélande vendredi. L'entreprise a indiqué que personne n'avait été blessé "
            "et qu'elle enquêterait sur l'échec.",
        ),
        "ko": (
            "뉴질랜드에서 로켓 발사 직후 폭발",
            "기상위성 두 기를 실은 민간 로켓이 금요일 뉴질랜드의 발사장에서 이륙한 직후 폭발했다. 회사는 "
            "다친 사람은 없으며 실패 원인을 조사하겠다고 밝혔다.",
        ),
    },
    "wildfire": {
        "en": (
            "Wildfire forces 2,000 to flee near Marseille",
            "Firefighters in southern France fought through the night against a wildfire near Marseille that forced "
            "2,000 residents to leave their homes, as strong winds spread the flames across 800 hectares.",
        ),
        "fr": (
            "Un incendie pousse 2 000 habitants à fuir près de Marseille",
            "Les pompiers du sud de la France ont lutté toute la nuit contre un incendie près de Marseille qui a "
            "contraint 2 000 habitants à quitter leur domicile, alors que des vents violents propageaient les "
            "flammes sur 800 hectares.",
        ),
        "ko": (
            "마르세유 인근 산불로 2천 명 대피",
            "프랑스 남부 마르세유 인근에서 발생한 산불로 주민 2천 명이 집을 떠났다. 강풍으로 불길이 800헥타르로 "
            "번지자 소방관들은 밤새 진화 작업을 벌였다.",
        ),
    },
}


@pytest.fixture(scope="module")
def embed() -> object:
    from newsdesk.ai.embed import make_embedder
    from newsdesk.errors import ModelLoadError

    try:
        embedder = make_embedder()
    except ModelLoadError as exc:  # the model package is an optional install
        pytest.skip(f"the default embedding model is not installed: {exc}")
    return embedder.embed


def _translations(by_language: bool, *, with_language: bool) -> list[ClusterDoc]:
    langs = ("en", "fr", "ko")
    keys = [(e, lang) for lang in langs for e in NEWS] if by_language else [(e, lang) for e in NEWS for lang in langs]
    return [
        ClusterDoc(f"{e}/{lang}", *NEWS[e][lang], published=T0, language=lang if with_language else None)
        for e, lang in keys
    ]


@pytest.mark.parametrize(("by_language", "with_language"), [(True, True), (False, True), (True, False)])
def test_translations_land_in_one_story(embed: object, by_language: bool, with_language: bool) -> None:
    c = StoryClusterer(embed=embed)  # type: ignore[arg-type]
    c.add(_translations(by_language, with_language=with_language))
    c.refine()
    groups = sorted(sorted(ids) for ids in c.stories().values())
    assert groups == sorted(sorted(f"{e}/{lang}" for lang in ("en", "fr", "ko")) for e in NEWS)


def test_translations_stay_apart_without_embeddings() -> None:
    """Without embeddings nothing bridges the languages (and nothing else merges either)."""
    c = StoryClusterer()
    c.add(_translations(True, with_language=True))
    c.refine()
    assert all(len({i.split("/")[0] for i in ids}) == 1 for ids in c.stories().values())
    assert c.story_count > len(NEWS)


# -- the clusterer's contract ------------------------------------------------------------------

# Two look-alike events (two stadium fires), four reports each, written for this test.
FIRE_A = [
    (
        "Fire at Riverside Stadium in Leeds",
        "A fire broke out at Riverside Stadium in Leeds on Monday evening. Fire crews from West Yorkshire evacuated "
        "3,000 fans before the Leeds Rovers match against Hull Kingston; no one was injured.",
    ),
    (
        "Leeds stadium evacuated after fire",
        "Around 3,000 fans left Riverside Stadium in Leeds when smoke rose from the east stand on Monday. West "
        "Yorkshire fire crews put out the blaze; the Leeds Rovers game against Hull Kingston was abandoned.",
    ),
    (
        "Riverside Stadium blaze: match abandoned",
        "The Leeds Rovers match with Hull Kingston was abandoned after a blaze in the east stand of Riverside "
        "Stadium, Leeds. West Yorkshire Fire said 3,000 spectators were evacuated safely on Monday.",
    ),
    (
        "Investigation into Riverside Stadium fire",
        "West Yorkshire Fire and Rescue has opened an investigation into Monday's fire at Riverside Stadium in "
        "Leeds, which forced 3,000 fans of Leeds Rovers and Hull Kingston out of the ground.",
    ),
]
FIRE_B = [
    (
        "Fire at Porto Alegre arena",
        "A fire damaged the roof of the Arena Sul in Porto Alegre on Saturday night after a concert by Banda "
        "Marisol. Firefighters from Rio Grande do Sul said 12,000 people left the arena; two were treated for smoke.",
    ),
    (
        "Arena Sul roof burns after Marisol concert",
        "The roof of Porto Alegre's Arena Sul caught fire on Saturday, shortly after Banda Marisol finished "
        "playing. Rio Grande do Sul firefighters evacuated 12,000 concertgoers; two received treatment for smoke.",
    ),
    (
        "Porto Alegre: 12,000 evacuated from Arena Sul",
        "Twelve thousand concertgoers were evacuated from Arena Sul in Porto Alegre when fire spread across the "
        "roof after the Banda Marisol show on Saturday, the Rio Grande do Sul fire service said.",
    ),
    (
        "Arena Sul fire: inquiry opened in Porto Alegre",
        "Rio Grande do Sul authorities opened an inquiry into Saturday's fire at the Arena Sul in Porto Alegre, "
        "where 12,000 fans of Banda Marisol were evacuated and two people were treated for smoke.",
    ),
]


def _docs(prefix: str, items: list[tuple[str, str]], start: datetime, step: timedelta) -> list[ClusterDoc]:
    return [ClusterDoc(f"{prefix}{i}", t, x, published=start + i * step) for i, (t, x) in enumerate(items)]


def _apply(intents: list[StoryIntent], story: dict[str, str]) -> None:
    """What the facade does with the intents, on a dict instead of a table."""
    for i in intents:
        if isinstance(i, StoryMerge):
            for article, s in list(story.items()):
                if s == i.merged:
                    story[article] = i.into
        else:
            story[i.article_id] = i.story_id


def test_reports_of_one_event_join_its_story() -> None:
    c = StoryClusterer()
    intents = c.add(_docs("a", FIRE_A, T0, timedelta(minutes=20)) + _docs("b", FIRE_B, T0, timedelta(minutes=20)))
    story: dict[str, str] = {}
    _apply(intents + c.refine(), story)
    assert {story[f"a{i}"] for i in range(4)} == {"a0"}  # the first report's id names the story
    assert {story[f"b{i}"] for i in range(4)} == {"b0"}
    first = intents[0]
    assert isinstance(first, StoryAssignment)
    assert first.opened
    assert first.story_id == "a0"


def test_merge_keeps_the_older_id_and_reports_the_merged_one() -> None:
    # a join threshold out of reach: every report opens a story, refinement must bring them together
    c = StoryClusterer(ClusterParams(join_threshold=2.0, refine_every=1000))
    intents = c.add(_docs("a", FIRE_A, T0, timedelta(minutes=20)))
    assert [i.story_id for i in intents if isinstance(i, StoryAssignment)] == ["a0", "a1", "a2", "a3"]
    refined = c.refine()
    merges = [i for i in refined if isinstance(i, StoryMerge)]
    assert merges
    assert {m.into for m in merges} == {"a0"}
    assert sorted(m.merged for m in merges) == ["a1", "a2", "a3"]
    assert c.stories() == {"a0": ["a0", "a1", "a2", "a3"]}
    story = {f"a{i}": f"a{i}" for i in range(4)}
    _apply(refined, story)
    assert set(story.values()) == {"a0"}


def test_split_separates_look_alike_events_and_keeps_ids() -> None:
    # a join threshold of zero: every report joins the first story; refinement must split it
    c = StoryClusterer(ClusterParams(join_threshold=0.0, merge_threshold=2.0, refine_every=1000))
    docs = _docs("a", FIRE_A, T0, timedelta(minutes=10)) + _docs(
        "b", FIRE_B, T0 + timedelta(hours=1), timedelta(minutes=10)
    )
    placed = c.add(docs)
    assert {i.story_id for i in placed if isinstance(i, StoryAssignment)} == {"a0"}
    refined = c.refine()
    assert all(isinstance(i, StoryAssignment) and i.moved for i in refined)
    assert sorted(i.article_id for i in refined if isinstance(i, StoryAssignment)) == ["b0", "b1", "b2", "b3"]
    assert c.stories() == {"a0": ["a0", "a1", "a2", "a3"], "b0": ["b0", "b1", "b2", "b3"]}


def test_same_stream_same_stories_whatever_the_batches() -> None:
    docs = _docs("a", FIRE_A, T0, timedelta(minutes=30)) + _docs("b", FIRE_B, T0, timedelta(minutes=30))
    docs.sort(key=lambda d: (d.published, d.id))
    params = ClusterParams(refine_every=3)
    one = StoryClusterer(params)
    all_at_once = one.add(docs)
    two = StoryClusterer(params)
    one_by_one = [i for d in docs for i in two.add([d])]
    assert all_at_once == one_by_one
    assert StoryClusterer(params).add(docs) == all_at_once
    assert one.stories() == two.stories()


def test_adding_is_idempotent() -> None:
    c = StoryClusterer()
    docs = _docs("a", FIRE_A, T0, timedelta(minutes=5))
    c.add(docs)
    assert c.add(docs) == []
    assert c.doc_count == 4


def test_window_expiry_bounds_memory() -> None:
    """Two unrelated articles a day for 60 days: only the window's worth stays.

    (Their words share nothing: a story that keeps growing stays live, whatever its age.)
    """
    c = StoryClusterer(ClusterParams(window_s=3 * 86400))
    for day in range(60):
        when = T0 + timedelta(days=day)
        c.add(ClusterDoc(f"d{day}-{k}", None, " ".join(f"w{day}x{k}y{j}" for j in range(12)), when) for k in range(2))
        assert c.doc_count <= 8  # days d-3 … d
        assert c.story_count <= 8
    assert c.story_of("d0-0") is None
    assert c.story_of("d59-1") is not None


def test_same_text_a_week_apart_is_another_story() -> None:
    title, text = FIRE_A[0]
    c = StoryClusterer(ClusterParams(window_s=14 * 86400))
    c.add([ClusterDoc("old", title, text, T0)])
    later = c.add([ClusterDoc("new", title, text, T0 + timedelta(days=7))])
    assert later == [StoryAssignment("new", "new", opened=True)]  # time decay: 7 days = 4.7 half-lives


def test_undated_streams_are_capped_by_max_docs() -> None:
    c = StoryClusterer(ClusterParams(max_docs=5))
    for i in range(20):
        c.add([ClusterDoc(f"u{i}", f"Notice n{i}", " ".join(f"u{i}v{j}" for j in range(10)))])
    assert c.doc_count <= 5


def test_restore_rebuilds_the_window_from_stored_assignments() -> None:
    docs = _docs("a", FIRE_A[:3], T0, timedelta(minutes=10)) + _docs("b", FIRE_B[:3], T0, timedelta(minutes=10))
    c = StoryClusterer()
    story: dict[str, str] = {}
    _apply(c.add(docs) + c.refine(), story)
    stored = [
        StoredArticle(d.id, d.title, d.text, d.published, story[d.id], language=d.language) for d in reversed(docs)
    ]
    again = StoryClusterer.restore(stored)
    assert again.stories() == c.stories()
    # the next report of each event joins its story in the rebuilt window as in the original one
    nxt = [ClusterDoc("a3", *FIRE_A[3], T0 + timedelta(hours=1)), ClusterDoc("b3", *FIRE_B[3], T0 + timedelta(hours=1))]

    def decided(intents: list[StoryIntent]) -> list[tuple[str, str]]:
        return [(i.article_id, i.story_id) for i in intents if isinstance(i, StoryAssignment)]

    assert decided(again.add(nxt)) == decided(c.add(nxt)) == [("a3", "a0"), ("b3", "b0")]


# -- text features ------------------------------------------------------------------------------


def test_entities_are_names_runs_and_numbers() -> None:
    f = doc_features(
        "Klitschko Stops Thompson In Bern",
        "Wladimir Klitschko stops Tony Thompson in the sixth round on Saturday.\n"
        "Police said 12,000 fans watched; the 6,4 rating and 1,5 million viewers were records.",
    )
    assert {"klitschko", "wladimir", "tony", "thompson", "tony_thompson", "wladimir_klitschko", "bern"} <= set(
        f.entities
    )
    assert {"#12000", "#6.4", "#1.5"} <= set(f.entities)
    assert "police" in f.entities  # capitalised at a sentence start, but never written in lower case
    assert "stop" not in f.entities  # a title word the body writes in lower case is no name
    assert "the" not in f.terms
    assert f.terms["klitschko"] > f.terms["round"]  # title terms count twice


def test_tokens_fold_plurals_and_split_hangul_into_bigrams() -> None:
    assert tokens("Earthquakes and the earthquake") == ["earthquake", "earthquake"]
    assert tokens("지진이 발생") == ["지진", "진이", "발생"]
