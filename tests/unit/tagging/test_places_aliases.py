"""Łacinka and historical place names from ``scripts/build_places.py`` (``HISTORICAL``)."""

from __future__ import annotations

import pytest

from pipeline.tagging import Enricher

BELARUS = "Milicyja zatrymała aktyvista ŭ {}. Łukašenka pryjechaŭ u Biełaruś."


def _places(enricher: Enricher, text: str) -> set[str]:
    return {e.id for e in enricher.enrich(text=text).entities if e.type == "place"}


@pytest.mark.parametrize(
    ("form", "place"),
    [
        ("Miensku", "place:minsk"),
        ("Miensk", "place:minsk"),
        ("Менску", "place:minsk"),
        ("Bieraście", "place:brest"),
        ("Bieraści", "place:brest"),
        ("Берасьці", "place:brest"),
        ("Hrodna", "place:grodno"),
        ("Hrodnie", "place:grodno"),
        ("Homieli", "place:gomel"),
        ("Viciebsku", "place:vitebsk"),
        ("Mahilioŭ", "place:mogilev"),
        ("Mahilovie", "place:mogilev"),
        ("Babrujsku", "place:babruysk"),
        ("Baranavičach", "place:baranavichy"),
        ("Pinsku", "place:pinsk"),
        ("Maladziečnie", "place:maladzyechna"),
        ("Maladzečna", "place:maladzyechna"),
        ("Połacak", "place:polotsk"),
        ("Navahrudku", "place:navahrudak"),
        ("Новогрудке", "place:navahrudak"),
        ("Harodni", "place:grodno"),
        ("Voršy", "place:orsha"),
    ],
)
def test_latin_and_historical_names_resolve(enricher: Enricher, form: str, place: str) -> None:
    assert place in _places(enricher, BELARUS.format(form))


@pytest.mark.parametrize(
    ("form", "place"),
    [
        ("Harodnia", "place:grodno"),
        ("Гародня", "place:grodno"),
        ("Vorša", "place:orsha"),
        ("Lida", "place:lida"),
    ],
)
def test_ambiguous_names_stay_guarded(enricher: Enricher, form: str, place: str) -> None:
    # Гародня is also a section of a wooden fortress wall, Vorša/Lida are surnames or first names.
    assert place not in _places(enricher, f"The museum restored the {form} exhibit for visitors from Tartu.")
    assert place in _places(enricher, BELARUS.format(form))


def test_unambiguous_historical_name_needs_no_context(enricher: Enricher) -> None:
    assert "place:minsk" in _places(enricher, "The poet was born in Miensk in 1905.")
