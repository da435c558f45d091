from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.urls import article_id
from pipeline.dead_letter import DeadLetter, dead_letter_payload
from pipeline.documents import build_document
from tests.unit.pipeline.fakes import message


def test_dead_letter_payload_keeps_text_and_position() -> None:
    letter = DeadLetter(
        message(7, value=b'{"bad": true}', key=b"k1"), "validate", "invalid article record: id"
    )
    doc = dead_letter_payload(letter, now=datetime(2025, 1, 1, tzinfo=UTC))
    assert doc["payload_text"] == '{"bad": true}'
    assert doc["source"] == {
        "topic": "t",
        "partition": 0,
        "offset": 7,
        "key": "k1",
        "timestamp_ms": 1_700_000_000_007,
    }
    assert doc["stage"] == "validate" and doc["failed_at"] == "2025-01-01T00:00:00+00:00"


def test_dead_letter_payload_binary_is_base64() -> None:
    doc = dead_letter_payload(DeadLetter(message(1, value=b"\xff\x00"), "validate", "not JSON"))
    assert doc["payload_base64"] == "/wA=" and "payload_text" not in doc


def _record() -> ArticleRecord:
    url = "https://example.org/a"
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title="Minsk",
        published_at=datetime(2025, 10, 15, tzinfo=UTC),
        fetched_at=datetime(2025, 10, 15, tzinfo=UTC),
        sources=[ArticleSource(feed_id="f1", domain="example.org"), ArticleSource(feed_id="f2")],
    )


def test_build_document_merges_enrichment() -> None:
    enrichment = {
        "language": "en",
        "tags": ["belarus"],
        "tag_details": [{"id": "belarus", "score": 1.0, "evidence": []}],
        "entities": [{"id": "place:minsk", "name": "Minsk", "type": "place", "mentions": 1}],
        "relevance": 0.8,
    }
    doc = build_document(
        _record(), enrichment, kafka_position="t/0/5", indexed_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert doc["id"] == _record().id and doc["tags"] == ["belarus"]
    assert doc["feed_ids"] == ["f1", "f2"] and doc["source_domains"] == ["example.org"]
    assert doc["entity_names"] == ["Minsk"] and doc["kafka_position"] == "t/0/5"


def test_build_document_requires_enrichment_fields() -> None:
    with pytest.raises(ValueError, match="tags"):
        build_document(_record(), {"language": "en"}, kafka_position="t/0/1")
