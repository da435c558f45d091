"""Rules added for real text (NGO, UN, wire-service and protest-report wording), with their guards."""

from __future__ import annotations

import pytest

from pipeline.tagging import Enricher


def _tags(enricher: Enricher, text: str, title: str = "") -> set[str]:
    return set(enricher.enrich(title=title, text=text).tags)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Coordinated phrases name each freedom.
        (
            "The law restricts the freedoms of expression, assembly and association.",
            {"freedom_of_expression", "freedom_of_assembly", "civil_society"},
        ),
        (
            "Everyone has the right to freedom of peaceful assembly and of association.",
            {"freedom_of_assembly", "civil_society"},
        ),
        (
            "Власти ограничивают свободу слова, собраний и объединений.",
            {"freedom_of_assembly", "civil_society"},
        ),
        ("Улады абмяжоўваюць свабоду слова, сходаў і аб'яднанняў.", {"freedom_of_assembly", "civil_society"}),
        ("Влада обмежує свободу слова, зібрань та об'єднань.", {"freedom_of_assembly", "civil_society"}),
        (
            "Władze ograniczają wolność słowa, zgromadzeń i zrzeszania się.",
            {"freedom_of_assembly", "civil_society"},
        ),
        (
            "Die Behörden schränken die Meinungs-, Versammlungs- und Vereinigungsfreiheit ein.",
            {"freedom_of_assembly", "civil_society"},
        ),
    ],
)
def test_coordinated_freedoms(enricher: Enricher, text: str, expected: set[str]) -> None:
    assert expected <= _tags(enricher, text)


@pytest.mark.parametrize(
    "text",
    [
        "Guarantee a safe and enabling environment for journalists and human rights defenders.",
        "Create and maintain a safe and enabling environment for civil society.",
        "Ensure that human rights defenders can carry out their legitimate work without fear of reprisals.",
        "Human rights defenders face harassment, smear campaigns and reprisals for their work.",
        "Environmental activists were attacked and threatened after opposing the mine.",
        "The UN expert called for the protection of human rights defenders.",
        "Abolish criminal liability for activities on behalf of unregistered organisations.",
        "Lawyers were threatened and harassed for defending protesters.",
        "Правозащитникам угрожают и преследуют их за работу.",
        "Праваабаронцаў пераследуюць і запалохваюць.",
        "Правозахисників переслідують і залякують.",
        "Obrońcy praw człowieka są nękani i zastraszani.",
        "Menschenrechtsverteidiger müssen ohne Angst vor Repressalien arbeiten können.",
    ],
)
def test_defenders_and_activists_as_a_protected_group(enricher: Enricher, text: str) -> None:
    assert {"civil_society", "human_rights"} <= _tags(enricher, text)


@pytest.mark.parametrize(
    "text",
    [
        "The government should ensure a safe working environment for journalists.",
        "Two journalists were killed while covering the clashes.",
        "A reporter was beaten and threatened by police officers outside the court.",
        "Investigate all attacks on journalists and media workers.",
        "Журналиста избили и угрожали ему расправой.",
        "Журналіста збілі і пагражалі яму.",
        "Журналіста побили та погрожували йому.",
        "Dziennikarz został pobity i zastraszony.",
        "Der Journalist wurde angegriffen und bedroht.",
        "Die Sicherheit von Journalisten muss gewährleistet werden.",
    ],
)
def test_journalists_attacked_or_protected(enricher: Enricher, text: str) -> None:
    assert "press_freedom" in _tags(enricher, text)


