from __future__ import annotations

import pytest

from pipeline.tagging.normalize import normalize, word_count
from pipeline.tagging.patterns import Mode, PatternError, element_matches_word, parse_pattern
from pipeline.tagging.translit import be_to_latin


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Łukašenka", "lukasenka"),
        ("Białoruś", "bialorus"),
        ("Weißrussland", "weisrussland"),
        ("Ёлка ў Беларусі", "елка у беларусi"),
        ("в’язні", "в'язнi"),
        ("İstanbul", "istanbul"),
    ],
)
def test_normalize_folds_without_changing_length(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert len(normalize(raw)) == len(raw)


def test_word_count() -> None:
    assert word_count("one, two  three", 0, 15) == 3
    assert word_count("abc", 2, 1) == 0


def test_parse_marks_and_phrases() -> None:
    [spec] = parse_pattern("political prisoner*")
    assert [e.key for e in spec.elements] == ["political", "prisoner"]
    assert spec.elements[1].mode is Mode.PREFIX
    assert spec.gaps == (0,)
    [spec] = parse_pattern("nahm* ... fest")
    assert spec.gaps == (7,)
    [spec] = parse_pattern("=KGB~")
    assert spec.elements[0].case_sensitive and spec.elements[0].mode is Mode.INFLECT
    assert [s.elements[0].key for s in parse_pattern("тихановск{ая,ой}")] == ["тихановская", "тихановской"]
    assert [e.key for e in parse_pattern("Kara-Murza")[0].elements] == ["kara", "murza"]


@pytest.mark.parametrize("bad", ["", "  ", ".. word", "word ..", "a{b}{c}", "recogni*ed"])
def test_parse_errors(bad: str) -> None:
    with pytest.raises(PatternError):
        parse_pattern(bad)


def test_element_word_semantics() -> None:
    [inflect] = parse_pattern("лид~")[0].elements
    assert element_matches_word(inflect, "лиде")
    assert not element_matches_word(inflect, "лидер")
    [infix] = parse_pattern("*haft")[0].elements
    assert element_matches_word(infix, "untersuchungshaft")


def test_belarusian_to_latin() -> None:
    assert be_to_latin("статкевіч*") == "statkievič*"
    assert be_to_latin("бяляцк*") == "bialack*"
    assert be_to_latin("ціханоўск{ая,ай}") == "cichanoŭsk{aja,aj}"
