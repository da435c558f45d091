"""Third round of real-text rules: bloggers as press, torture by armed groups - with guards."""

from __future__ import annotations

import pytest

from pipeline.tagging import Enricher

PF, TO = "press_freedom", "torture"


def _tags(enricher: Enricher, text: str, title: str = "") -> set[str]:
    return set(enricher.enrich(title=title, text=text).tags)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        # Bloggers prosecuted for their posts and videos are press (CPJ counts them among jailed journalists).
        ("A court sentenced the blogger to five years in prison over his YouTube videos.", PF),
        ("Блогера задержали после публикации видео о выборах.", PF),
        ("Блогера затрымалі ў Гомелі за відэа пра выбары.", PF),
        ("Blohiera zatrymali ŭ Homieli.", PF),
        ("Суд засудив блогера до трьох років позбавлення волі.", PF),
        ("Sąd skazał blogera na trzy lata więzienia.", PF),
        ("Der Blogger wurde festgenommen und sitzt in Untersuchungshaft.", PF),
        # Torture named as such by armed groups, militias, captors.
        ("He was tied to a pole and tortured by party goons.", TO),
        ("The hostages were tortured by their captors for weeks.", TO),
        ("Боевики пытали пленных в подвале.", TO),
        ("Заложников катували бойовики.", TO),
        ("Zakładnicy byli torturowani przez porywaczy.", TO),
        ("Die Geiseln wurden von der Miliz gefoltert.", TO),
        # Reporters Without Borders by its acronym.
        ("RSF condemned the verdict against the editor.", PF),
    ],
)
def test_round3_positive(enricher: Enricher, text: str, tag: str) -> None:
    assert tag in _tags(enricher, text)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("The food blogger reviewed three new restaurants in Minsk.", PF),
        ("Блогер рассказал о путешествии по Беларуси.", PF),
        ("The striker was tortured by doubts before the final.", TO),
        ("Militants attacked the convoy; the army said it repelled the assault.", TO),
        ("The film's hero is tortured by memories of the war.", TO),
        # Sudan's Rapid Support Forces are not Reporters Without Borders.
        ("A drone attack on a market in El Fasher killed 28 people; the army blamed the RSF.", PF),
    ],
)
def test_round3_guard(enricher: Enricher, text: str, tag: str) -> None:
    assert tag not in _tags(enricher, text)
