"""Search query handling: luqum validation, friendly field names, filters, --since."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsmon.search.query import QueryError, build_request, parse_since, rewrite_query


def test_friendly_fields_are_rewritten_to_the_mapping() -> None:
    assert rewrite_query("Bialiatski AND tags:belarus") == "Bialiatski AND tags:belarus"
    assert rewrite_query("entities:Viasna OR source:Reuters") == "entity_names:Viasna OR source_names:Reuters"
    assert rewrite_query('title:"political prisoner"') == 'title\\*:"political prisoner"'
    # the language fields by name, and by their name before mapping v4 (saved queries keep working)
    assert rewrite_query("content_ru:задержан") == "content_ru:задержан"
    assert rewrite_query("content.ru:задержан OR title.raw:X") == "content_ru:задержан OR title.raw:X"
    assert rewrite_query("NOT lang:ru AND detain*") == "NOT language:ru AND detain*"


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("a AND (b", "unmatched parenthesis"),
        ('title:"abc', "position 6"),
        ("colour:red", "unknown field 'colour'"),
        ("   ", "empty query"),
    ],
)
def test_bad_queries_are_refused_with_position_or_reason(query: str, fragment: str) -> None:
    with pytest.raises(QueryError, match=fragment):
        rewrite_query(query)


def test_request_has_filters_highlights_and_language_fields() -> None:
    since = datetime(2026, 11, 1, tzinfo=UTC)
    body = build_request(
        "detainee", tags=["belarus"], languages=["en"], sources=["BAJ"], since=since, limit=5
    )
    query = body["query"]["bool"]
    assert query["must"][0]["query_string"]["query"] == "detainee"
    assert {"content", "content_en", "content_ru"} <= set(query["must"][0]["query_string"]["fields"])
    assert {"term": {"tags": "belarus"}} in query["filter"]
    assert {"terms": {"language": ["en"]}} in query["filter"]
    assert {"range": {"@timestamp": {"gte": since.isoformat()}}} in query["filter"]
    assert body["size"] == 5 and {"content", "content_ru"} <= set(body["highlight"]["fields"])


def test_since_accepts_durations_and_dates() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert parse_since("90m", now) == datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(QueryError, match="--since"):
        parse_since("last tuesday", now)
