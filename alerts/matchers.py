"""The compiled form of a subscription query: small matcher nodes evaluated against an
:class:`~alerts.document.AnalyzedDocument`, with the Lucene ``BooleanQuery`` semantics
Elasticsearch applies (must / should / must_not; should optional next to a must).

Each node also reports its *anchors*: terms (and prefix keys) at least one of which a matching
document must contain, or None when no such set exists (a pure negation). The subscription index
uses them so that only candidate subscriptions are evaluated per article.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.document import AnalyzedDocument

__all__ = [
    "PREFIX_KEY_LEN",
    "AnyOf",
    "AnyTerm",
    "BoolMatch",
    "MatchAll",
    "Matcher",
    "PhraseMatch",
    "PrefixMatch",
]

#: prefixes are indexed by their first characters (a document term yields its own such keys)
PREFIX_KEY_LEN = 3


@dataclass(frozen=True)
class Anchors:
    """Terms / prefix keys of which a document must contain at least one to possibly match."""

    terms: frozenset[str]
    prefixes: frozenset[str]

    def __or__(self, other: Anchors) -> Anchors:
        return Anchors(self.terms | other.terms, self.prefixes | other.prefixes)

    def __len__(self) -> int:
        return len(self.terms) + len(self.prefixes)


class Matcher(ABC):
    """A compiled query node; :meth:`matches` is called per candidate article."""

    @abstractmethod
    def matches(self, doc: AnalyzedDocument) -> bool: ...

    @abstractmethod
    def anchors(self) -> Anchors | None: ...


@dataclass(frozen=True)
class AnyTerm(Matcher):
    """Any of ``terms`` in ``field`` (a term query, or the tokens of one analysed term, OR'ed)."""

    field: str
    terms: frozenset[str]

    def matches(self, doc: AnalyzedDocument) -> bool:
        present = doc.terms(self.field)
        return any(t in present for t in self.terms)

    def anchors(self) -> Anchors:
        return Anchors(self.terms, frozenset())


@dataclass(frozen=True)
class PhraseMatch(Matcher):
    """A phrase (slop 0) in ``field``: per relative position, any of the alternatives."""

    field: str
    steps: tuple[tuple[int, frozenset[str]], ...]

    def matches(self, doc: AnalyzedDocument) -> bool:
        present = doc.terms(self.field)
        sets: list[tuple[int, set[int]]] = []
        for offset, alternatives in self.steps:
            positions = {p for t in alternatives for p in present.get(t, ())}
            if not positions:
                return False
            sets.append((offset, positions))
        (first_offset, starts), rest = sets[0], sets[1:]
        return any(all(s - first_offset + off in ps for off, ps in rest) for s in starts)

    def anchors(self) -> Anchors:
        rarest = max(self.steps, key=lambda step: max(len(t) for t in step[1]))
        return Anchors(rarest[1], frozenset())


@dataclass(frozen=True)
class PrefixMatch(Matcher):
    """Any term of ``field`` starting with ``prefix``."""

    field: str
    prefix: str

    def matches(self, doc: AnalyzedDocument) -> bool:
        return any(t.startswith(self.prefix) for t in doc.terms(self.field))

    def anchors(self) -> Anchors:
        return Anchors(frozenset(), frozenset([self.prefix[:PREFIX_KEY_LEN]]))


@dataclass(frozen=True)
class AnyOf(Matcher):
    """At least one child matches (a term over several fields, or OR'ed sub-queries). When every
    child is an :class:`AnyTerm`, a document with none of their terms is rejected in one set test."""

    children: tuple[Matcher, ...]

    def __post_init__(self) -> None:
        gate = None
        if all(isinstance(c, AnyTerm) for c in self.children):
            gate = frozenset(t for c in self.children for t in c.terms)  # type: ignore[attr-defined]
        object.__setattr__(self, "_gate", gate)

    def matches(self, doc: AnalyzedDocument) -> bool:
        gate: frozenset[str] | None = self._gate  # type: ignore[attr-defined]
        if gate is not None and gate.isdisjoint(doc.tokens):
            return False
        return any(c.matches(doc) for c in self.children)

    def anchors(self) -> Anchors | None:
        return _union(self.children)


@dataclass(frozen=True)
class MatchAll(Matcher):
    """Every document (what Elasticsearch adds to a purely negative boolean query)."""

    def matches(self, doc: AnalyzedDocument) -> bool:
        return True

    def anchors(self) -> Anchors | None:
        return None


@dataclass(frozen=True)
class BoolMatch(Matcher):
    """Lucene ``BooleanQuery``: all ``must``, none of ``must_not``, and at least one ``should``
    unless there is a ``must``."""

    must: tuple[Matcher, ...]
    should: tuple[Matcher, ...]
    must_not: tuple[Matcher, ...]

    def matches(self, doc: AnalyzedDocument) -> bool:
        if not all(c.matches(doc) for c in self.must):
            return False
        if any(c.matches(doc) for c in self.must_not):
            return False
        return bool(self.must) or any(c.matches(doc) for c in self.should)

    def anchors(self) -> Anchors | None:
        if self.must:
            known = [a for a in (c.anchors() for c in self.must) if a is not None]
            return min(known, key=len) if known else None
        return _union(self.should) if self.should else None


def _union(children: Sequence[Matcher]) -> Anchors | None:
    out = Anchors(frozenset(), frozenset())
    for child in children:
        anchors = child.anchors()
        if anchors is None:
            return None
        out = out | anchors
    return out
