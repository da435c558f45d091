"""The pattern language of ``config/taxonomy.yaml`` and ``config/entities.yaml``.

A pattern is one or more *elements* separated by spaces; all must occur in order. Between two
elements only punctuation or spaces may stand, unless ``..`` is written between them, which allows
up to ``GAP_WORDS`` other words. Hyphens and dots inside a token also separate elements
(``Kara-Murza`` = ``kara murza``). An element is a literal with optional marks:

``word``      the whole word, exactly (after normalisation)
``stem*``     a word that starts with ``stem`` (any ending: ``арест*`` = арест, арестован, арестов)
``stem~``     ``stem`` plus one of the nominal inflection endings in ``ENDINGS`` (``минск~`` = Минск,
              Минске, Минска; ``лид~`` = Лида, Лиде but not лидер)
``*part``     no word boundary on the left: ``part`` may end a compound (German ``*haft`` matches
              Untersuchungshaft); combine with ``*``/``~`` on the right
``=Word``     case-sensitive: the original text must read exactly ``Word`` (acronyms: ``=KGB``)
``st{a,ami}`` alternatives, expanded into one pattern per alternative (``{}`` may hold an empty one)

Matching runs on ``normalize``-d text, so ``Łukašenka`` and ``lukasenka`` are the same literal.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import Enum

from pipeline.tagging.normalize import normalize

__all__ = [
    "ENDINGS",
    "GAP_WORDS",
    "LONG_GAP_WORDS",
    "REACH_WORDS",
    "Element",
    "Mode",
    "PatternError",
    "PatternSpec",
    "anchor_index",
    "element_matches_word",
    "parse_pattern",
    "reach",
]

GAP_WORDS = 3
LONG_GAP_WORDS = 7
# Words the matcher reads on each side of a phrase's anchor (its longest word): a long gap and the
# element after it. A phrase longer than that on one side never matches; one whose gaps may reach
# beyond it matches only with shorter gaps (the linter reports both).
REACH_WORDS = LONG_GAP_WORDS + 1

# Case endings of Russian, Belarusian, Ukrainian and Polish nouns and adjectives (and English
# possessives), after normalisation (ё->е, ў->у, і->i). Used by the ``~`` mark, mostly for names and
# places: ``минск~`` covers Минске and минский, ``пинск~`` Пинску and пинская.
_CYRILLIC_ENDINGS = (
    "а я у ю е э и i ы о ь й ой ей ою ею ом ем ам ям ах ях ами ями ов ев ью ови еви ау яу оу iв "
    "ий ый ая ое ую ые ие ых их ым им ыми ими ого его ому ему ае ыя ага аму ымi iм ої оi"
)
_LATIN_ENDINGS = (
    "a u e i y o em om ie iu ia ami ach ow owi ej aj oj ym im iem ego emu ich ymi imi am au aha amu "
    "s es 's s' '"
)
ENDINGS: frozenset[str] = frozenset(["", *_CYRILLIC_ENDINGS.split(), *_LATIN_ENDINGS.split()])

_TOKEN_SPLIT = re.compile(r"[^\w'=*~{},]+")
_LITERAL = re.compile(r"^[\w']+$")


class PatternError(ValueError):
    """A pattern string that does not follow the syntax; the message says what is wrong."""


class Mode(Enum):
    """How the rest of a word after an element literal is treated (see module docstring)."""

    EXACT = "exact"
    PREFIX = "prefix"
    INFLECT = "inflect"


@dataclass(frozen=True)
class Element:
    """One word of a pattern: ``key`` is the normalised literal (original case if ``case_sensitive``)."""

    key: str
    mode: Mode
    infix: bool = False
    case_sensitive: bool = False


@dataclass(frozen=True)
class PatternSpec:
    """A parsed pattern: its elements and, between element i and i+1, ``gaps[i]`` allowed words."""

    source: str
    elements: tuple[Element, ...]
    gaps: tuple[int, ...]


def parse_pattern(source: str) -> list[PatternSpec]:
    """Parse one pattern string; brace alternatives yield several ``PatternSpec``s."""
    if not source or not source.strip():
        raise PatternError("empty pattern")
    options: list[list[Element]] = []
    gaps: list[int] = []
    pending_gap = 0
    for raw in source.split():
        if raw in ("..", "..."):
            if not options or pending_gap:
                raise PatternError(f"{source!r}: {raw!r} must stand between two words")
            pending_gap = GAP_WORDS if raw == ".." else LONG_GAP_WORDS
            continue
        for part in (p for p in _TOKEN_SPLIT.split(raw) if p):
            if options:
                gaps.append(pending_gap)
            pending_gap = 0
            options.append(_parse_element(part, source))
    if pending_gap:
        raise PatternError(f"{source!r}: '..' must stand between two words")
    if not options:
        raise PatternError(f"{source!r}: no words")
    return [PatternSpec(source, tuple(combo), tuple(gaps)) for combo in itertools.product(*options)]


def _parse_element(token: str, source: str) -> list[Element]:
    case_sensitive = token.startswith("=")
    body = token[1:] if case_sensitive else token
    infix = body.startswith("*")
    body = body[1:] if infix else body
    mode = Mode.EXACT
    if body.endswith("*"):
        mode, body = Mode.PREFIX, body[:-1]
    elif body.endswith("~"):
        mode, body = Mode.INFLECT, body[:-1]
    out: list[Element] = []
    for literal in _expand_braces(body, source):
        key = literal if case_sensitive else normalize(literal)
        if not _LITERAL.match(key):
            raise PatternError(f"{source!r}: {token!r} is not a word (letters, digits, apostrophes)")
        out.append(Element(key, mode, infix, case_sensitive))
    return out


def _expand_braces(body: str, source: str) -> list[str]:
    if "{" not in body and "}" not in body:
        return [body]
    match = re.fullmatch(r"([^{}]*)\{([^{}]*)\}([^{}]*)", body)
    if not match:
        raise PatternError(f"{source!r}: use at most one {{a,b}} group per word")
    head, alts, tail = match.groups()
    return [head + alt.strip() + tail for alt in alts.split(",")]


def element_matches_word(element: Element, word: str) -> bool:
    """Whether a whole normalised ``word`` satisfies ``element`` (used for exclusions and lint)."""
    key = normalize(element.key) if element.case_sensitive else element.key
    if element.infix:
        idx = word.find(key)
        if idx < 0:
            return False
        rest = word[idx + len(key) :]
    elif word.startswith(key):
        rest = word[len(key) :]
    else:
        return False
    if element.mode is Mode.EXACT:
        return rest == ""
    if element.mode is Mode.INFLECT:
        return rest in ENDINGS
    return True


def anchor_index(spec: PatternSpec) -> int:
    """The element a phrase is found by: its longest word (the first of equally long ones)."""
    elements = spec.elements
    return max(range(len(elements)), key=lambda i: (len(elements[i].key), -i))


def reach(spec: PatternSpec, gaps: bool = True) -> tuple[int, int]:
    """Words a match may span left and right of the anchor: the elements and (``gaps``) the most
    words its gaps allow; without ``gaps``, the fewest words a match takes."""
    anchor = anchor_index(spec)
    left = sum(1 + (spec.gaps[i] if gaps else 0) for i in range(anchor))
    right = sum(1 + (spec.gaps[i - 1] if gaps else 0) for i in range(anchor + 1, len(spec.elements)))
    return left, right
