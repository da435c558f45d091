"""Subscription queries: parse and validate when a subscription is saved.

The language is ``newsmon search``'s (:mod:`newsmon.core.query_syntax`): terms, "phrases",
AND/OR/NOT/+/-, parentheses, ``field:value`` on title, content, summary, tags, entities, language,
source, domain, feed, url, and a trailing ``*`` for a prefix. Constructs the stream matcher cannot
evaluate exactly like Elasticsearch (fuzzy ``~``, proximity, ranges, regular expressions, inner
wildcards, ``&&``/``||``/``!``) are refused here with their position and the reason.
"""

from __future__ import annotations

import re

from luqum.tree import (
    BaseOperation,
    Boost,
    FieldGroup,
    Group,
    Item,
    Not,
    Phrase,
    Plus,
    Prohibit,
    SearchField,
    Word,
)

from alerts.fields import resolve_fields
from newsmon.core.query_syntax import QueryError, parse_query

__all__ = ["QueryError", "is_prefix", "parse_subscription_query", "unescape"]

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_INNER_WILDCARD = re.compile(r"(?<!\\)[*?]")
_MODIFIERS = (Not, Prohibit, Plus)


def unescape(text: str) -> str:
    """A term's text with query-syntax escapes removed (Lucene ``discardEscapeChar``)."""
    return _ESCAPE.sub(r"\1", text)


def is_prefix(word: Word) -> bool:
    """``word`` ends with an unescaped ``*`` (a prefix query)."""
    value: str = word.value
    return value.endswith("*") and not value.endswith("\\*")


def _where(node: Item) -> str:
    pos = getattr(node, "pos", None)
    return f" at position {pos}" if pos is not None else ""


def _refuse(node: Item, reason: str) -> QueryError:
    return QueryError(f"{reason}{_where(node)}: {str(node).strip()!r}")


def _check_word(node: Word) -> None:
    value: str = node.value
    if value in ("&&", "||") or value.startswith("!"):
        raise _refuse(node, "use AND, OR and NOT instead of &&, || and !")
    body = value[:-1] if is_prefix(node) else value
    if not body or _INNER_WILDCARD.search(body):
        raise _refuse(node, "only a trailing * (prefix) is supported in subscriptions, not wildcards")


def _check(node: Item, under_modifier: bool = False) -> None:
    if isinstance(node, Word):
        _check_word(node)
    elif isinstance(node, Phrase):
        return
    elif isinstance(node, _MODIFIERS):
        if under_modifier:
            raise _refuse(node, "one NOT, + or - per clause")
        _check(node.a, under_modifier=True)
    elif isinstance(node, SearchField):
        resolve_fields(node.name)
        if not isinstance(node.expr, Word | Phrase | FieldGroup | Group | Boost):
            raise _refuse(node, f'{node.name}: takes a term, a "phrase" or a (group)')
        _check(node.expr)
    elif isinstance(node, Group | FieldGroup | Boost):
        _check(node.expr)
    elif isinstance(node, BaseOperation):
        for child in node.children:
            _check(child)
    else:
        raise _refuse(
            node,
            f"{type(node).__name__.lower()} is not supported in subscriptions "
            '(use terms, "phrases", AND/OR/NOT, groups, field:value, prefix*)',
        )


def parse_subscription_query(text: str) -> Item:
    """The luqum tree of a valid subscription query; otherwise :class:`QueryError` saying where/why."""
    tree = parse_query(text)
    _check(tree)
    return tree
