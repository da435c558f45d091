"""Compile a subscription query into a :class:`~alerts.matchers.Matcher` that selects exactly the
articles Elasticsearch's ``query_string`` (default operator OR, ``analyze_wildcard``) returns.

Used when a subscription is saved or loaded. Mirrors Lucene's classic query parser as Elasticsearch
runs it: clauses are combined by ``addClause`` (``AND`` makes the previous clause required, so
``a AND b OR c`` is ``+a +b c``, not luqum's ``(a AND b) OR c``), runs of bare terms are analysed
together (``split_on_whitespace: false``: ``Donald Trump`` is one keyword term on ``entity_names``),
terms that analyse to nothing are dropped, and a purely negative group gets Elasticsearch's implicit
match-all. Every field is analysed with its own analyzer through :class:`~alerts.analysis.Analyzer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from luqum.tree import (
    AndOperation,
    Boost,
    FieldGroup,
    Group,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    SearchField,
    UnknownOperation,
    Word,
)

from alerts.analysis import Analyzer, Token
from alerts.fields import FieldSpec, resolve_fields
from alerts.matchers import Anchors, AnyOf, AnyTerm, BoolMatch, MatchAll, Matcher, PhraseMatch, PrefixMatch
from alerts.query import is_prefix, parse_subscription_query, unescape

__all__ = ["CompiledQuery", "QueryCompiler"]


class _Conj(Enum):
    NONE = 0
    AND = 1
    OR = 2


class _Mod(Enum):
    NONE = 0
    NOT = 1
    REQ = 2


class _Occur(Enum):
    MUST = 0
    SHOULD = 1
    MUST_NOT = 2


_Item = tuple[_Conj, _Mod, Item]


@dataclass(frozen=True)
class CompiledQuery:
    """A subscription query ready for the stream: ``matcher`` is None when Elasticsearch would
    match nothing (every term analysed away); ``anchors`` None means "always a candidate"."""

    text: str
    matcher: Matcher | None

    @property
    def anchors(self) -> Anchors | None:
        if self.matcher is None:
            return Anchors({}, {})
        return self.matcher.anchors()


def _flatten(node: Item) -> list[_Item]:
    """The linear clause sequence the query was written as (luqum nests by precedence)."""
    if isinstance(node, AndOperation | OrOperation | UnknownOperation):
        conj = {AndOperation: _Conj.AND, OrOperation: _Conj.OR}.get(type(node), _Conj.NONE)
        out: list[_Item] = []
        for i, child in enumerate(node.children):
            items = _flatten(child)
            if i > 0:
                items[0] = (conj, items[0][1], items[0][2])
            out.extend(items)
        return out
    if isinstance(node, Not | Prohibit):
        return [(_Conj.NONE, _Mod.NOT, node.a)]
    if isinstance(node, Plus):
        return [(_Conj.NONE, _Mod.REQ, node.a)]
    return [(_Conj.NONE, _Mod.NONE, node)]


def _plain_term(item: _Item) -> bool:
    conj, mod, node = item
    return conj is _Conj.NONE and mod is _Mod.NONE and isinstance(node, Word) and not is_prefix(node)


def _absorbable(seq: list[_Item], j: int) -> bool:
    """Lucene's MultiTerm lookahead: a plain term not followed by AND / OR."""
    if j >= len(seq) or not _plain_term(seq[j]):
        return False
    return j + 1 >= len(seq) or seq[j + 1][0] is _Conj.NONE


def _add_clause(clauses: list[tuple[_Occur, Matcher]], conj: _Conj, mod: _Mod, q: Matcher | None) -> None:
    """Lucene ``QueryParserBase.addClause`` with the OR default operator."""
    if clauses and conj is _Conj.AND and clauses[-1][0] is not _Occur.MUST_NOT:
        clauses[-1] = (_Occur.MUST, clauses[-1][1])
    if q is None:
        return
    prohibited = mod is _Mod.NOT
    required = mod is _Mod.REQ or (conj is _Conj.AND and not prohibited)
    occur = _Occur.MUST if required else _Occur.MUST_NOT if prohibited else _Occur.SHOULD
    clauses.append((occur, q))


