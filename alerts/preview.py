"""Which recent articles a subscription would have matched: the same ``query_string`` request as
``newsmon search`` (the stream matcher is proven to select exactly what it returns) with the
subscription's filters. Used by ``newsmon subscriptions test`` and the API's query test."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.model import Filters, SubscriptionSpec
from newsmon.search.query import build_request

__all__ = ["filter_clauses", "preview_request", "recent_matches"]

_SOURCE = [
    "id",
    "title",
    "url",
    "@timestamp",
    "published_at",
    "language",
    "tags",
    "source_names",
    "relevance",
]


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    """Elasticsearch filter clauses equivalent to :meth:`Filters.accepts`."""
    clauses: list[dict[str, Any]] = [{"term": {"tags": tag}} for tag in filters.tags_all]
    if filters.tags_any:
        clauses.append({"terms": {"tags": filters.tags_any}})
    if filters.languages:
        clauses.append({"terms": {"language": filters.languages}})
    if filters.sources:
        clauses.append(
            {
                "bool": {
                    "should": [
                        {"terms": {field: filters.sources}}
                        for field in ("source_names", "source_domains", "feed_ids")
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    if filters.min_relevance > 0:
        clauses.append({"range": {"relevance": {"gte": filters.min_relevance}}})
    return clauses


def preview_request(spec: SubscriptionSpec, since: datetime | None, limit: int) -> dict[str, Any]:
    """The ``_search`` body: newest first, only what a listing shows."""
    body = build_request(spec.query, since=since, limit=limit)
    body["query"]["bool"]["filter"].extend(filter_clauses(spec.filters))
    body["sort"] = [{"@timestamp": "desc"}]
    body["_source"] = _SOURCE
    body.pop("highlight", None)
    return body


def recent_matches(
    client: Any, index: str, spec: SubscriptionSpec, since: datetime | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The ``_source`` of up to ``limit`` articles in ``index`` published since ``since`` that
    ``spec`` matches, newest first."""
    answer = client.search(index=index, **preview_request(spec, since, limit))
    return [hit["_source"] for hit in answer["hits"]["hits"]]
