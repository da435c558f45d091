"""Belarusian Cyrillic -> Łacinka-style Latin, for deriving Latin-script name variants.

Applied to pattern strings (syntax marks pass through), e.g. ``статкевіч*`` -> ``statkievič*`` and
``ціханоўск{ая,ай}`` -> ``cichanoŭsk{aja,aj}``. After ``normalize`` the diacritics fold away, so the
result also matches texts written without them.
"""

from __future__ import annotations

__all__ = ["be_to_latin"]

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
