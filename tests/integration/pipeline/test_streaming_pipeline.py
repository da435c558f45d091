"""The streaming pipeline on Prism against the real local Kafka and Elasticsearch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from newsmon.core.record import ArticleRecord, ArticleSource, encode_record
from newsmon.core.settings import Settings
from newsmon.core.urls import article_id
from tests.integration.pipeline.helpers import eventually, read_topic

pytestmark = pytest.mark.integration


def _record(path: str, title: str, text: str) -> ArticleRecord:
    url = f"https://news.example.org/{path}"
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=title,
        content=text,
        published_at=datetime(2025, 10, 15, 8, tzinfo=UTC),
        fetched_at=datetime.now(UTC),
        sources=[ArticleSource(feed_id="itest", name="Integration", domain="news.example.org")],
    )


def _committed_total(settings: Settings) -> int:
    consumer = KafkaConsumer(**settings.kafka.client_kwargs(), group_id=settings.kafka.consumer_group)
    try:
        parts = consumer.partitions_for_topic(settings.kafka.articles_topic) or set()
        return sum(consumer.committed(TopicPartition(settings.kafka.articles_topic, p)) or 0 for p in parts)
    finally:
        consumer.close()


def test_malformed_records_are_dead_lettered_and_good_ones_indexed(
    test_settings: Settings, streaming_job: Any
) -> None:
    good = [
        _record(
            "minsk-trial",
            "Minsk court jails journalists",
            "A court in Minsk, Belarus, sentenced two journalists.",
        ),
        _record(
            "weather", "Sunny weekend ahead", "Forecasters expect a warm and sunny weekend across the region."
        ),
    ]
    job = streaming_job(test_settings)
    producer = KafkaProducer(**test_settings.kafka.client_kwargs(), acks="all", enable_idempotence=True)
    for record in good:
        producer.send(test_settings.kafka.articles_topic, key=record.id.encode(), value=encode_record(record))
    producer.send(
        test_settings.kafka.articles_topic, key=b"broken", value=b'{"schema_version": 1, "id": "nope"}'
    )
    producer.send(test_settings.kafka.articles_topic, key=b"garbage", value=b"\x00\xffnot json")
    producer.flush()
    producer.close()

    es = Elasticsearch(**test_settings.elasticsearch.client_kwargs())
    index = test_settings.elasticsearch.index

    def indexed() -> bool:
        es.indices.refresh(index=index)
        return es.count(index=index)["count"] == 2

    eventually(indexed, 120, "both good records to be indexed")
    assert job.is_running()
    doc = es.get(index=index, id=good[0].id)["_source"]
    assert "belarus" in doc["tags"]
    assert doc["url"] == "https://news.example.org/minsk-trial"

    letters = read_topic(test_settings.kafka, test_settings.kafka.dead_letter_topic, expected=2)
    payloads = [json.loads(r.value) for r in letters]
    assert sorted(p["source"]["key"] for p in payloads) == ["broken", "garbage"]
    assert all(p["stage"] == "validate" and p["error"] for p in payloads)
    assert any("invalid article record" in p["error"] for p in payloads)
    # Every record is durable (indexed or dead-lettered), so the group's commits reach the end.
    eventually(lambda: _committed_total(test_settings) == 4, 60, "offsets of all 4 records to be committed")
    es.close()


def test_restart_resumes_from_committed_offsets(test_settings: Settings, streaming_job: Any) -> None:
    first = _record("first", "Belarus releases prisoners", "Political prisoners were released in Belarus.")
    second = _record(
        "second", "Вясна: новыя затрыманні", "Праваабаронцы Вясны паведамляюць пра затрыманні ў Мінску."
    )
    producer = KafkaProducer(**test_settings.kafka.client_kwargs(), acks="all", enable_idempotence=True)
    es = Elasticsearch(**test_settings.elasticsearch.client_kwargs())
    index = test_settings.elasticsearch.index

    job = streaming_job(test_settings)
    producer.send(test_settings.kafka.articles_topic, key=first.id.encode(), value=encode_record(first)).get(
        30
    )
    eventually(lambda: _committed_total(test_settings) == 1, 120, "the first record to be committed")
    job.cancel()

    producer.send(
        test_settings.kafka.articles_topic, key=second.id.encode(), value=encode_record(second)
    ).get(30)
    streaming_job(test_settings)

    def both_indexed() -> bool:
        es.indices.refresh(index=index)
        return es.count(index=index)["count"] == 2

    eventually(both_indexed, 120, "the second record to be indexed after restart")
    eventually(lambda: _committed_total(test_settings) == 2, 60, "both offsets to be committed")
    producer.close()
    es.close()
