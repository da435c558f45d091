"""People outside the curated list: detection in context, canonical Latin names, merge, schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsmon.core.es_schema import ARTICLES_MAPPING
from pipeline.tagging import Enricher
from pipeline.tagging.evaluate_persons import main as evaluate_main
from pipeline.tagging.persons import PersonDetector
from pipeline.tagging.translit import latin_slug, name_to_latin


def _people(enricher: Enricher, text: str, title: str = "") -> dict[str, dict[str, Any]]:
    doc = enricher.enrich(title=title, text=text).to_document()
    return {e["id"]: e for e in doc["entities"] if e["type"] == "person"}


@pytest.mark.parametrize(
    ("text", "person_id", "name", "native", "cue"),
    [
        (
            "A court in Minsk sentenced journalist Andrei Aliaksandrau to 14 years in prison for "
            "treason. Aliaksandrau, 56, has been in custody since January 2021.",
            "person:andrei-aliaksandrau",
            "Andrei Aliaksandrau",
            "",
            "sentenced",
        ),
        (
            "В Гомеле задержали журналистку Ларису Щирякову. Правозащитный центр «Весна» сообщил, что "
            "Щиряковой грозит до шести лет колонии.",
            "person:larisa-shchiryakova",
            "Larisa Shchiryakova",
            "Лариса Щирякова",
            "задержали",
        ),
        (
            "Суд у Гомелі асудзіў праваабаронцу Леаніда Судаленку на тры гады калоніі.",
            "person:leanid-sudalenka",
            "Leanid Sudalenka",
            "Леанід Судаленка",
            "калоніі",
        ),
        (
            "Суд у Криму засудив кримськотатарського активіста Сервера Мустафаєва до 14 років "
            "позбавлення волі.",
            "person:server-mustafaiev",
            "Server Mustafaiev",
            "Сервер Мустафаєв",
            "позбавлення волі",
        ),
    ],
    ids=["en", "ru", "be", "uk"],
)
def test_unknown_person_in_context(
    enricher: Enricher, text: str, person_id: str, name: str, native: str, cue: str
) -> None:
    people = _people(enricher, text)
    assert person_id in people, people
    person = people[person_id]
    assert person["name"] == name
    assert person["aliases"] == ([native] if native else [])
    assert person["mentions"] >= 1 and person["variants_seen"]
    for ev in person["evidence"]:
        assert text[ev["start"] : ev["end"]] == ev["text"] and ev["field"] == "text"
    assert any(cue in ev["text"] for ev in person["evidence"])


def test_coordinated_names_share_the_context(enricher: Enricher) -> None:
    text = "Police detained human rights defenders Leanid Sudalenka and Tatsiana Lasitsa in Homel."
    assert {"person:leanid-sudalenka", "person:tatsiana-lasitsa"} <= set(_people(enricher, text))


@pytest.mark.parametrize(
    "text",
    [
        "Striker Erling Haaland scored twice as Manchester City beat Arsenal on Sunday.",
        "Police arrested John Smith after a robbery at a petrol station in Leeds.",
        "Министр иностранных дел Сергей Лавров провел переговоры в Минске.",
        "Прэзідэнт Францыі Эмануэль Макрон сустрэўся з прэм'ер-міністрам.",
    ],
)
def test_no_person_outside_human_rights_context(enricher: Enricher, text: str) -> None:
    assert not [e for e in enricher.enrich(text=text).entities if e.detected]


def test_officials_are_not_victims(enricher: Enricher) -> None:
    text = (
        "Judge Ivan Karpenka sentenced journalist Andrei Aliaksandrau to 14 years in prison. "
        "Судья Елена Кузьмина приговорила журналистку Ларису Щирякову к трем годам колонии."
    )
    people = _people(enricher, text)
    assert {"person:andrei-aliaksandrau", "person:larisa-shchiryakova"} <= set(people)
    assert not {"person:ivan-karpenka", "person:elena-kuzmina", "person:yelena-kuzmina"} & set(people)


@pytest.mark.parametrize(
    "text",
    [
        "Правозащитника Алеся Беляцкого приговорили к 10 годам колонии.",
        "Belarusian human rights defender Ales Bialiatski was sentenced to ten years in prison.",
        "Суд асудзіў праваабаронцу Алеся Бяляцкага на 10 гадоў калоніі.",
    ],
)
def test_curated_person_is_not_duplicated(enricher: Enricher, text: str) -> None:
    people = _people(enricher, text)
    assert list(people) == ["person:ales-bialiatski"]
    assert not [e for e in enricher.enrich(text=text).entities if e.detected]


def test_entities_fit_the_index_mapping(enricher: Enricher) -> None:
    allowed = set(ARTICLES_MAPPING["properties"]["entities"]["properties"])
    evidence = set(ARTICLES_MAPPING["properties"]["entities"]["properties"]["evidence"]["properties"])
    doc = enricher.enrich(text="В Гомеле задержали журналистку Ларису Щирякову.").to_document()
    assert doc["entities"]
    for entity in doc["entities"]:
        assert set(entity) <= allowed
        for ev in entity["evidence"]:
            assert set(ev) <= evidence


def test_persons_can_be_switched_off() -> None:
    plain = Enricher.load(persons=False)
    assert plain.persons is None
    assert not [
        e for e in plain.enrich(text="В Гомеле задержали журналистку Ларису Щирякову.").entities if e.detected
    ]


@pytest.fixture(scope="module")
def detector(enricher: Enricher) -> PersonDetector:
    assert enricher.persons is not None
    return enricher.persons


@pytest.mark.parametrize(
    ("text", "language", "native"),
    [
        ("Задержан Иван Петрович Сидоров.", "ru", "Иван Петрович Сидоров"),
        ("Задержана Мария Колесникова.", "ru", "Мария Колесникова"),
        ("Приговор Алексею Навальному.", "ru", "Алексей Навальный"),
        ("Приговор Николаю Статкевичу.", "ru", "Николай Статкевич"),
        ("Вирок Миколі Карпюку.", "uk", "Микола Карпюк"),
        ("Суд над Наріманом Джелялом.", "uk", "Наріман Джелял"),
        ("Затримали Олега Сенцова.", "uk", "Олег Сенцов"),
        ("Справа Марыі Калеснікавай.", "be", "Марыя Калеснікава"),
        ("Затрымалі Ігара Лосіка.", "be", "Ігар Лосік"),
        ("Затрымалі Мікалая Дзядка.", "be", "Мікалай Дзядок"),
        ("Супрацоўнікі ГУБАЗіК затрымалі Паўла Сеўярынца.", "be", "Павел Сеўярынец"),
        ("Задержан Владимир Кара-Мурза.", "ru", "Владимир Кара-Мурза"),
    ],
)
def test_nominative_of_inflected_names(
    detector: PersonDetector, text: str, language: str, native: str
) -> None:
    assert [n.native for n in detector.names(text, language)] == [native]


@pytest.mark.parametrize(
    "text",
    [
        "В Украинском доме прошла выставка.",
        "Жители Вологодской области вышли на пикет.",
        "Суд в Минске рассмотрел дело.",
        "Сотрудники ГУБОПиК задержали жителя Барановичей.",
    ],
)
def test_cyrillic_words_that_are_not_names(detector: PersonDetector, text: str) -> None:
    assert detector.names(text, "ru") == []


def test_title_case_headline_is_skipped(detector: PersonDetector) -> None:
    title = "Journalist Arrested In Minsk After Covering Protest"
    assert detector.names(title + "\n\nNothing else.", "en", title_end=len(title) + 2) == []


@pytest.mark.parametrize(
    ("name", "language", "latin"),
    [
        ("Алесь Бяляцкі", "be", "Ales Bialiatski"),
        ("Святлана Ціханоўская", "be", "Sviatlana Tsikhanouskaya"),
        ("Марыя Калеснікава", "be", "Maryia Kalesnikava"),
        ("Алексей Навальный", "ru", "Aleksey Navalny"),
        ("Юрий Дмитриев", "ru", "Yury Dmitriyev"),
        ("Володимир Зеленський", "uk", "Volodymyr Zelenskyi"),
        ("Юлія Тимошенко", "uk", "Yuliia Tymoshenko"),
        ("Мар'яна Згурська", "uk", "Mariana Zghurska"),
    ],
)
def test_name_to_latin(name: str, language: str, latin: str) -> None:
    assert name_to_latin(name, language) == latin


def test_latin_slug() -> None:
    assert latin_slug("Nicolás Maduro") == "nicolas-maduro"
    assert latin_slug("Hopewell Chin’ono") == "hopewell-chinono"


def test_evaluation_skips_missing_gold_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate_main(["--gold", str(tmp_path / "none"), "--shared", str(tmp_path / "none")]) == 0
    out = capsys.readouterr().out
    assert "HRDsAttack | - | not present" in out and "factRuEval-2016 test (ru) | - | not present" in out


def test_victim_recall_floor_on_hrdsattack(enricher: Enricher, shared: Path) -> None:
    """Regression floors on the real labelled text (figures: docs/TAGGING.md, people section)."""
    from pipeline.tagging.evaluate_persons import evaluate_hrdsattack
    from pipeline.tagging.realtext import DEV, HELD_OUT, HRDSATTACK, LABELLED

    folder = shared / LABELLED / HRDSATTACK
    if not (folder / "train.json").exists():
        pytest.skip("HRDsAttack is not present")
    scores = evaluate_hrdsattack(enricher, folder, examples=False)
    for half, floor in ((DEV, 0.55), (HELD_OUT, 0.45)):
        score = scores[half, "detected"]
        assert score.tp_gold_partial / score.gold >= floor, (half, score.tp_gold_partial, score.gold)
        assert score.tp_pred_partial / score.predicted >= 0.45, (half, score.tp_pred_partial, score.predicted)


def test_name_precision_on_gold_sets(enricher: Enricher) -> None:
    from pipeline.tagging.evaluate_persons import default_gold_dir, evaluate_ner, load_factrueval, load_ner_uk

    gold = default_gold_dir()
    sets = [
        (gold / "factRuEval-2016" / "testset", load_factrueval),
        (gold / "ner-uk" / "v2.0" / "data", load_ner_uk),
    ]
    present = [(folder, loader) for folder, loader in sets if folder.exists()]
    if not present:
        pytest.skip(f"no gold NER data under {gold}")
    assert enricher.persons is not None
    for folder, loader in present:
        names, _ = evaluate_ner(enricher.persons, enricher, loader(folder), examples=False)
        assert names.tp_pred_strict / names.predicted >= 0.9, folder
