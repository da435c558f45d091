"""The query language shared by ``newsmon search`` and alert subscriptions (pure: no I/O).

Lucene's query-string syntax (terms, "phrases", AND/OR/NOT, parentheses, ``field:value``, prefix ``*``)
parsed with luqum, so a malformed query is refused with the position and reason before anything is
sent. Friendly field names are rewritten to the mapping's fields: ``title``/``summary``/``content``
search the ``standard`` field and every language field (``content_ru`` stems Russian articles,
``content_en`` English ones, ...; ``content.ru``, the name before mapping v4, still works),
``entities``/``entity`` -> ``entity_names``, ``source`` -> ``source_names``, ``domain`` ->
``source_domains``, ``feed`` -> ``feed_ids``, ``lang`` -> ``language``, ``tag`` -> ``tags``.
One implementation: the search request and the alert matcher both resolve fields here.
"""

from __future__ import annotations

from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import Item, SearchField
from luqum.visitor import TreeTransformer

from newsmon.core.es_schema import LANGUAGE_ANALYZERS, LANGUAGE_FIELDS, TEXT_FIELDS, language_field

__all__ = [
    "FIELD_NAMES",
    "KNOWN_FIELDS",
    "TEXT_FIELDS",
    "QueryError",
    "index_field",
    "parse_query",
    "rewrite_query",
]

FIELD_NAMES: dict[str, str] = {
    "entities": "entity_names",
    "entity": "entity_names",
    "source": "source_names",
    "domain": "source_domains",
    "feed": "feed_ids",
    "lang": "language",
    "tag": "tags",
}
KNOWN_FIELDS = {
    *TEXT_FIELDS,
    *LANGUAGE_FIELDS,
    *FIELD_NAMES.values(),
    *FIELD_NAMES,
    "url",
    "authors",
    "categories",
    "id",
    "relevance",
    "@timestamp",
    "published_at",
    "indexed_at",
    "entity_ids",
    "entity_types",
    "evidence",
}


class QueryError(ValueError):
    """The query cannot be parsed or names an unknown field; the message says where and why."""


def index_field(name: str) -> str:
    """The index field (pattern) a field name in a query means: ``title`` -> ``title*`` (``standard``,
    every language field and ``title.raw``), ``title.ru`` -> ``title_ru`` (the v3 name),
    ``entities`` -> ``entity_names``; unknown names raise :class:`QueryError`."""
    base, _, sub = name.partition(".")
    if base not in KNOWN_FIELDS:
        raise QueryError(
            f"unknown field {name!r}: use one of title, content, summary, tags, entities, "
            "language, source, domain, feed, url"
        )
    if base in TEXT_FIELDS and sub in ("", "*"):
        return f"{base}*"
    if base in TEXT_FIELDS and sub in LANGUAGE_ANALYZERS:
        return language_field(base, sub)
    return FIELD_NAMES.get(name, name)


class _RenameFields(TreeTransformer):  # type: ignore[misc]
    def visit_search_field(self, node: SearchField, context: Any) -> Any:
        node.name = index_field(node.name).replace("*", "\\*")
        yield from self.generic_visit(node, context)


def parse_query(text: str) -> Item:
    """The luqum tree of ``text``; an empty or malformed query raises :class:`QueryError`."""
    if not text.strip():
        raise QueryError('empty query: give words, a "phrase" or field:value')
    try:
        return parser.parse(text)
    except ParseError as exc:
        raise QueryError(f"malformed query: {exc}") from exc
    except Exception as exc:  # luqum's lexer raises its own error types (IllegalCharacterError, ...)
        raise QueryError(f"malformed query: {exc}") from exc


def rewrite_query(text: str) -> str:
    """Validate ``text`` and return it with friendly field names mapped to the index's fields."""
    return str(_RenameFields().visit(parse_query(text)))
