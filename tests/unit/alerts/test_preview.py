"""Subscription preview: the request is newsmon search's query_string plus the subscription's filters
with Filters.accepts semantics, newest first; recent_matches turns hits into alert articles (pure)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders
from elasticsearch import NotFoundError

from alerts.model import Filters, SubscriptionSpec
from alerts.preview import (
    MAX_LIMIT,
    QueryError,
    filter_clauses,
    preview_request,
    recent_matches,
)
from newsmon.search.query import build_request

SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def _matches(clause: dict[str, Any], doc: dict[str, Any]) -> bool:
    """A tiny evaluator of the filter clauses preview_request uses (term, terms, range gte, bool)."""
    kind, body = next(iter(clause.items()))
    if kind == "term":
        field, value = next(iter(body.items()))
        values = doc.get(field)
        return value in values if isinstance(values, list) else values == value
    if kind == "terms":
        field, wanted = next(iter(body.items()))
        values = doc.get(field)
        have = set(values) if isinstance(values, list) else {values}
        return not have.isdisjoint(wanted)
    if kind == "range":
        field, bounds = next(iter(body.items()))
        return doc.get(field) is not None and doc[field] >= bounds["gte"]
    if kind == "bool":
        should = body.get("should", [])
        return sum(_matches(c, doc) for c in should) >= body.get("minimum_should_match", 1)
    raise AssertionError(f"unexpected clause {clause}")


DOCS = [
    {
        "tags": tags,
        "language": lang,
        "source_names": [name],
        "source_domains": [domain],
        "feed_ids": [feed],
        **({"relevance": rel} if rel is not None else {}),
    }
    for tags, lang, (name, domain, feed), rel in itertools.product(
        [[], ["belarus"], ["belarus", "torture"], ["press_freedom"]],
        ["en", "ru"],
        [("Example", "example.org", "ex-feed"), ("Other", "other.org", "other-feed")],
        [None, 0.0, 0.3, 0.8],
    )
]
FILTERS = [
    Filters(),
    Filters(tags_all=["belarus", "torture"]),
    Filters(tags_any=["torture", "press_freedom"]),
    Filters(languages=["ru"]),
    Filters(sources=["Example"]),
    Filters(sources=["other.org"]),
    Filters(sources=["ex-feed", "nobody"]),
    Filters(min_relevance=0.3),
    Filters(tags_all=["belarus"], tags_any=["torture"], languages=["en", "ru"], min_relevance=0.5),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.model_dump_json(exclude_defaults=True))
def test_filter_clauses_select_what_accepts_accepts(filters: Filters) -> None:
    clauses = filter_clauses(filters)
    for doc in DOCS:
        assert all(_matches(c, doc) for c in clauses) == filters.accepts(doc), doc


def test_request_is_newsmon_search_plus_filters_newest_first() -> None:
    filters = Filters(tags_all=["belarus"], sources=["ex-feed"], min_relevance=0.5)
    body = preview_request("Bialiatski AND tag:belarus", filters, since=SINCE, limit=5)
    search = build_request("Bialiatski AND tag:belarus", since=SINCE, limit=5)
    assert body["query"]["bool"]["must"] == search["query"]["bool"]["must"]  # the same query_string
    assert body["query"]["bool"]["filter"] == [
        {"range": {"@timestamp": {"gte": SINCE.isoformat()}}},
        *filter_clauses(filters),
    ]
    assert body["sort"][0] == {"@timestamp": {"order": "desc"}}
    assert body["size"] == 5 and body["highlight"] == search["highlight"]
    assert "content" not in body["_source"]


def test_request_refuses_what_a_subscription_could_not_be_saved_with() -> None:
    with pytest.raises(QueryError, match="position 6"):
        preview_request("minsk && grodno", since=SINCE)
    with pytest.raises(QueryError, match="unknown field"):
        preview_request("nope:minsk", since=SINCE)
    for limit in (0, MAX_LIMIT + 1):
        with pytest.raises(ValueError, match="limit"):
            preview_request("minsk", since=SINCE, limit=limit)


class FakeEs:
    """Records the search and answers with canned hits (or raises)."""

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def search(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


HIT = {
    "_id": "a1",
    "_source": {
        "id": "a1",
        "title": "Court jails Bialiatski",
        "url": "https://news.example.org/1",
        "@timestamp": "2026-11-20T09:00:00+00:00",
        "language": "en",
        "tags": ["belarus"],
        "source_names": ["Example News"],
        "relevance": 0.9,
        "summary": "The Viasna founder was sentenced.",
        "entities": [{"name": "Ales Bialiatski"}],
    },
    "highlight": {"title": ["Court jails »Bialiatski«"], "title_en": ["Court jails »Bialiatski«"]},
}


def test_recent_matches_returns_alert_articles() -> None:
    es = FakeEs({"hits": {"total": {"value": 7, "relation": "eq"}, "hits": [HIT]}})
    result = recent_matches(es, "articles", "Bialiatski", Filters(languages=["en"]), since=SINCE, limit=3)
    assert es.calls[0]["index"] == "articles" and es.calls[0]["size"] == 3
    assert result.total == 7 and result.since == SINCE
    (article,) = result.articles
    assert article.id == "a1" and article.source == "Example News" and article.entities == ["Ales Bialiatski"]
    assert article.published_at == "2026-11-20T09:00:00+00:00"  # @timestamp when published_at is absent
    assert article.snippet == "Court jails »Bialiatski«"


def test_recent_matches_of_a_spec_uses_its_query_and_filters() -> None:
    es = FakeEs({"hits": {"total": {"value": 0}, "hits": []}})
    spec = SubscriptionSpec(name="s", query="minsk", filters=Filters(tags_any=["belarus"]))
    before = datetime.now(UTC)
    result = recent_matches(es, "articles", spec)
    assert result.articles == [] and before - timedelta(days=7, seconds=5) < result.since <= before
    assert {"terms": {"tags": ["belarus"]}} in es.calls[0]["query"]["bool"]["filter"]
    with pytest.raises(ValueError, match="carries its own"):
        recent_matches(es, "articles", spec, Filters())
    naive = recent_matches(es, "articles", "minsk", since=datetime(2026, 11, 1))
    assert naive.since == SINCE


def test_a_missing_index_yields_nothing() -> None:
    meta = ApiResponseMeta(status=404, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=None)  # type: ignore[arg-type]
    es = FakeEs(NotFoundError("index_not_found_exception", meta=meta, body={}))
    assert recent_matches(es, "nothing-here", "minsk", since=SINCE).articles == []
