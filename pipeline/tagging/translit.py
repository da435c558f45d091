"""Cyrillic -> Latin transliteration: Łacinka variants for patterns, ASCII forms for person names.

``be_to_latin`` is applied to pattern strings (syntax marks pass through), e.g. ``статкевіч*`` ->
``statkievič*`` and ``ціханоўск{ая,ай}`` -> ``cichanoŭsk{aja,aj}``. After ``normalize`` the diacritics
fold away, so the result also matches texts written without them.

``name_to_latin`` gives the canonical Latin form of a person's name written in Cyrillic, in the
spelling English-language media and passports use (ASCII, no diacritics):

* Belarusian: the passport style of the curated entities (``Бяляцкі`` -> ``Bialiatski``,
  ``Ціханоўская`` -> ``Tsikhanouskaya``, ``Сяргей`` -> ``Siarhei``);
* Russian: BGN/PCGN without diacritics, ``-ий``/``-ый`` -> ``-y`` as in the press (``Навальный`` ->
  ``Navalny``, ``Евгений`` -> ``Yevgeny``);
* Ukrainian: the official 2010 national system (``Зеленський`` -> ``Zelenskyi``, ``Олександр`` ->
  ``Oleksandr``).

``latin_slug`` turns any Latin name into the ASCII slug of an entity id (``Nicolás Maduro`` ->
``nicolas-maduro``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["be_to_latin", "latin_slug", "name_to_latin"]

_SIMPLE = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "ж": "ž", "з": "z", "і": "i", "i": "i",
    "й": "j", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ў": "ŭ", "ф": "f", "х": "ch", "ц": "c", "ч": "č", "ш": "š", "ы": "y", "ь": "", "э": "e",
    "'": "", "’": "",
}  # fmt: skip
_IOTATED = {"е": "e", "ё": "o", "ю": "u", "я": "a"}
_VOWELS = set("аеёіiоуыэюяў")


def be_to_latin(text: str) -> str:
    """Transliterate Belarusian Cyrillic letters in ``text``; other characters are kept."""
    out = []
    lowered = text.lower()
    for i, ch in enumerate(lowered):
        if ch in _IOTATED:
            prev = lowered[i - 1] if i else " "
            soft = prev.isalpha() and prev not in _VOWELS and prev not in "ь'’"
            if prev == "л":  # Łacinka marks soft l by writing l (not ł) and no i: ля -> la
                out.append(_IOTATED[ch])
            else:
                out.append(("i" if soft else "j") + _IOTATED[ch])
        else:
            out.append(_SIMPLE.get(ch, ch))
    return "".join(out)


# ---------------------------------------------------------------- ASCII forms of personal names

_COMMON = {
    "а": "a", "б": "b", "в": "v", "д": "d", "ж": "zh", "з": "z", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ь": "", "ъ": "", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
_RU = {**_COMMON, "г": "g", "и": "i", "й": "y", "ы": "y", "э": "e", "і": "i"}
_UK = {**_COMMON, "г": "h", "ґ": "g", "е": "e", "и": "y", "і": "i"}
_BE = {**_COMMON, "г": "h", "ґ": "g", "і": "i", "ы": "y", "э": "e", "ў": "u", "й": "i"}
# Iotated vowels: (form at the start of a word or after a vowel / soft sign, form after a consonant).
_RU_IOTATED = {"е": ("ye", "e"), "ё": ("yo", "yo"), "ю": ("yu", "yu"), "я": ("ya", "ya")}
_UK_IOTATED = {"є": ("ye", "ie"), "ї": ("yi", "i"), "ю": ("yu", "iu"), "я": ("ya", "ia"), "й": ("y", "i")}
_BE_IOTATED = {"е": ("ye", "e"), "ё": ("yo", "io"), "ю": ("yu", "iu"), "я": ("ya", "ia")}
_RU_VOWELS = set("аеёиоуыэюяьъ")
_UK_VOWELS = set("аеєиіїоуюяь'’ʼ")
_BE_VOWELS = set("аеёіоуыэюяўь'’ʼ")
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")


def _translit_word(word: str, language: str) -> str:
    low = word.lower()
    if language == "uk":
        table, iotated, vowels = _UK, _UK_IOTATED, _UK_VOWELS
        low = low.replace("зг", "zgh")
    elif language == "be":
        table, iotated, vowels = _BE, _BE_IOTATED, _BE_VOWELS
        low = low.replace("цц", "ц")  # Таццяна -> Tatsiana
    else:
        table, iotated, vowels = _RU, _RU_IOTATED, _RU_VOWELS
        if low.endswith(("ий", "ый")):
            low = low[:-2] + "y"
    out = []
    for i, ch in enumerate(low):
        if ch in iotated:
            prev = low[i - 1] if i else ""
            initial, after_consonant = iotated[ch]
            if language == "be" and ch == "я" and prev in ("ы", "і"):
                out.append("ia")  # Марыя -> Maryia, Ілля -> Illia
            elif language == "uk":
                out.append(initial if i == 0 else after_consonant)  # Юлія -> Yuliia, Заїка -> Zaika
            else:
                out.append(initial if not prev or prev in vowels or not prev.isalpha() else after_consonant)
        else:
            out.append(table.get(ch, ch))
    return "".join(out)


def name_to_latin(name: str, language: str) -> str:
    """ASCII Latin form of a Cyrillic ``name`` (``ru``, ``uk`` or ``be`` rules), capitalised per word."""
    lang = language if language in ("uk", "be") else "ru"
    return _WORD.sub(lambda m: _translit_word(m.group(), lang).capitalize(), name)


def latin_slug(name: str) -> str:
    """Lower-case ASCII slug of a Latin-script name: letters and digits, words joined by ``-``."""
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_only))
