from __future__ import annotations

import pytest

from pipeline.tagging.langdetect import detect_language, normalize_language_code


@pytest.mark.parametrize(
    ("text", "language", "script"),
    [
        ("The court sentenced the activist to five years in a penal colony.", "en", "Latn"),
        ("Суд приговорил активиста к пяти годам колонии строгого режима.", "ru", "Cyrl"),
        ("Суд прысудзіў актывісту пяць гадоў калоніі ўзмоцненага рэжыму.", "be", "Cyrl"),
        ("Sud prysudziŭ aktyvistu piać hadoŭ kalonii ŭzmocnienaha režymu.", "be", "Latn"),
        ("Суд засудив активіста до п'яти років колонії суворого режиму.", "uk", "Cyrl"),
        ("Sąd skazał działacza na pięć lat kolonii karnej o zaostrzonym rygorze.", "pl", "Latn"),
        ("Das Gericht verurteilte den Aktivisten zu fünf Jahren Straflager.", "de", "Latn"),
    ],
)
def test_detects_monitored_languages(text: str, language: str, script: str) -> None:
    guess = detect_language(text)
    assert (guess.language, guess.script) == (language, script)


def test_hint_wins_and_is_normalised() -> None:
    assert detect_language("Some English text here.", "be-BY").language == "be"
    assert normalize_language_code("ru_RU") == "ru"
    assert normalize_language_code("xx") is None
    assert detect_language("1234 !!").language == "und"
