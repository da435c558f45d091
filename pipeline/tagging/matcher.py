"""Multi-pattern matching: every pattern of the taxonomy and the entity list in one pass.

One literal per pattern - its *anchor*, the longest element, so never a short word such as "of" or
"в" - goes into an Aho-Corasick automaton (``pyahocorasick``, C) that runs over the normalised text;
case-sensitive anchors (acronyms) go in normalised too and are compared with the original text where
they are found. Python code only
sees the raw anchor hits: it checks word boundaries and endings, then verifies the other elements of
a multi-word pattern on the words to the left and right of the anchor. There is no loop over
patterns or regular expressions per article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from pipeline.tagging.normalize import is_word_char, normalize
from pipeline.tagging.patterns import (
    ENDINGS,
    REACH_WORDS,
    Element,
    Mode,
    PatternSpec,
    anchor_index,
    element_matches_word,
)

__all__ = ["CompiledPattern", "Matcher", "Span"]

Span = tuple[int, int]
_REST = re.compile(r"\w*(?:'\w+)*")
_WORD = re.compile(r"\w")
_WORDS = re.compile(r"\w+(?:'\w+)*")
_NEIGHBOUR_WORDS = REACH_WORDS  # a long gap and one element
_NEIGHBOUR_CHARS = 13 * REACH_WORDS


@dataclass(frozen=True)
class CompiledPattern:
    """A parsed pattern plus words it must not match (``not`` in the config)."""

    spec: PatternSpec
    excludes: tuple[Element, ...] = ()


@dataclass(frozen=True)
class _Slot:
    element: Element
    excludes: tuple[Element, ...]


class Matcher:
    """Finds every occurrence of every pattern; ``scan`` returns ``{pattern index: [spans]}``."""

    def __init__(self, patterns: Sequence[CompiledPattern]) -> None:
        self._patterns: list[CompiledPattern] = list(patterns)
        self._anchor: list[int] = []  # pattern -> index of its anchor element
        self._slots: list[_Slot] = []
        self._by_slot: dict[int, list[int]] = {}  # anchor slot -> patterns
        index: dict[_Slot, int] = {}
        for pid, pattern in enumerate(patterns):
            elements = pattern.spec.elements
            anchor = anchor_index(pattern.spec)  # its longest word
            slot = _Slot(elements[anchor], pattern.excludes)
            if slot not in index:
                index[slot] = len(self._slots)
                self._slots.append(slot)
            self._anchor.append(anchor)
            self._by_slot.setdefault(index[slot], []).append(pid)
        # Per anchor slot: its one-word patterns, and its longer ones by the element that must stand
        # right next to the anchor, so that one look at that word rules most of them out at once.
        self._singles: dict[int, list[int]] = {}
        self._sides: dict[int, list[_Side]] = {}
        self._loose: dict[int, list[int]] = {}  # a gap allowed on both sides of the anchor
        for sid, pids in self._by_slot.items():
            sides = {True: _Side(True), False: _Side(False)}
            for pid in pids:
                if len(patterns[pid].spec.elements) == 1:
                    self._singles.setdefault(sid, []).append(pid)
                    continue
                adjacent = _adjacent(patterns[pid].spec, self._anchor[pid])
                if adjacent is None:
                    self._loose.setdefault(sid, []).append(pid)
                else:
                    sides[adjacent[0]].add(adjacent[1], pid)
            used = [side for side in sides.values() if side.exact or side.other]
            if used:
                self._sides[sid] = used
        self._automaton: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_automaton"] = None  # rebuilt on first use: cheap, and keeps pickles small
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def pattern_count(self) -> int:
        return len(self._patterns)

    def specs(self) -> list[PatternSpec]:
        """The parsed patterns, by pattern index."""
        return [p.spec for p in self._patterns]

    def _build(self) -> Any:
        """One automaton of every anchor literal, normalised; case-sensitive ones (acronyms) are
        checked against the original text when they are found."""
        table: dict[str, list[int]] = {}
        for sid, slot in enumerate(self._slots):
            table.setdefault(_text_key(slot.element), []).append(sid)
        if not table:
            return None
        automaton = ahocorasick.Automaton()
        for key, sids in table.items():
            infix = any(self._slots[sid].element.infix for sid in sids)
            automaton.add_word(key, (len(key), tuple(sids), infix))
        automaton.make_automaton()
        return automaton

    def scan(self, original: str, norm: str) -> dict[int, list[Span]]:
        """Spans (start, end) of each pattern in ``norm`` (= ``normalize(original)``, same length)."""
        if self._automaton is None:
            self._automaton = self._build()
            if self._automaton is None:
                return {}
        hits: dict[int, list[Span]] = {}
        self._collect(self._automaton.iter(norm), original, norm, hits)
        return self._assemble(original, norm, hits)

    def _collect(self, raw: Any, original: str, norm: str, hits: dict[int, list[Span]]) -> None:
        slots = self._slots
        rest_of_word = _REST.match
        for end, (length, sids, infix) in raw:
            start = end - length + 1
            bounded = start == 0 or not is_word_char(norm, start - 1)
            if not (bounded or infix):
                continue  # inside a word, and no pattern of this literal may be (most such hits)
            word_end = rest_of_word(norm, end + 1).end()  # type: ignore[union-attr]
            rest = norm[end + 1 : word_end]
            for sid in sids:
                slot = slots[sid]
                element = slot.element
                if not (bounded or element.infix):
                    continue
                if element.mode is Mode.EXACT and rest:
                    continue
                if element.mode is Mode.INFLECT and rest not in ENDINGS:
                    continue
                if element.case_sensitive and original[start : end + 1] != element.key:
                    continue
                word_start = start if bounded else _word_start(norm, start)
                if slot.excludes and _excluded(slot.excludes, norm[word_start:word_end]):
                    continue
                hits.setdefault(sid, []).append((word_start, word_end))

    def _assemble(self, original: str, norm: str, hits: dict[int, list[Span]]) -> dict[int, list[Span]]:
        out: dict[int, list[Span]] = {}
        around = _Neighbours(norm)
        for sid, spans in hits.items():
            for pid in self._singles.get(sid, ()):
                out.setdefault(pid, []).extend(spans)
            sides, loose = self._sides.get(sid, ()), self._loose.get(sid, ())
            if not (sides or loose):
                continue
            for span in spans:
                candidates: list[int] = list(loose)
                for side in sides:
                    word = around.next_word(span, side.right)
                    candidates += side.exact.get(word, ())
                    candidates += (
                        pid
                        for element, pids in side.other
                        if element_matches_word(element, word)
                        for pid in pids
                    )
                for pid in candidates:
                    found = self._verify(original, norm, around, pid, span)
                    if found is not None:
                        out.setdefault(pid, []).append(found)
        return out

    def _verify(
        self, original: str, norm: str, around: _Neighbours, pid: int, anchor_span: Span
    ) -> Span | None:
        """Check the elements around the anchor word; the span of the whole phrase, or None."""
        pattern = self._patterns[pid]
        elements, gaps, anchor = pattern.spec.elements, pattern.spec.gaps, self._anchor[pid]
        start, end = anchor_span
        if anchor + 1 < len(elements):
            right = around.right(anchor_span)
            pos = 0
            for i in range(anchor + 1, len(elements)):
                for j in range(pos, min(pos + gaps[i - 1] + 1, len(right))):
                    if _word_ok(elements[i], pattern.excludes, original, norm, *right[j]):
                        end, pos = right[j][1], j + 1
                        break
                else:
                    return None
        if anchor > 0:
            left = around.left(anchor_span)
            pos = 0
            for i in range(anchor - 1, -1, -1):
                for j in range(pos, min(pos + gaps[i] + 1, len(left))):
                    if _word_ok(elements[i], pattern.excludes, original, norm, *left[j]):
                        start, pos = left[j][0], j + 1
                        break
                else:
                    return None
        return start, end


def _text_key(element: Element) -> str:
    """The element's literal as it reads in normalised text (acronyms keep their case in ``key``)."""
    return normalize(element.key) if element.case_sensitive else element.key


