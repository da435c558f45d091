"""Offline language identification for the languages newsmon monitors (no model files).

Cyrillic text is told apart by the letters each alphabet lacks: Russian has no ``і ў ї є ґ``,
Belarusian no ``и щ ъ ї є ґ``, Ukrainian no ``ы э ъ ё ў``. Latin-script text is scored by
distinctive letters (``ŭ`` and ``č š ž`` with ``ł ś ć`` for Belarusian Łacinka; ``ą ę ż ó`` for
Polish; ``ä ö ü ß`` for German) and by function words of a dozen European languages. Only the
first ``SAMPLE_CHARS`` characters are read, which keeps detection in the tens of microseconds.

Returns ISO 639-1 codes; Belarusian in Łacinka is ``be`` with script ``Latn``. ``und`` when unsure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LanguageGuess", "detect_language", "normalize_language_code"]

SAMPLE_CHARS = 700

_CYRILLIC_COMMON = "оеаинтсрвлі"
_LATIN_COMMON = "eaoinrstlz"
_LATIN_WORD = re.compile(r"[a-zà-ɏ']+")

# Letters a language does not use: the fewer of them in a text, the likelier the language.
_CYRILLIC_FOREIGN: dict[str, str] = {
    "ru": "іўїєґјљњћђџ",
    "be": "ищъїєґјљњћђџ",
    "uk": "ыэъёўјљњћђџ",
    "bg": "ыэёіўїєґјљњћђџ",
    "sr": "ыэёъйщяюіўїєґ",
}

_LATIN_LETTERS: dict[str, str] = {
    "be": "ŭ",
    "pl": "ąężó",
    "de": "äöüß",
    "cs": "řěů",
    "fr": "èêçàœ",
    "es": "ñ¿¡",
    "pt": "ãõ",
    "lt": "ėįųū",
}

_STOPWORDS: dict[str, str] = {
    "en": "a in at as his her him during the and of to is was that for with on by from has have had after "
    "are were its said it this which an be been not but they their he she who will would",
    "de": "der die das und den dem des ist nicht mit von sich auf für ein eine einer wurde werden "
    "auch nach bei zu im sie es aus dass wie vor hat sind war zum zur",
    "pl": "i w z na się nie że do jest to o od po za przez dla jak co oraz jego ich był była "
    "zostały który która które ale tym tego we ze roku także już",
    "be": "i u ŭ z na nie ad da pa za što jak heta jaho jany jana jon ale dla pry pra ci tolki "
    "užo kali byŭ była jakija jaki jakaja hetaha joj ich",
    "fr": "le la les des et est une un du en que qui dans pour pas sur au aux avec il elle ce sont",
    "es": "el la los las de y que en un una del por con para es se su al lo como más",
    "it": "il di che e la della per un una non sono è del dei nel con alla gli",
    "pt": "o a os as de que e do da em um uma para com não por dos das no na",
    "nl": "de het een van en niet is dat op te voor met zijn die ook aan bij",
    "cs": "a je se na v že to s z do o jako který která ale jsou byl bylo",
}

_STOP_INDEX: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words.split():
        _STOP_INDEX[_w] = (*_STOP_INDEX.get(_w, ()), _lang)

_KNOWN = {"en", "ru", "be", "uk", "pl", "de", "fr", "es", "it", "pt", "nl", "cs", "lt", "bg", "sr"}


@dataclass(frozen=True)
class LanguageGuess:
    """``language`` (ISO 639-1 or ``und``), ``script`` (``Latn``/``Cyrl``/``Zyyy``), ``source``."""

    language: str
    script: str
    source: str  # "detected" or "hint"


def normalize_language_code(code: str | None) -> str | None:
    """``'ru-RU'`` -> ``'ru'``, ``'be-Latn'`` -> ``'be'``; None for empty or unknown codes."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    if base == "by":  # seen in feeds for Belarusian
        base = "be"
    return base if base in _KNOWN else None


def detect_language(text: str, hint: str | None = None) -> LanguageGuess:
    """Guess the language of ``text``; a known ``hint`` (e.g. from the feed) wins over detection."""
    sample = text[:SAMPLE_CHARS].lower()
    cyr = sum(sample.count(ch) for ch in _CYRILLIC_COMMON)
    lat = sum(sample.count(ch) for ch in _LATIN_COMMON)
    script = "Cyrl" if cyr > lat else "Latn" if lat else "Zyyy"
    hinted = normalize_language_code(hint)
    if hinted:
        return LanguageGuess(hinted, script, "hint")
    if script == "Cyrl":
        return LanguageGuess(_cyrillic_language(sample), script, "detected")
    if script == "Latn":
        return LanguageGuess(_latin_language(sample), script, "detected")
    return LanguageGuess("und", script, "detected")


def _cyrillic_language(sample: str) -> str:
    penalties = {lang: sum(sample.count(ch) for ch in foreign) for lang, foreign in _CYRILLIC_FOREIGN.items()}
    # Bulgarian and Serbian only when their own letters dominate; ties go to Russian.
    best = min(("ru", "uk", "be", "bg", "sr"), key=lambda lang: penalties[lang])
    if best == "bg" and sample.count("ъ") < 3:
        return "ru"
    return best


def _latin_language(sample: str) -> str:
    scores: dict[str, float] = {}
    for word in _LATIN_WORD.findall(sample)[:120]:
        for lang in _STOP_INDEX.get(word, ()):
            scores[lang] = scores.get(lang, 0.0) + 1.0
    for lang, letters in _LATIN_LETTERS.items():
        hits = sum(sample.count(ch) for ch in letters)
        if hits:
            scores[lang] = scores.get(lang, 0.0) + 3.0 * hits
    # Łacinka shares ł ś ć ź with Polish but writes č š ž where Polish writes cz sz ż.
    shared = sum(sample.count(ch) for ch in "łśćź")
    czech_like = sum(sample.count(ch) for ch in "čšž")
    if czech_like and shared and not any(ch in sample for ch in "ąęż"):
        scores["be"] = scores.get("be", 0.0) + 3.0 * czech_like
    elif czech_like:
        scores["cs"] = scores.get("cs", 0.0) + 1.0 * czech_like
    if not scores:
        return "und"
    ranked = sorted(scores.values(), reverse=True)
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] >= 2.0 or (len(ranked) == 1 or ranked[1] < ranked[0]):
        return best
    return "und"