@pytest.mark.parametrize(
    "text",
    [
        "The state must ensure that statements obtained under torture are not used as evidence.",
        "Ensure that confessions obtained under duress are inadmissible in court.",
        "The committee urged the state party to establish a national preventive mechanism under OPCAT.",
        "Detainees described beatings in custody and other inhuman or degrading treatment.",
        "The court sentenced the blogger to ten years in prison and 1,000 lashes.",
        "Investigate all allegations of torture and ill-treatment in places of detention.",
        "Показания были получены под пытками.",
        "Паказанні былі атрыманыя пад катаваннямі.",
        "Свідчення отримали під тортурами.",
        "Zeznania uzyskano pod torturami.",
        "Die Aussagen wurden unter Folter erpresst.",
    ],
)
def test_ill_treatment_confessions_and_prevention(enricher: Enricher, text: str) -> None:
    assert "torture" in _tags(enricher, text)


@pytest.mark.parametrize(
    "text",
    [
        "His family has had no information on his fate since his arrest in March.",
        "The activist was taken to an undisclosed location and his relatives were not informed.",
        "Those arrested are held indefinitely without contact with family or lawyers.",
        "Clarify the fate and whereabouts of all disappeared persons.",
        "Активиста увезли в неизвестном направлении, о его судьбе ничего не известно.",
        "Актывіста вывезлі ў невядомым кірунку.",
        "Активіста вивезли в невідомому напрямку.",
        "Aktywistę wywieziono w nieznanym kierunku.",
        "Der Aktivist wurde an einen unbekannten Ort gebracht.",
    ],
)
def test_disappearances(enricher: Enricher, text: str) -> None:
    assert "enforced_disappearance" in _tags(enricher, text)


@pytest.mark.parametrize(
    "text",
    [
        "Riot police used tear gas to disperse protesters and kettled hundreds in the square.",
        "Dozens were detained at an unsanctioned rally in the capital.",
        "About 200 people took part in a rally against the war in Kazan. Police detained at least 12 people.",
        "Около 200 человек вышли на акцию против войны. Полиция задержала не менее 12 человек.",
        "Protesters gathered in Tomsk against the war. Police intervened, detaining 7 of its participants.",
        "Police detained four activists who were taking part in a series of one-person pickets in Moscow.",
        "Refrain from the excessive use of force against peaceful protesters.",
    ],
)
def test_protest_reports(enricher: Enricher, text: str) -> None:
    assert "freedom_of_assembly" in _tags(enricher, text)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        # A detention that is the protest's cause is not the protest's repression.
        (
            "People held a protest demanding the release of an activist who was sentenced to 3 years.",
            "freedom_of_assembly",
        ),
        ("Activists picketed in support of jailed ex-governor Furgal.", "freedom_of_assembly"),
        # A count of detentions without a protest sentence before it.
        ("Police detained at least 12 people.", "freedom_of_assembly"),
        ("The newspaper laid off 20 journalists.", "press_freedom"),
        ("Journalists can work freely in the new press centre, the organisers said.", "press_freedom"),
        ("The activist said police killed three protesters.", "civil_society"),
        ("Far-right activist Quentin was beaten to death by far-left activists.", "civil_society"),
        ("Fans of the club attacked the referee.", "civil_society"),
        ("The senator lashed out at the court ruling.", "torture"),
        ("Skate Story is about a torturous existence the authorities deride.", "torture"),
        (
            "Gunmen abducted the opposition leader's driver and demanded a ransom, police said.",
            "enforced_disappearance",
        ),
        ("The chief executive denied any knowledge of the deal.", "enforced_disappearance"),
        ("The parties reached an extrajudicial settlement.", "human_rights"),
        ("Students carried protest banners through the campus.", "freedom_of_assembly"),
        # Found in the real-world feed review.
        ("The court's decision barred the party's leaders and executives from office.", "death_penalty"),
        ("The progressive passages are expertly executed.", "death_penalty"),
        ("Many cancers that are death sentences today will become manageable.", "death_penalty"),
        ("The government plans to censor social media posts.", "press_freedom"),
        ("The closure phase provides opportunities for organizational learning.", "civil_society"),
    ],
)
def test_guards(enricher: Enricher, text: str, absent: str) -> None:
    assert absent not in _tags(enricher, text)
