"""Turn what an analyst types into an Elasticsearch request (pure: no I/O, tested directly).

The query language is Lucene's query-string syntax (terms, "phrases", AND/OR/NOT, parentheses,
``field:value``, prefix ``*``), parsed with luqum so a malformed query is refused with the position
and reason before anything is sent. Friendly field names are rewritten to the mapping's fields:
``title``/``summary``/``content`` search every language sub-field (``content.ru`` stems Russian,
``content.en`` English, ...), ``entities``/``entity`` -> ``entity_names``, ``source`` ->
``source_names``, ``domain`` -> ``source_domains``, ``feed`` -> ``feed_ids``, ``lang`` -> ``language``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import SearchField
from luqum.visitor import TreeTransformer

from pipeline.es_schema import LANGUAGE_ANALYZERS, SEARCH_FIELDS

__all__ = ["FIELD_NAMES", "QueryError", "build_request", "parse_since", "rewrite_query"]

TEXT_FIELDS = ("title", "summary", "content")
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


class _RenameFields(TreeTransformer):  # type: ignore[misc]
    def visit_search_field(self, node: SearchField, context: Any) -> Any:
        name = node.name
        if name.split(".")[0] not in KNOWN_FIELDS:
            raise QueryError(
                f"unknown field {name!r}: use one of title, content, summary, tags, entities, "
                "language, source, domain, feed, url"
            )
        if name in TEXT_FIELDS:
            node.name = f"{name}.\\*"
        else:
            node.name = FIELD_NAMES.get(name, name)
        yield from self.generic_visit(node, context)


def rewrite_query(text: str) -> str:
    """Validate ``text`` and return it with friendly field names mapped to the index's fields."""
    if not text.strip():
        raise QueryError('empty query: give words, a "phrase" or field:value')
    try:
        tree = parser.parse(text)
    except ParseError as exc:
        raise QueryError(f"malformed query: {exc}") from exc
    except Exception as exc:  # luqum's lexer raises its own error types (IllegalCharacterError, ...)
        raise QueryError(f"malformed query: {exc}") from exc
    return str(_RenameFields().visit(tree))


_SINCE = re.compile(r"^(\d+)\s*([mhdw])$")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``30m``, ``12h``, ``7d``, ``2w`` or an ISO date -> the earliest published time to include."""
    now = now or datetime.now(UTC)
    match = _SINCE.match(text.strip().lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {
            "m": timedelta(minutes=1),
            "h": timedelta(hours=1),
            "d": timedelta(days=1),
            "w": timedelta(weeks=1),
        }
        return now - amount * delta[unit]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise QueryError(f"--since {text!r}: use 30m, 12h, 7d, 2w or a date like 2026-11-01") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_request(
    query: str,
    *,
    tags: list[str] | None = None,
    languages: list[str] | None = None,
    sources: list[str] | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """The ``_search`` body: query_string over every language sub-field, filters, highlights."""
    filters: list[dict[str, Any]] = [{"term": {"tags": tag}} for tag in tags or []]
    if languages:
        filters.append({"terms": {"language": languages}})
    if sources:
        filters.append(
            {
                "bool": {
                    "should": [{"terms": {"source_names": sources}}, {"terms": {"source_domains": sources}}],
                    "minimum_should_match": 1,
                }
            }
        )
    if since is not None:
        filters.append({"range": {"@timestamp": {"gte": since.isoformat()}}})
    highlight_fields = {
        f"{field}{suffix}": {"number_of_fragments": 2, "fragment_size": 160}
        for field in ("title", "content", "summary")
        for suffix in ("", *(f".{lang}" for lang in LANGUAGE_ANALYZERS))
    }
    return {
        "query": {
            "bool": {
                "must": [
                    {
                        "query_string": {
                            "query": rewrite_query(query),
                            "fields": SEARCH_FIELDS,
                            "analyze_wildcard": True,
                        }
                    }
                ],
                "filter": filters,
            }
        },
        "size": limit,
        "sort": ["_score", {"@timestamp": "desc"}],
        "_source": ["id", "title", "url", "@timestamp", "language", "tags", "source_names", "relevance"],
        "highlight": {
            "pre_tags": ["\u00bb"],
            "post_tags": ["\u00ab"],
            "require_field_match": False,
            "fields": highlight_fields,
        },
    }
