"""Length-preserving text normalisation shared by patterns and articles.

``normalize(text)`` lower-cases, folds Latin diacritics (``ł``->``l``, ``ž``->``z``, ``ä``->``a``),
unifies Cyrillic letter variants (``ё``->``е``, ``ў``->``у``, ``і``->Latin ``i``, ``ґ``->``г``) and
apostrophes (``’``/``ʼ``->``'``). Every character maps to exactly one character, so an offset in the
normalised string is the same offset in the original: evidence spans need no mapping table.
Patterns go through the same function, so ``Łukašenka`` in a pattern matches ``Lukasenka`` in text.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["is_word_char", "normalize", "word_count"]


def _build_fold_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp).lower()
        if len(ch) != 1 or ch.isascii() or not ch.isalpha():
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        if base.isascii() and base.isalpha():
            table[ch] = base
    table.update(
        {
            "ł": "l",
            "ø": "o",
            "đ": "d",
            "ħ": "h",
            "ß": "s",
            "ı": "i",
            "ё": "е",
            "ў": "у",
            "і": "i",
            "ґ": "г",
            "’": "'",
            "‘": "'",
            "ʼ": "'",
            "ʹ": "'",
            "`": "'",
            "´": "'",
            "′": "'",
        }
    )
    return table


_FOLD = _build_fold_table()
_FOLDABLE = re.compile("[" + re.escape("".join(sorted(_FOLD))) + "]")
_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Lower-case and fold ``text`` without changing its length (see module docstring)."""
    low = text.lower()
    if len(low) != len(text):  # e.g. 'İ'.lower() is two code points: keep the first
        low = "".join(ch.lower()[0] for ch in text)
    found = _FOLDABLE.findall(low)
    if found:
        for ch in set(found):
            low = low.replace(ch, _FOLD[ch])
    return low


def is_word_char(text: str, index: int) -> bool:
    """True when ``text[index]`` belongs to a word (letters, digits, an apostrophe inside a word)."""
    ch = text[index]
    if ch.isalnum() or ch == "_":
        return True
    return ch == "'" and index > 0 and text[index - 1].isalnum()


def word_count(text: str, start: int, end: int) -> int:
    """Number of words in ``text[start:end]``."""
    if end <= start:
        return 0
    return len(_WORD.findall(text, start, end))
