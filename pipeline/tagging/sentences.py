"""A cheap sentence splitter: the offsets where sentences start, computed once per text.

Proximity (``near``) stops at sentence boundaries by default, so that "X was detained. ...
Separately, a journalist..." does not make a detained journalist. A boundary is:

* ``.``, ``!``, ``?`` or ``…`` (possibly repeated, possibly followed by closing quotes/brackets),
  then whitespace, then an upper-case letter or a digit (possibly after opening quotes, a bracket
  or a dash);
* a line break followed by an upper-case letter, digit, quote or bullet, or a blank line (the
  enricher joins title and text with a blank line, so a title is its own sentence).

A full stop is *not* a boundary after a single letter (initials "A. Lukashenko", "U.S.", "ч. 1"),
after a known abbreviation ("Mr.", "St.", "г.", "ул.", "z.B.", "ks.", "Nr.") or between digits
(decimals have no whitespace after the dot anyway). When in doubt the splitter does not split: a
missed boundary only keeps the old, article-wide proximity for that pair of sentences.

Offsets are in the original text and equal those of the normalised text (normalisation keeps the
length), so ``sentence_index(bounds, span[0])`` works on match spans directly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import pairwise

__all__ = ["ABBREVIATIONS", "sentence_bounds", "sentence_index", "split_sentences"]

# Lower-cased words that end with a full stop without ending a sentence, one line per language.
_ABBREVIATION_LINES = (
    "mr mrs ms dr st jr sr prof gen col lt sgt capt cpt gov sen rep rev hon pres no nos vs etc approx",
    "inc ltd co corp dept univ fig jan feb mar apr jun jul aug sep sept oct nov dec mt ft ave",
    "г гг ул пр просп пл пер д им т тт ст св тыс млн млрд руб бел р см др проф акад ген обл р-н пр-т",
    "вул ім вв пас дер",
    "sp ul al pl ks św sw tzw np nr mln mld tys woj pow gm prok płk plk",
    "bzw usw vgl ca abs mio mrd jh hr fr str",
)
ABBREVIATIONS: frozenset[str] = frozenset(word for line in _ABBREVIATION_LINES for word in line.split())

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
# One pattern that starts with a character class (fast in ``re``): a stop or a line break, closing
# quotes/brackets, whitespace, opening quotes/brackets/dashes/bullets, then the first word character.
_BOUNDARY = re.compile(
    r"[.!?…\n](?P<close>[.!?…\"'»”’)\]]*)(?P<space>\s*)(?P<open>(?:[\"'«„“‘(\[\-–—•*][ \t]*)*)(?P<ch>\w)"
)
_WORD_BEFORE = re.compile(r"[\w-]+$")


def sentence_bounds(text: str) -> list[int]:
    """Sorted start offsets of the sentences of ``text`` after the first (which starts at 0)."""
    bounds: list[int] = []
    for m in _BOUNDARY.finditer(text):
        space, ch = m.group("space"), m.group("ch")
        start = m.start()
        if text[start] == "\n" or "\n" in space:
            gap = text[start : m.start("open")]
            if _PARAGRAPH.search(gap) or m.group("open") or ch.isupper() or ch.isdigit():
                bounds.append(m.start("open"))
            continue
        if not space or not (ch.isupper() or ch.isdigit()):
            continue  # "3.5", "U.S.A", "e.g. the"
        if text[start] == "." and not m.group("close") and _after_abbreviation(text, start):
            continue
        bounds.append(m.start("open"))
    return bounds


def _after_abbreviation(text: str, dot: int) -> bool:
    word = _WORD_BEFORE.search(text, max(0, dot - 20), dot)
    return word is not None and _abbreviation(word.group())


def _abbreviation(word: str) -> bool:
    low = word.lower()
    if len(low) == 1:  # initials, "U.S.", "ч. 1"
        return True
    return low in ABBREVIATIONS or low.rsplit("-", 1)[-1] in ABBREVIATIONS


def sentence_index(bounds: Sequence[int], offset: int) -> int:
    """Index of the sentence that contains ``offset`` (0 for the first sentence)."""
    return bisect_right(bounds, offset)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (stripped); for tests and debugging."""
    cuts = [0, *sentence_bounds(text), len(text)]
    return [text[a:b].strip() for a, b in pairwise(cuts) if text[a:b].strip()]