def _boolean(clauses: list[tuple[_Occur, Matcher]]) -> Matcher | None:
    if not clauses:
        return None
    must = tuple(q for o, q in clauses if o is _Occur.MUST)
    should = tuple(q for o, q in clauses if o is _Occur.SHOULD)
    must_not = tuple(q for o, q in clauses if o is _Occur.MUST_NOT)
    if not must and not should:  # Elasticsearch's fixNegativeQueryIfNeeded
        must = (MatchAll(),)
    return BoolMatch(must, should, must_not)


def _any(children: list[Matcher]) -> Matcher | None:
    if not children:
        return None
    return children[0] if len(children) == 1 else AnyOf(tuple(children))


def _by_position(tokens: list[Token]) -> list[tuple[int, frozenset[str]]]:
    groups: dict[int, set[str]] = {}
    for term, position in tokens:
        groups.setdefault(position, set()).add(term)
    first = min(groups)
    return [(p - first, frozenset(ts)) for p, ts in sorted(groups.items())]


class QueryCompiler:
    """Compiles subscription queries (see the module docstring); one per articles index, reused
    for every subscription so query analysis is cached."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer

    def compile(self, text: str) -> CompiledQuery:
        """Validate and compile ``text``; raises :class:`~alerts.query.QueryError` if invalid."""
        tree = parse_subscription_query(text)
        return CompiledQuery(text, self._query(tree, resolve_fields(None)))

    def _tokens(self, spec: FieldSpec, text: str) -> list[Token]:
        if spec.analyzer is None:
            return [(text, 0)]
        return self._analyzer.analyze(spec.analyzer, text)

    def _query(self, node: Item, fields: tuple[FieldSpec, ...]) -> Matcher | None:
        seq = _flatten(node)
        clauses: list[tuple[_Occur, Matcher]] = []
        first: Matcher | None = None
        i = 0
        while i < len(seq):
            conj, mod, inner = seq[i]
            if _plain_term(seq[i]) and _absorbable(seq, i + 1):
                j = i + 1
                while _absorbable(seq, j):
                    j += 1
                text = " ".join(unescape(w.value) for _, _, w in seq[i:j])
                q = self._text(fields, text, quoted=False)
                if q is not None:
                    clauses.append((_Occur.SHOULD, q))
                first = q if i == 0 else first
                i = j
                continue
            q = self._clause(inner, fields)
            _add_clause(clauses, conj, mod, q)
            if i == 0 and mod is _Mod.NONE:
                first = q
            i += 1
        if len(clauses) == 1 and first is not None:
            return first
        return _boolean(clauses)

    def _clause(self, node: Item, fields: tuple[FieldSpec, ...]) -> Matcher | None:
        if isinstance(node, Group | FieldGroup):
            return self._query(node.expr, fields)
        if isinstance(node, SearchField):
            return self._clause(node.expr, resolve_fields(node.name))
        if isinstance(node, Boost):
            return self._clause(node.expr, fields)
        if isinstance(node, Phrase):
            return self._text(fields, unescape(node.value[1:-1]), quoted=True)
        if isinstance(node, Word) and is_prefix(node):
            return _any([m for f in fields if (m := self._prefix(f, unescape(node.value[:-1])))])
        if isinstance(node, Word):
            return self._text(fields, unescape(node.value), quoted=False)
        raise TypeError(f"unexpected query node {node!r}")  # parse_subscription_query refused it

    def _text(self, fields: tuple[FieldSpec, ...], text: str, quoted: bool) -> Matcher | None:
        return _any([m for f in fields if (m := self._field_text(f, text, quoted)) is not None])

    def _field_text(self, spec: FieldSpec, text: str, quoted: bool) -> Matcher | None:
        tokens = self._tokens(spec, text)
        if not tokens:
            return None
        steps = _by_position(tokens)
        if not quoted or len(steps) == 1:
            return AnyTerm(spec.name, frozenset(t for t, _ in tokens))
        return PhraseMatch(spec.name, tuple(steps))

    def _prefix(self, spec: FieldSpec, text: str) -> Matcher | None:
        """Elasticsearch ``getPossiblyAnalyzedPrefixQuery``: the last position is a prefix, earlier
        ones are terms, OR'ed."""
        tokens = self._tokens(spec, text)
        if not tokens:
            return None
        steps = _by_position(tokens)
        parts: list[Matcher] = [AnyTerm(spec.name, alts) for _, alts in steps[:-1]]
        parts.extend(PrefixMatch(spec.name, p) for p in sorted(steps[-1][1]))
        return _any(parts)
