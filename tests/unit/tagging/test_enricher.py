from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from pipeline.tagging import Enricher


def _tags(enricher: Enricher, text: str, title: str = "") -> set[str]:
    return set(enricher.enrich(title=title, text=text).tags)


def _entities(enricher: Enricher, text: str) -> set[str]:
    return {e.id for e in enricher.enrich(text=text).entities}


def test_seed_article(enricher: Enricher, shared: Path) -> None:
    title, _, text = (shared / "seed" / "seed-article.txt").read_text(encoding="utf-8").partition("\n")
    doc = enricher.enrich(title=title, text=text).to_document()
    assert {"belarus", "human_rights", "political_prisoners", "torture", "press_freedom"} <= set(doc["tags"])
    names = {e["name"] for e in doc["entities"]}
    assert {
        "Alexander Lukashenko",
        "Ales Bialiatski",
        "Viasna",
        "Belarusian Association of Journalists",
        "Amnesty International",
        "Minsk",
    } <= names
    assert doc["language"] == "en"
    assert doc["relevance"] > 0.8


@pytest.mark.parametrize(
    "text",
    [
        "Беларусь закрыла границу.",
        "В Беларуси прошли выборы.",
        "Посол Белоруссии вызван в МИД.",
        "Лукашэнка прызначыў міністра.",
        "Białoruś zamknęła granicę.",
        "Na Białorusi trwają represje.",
        "Weißrussland und Russland üben gemeinsam.",
        "У Білорусі пройшли навчання.",
        "U Bielarusi pačalisia vybary.",
        "Protest in Hrodna ended peacefully.",
        "Суд у Магілёве разгледзеў справу.",
    ],
)
def test_belarus_in_inflected_forms(enricher: Enricher, text: str) -> None:
    assert "belarus" in _tags(enricher, text)


@pytest.mark.parametrize(
    "text",
    [
        "Палітвязні пішуць лісты з калоній.",
        "За кратамі застаюцца больш за тысячу палітвязняў.",
        "Więźniowie polityczni czekają na uwolnienie.",
        "Politische Gefangene sitzen weiter in Haft.",
        "Правозащитники насчитали 1100 политзаключённых.",
        "Політв'язні залишаються за ґратами.",
    ],
)
def test_political_prisoners_morphology(enricher: Enricher, text: str) -> None:
    assert "political_prisoners" in _tags(enricher, text)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("The striker suffered a cardiac arrest and was resuscitated on the pitch.", "arbitrary_detention"),
        ("The bank launched a rights issue to raise £2bn from shareholders.", "human_rights"),
        ("Investors focused on the execution of the strategy and the new plan.", "death_penalty"),
        ("Pupils who forget homework get an after-school detention.", "arbitrary_detention"),
        ("Prisoners, the 2013 thriller with Hugh Jackman, returns to cinemas.", "political_prisoners"),
        ("Watching the second half was absolute torture for the fans.", "torture"),
        ("Это была настоящая пытка, а не поездка на поезде.", "torture"),
    ],
)
def test_traps_do_not_fire(enricher: Enricher, text: str, tag: str) -> None:
    assert tag not in _tags(enricher, text)


@pytest.mark.parametrize(
    "text",
    [
        "Ayrton Senna won in Monaco for the sixth time.",
        "This RFC (Request for Comments) proposes a new slow query log format; thanks for comments.",
        "Australia's social media ban for kids under 16 was criticised by tech firms.",
        "As the telephone turns 150, are we hanging up on phone calls today?",
        "The ZeroNet network is designed for censorship resistance in peer-to-peer apps.",
        "Demo day: the startup showed a demo of its new app.",
        "The process was closed after the vendor shipped a fix.",
        "Markets were in turmoil after the announcement.",
    ],
)
def test_real_world_false_friends(enricher: Enricher, text: str) -> None:
    assert _tags(enricher, text) == set()


def test_brest_in_france_is_not_belarus(enricher: Enricher) -> None:
    text = "Stade Brestois beat Lyon in Brest, the port city in Brittany, France."
    assert "belarus" not in _tags(enricher, text)
    assert "place:brest" not in _entities(enricher, text)
    assert "place:brest" in _entities(enricher, "Protesters were detained in Brest, Belarus.")


def test_minsk_agreements_are_not_belarus(enricher: Enricher) -> None:
    assert "belarus" not in _tags(enricher, "The Minsk agreements on eastern Ukraine were never implemented.")


@pytest.mark.parametrize(
    ("entity", "variants"),
    [
        (
            "person:alexander-lukashenko",
            ["Lukashenko", "Lukashenka", "Łukaszenka", "Лукашенко", "Лукашэнка", "Łukašenka"],
        ),
        (
            "person:sviatlana-tsikhanouskaya",
            ["Tsikhanouskaya", "Tikhanovskaya", "Ціханоўская", "Тихановская", "Cichanouska"],
        ),
        ("person:ales-bialiatski", ["Bialiatski", "Бяляцкі", "Беляцкий", "Białacki", "Bjaljazki"]),
        ("org:viasna", ["Viasna", "правозащитный центр «Весна»", "праваабарончы цэнтр «Вясна»", "Wiasna"]),
        ("facility:okrestina", ["Okrestina", "Акрэсціна", "Окрестина", "Akreścina"]),
        (
            "org:belarusian-association-of-journalists",
            ["Belarusian Association of Journalists", "БАЖ", "BAJ"],
        ),
    ],
)
def test_cross_script_entity_variants(enricher: Enricher, entity: str, variants: list[str]) -> None:
    for variant in variants:
        assert entity in _entities(enricher, f"Новости: {variant} заявил(а) сегодня."), variant


def test_spring_is_not_viasna(enricher: Enricher) -> None:
    assert "org:viasna" not in _entities(enricher, "Весна пришла в Минск рано. Вясна ў Гродне.")


def test_document_shape_and_evidence_offsets(enricher: Enricher) -> None:
    title = "Belarus jails journalist"
    text = "A court in Minsk sentenced a journalist to six years in a penal colony, the BAJ said."
    doc = enricher.enrich(title=title, text=text).to_document()
    json.dumps(doc)
    assert set(doc) >= {"language", "tags", "tag_details", "entities", "relevance"}
    assert "press_freedom" in doc["tags"]
    for detail in doc["tag_details"]:
        assert 0 < detail["score"] <= 1 and detail["evidence"]
        for ev in detail["evidence"]:
            source = title if ev["field"] == "title" else text
            assert source[ev["start"] : ev["end"]] == ev["text"]
    for entity in doc["entities"]:
        assert {"id", "name", "type", "mentions"} <= set(entity) and entity["mentions"] >= 1


def test_enricher_pickles(enricher: Enricher) -> None:
    clone = pickle.loads(pickle.dumps(enricher))
    text = "Политзаключённых в Беларуси пытают в колониях."
    assert clone.enrich(text=text) == enricher.enrich(text=text)


def test_empty_article(enricher: Enricher) -> None:
    doc = enricher.enrich().to_document()
    assert doc["tags"] == [] and doc["entities"] == [] and doc["relevance"] == 0.0
