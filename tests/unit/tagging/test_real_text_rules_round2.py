"""Second round of real-text rules: defenders as the subject of a repression story, UN/NGO phrasing
for ill-treatment, disappearances, association and protection, dispersal of gatherings - with guards."""

from __future__ import annotations

import pytest

from pipeline.tagging import Enricher

CS, TO, ED = "civil_society", "torture", "enforced_disappearance"
PF, FA = "press_freedom", "freedom_of_assembly"


def _tags(enricher: Enricher, text: str, title: str = "") -> set[str]:
    return set(enricher.enrich(title=title, text=text).tags)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        # Defenders: protection, criminalisation, reprisals, a defender who is the story's subject.
        ("Ensure that human rights defenders can carry out their legitimate work.", CS),
        ("Put an end to the criminalisation of human rights defenders.", CS),
        ("Stop the prosecution of human rights defenders, journalists and political activists.", CS),
        ("Обеспечить безопасную и благоприятную среду для правозащитников.", CS),
        ("Улады ліквідавалі сотні грамадскіх арганізацый; ліквідацыя арганізацый працягваецца.", CS),
        ("Правозахисника затримали співробітники СБУ.", CS),
        ("Zaprzestać nękania obrończyń praw człowieka.", CS),
        ("Menschenrechtsverteidigerinnen werden bedroht und eingeschüchtert.", CS),
        (
            "In three years nearly 300 journalists, human rights lawyers, environmentalists, peasant leaders "
            "and trade unionists were assassinated.",
            CS,
        ),
        # Freedom of association in coordinated lists, with a long gap.
        ("Свобода выражения мнений, мирных собраний и ассоциаций.", CS),
        ("Wolność wypowiedzi, zgromadzeń i stowarzyszeń.", CS),
        ("Свобода вираження поглядів, мирних зібрань та об'єднань.", CS),
        # Ill-treatment as the UN writes it.
        ("Investigate all allegations of ill-treatment and bring perpetrators to justice.", TO),
        ("His body bore signs of torture when it was returned to the family.", TO),
        ("Ratifizieren Sie das Fakultativprotokoll zum Übereinkommen gegen Folter.", TO),
        ("Zbadać wszystkie zarzuty tortur i złego traktowania.", TO),
        ("Он заявил, что его вынуждали к даче показаний, на теле остались следы пыток.", TO),
        ("He said he was beaten by investigators during interrogation.", TO),
        # Disappearances.
        ("Authorities have not acknowledged his detention; his family has no news.", ED),
        ("The activist was kidnapped by security forces and held at an unknown location.", ED),
        ("Активіста викрали російські військові.", ED),
        ("Sie wurden Opfer des Verschwindenlassens.", ED),
        ("Власти скрывают местонахождение активиста.", ED),
        # Journalists beaten, working conditions.
        ("Журналиста избили во время акции.", PF),
        ("Журналіста побили поліцейські.", PF),
        ("Безопасная рабочая среда для журналистов.", PF),
        ("The newspaper was forced to close after its licence was revoked by the regulator.", PF),
        # Dispersal of a gathering reported in another sentence.
        (
            "Residents gathered in Anapa to protest against the new city plan. Later, police intervened in "
            "the event.",
            FA,
        ),
        ("Protesters marched to the square. Police used tear gas and water cannon.", FA),
        ("Demonstranten zogen durch die Stadt. Die Polizei setzte Tränengas ein.", FA),
        ("Uczestnicy protestu przeszli ulicami. Policja rozpędziła demonstrantów.", FA),
    ],
)
def test_second_round_positives(enricher: Enricher, text: str, tag: str) -> None:
    assert tag in _tags(enricher, text), text


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        # Our own correspondent is the narrator, not a victim of the kidnapping he reports.
        ("Our correspondent gathered that the suspect abducted the herdsman for ransom.", PF),
        # Defenders quoted as sources are not the subject of the detention they report.
        ("Праваабаронцы папярэджваюць: за распаўсюд кніг пагражае штраф або арышт.", CS),
        ("Human rights defenders say 20 people were detained at the rally.", CS),
        ("The Human Rights Activists News Agency said 22,000 people were arrested.", CS),
        # Missing things, secrets and kidnapping charges are not disappearances.
        ("The footage produced by the government is missing audio, a filing notes.", ED),
        ("The app reads its secrets from a secret location in the vault.", ED),
        ("Police arrested two men on kidnapping charges after a ransom was paid.", ED),
        # Outlets in the news are not attacked journalists; a forced confession alone is a fair-trial issue.
        ("Israeli forces killed 12 people on Sunday, the public broadcaster reported.", PF),
        ("Amnesty called it an unfair trial based on a forced confession.", TO),
        # Tear gas without a gathering; a dispersal warning.
        ("The chemistry lesson covered how tear gas irritates the eyes.", FA),
    ],
)
def test_second_round_guards(enricher: Enricher, text: str, absent: str) -> None:
    assert absent not in _tags(enricher, text), text
