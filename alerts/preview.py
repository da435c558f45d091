"""Which recent articles would a subscription match? (``POST /api/v1/query/test``,
``POST /api/v1/subscriptions/{id}/test`` and ``newsmon subscriptions test``.)

The request is ``newsmon search``'s (:func:`newsmon.search.query.build_request`: the same
``query_string`` over the same fields, which the stream matcher is proven to agree with) plus the
subscription's :class:`~alerts.model.Filters` as Elasticsearch filters with the semantics of
:meth:`Filters.accepts <alerts.model.Filters.accepts>`, restricted to articles published since a
time and sorted newest first. The query is validated as a *subscription* query first, so a query
that could not be saved is refused here too, with its position and reason.

:func:`preview_request` is pure; :func:`recent_matches` runs it::

    from alerts.preview import recent_matches
    result = recent_matches(es, settings.elasticsearch.index, "Bialiatski AND tags:belarus", limit=5)
    result = recent_matches(es, settings.elasticsearch.index, subscription)  # query + filters of a spec
    for article in result.articles: print(article.published_at, article.title, article.url)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from alerts.model import AlertArticle, Filters, SubscriptionSpec
from alerts.query import QueryError, parse_subscription_query
from newsmon.search.query import build_request

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_WINDOW",
    "MAX_LIMIT",
    "TOTAL_COUNTED_UP_TO",
    "QueryError",
    "RecentMatches",
    "filter_clauses",
    "preview_request",
    "recent_matches",
]

DEFAULT_WINDOW = timedelta(days=7)
DEFAULT_LIMIT = 20
MAX_LIMIT = 500
TOTAL_COUNTED_UP_TO = 10_000

# what an AlertArticle needs (content is left out: it can be large; the snippet comes from highlights)
_SOURCE_FIELDS = [
    "id",
    "title",
    "url",
    "@timestamp",
    "published_at",
    "language",
    "tags",
    "source_names",
    "relevance",
    "summary",
    "entities.name",
]


class RecentMatches(BaseModel):
    """The answer of :func:`recent_matches`: how many articles published since ``since`` match
    (``total``, counted up to 10,000) and the newest ``limit`` of them. Each article is what an alert
    would carry; its ``snippet`` shows the matched words between » and « when the query highlights."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    total: int
    articles: list[AlertArticle]


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    """Elasticsearch filter clauses selecting exactly the articles ``filters.accepts``."""
    clauses: list[dict[str, Any]] = [{"term": {"tags": tag}} for tag in filters.tags_all]
    if filters.tags_any:
        clauses.append({"terms": {"tags": list(filters.tags_any)}})
    if filters.languages:
        clauses.append({"terms": {"language": list(filters.languages)}})
    if filters.sources:
        names = list(filters.sources)
        clauses.append(
            {
                "bool": {
                    "should": [
                        {"terms": {"source_names": names}},
                        {"terms": {"source_domains": names}},
                        {"terms": {"feed_ids": names}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    if filters.min_relevance > 0:  # an article without relevance counts as 0.0, like accepts()
        clauses.append({"range": {"relevance": {"gte": filters.min_relevance}}})
    return clauses


def preview_request(
    query: str, filters: Filters | None = None, *, since: datetime, limit: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    """The ``_search`` body for :func:`recent_matches` (pure). Raises :class:`QueryError` (position
    and reason) when ``query`` is not a valid subscription query, ``ValueError`` for a bad limit."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    parse_subscription_query(query)
    body = build_request(query, since=since, limit=limit)
    body["query"]["bool"]["filter"].extend(filter_clauses(filters or Filters()))
    body["sort"] = [{"@timestamp": {"order": "desc"}}, {"id": {"order": "asc"}}]
    body["_source"] = list(_SOURCE_FIELDS)
    body["track_total_hits"] = TOTAL_COUNTED_UP_TO
    return body


def _article(hit: dict[str, Any]) -> AlertArticle:
    doc = dict(hit.get("_source") or {})
    doc.setdefault("id", hit.get("_id", ""))
    doc.setdefault("published_at", doc.get("@timestamp"))
    article = AlertArticle.from_document(doc)
    fragments: list[str] = []
    for values in (hit.get("highlight") or {}).values():
        for fragment in values:
            text = " ".join(str(fragment).split())
            if text not in fragments:
                fragments.append(text)
    if fragments:
        article = article.model_copy(update={"snippet": " … ".join(fragments[:2])})
    return article


def recent_matches(
    es_client: Any,
    articles_index: str,
    subscription: SubscriptionSpec | str,
    filters: Filters | None = None,
    *,
    since: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> RecentMatches:
    """The articles published since ``since`` (default: 7 days ago) that ``subscription`` would
    match, newest first, at most ``limit`` (1..500).

    ``subscription`` is a :class:`~alerts.model.SubscriptionSpec` (its query and filters are used)
    or a query string, optionally with ``filters`` (giving ``filters`` with a spec is an error).
    ``es_client`` is an ``elasticsearch.Elasticsearch``; ``articles_index`` the articles read alias
    (``settings.elasticsearch.index``). A missing index yields no articles.

    Raises :class:`QueryError` for a query a subscription could not be saved with (the message
    gives the position and reason), ``ValueError`` for bad arguments and the client's own errors
    (``elasticsearch.ApiError``, ``elasticsearch.TransportError``) when Elasticsearch refuses the
    request or cannot be reached.
    """
    if isinstance(subscription, SubscriptionSpec):
        if filters is not None:
            raise ValueError("give filters with a query string; a subscription carries its own")
        query, filters = subscription.query, subscription.filters
    else:
        query = subscription
    start = since if since is not None else datetime.now(UTC) - DEFAULT_WINDOW
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    body = preview_request(query, filters, since=start, limit=limit)
    from elasticsearch import NotFoundError

    try:
        answer = es_client.search(index=articles_index, **body)
    except NotFoundError:
        return RecentMatches(since=start, total=0, articles=[])
    hits = answer["hits"]
    total = hits.get("total") or {}
    return RecentMatches(
        since=start,
        total=int(total.get("value", len(hits["hits"]))) if isinstance(total, dict) else int(total),
        articles=[_article(h) for h in hits["hits"]],
    )
