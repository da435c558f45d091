"""ProcessArticles on the DirectRunner with fakes for Elasticsearch, Kafka and the enricher."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsmon.core.record import ArticleRecord, ArticleSource, encode_record
from newsmon.core.settings import AlertsSettings, Settings
from newsmon.core.urls import article_id
from pipeline.app import ProcessArticles
from tests.unit.pipeline.fakes import FakeElasticsearch, FakeProducer, message


class KeywordEnricher:
    """Tags 'belarus' when the word appears; raises on 'BOOM' to exercise the dead-letter path."""

    def enrich(self, title: str, text: str, language_hint: str | None = None) -> Any:
        if "BOOM" in title:
            raise RuntimeError("enricher exploded")
        tags = ["belarus"] if "belarus" in f"{title} {text}".lower() else []
        doc = {
            "language": "en",
            "tags": tags,
            "tag_details": [],
            "entities": [],
            "relevance": float(bool(tags)),
        }
        return type("Result", (), {"to_document": lambda self: doc})()


def record_bytes(path: str, title: str) -> tuple[str, bytes]:
    url = f"https://example.org/{path}"
    record = ArticleRecord(
        id=article_id(url),
        url=url,
        title=title,
        published_at=datetime(2025, 10, 15, tzinfo=UTC),
        fetched_at=datetime(2025, 10, 15, tzinfo=UTC),
        sources=[ArticleSource(feed_id="demo")],
    )
    return record.id, encode_record(record)


@pytest.mark.parametrize("enrich_processes", [0, 1], ids=["in-worker", "helper-process"])
def test_good_records_indexed_bad_ones_dead_lettered(enrich_processes: int) -> None:
    """The same outcome whether the enricher runs in the worker or in a helper process (spawned:
    the enricher class is loaded there by name)."""
    FakeElasticsearch.indexed = {}
    FakeElasticsearch.reject = set()
    FakeProducer.sent = []
    good_id, good = record_bytes("a", "Belarus frees prisoners")
    other_id, other = record_bytes("b", "Football results")
    boom_id, boom = record_bytes("c", "BOOM")
    rejected_id, rejected = record_bytes("d", "Rejected by the index")
    FakeElasticsearch.reject = {rejected_id}
    messages = [
        message(0, good, key=good_id.encode()),
        message(1, b"{not json", key=b"junk"),
        message(2, other, key=other_id.encode()),
        message(3, boom, key=boom_id.encode()),
        message(4, good, key=b"wrong-key"),
        message(5, rejected, key=rejected_id.encode()),
        message(6, None),
    ]
    with TestPipeline() as p:
        durable = (
            p
            | beam.Create(messages)
            | ProcessArticles(
                Settings(alerts=AlertsSettings(enabled=False)),
                es_client_factory=FakeElasticsearch,
                dlq_producer_factory=FakeProducer,
                enricher_factory=KeywordEnricher,
                enrich_processes=enrich_processes,
            )
        )
        assert_that(durable | beam.Map(lambda m: m.offset), equal_to([0, 1, 2, 3, 4, 5, 6]))

    assert set(FakeElasticsearch.indexed) == {good_id, other_id}
    assert FakeElasticsearch.indexed[good_id]["tags"] == ["belarus"]
    letters = {json.loads(v)["source"]["offset"]: json.loads(v) for _, _, v in FakeProducer.sent}
    assert set(letters) == {1, 3, 4, 5, 6}
    assert letters[1]["stage"] == "validate" and "not JSON" in letters[1]["error"]
    assert letters[3]["stage"] == "enrich" and "exploded" in letters[3]["error"]
    assert letters[4]["stage"] == "validate" and "does not match record id" in letters[4]["error"]
    assert letters[5]["stage"] == "index" and "400" in letters[5]["error"]
    assert letters[6]["stage"] == "validate" and "tombstone" in letters[6]["error"]
    assert all(topic == Settings().kafka.dead_letter_topic for topic, _, _ in FakeProducer.sent)
