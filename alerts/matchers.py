"""The compiled form of a subscription query: small matcher nodes evaluated against an
:class:`~alerts.document.AnalyzedDocument`, with the Lucene ``BooleanQuery`` semantics
Elasticsearch applies (must / should / must_not; should optional next to a must).

A node tree is compiled once into a :data:`Predicate` (nested closures, :meth:`Matcher.predicate`)
that the stream calls per candidate article with the article's term masks
(:attr:`~alerts.document.AnalyzedDocument.masks`). Disjunctions are flattened: the per-field term
checks of a bare term (23 fields, a few distinct analysed forms) become one lookup per distinct form
and an ``&`` with the mask of the fields that form is sought in; prefixes and phrases sought in several
fields are grouped the same way. Required clauses are tested least likely first.

Each node also reports its *anchors*: terms (and prefix keys) at least one of which a matching
document must contain, or None when no such set exists (a pure negation), each with its estimated
share of documents (:func:`estimated_share`, a static rule). The subscription index uses them so that
only candidate subscriptions are evaluated per article; of several required clauses the one with the
rarest anchors is chosen.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from alerts.document import AnalyzedDocument, field_bit, field_names

__all__ = [
    "PREFIX_KEY_LENGTHS",
    "Anchors",
    "AnyOf",
    "AnyTerm",
    "BoolMatch",
    "MatchAll",
    "Matcher",
    "PhraseMatch",
    "Predicate",
    "PrefixMatch",
    "estimated_share",
    "prefix_key",
    "prefix_share",
]

#: prefixes are indexed by their first characters, as many as the longest of these lengths that fits
#: (a document term yields its own keys of the lengths in use)
PREFIX_KEY_LENGTHS = (5, 3)

#: a compiled matcher: (the document's term -> field-bitmask map, the document) -> matches
Predicate = Callable[[dict[str, int], AnalyzedDocument], bool]

Steps = tuple[tuple[int, frozenset[str]], ...]

#: keyword fields: estimated share of articles having any one given value. Few distinct values that
#: (nearly) every article has make poor anchors (``lang:en AND x`` must be found through ``x``).
_KEYWORD_SHARE: dict[str, float] = {
    "language": 0.5,
    "entity_types": 0.5,
    "tags": 0.02,
    "categories": 0.02,
    "source_names": 0.02,
    "source_domains": 0.02,
    "feed_ids": 0.02,
    "entity_names": 0.01,
    "entity_ids": 0.01,
    "authors": 0.01,
    "title.raw": 0.001,
    "url": 0.001,
    "id": 0.001,
}


def estimated_share(field: str, term: str) -> float:
    """Estimated share of articles containing ``term`` in ``field``, for choosing anchors (a static
    rule, no statistics: keyword fields by how many distinct values they have, analysed terms by
    length, short words being the common ones)."""
    share = _KEYWORD_SHARE.get(field)
    if share is not None:
        return share
    n = len(term)
    return 0.2 if n <= 3 else 0.05 if n <= 5 else 0.02


def prefix_key(prefix: str) -> str:
    """The key ``prefix`` is indexed by (see :data:`PREFIX_KEY_LENGTHS`; shorter prefixes: whole)."""
    for n in PREFIX_KEY_LENGTHS:
        if len(prefix) >= n:
            return prefix[:n]
    return prefix


def prefix_share(key: str) -> float:
    """Estimated share of articles having a term that starts with the prefix key ``key``."""
    return {1: 0.9, 2: 0.6, 3: 0.3, 4: 0.1}.get(len(key), 0.05)


@dataclass(frozen=True)
class Anchors:
    """Terms / prefix keys of which a document must contain at least one to possibly match, each
    with its estimated share of documents (used by the subscription index when a query is added)."""

    terms: Mapping[str, float]
    prefixes: Mapping[str, float]

    def __len__(self) -> int:
        return len(self.terms) + len(self.prefixes)

    @property
    def share(self) -> float:
        """Estimated share of documents that contain at least one anchor (a candidate's chance)."""
        return min(1.0, sum(self.terms.values()) + sum(self.prefixes.values()))


class Matcher(ABC):
    """A compiled query node; :meth:`matches` tests one article (the subscription index calls the
    compiled :meth:`predicate` directly)."""

    def matches(self, doc: AnalyzedDocument) -> bool:
        return self.predicate()(doc.masks, doc)

    def predicate(self) -> Predicate:
        """This node as one closure (built on first use, then cached)."""
        built: Predicate | None = self.__dict__.get("_predicate")
        if built is None:
            built = self._build()
            object.__setattr__(self, "_predicate", built)  # nodes are frozen dataclasses
        return built

    @abstractmethod
    def _build(self) -> Predicate: ...

    @abstractmethod
    def anchors(self) -> Anchors | None:
        """What a matching document must contain one of (None: no such set)."""


@dataclass(frozen=True)
class AnyTerm(Matcher):
    """Any of ``terms`` in ``field`` (a term query, or the tokens of one analysed term, OR'ed)."""

    field: str
    terms: frozenset[str]

    def _build(self) -> Predicate:
        return _disjunction([self])

    def anchors(self) -> Anchors:
        return Anchors({t: estimated_share(self.field, t) for t in self.terms}, {})


@dataclass(frozen=True)
class PhraseMatch(Matcher):
    """A phrase (slop 0) in ``field``: per relative position, any of the alternatives."""

    field: str
    steps: Steps

    def _build(self) -> Predicate:
        return _disjunction([self])

    def anchors(self) -> Anchors:
        def share(step: tuple[int, frozenset[str]]) -> tuple[float, int]:
            return sum(estimated_share(self.field, t) for t in step[1]), -max(len(t) for t in step[1])

        rarest = min(self.steps, key=share)[1]
        return Anchors({t: estimated_share(self.field, t) for t in rarest}, {})


@dataclass(frozen=True)
class PrefixMatch(Matcher):
    """Any term of ``field`` starting with ``prefix``."""

    field: str
    prefix: str

    def _build(self) -> Predicate:
        return _disjunction([self])

    def anchors(self) -> Anchors:
        key = prefix_key(self.prefix)
        return Anchors({}, {key: prefix_share(key)})


@dataclass(frozen=True)
class AnyOf(Matcher):
    """At least one child matches (a term over several fields, or OR'ed sub-queries)."""

    children: tuple[Matcher, ...]

    def _build(self) -> Predicate:
        return _disjunction(self.children)

    def anchors(self) -> Anchors | None:
        return _cached_anchors(self, lambda: _union(self.children))


@dataclass(frozen=True)
class MatchAll(Matcher):
    """Every document (what Elasticsearch adds to a purely negative boolean query)."""

    def _build(self) -> Predicate:
        return _always

    def anchors(self) -> Anchors | None:
        return None


@dataclass(frozen=True)
class BoolMatch(Matcher):
    """Lucene ``BooleanQuery``: all ``must``, none of ``must_not``, and at least one ``should``
    unless there is a ``must``."""

    must: tuple[Matcher, ...]
    should: tuple[Matcher, ...]
    must_not: tuple[Matcher, ...]

    def _build(self) -> Predicate:
        # term clauses are checked inline (no call per clause), required ones least likely first
        required_terms: list[tuple[tuple[str, int], ...]] = []
        required_other: list[Predicate] = []
        for child in sorted((c for c in self.must if not isinstance(c, MatchAll)), key=_share):
            terms = _term_masks([child])
            if terms is None:
                required_other.append(child.predicate())
            else:
                required_terms.append(tuple(terms.items()))
        excluded_terms: dict[str, int] = {}
        excluded_other: list[Matcher] = []
        for child in _flatten(self.must_not):
            if isinstance(child, AnyTerm):
                _add_terms(excluded_terms, child)
            else:
                excluded_other.append(child)
        return _boolean(
            tuple(required_terms),
            tuple(excluded_terms.items()),
            tuple(required_other),
            _disjunction(excluded_other) if excluded_other else None,
            None if self.must else _disjunction(self.should),
        )

    def anchors(self) -> Anchors | None:
        return _cached_anchors(self, self._find_anchors)

    def _find_anchors(self) -> Anchors | None:
        if self.must:
            known = [a for a in (c.anchors() for c in self.must) if a is not None]
            return min(known, key=lambda a: (a.share, len(a))) if known else None
        return _union(self.should) if self.should else None


def _cached_anchors(node: Matcher, find: Callable[[], Anchors | None]) -> Anchors | None:
    """A composite node's anchors, computed once (building the predicate needs its children's too)."""
    if "_anchors" not in node.__dict__:
        object.__setattr__(node, "_anchors", find())
    found: Anchors | None = node.__dict__["_anchors"]
    return found


def _share(matcher: Matcher) -> float:
    anchors = matcher.anchors()
    return 1.0 if anchors is None else anchors.share


def _union(children: Sequence[Matcher]) -> Anchors | None:
    terms: dict[str, float] = {}
    prefixes: dict[str, float] = {}
    for child in children:
        anchors = child.anchors()
        if anchors is None:
            return None
        for into, found in ((terms, anchors.terms), (prefixes, anchors.prefixes)):
            for key, share in found.items():
                if share > into.get(key, 0.0):
                    into[key] = share
    return Anchors(terms, prefixes)


# --- predicates -------------------------------------------------------------------------------------


def _always(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
    return True


def _flatten(children: Iterable[Matcher]) -> Iterable[Matcher]:
    for child in children:
        if isinstance(child, AnyOf):
            yield from _flatten(child.children)
        else:
            yield child


def _add_terms(into: dict[str, int], leaf: AnyTerm) -> None:
    bit = field_bit(leaf.field)
    for term in leaf.terms:
        into[term] = into.get(term, 0) | bit


def _term_masks(children: Iterable[Matcher]) -> dict[str, int] | None:
    """term -> mask of the fields it is sought in, when ``children`` are only (OR'ed) term queries."""
    out: dict[str, int] = {}
    for child in _flatten(children):
        if not isinstance(child, AnyTerm):
            return None
        _add_terms(out, child)
    return out


def _disjunction(children: Iterable[Matcher]) -> Predicate:
    """At least one of ``children``: leaves grouped by term / prefix / phrase across fields, the
    cheap checks first."""
    terms: dict[str, int] = {}
    prefixes: dict[str, int] = {}
    phrases: dict[Steps, int] = {}
    others: list[Predicate] = []
    for child in _flatten(children):
        if isinstance(child, AnyTerm):
            _add_terms(terms, child)
        elif isinstance(child, PrefixMatch):
            prefixes[child.prefix] = prefixes.get(child.prefix, 0) | field_bit(child.field)
        elif isinstance(child, PhraseMatch):
            phrases[child.steps] = phrases.get(child.steps, 0) | field_bit(child.field)
        elif isinstance(child, MatchAll):
            return _always
        else:
            others.append(child.predicate())
    parts: list[Predicate] = []
    if terms:
        parts.append(_terms(terms))
    if prefixes:
        parts.append(_prefixes(prefixes))
    if phrases:
        parts.append(_phrases(phrases))
    parts.extend(others)
    return _any_of(parts)


def _terms(wanted: dict[str, int]) -> Predicate:
    """Any term present in one of the fields of its mask."""
    if len(wanted) == 1:
        ((term, mask),) = wanted.items()

        def one(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
            return (masks.get(term, 0) & mask) != 0

        return one
    pairs = tuple(wanted.items())

    def some(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
        get = masks.get
        for term, mask in pairs:  # noqa: SIM110 - a loop beats any() + generator here
            if get(term, 0) & mask:
                return True
        return False

    return some


def _prefixes(wanted: dict[str, int]) -> Predicate:
    """Any field of a prefix's mask has a term starting with it."""
    pairs = tuple(wanted.items())

    def some(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
        for prefix, mask in pairs:  # noqa: SIM110
            if doc.prefix_mask(prefix) & mask:
                return True
        return False

    return some


def _phrases(wanted: dict[Steps, int]) -> Predicate:
    """Any phrase in one of the fields of its mask (positions are compared only in the fields that
    hold a term of every step)."""
    groups = tuple(
        (tuple(alts for _, alts in steps), steps, mask, tuple((n, field_bit(n)) for n in field_names(mask)))
        for steps, mask in wanted.items()
    )

    def some(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
        get = masks.get
        for alternatives, steps, mask, fields in groups:
            candidates = mask
            for alts in alternatives:
                seen = 0
                for term in alts:
                    seen |= get(term, 0)
                candidates &= seen
                if not candidates:
                    break
            else:
                for name, bit in fields:
                    if candidates & bit and _phrase_at(doc.terms(name), steps):
                        return True
        return False

    return some


def _phrase_at(present: Mapping[str, tuple[int, ...]], steps: Steps) -> bool:
    sets: list[tuple[int, set[int]]] = []
    for offset, alternatives in steps:
        positions = {p for t in alternatives for p in present.get(t, ())}
        if not positions:
            return False
        sets.append((offset, positions))
    (first_offset, starts), rest = sets[0], sets[1:]
    return any(all(s - first_offset + off in ps for off, ps in rest) for s in starts)


def _any_of(parts: Sequence[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts

        def either(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
            return a(masks, doc) or b(masks, doc)

        return either
    every = tuple(parts)

    def some(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
        for part in every:  # noqa: SIM110
            if part(masks, doc):
                return True
        return False

    return some


def _boolean(
    required_terms: tuple[tuple[tuple[str, int], ...], ...],
    excluded_terms: tuple[tuple[str, int], ...],
    required_other: tuple[Predicate, ...],
    excluded_other: Predicate | None,
    optional: Predicate | None,
) -> Predicate:
    """Every required clause (each a set of term checks, or a predicate), no excluded one, and the
    optional clauses when given (a query without required clauses)."""
    if not (required_terms or excluded_terms or required_other or excluded_other):
        return optional or _always
    if not (required_other or excluded_other or optional):

        def terms_only(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
            get = masks.get
            for pairs in required_terms:
                for term, mask in pairs:
                    if get(term, 0) & mask:
                        break
                else:
                    return False
            for term, mask in excluded_terms:  # noqa: SIM110
                if get(term, 0) & mask:
                    return False
            return True

        return terms_only

    def check(masks: dict[str, int], doc: AnalyzedDocument) -> bool:
        get = masks.get
        for pairs in required_terms:
            for term, mask in pairs:
                if get(term, 0) & mask:
                    break
            else:
                return False
        for term, mask in excluded_terms:
            if get(term, 0) & mask:
                return False
        for part in required_other:
            if not part(masks, doc):
                return False
        if excluded_other is not None and excluded_other(masks, doc):
            return False
        return optional is None or optional(masks, doc)

    return check
