"""The offline AI features: sentences with their places, extractive summaries and key points, and answers.

The article below was written for these tests. The embedder is the bundled model, loaded offline.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from newsdesk.ai.embed import EmbedderSlot
from newsdesk.config import Settings
from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.model import Article, ExtractionStatus
from newsdesk.pipeline.insight.sentences import split, word_count
from newsdesk.queries.insight import Insight
from newsdesk.web.pages.render import text_fragment
from newsdesk.web.server import build_app
from tests.loopback import serving
from tests.seeding import seed_article

ARTICLE = """\
The city council of Rivertown approved a new budget of 42 million euros on Monday, \
after a debate that lasted nine hours.

Mayor Anna Berg said the budget would pay for two new schools and the repair of the old harbour bridge. \
The opposition voted against it, arguing that property taxes would rise by 4 percent next year. \
Construction of the first school is expected to start in March.

Mr. Olsen, the council's treasurer, told reporters that the city had borrowed less than in any year since 2015. \
Read more.

The harbour bridge was closed in August after inspectors found cracks in two of its supports. \
Shop owners near the harbour said they had lost customers since the closure. \
The repair is expected to take eighteen months and cost 11 million euros.

Council members will meet again on 12 December to vote on the parking fees in the old town.
"""

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _article(text: str = ARTICLE, language: str = "en", article_id: str = "a1") -> Article:
    return Article(
        id=article_id,
        source_id=1,
        guid=article_id,
        url=None,
        canonical_url=None,
        title="Rivertown approves its budget",
        authors=(),
        published_at=NOW,
        updated_at=None,
        fetched_at=NOW,
        summary=None,
        content_html=None,
        text=text,
        language=language,
        image_url=None,
        description=None,
        word_count=len(text.split()),
        reading_time_s=60,
        content_hash=None,
        extraction_status=ExtractionStatus.EXTRACTED,
        extraction_reason=None,
        source_title="Rivertown Courier",
    )


@pytest.fixture(scope="module")
def insight(tmp_path_factory: pytest.TempPathFactory) -> Insight:
    settings = Settings(data_dir=tmp_path_factory.mktemp("insight"))
    slot = EmbedderSlot(settings)
    assert slot.get() is not None, "the bundled embedder must load offline"
    return Insight(slot)


class _NoEmbedder(EmbedderSlot):
    """A slot whose model failed to load, as EmbedderSlot reports it: None."""

    def get(self) -> None:  # type: ignore[override]
        return None


def test_sentences_keep_their_places_titles_and_paragraph_breaks() -> None:
    sentences = split(ARTICLE, "en")
    assert all(ARTICLE[s.start : s.end] == s.text for s in sentences)
    texts = [s.text for s in sentences]
    treasurer = "Mr. Olsen, the council's treasurer, told reporters that the city had borrowed less than in any year"
    assert treasurer + " since 2015." in texts
    assert texts[0].endswith("lasted nine hours.")  # a paragraph break ends a sentence
    assert [s.index for s in sentences] == list(range(len(sentences)))


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("pt", "O Sr. Silva chegou ao Brasil. Ele saiu cedo.", ["O Sr. Silva chegou ao Brasil.", "Ele saiu cedo."]),
        ("fr", "Le Dr. Dupont est arrivé. Il pleut à Paris.", ["Le Dr. Dupont est arrivé.", "Il pleut à Paris."]),
        (
            "de",
            "Der Bürgermeister, Dr. Weber, sprach am 3. Mai. Der Rat stimmte zu.",
            ["Der Bürgermeister, Dr. Weber, sprach am 3. Mai.", "Der Rat stimmte zu."],
        ),
        (
            "es",
            "El Sr. García llegó el lunes. ¿Quién pagará? Nadie lo sabe.",
            ["El Sr. García llegó el lunes.", "¿Quién pagará?", "Nadie lo sabe."],
        ),
        (
            "ru",
            "Президент прибыл в Москву. Он встретился с министрами.",
            ["Президент прибыл в Москву.", "Он встретился с министрами."],
        ),
        (
            "tr",
            "Cumhurbaşkanı bugün Ankara'ya geldi. Bakanlarla görüştü.",
            ["Cumhurbaşkanı bugün Ankara'ya geldi.", "Bakanlarla görüştü."],
        ),
        ("ja", "東京は晴れです。明日は雨でしょう。", ["東京は晴れです。", "明日は雨でしょう。"]),
        ("zh", "今天北京下雨了。明天会晴天吗？", ["今天北京下雨了。", "明天会晴天吗？"]),
        (
            "ko",
            "대통령은 오늘 기자회견을 열었다. 그는 새로운 정책을 발표했다.",
            ["대통령은 오늘 기자회견을 열었다.", "그는 새로운 정책을 발표했다."],
        ),
        ("ar", "وصل الرئيس إلى القاهرة. وسيلتقي بالوزراء غدا.", ["وصل الرئيس إلى القاهرة.", "وسيلتقي بالوزراء غدا."]),
        (
            "th",
            "นายกรัฐมนตรีได้ประกาศมาตรการใหม่เพื่อช่วยเหลือประชาชนในวันนี้ รัฐบาลจะเริ่มจ่ายเงินช่วยเหลือให้ประชาชนในเดือนหน้า",
            ["นายกรัฐมนตรีได้ประกาศมาตรการใหม่เพื่อช่วยเหลือประชาชนในวันนี้", "รัฐบาลจะเริ่มจ่ายเงินช่วยเหลือให้ประชาชนในเดือนหน้า"],
        ),
    ],
)
def test_sentences_are_split_by_the_rules_of_each_language(language: str, text: str, expected: list[str]) -> None:
    assert [s.text for s in split(text, language)] == expected


def test_word_counts_mean_the_same_in_unspaced_scripts() -> None:
    assert word_count("The council approved the budget.") == 5
    assert 3 <= word_count("東京は晴れです。") <= 6  # eight characters, a handful of words
    assert 8 <= word_count("นายกรัฐมนตรีได้ประกาศมาตรการใหม่เพื่อช่วยเหลือประชาชน") <= 16


def test_summary_quotes_the_lead_and_key_points_are_other_sentences(insight: Insight) -> None:
    article = _article()
    summary = insight.summary(article)
    assert summary.method == "extractive" and summary.language == "en"
    assert summary.sentences[0].text.startswith("The city council of Rivertown approved a new budget")
    assert 2 <= len(summary.sentences) <= 4
    words = sum(word_count(q.text) for q in summary.sentences)
    assert 45 <= words <= 110  # about three news sentences
    assert 3 <= len(summary.key_points) <= 5
    shown = [q.index for q in summary.sentences + summary.key_points]
    assert len(shown) == len(set(shown))  # nothing said twice
    for shown_quote in summary.sentences + summary.key_points:
        assert ARTICLE[shown_quote.start : shown_quote.end] == shown_quote.text and shown_quote.article_id == "a1"
        assert shown_quote.source_title == "Rivertown Courier"
        assert word_count(shown_quote.text) >= 6  # never "Read more."
    assert [q.index for q in summary.sentences] == sorted(q.index for q in summary.sentences)


def test_summary_without_an_embedder_falls_back_on_position(tmp_path: Path) -> None:
    summary = Insight(_NoEmbedder(Settings(data_dir=tmp_path))).summary(_article())
    assert summary.sentences[0].text.startswith("The city council of Rivertown")
    assert summary.key_points  # still three to five other sentences, by position


def test_a_text_too_short_has_no_summary(insight: Insight) -> None:
    summary = insight.summary(_article("Breaking news. More soon."))
    assert summary.sentences == () and summary.key_points == ()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How much will the bridge repair cost?", "cost 11 million euros"),
        ("When will construction of the first school start?", "start in March"),
        ("Why did the opposition vote against the budget?", "property taxes would rise"),
        ("Who is the treasurer?", "Mr. Olsen"),
        ("Combien coûtera la réparation du pont ?", "bridge"),  # a question in another language
    ],
)
def test_questions_answered_in_the_article_find_their_sentence(insight: Insight, question: str, expected: str) -> None:
    answer = insight.ask(question, [_article()])
    assert answer.found, question
    assert any(expected in q.text for q in answer.quotes), [q.text for q in answer.quotes]
    assert len(answer.quotes) <= 3


@pytest.mark.parametrize(
    "question",
    [
        "What is the price of crude oil?",
        "Who won the football match on Saturday?",
        "How many people died in the earthquake?",
        "What did the president say about the war?",
    ],
)
def test_questions_whose_answer_is_absent_are_not_found(insight: Insight, question: str) -> None:
    answer = insight.ask(question, [_article()])
    assert not answer.found, [q.text for q in answer.quotes]
    assert answer.question == question


def test_questions_are_bounded_and_blank_ones_answer_nothing(insight: Insight) -> None:
    assert not insight.ask("   ", [_article()]).found
    assert len(insight.ask("budget " * 200, [_article()]).question) <= 300


def test_analyses_are_kept_per_version_of_the_text(insight: Insight) -> None:
    first = insight.analysis(_article(article_id="kept"))
    assert insight.analysis(_article(article_id="kept")) is first
    changed = insight.analysis(_article(ARTICLE + "\nA correction was added on Tuesday evening.", article_id="kept"))
    assert changed is not first and len(changed.sentences) == len(first.sentences) + 1


def test_text_fragments_link_to_a_sentence_with_the_syntax_characters_escaped() -> None:
    assert text_fragment("Prices rose.") == "#:~:text=Prices%20rose."
    long = "The well-known mayor, Anna Berg, said the budget would pay for two new schools, and more."
    assert text_fragment(long) == "#:~:text=The%20well%2Dknown%20mayor%2C%20Anna,new%20schools%2C%20and%20more."


def _seed(desk: Newsdesk) -> str:
    return seed_article(desk, "riv1", ARTICLE, now=NOW, source_title="Rivertown Courier", hours_ago=3)


def test_the_api_and_the_cli_quote_the_article_with_offsets(settings: Settings, db_url: str) -> None:
    from tests.test_cli import run
    from tests.test_web import get

    desk = make_newsdesk(replace(settings, db=db_url), clock=lambda: NOW)
    article_id = _seed(desk)
    with serving(build_app(desk, schedule=False)) as url:
        status, body = get(f"{url}/api/v1/articles/{article_id}/summary")
        assert status == 200 and body["summary"]["method"] == "extractive"
        first = body["summary"]["sentences"][0]
        assert ARTICLE[first["start"] : first["end"]] == first["text"] and first["article_id"] == article_id
        assert 3 <= len(body["summary"]["key_points"]) <= 5
        status, body = get(f"{url}/api/v1/articles/{article_id}/ask?q=" + quote("Who is the treasurer?"))
        assert status == 200 and body["answer"]["found"] is True
        assert "Mr. Olsen" in body["answer"]["quotes"][0]["text"]
        status, body = get(f"{url}/api/v1/articles/{article_id}/ask?q=" + quote("What is the price of crude oil?"))
        assert status == 200 and body["answer"] == {
            "question": "What is the price of crude oil?",
            "quotes": [],
            "method": "extractive",
            "found": False,
        }
        assert get(f"{url}/api/v1/articles/{article_id}/ask")[0] == 422  # no question
        assert get(f"{url}/api/v1/articles/nope/summary")[0] == 404
    desk.close()
    data, env = Path(settings.data_dir), {"NEWSDESK_DB": db_url}
    summarized = run(data, "summarize", article_id, env=env)
    assert summarized.returncode == 0 and summarized.stderr == ""
    lines = summarized.stdout.splitlines()
    assert lines[0] == "summary (extractive):" and lines[1].startswith("  [1] The city council of Rivertown")
    assert "key points:" in lines
    asked = run(data, "ask", article_id, "How much will the bridge repair cost?", env=env)
    assert asked.returncode == 0 and "cost 11 million euros" in asked.stdout
    absent = run(data, "ask", article_id, "Who won the football match on Saturday?", env=env)
    assert absent.returncode == 1 and absent.stdout == "not found in these articles\n"
    as_json = json.loads(run(data, "ask", article_id, "Who is the treasurer?", "--json", env=env).stdout)
    assert as_json["found"] is True and as_json["quotes"][0]["index"] >= 0
    missing = run(data, "summarize", "nope", env=env)
    assert missing.returncode == 1 and missing.stderr.startswith("error: ")


FLOOD = {
    "wire": "Floods in the Spanish region of Valencia killed 39 people on Tuesday, officials said.\n"
    "Rescue teams searched for the missing through the night in the town of Paiporta.\n"
    "The regional government declared three days of mourning.",
    "daily": "At least 36 people were killed by floods in the Spanish region of Valencia on Tuesday, officials said.\n"
    "King Felipe will visit the flooded towns on Wednesday, the palace announced.\n"
    "The regional government declared three days of official mourning.",
    "radio": "Heavy rain caused deadly flooding in Valencia, Spain, on Tuesday.\n"
    "Rescue teams searched for missing people through the night in Paiporta.\n"
    "Farmers said the storm had destroyed most of the orange harvest in the region.",
}


def test_numbers_are_tied_to_what_they_count() -> None:
    from newsdesk.pipeline.insight.brief import numbers_by_word

    assert numbers_by_word("A total of 39 people are confirmed dead, officials said on 12 December 2019.") == {
        "people": "39",
        "december": "12",
    }  # the year dates the fact, it counts nothing
    assert numbers_by_word("Huber died on Saturday aged 41.") == {"aged": "41"}
    assert numbers_by_word("More than 1,000 rescuers responded; 48 apartments were damaged.") == {
        "rescuers": "1000",
        "apartments": "48",
    }


def test_a_story_brief_says_what_sources_agree_on_who_alone_reports_what_and_where_numbers_differ(
    insight: Insight,
) -> None:
    articles = [
        replace(
            _article(text, article_id=name),
            source_id=n + 1,
            source_title=name.title(),
            published_at=NOW + timedelta(hours=n),
        )
        for n, (name, text) in enumerate(FLOOD.items())
    ]
    brief = insight.brief("flood", articles)
    assert brief.articles_read == 3 and brief.publishers_read == 3 and brief.method == "extractive"
    mourning = next(line for line in brief.agreed if "mourning" in line.text)
    assert {q.source_title for q in mourning.quotes} == {"Wire", "Daily"}  # the radio never said it
    rescue = next(line for line in brief.agreed if "Rescue teams" in line.text)
    assert {q.source_title for q in rescue.quotes} == {"Wire", "Radio"}
    alone = [line.quotes[0] for line in brief.partial]
    assert any("King Felipe" in q.text and q.source_title == "Daily" for q in alone)
    assert all(len(line.quotes) == 1 for line in brief.partial)
    dispute = next(d for d in brief.disputed if d.about == "people")
    assert {dispute.first_says, dispute.second_says} == {"39", "36"}
    assert {dispute.first.source_title, dispute.second.source_title} == {"Wire", "Daily"}
    assert [q.source_title for q in brief.timeline] == ["Wire", "Daily", "Radio"]  # publication order
    for line in brief.agreed + brief.partial:
        for q in line.quotes:
            text = FLOOD[q.article_id]
            assert text[q.start : q.end] == q.text


def test_a_brief_of_one_publisher_compares_nothing(insight: Insight) -> None:
    brief = insight.brief("one", [_article(FLOOD["wire"], article_id="wire")])
    assert brief.agreed == () and brief.partial == () and brief.disputed == ()
    assert brief.publishers_read == 1 and len(brief.timeline) == 1


def test_a_story_summary_is_written_in_the_readers_language_when_it_can_be(insight: Insight) -> None:
    english = _article(ARTICLE, article_id="en1")
    french = replace(
        _article(
            "Le conseil municipal de Rivertown a adopté lundi un budget de 42 millions d'euros "
            "après neuf heures de débat.",
            language="fr",
            article_id="fr1",
        ),
        source_id=2,
    )
    assert {q.article_id for q in insight.story_summary([english, french], ["fr"]).sentences} == {"fr1"}
    assert {q.article_id for q in insight.story_summary([english, french], ["de"]).sentences} <= {"en1", "fr1"}


def test_grounding_supports_what_the_source_says_and_not_what_it_does_not(insight: Insight) -> None:
    from newsdesk.queries.insight import Grounding

    checker = Grounding(EmbedderSlot(Settings()))
    stated = checker.check(ARTICLE, "Mayor Anna Berg said the budget would pay for two new schools.")
    assert stated.supported and stated.score >= 0.75
    paraphrase = checker.check(
        ARTICLE, "The opposition voted against the budget, arguing that property taxes would rise."
    )
    assert 0.5 < paraphrase.score < stated.score  # strict: a loose paraphrase scores lower, whatever its truth
    invented = checker.check(ARTICLE, "The mayor resigned after the council rejected the budget.")
    assert not invented.supported and invented.score < 0.5
    wrong_number = checker.check(ARTICLE, "The council approved a new budget of 45 million euros on Monday.")
    assert not wrong_number.supported and wrong_number.novel_numbers == ("45",)  # a number it never gave
    same_number_in_words = checker.check(ARTICLE, "Inspectors found cracks in two of the bridge's supports.")
    assert same_number_in_words.novel_numbers == ()  # "two" is the source's "two"


def test_the_grounding_command_reads_json_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    from tests.test_cli import run

    lines = [
        json.dumps(
            {
                "id": "ok",
                "source": ARTICLE,
                "sentence": "Construction of the first school is expected to start in March.",
            }
        ),
        json.dumps({"id": "made-up", "source": ARTICLE, "sentence": "The city will build a new airport in 2030."}),
        "{not json",
        json.dumps({"id": "half", "source": ARTICLE}),
        json.dumps(
            {
                "id": 7,
                "source": ARTICLE,
                "sentence": "Shop owners near the harbour said they had lost customers.",
                "language": "en",
            }
        ),
    ]
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run(tmp_path, "grounding", str(path), "--json")
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1 and out.stderr == "error: 2 lines could not be read\n"
    assert [r["id"] for r in results] == ["ok", "made-up", 3, "half", 7]  # every line answered, in order
    assert results[0]["supported"] is True and results[1]["supported"] is False
    assert results[4]["supported"] is True and 0 <= results[1]["score"] < results[0]["score"] <= 1
    assert "error" in results[2] and "line 3" in results[2]["error"] and "line 4" in results[3]["error"]
    lenient = run(tmp_path, "grounding", str(path), "--threshold", "0.0")
    verdicts = [json.loads(line).get("supported") for line in lenient.stdout.splitlines()]
    assert verdicts == [True, False, None, None, True]  # at any threshold, a number the source never gave fails


def test_a_name_swapped_between_two_reports_is_a_dispute_and_an_added_name_is_not(insight: Insight) -> None:
    reports = {
        "one": "Two car bombs killed 100 people in Mogadishu, Somalia, on Saturday, police said.",
        "two": "Two car bombs killed 100 people in Mogadishu, Uganda, on Saturday, police said.",
        "three": "Two car bombs killed 100 people in Mogadishu, Somalia, on Saturday, police chief Ali Hassan said.",
    }
    articles = [
        replace(_article(text, article_id=name), source_id=n + 1, source_title=name.title())
        for n, (name, text) in enumerate(reports.items())
    ]
    brief = insight.brief("bombs", articles)
    names = [d for d in brief.disputed if d.about == "name"]
    assert [{d.first_says, d.second_says} for d in names] == [{"Somalia", "Uganda"}]
    assert {names[0].first.source_title, names[0].second.source_title} <= {"One", "Two", "Three"}