def _adjacent(spec: PatternSpec, anchor: int) -> tuple[bool, Element] | None:
    """The element that must be the very next word beside the anchor (no gap allowed between them):
    ``(True, element)`` on the right, ``(False, element)`` on the left; None when there is none."""
    elements, gaps = spec.elements, spec.gaps
    if anchor + 1 < len(elements) and gaps[anchor] == 0:
        return True, elements[anchor + 1]
    if anchor > 0 and gaps[anchor - 1] == 0:
        return False, elements[anchor - 1]
    return None


class _Side:
    """Patterns of one anchor whose next element stands right next to it on one side: by that
    element's exact word (``exact``), or element by element (``other``: stems, endings, infixes)."""

    def __init__(self, right: bool) -> None:
        self.right = right
        self.exact: dict[str, list[int]] = {}
        self.other: list[tuple[Element, list[int]]] = []

    def add(self, element: Element, pid: int) -> None:
        if element.mode is Mode.EXACT and not element.infix:
            self.exact.setdefault(_text_key(element), []).append(pid)
            return
        for known, pids in self.other:
            if known == element:
                pids.append(pid)
                return
        self.other.append((element, [pid]))


class _Neighbours:
    """Words left and right of anchor spans (nearest first), computed once per span and side."""

    def __init__(self, norm: str) -> None:
        self._norm = norm
        self._reversed: str | None = None
        self._right: dict[Span, list[Span]] = {}
        self._left: dict[Span, list[Span]] = {}
        self._next: dict[tuple[Span, bool], str] = {}

    def next_word(self, span: Span, right: bool) -> str:
        """The nearest word on that side of ``span`` (the first of ``right``/``left``), or ""."""
        key = (span, right)
        word = self._next.get(key)
        if word is None:
            word = self._next[key] = self._next_word(span, right)
        return word

    def _next_word(self, span: Span, right: bool) -> str:
        norm = self._norm
        if right:  # the first word of ``right(span)``
            found = _WORDS.search(norm, span[1], span[1] + _NEIGHBOUR_CHARS)
            return found.group() if found else ""
        # The first word of ``left(span)``: the nearest word before it, found in the reversed text
        # (words are runs of word characters joined by single apostrophes: the same read backwards).
        if self._reversed is None:
            self._reversed = norm[::-1]
        size = len(norm)
        found = _WORDS.search(self._reversed, size - span[0], size - span[0] + _NEIGHBOUR_CHARS)
        return found.group()[::-1] if found else ""

    def right(self, span: Span) -> list[Span]:
        words = self._right.get(span)
        if words is None:
            words = []
            for m in _WORDS.finditer(self._norm, span[1], span[1] + _NEIGHBOUR_CHARS):
                words.append(m.span())
                if len(words) == _NEIGHBOUR_WORDS:
                    break
            self._right[span] = words
        return words

    def left(self, span: Span) -> list[Span]:
        words = self._left.get(span)
        if words is None:
            start = max(0, span[0] - _NEIGHBOUR_CHARS)
            words = [m.span() for m in _WORDS.finditer(self._norm, start, span[0])]
            if words and words[0][0] == start and start > 0 and is_word_char(self._norm, start - 1):
                words = words[1:]  # cut in the middle of a word
            words = words[::-1][:_NEIGHBOUR_WORDS]
            self._left[span] = words
        return words


def _word_ok(
    element: Element, excludes: tuple[Element, ...], original: str, norm: str, start: int, end: int
) -> bool:
    word = norm[start:end]
    if not element_matches_word(element, word):
        return False
    if element.case_sensitive and not _case_matches(element, original, start, end):
        return False
    return not (excludes and _excluded(excludes, word))


def _case_matches(element: Element, original: str, start: int, end: int) -> bool:
    if element.infix:
        return element.key in original[start:end]
    return original.startswith(element.key, start)


def _word_start(norm: str, index: int) -> int:
    while index > 0 and is_word_char(norm, index - 1):
        index -= 1
    return index


def _excluded(excludes: tuple[Element, ...], word: str) -> bool:
    return any(element_matches_word(element, word) for element in excludes)
