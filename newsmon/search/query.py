"""Turn what an analyst types into an Elasticsearch request (pure: no I/O, tested directly).

The query language (Lucene query-string syntax, friendly field names) is parsed and rewritten by
:mod:`newsmon.core.query_syntax`, the implementation alert subscriptions share.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from newsmon.core.es_schema import LANGUAGE_FIELDS, SEARCH_FIELDS, TEXT_FIELDS
from newsmon.core.query_syntax import FIELD_NAMES, QueryError, rewrite_query

__all__ = ["FIELD_NAMES", "QueryError", "build_request", "parse_since", "rewrite_query"]


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
    """The ``_search`` body: query_string over the text and language fields, filters, highlights."""
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
        field: {"number_of_fragments": 2, "fragment_size": 160} for field in (*TEXT_FIELDS, *LANGUAGE_FIELDS)
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
