"""Alert matching in the running pipeline (Prism, real Kafka and Elasticsearch): subscriptions stored
in Elasticsearch are matched in the stream, created/changed/deleted ones are picked up within 10 s
without a restart, and each match lands on the alerts topic and in the alerts index."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer

from alerts.model import Filters, SubscriptionSpec, alert_id
from alerts.store import SubscriptionStore
from newsmon.core.record import ArticleRecord, ArticleSource, encode_record
from newsmon.core.settings import Settings
from newsmon.core.urls import article_id
from tests.integration.pipeline.helpers import eventually

pytestmark = pytest.mark.integration

PICKUP_LIMIT_S = 10.0


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


class _Alerts:
    """Reads the alerts topic as it fills."""

    def __init__(self, settings: Settings) -> None:
        self._consumer = KafkaConsumer(
            settings.alerts.topic,
            **settings.kafka.client_kwargs(),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=500,
        )
        self.seen: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        self.seen.extend(json.loads(r.value) for r in self._consumer)
        return self.seen

    def pairs(self) -> set[tuple[str, str]]:
        return {(a["subscription_id"], a["article"]["id"]) for a in self.poll()}

    def close(self) -> None:
        self._consumer.close()


def test_subscriptions_are_matched_and_reloaded_without_restart(
    test_settings: Settings, streaming_job: Any
) -> None:
    settings = test_settings.model_copy(
        update={"alerts": test_settings.alerts.model_copy(update={"reload_interval_s": 5.0})}
    )
    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    store = SubscriptionStore(es, settings.alerts.subscriptions_index)
    job = streaming_job(settings)  # initialise() creates the subscriptions index and alerts topic
    bialiatski = store.create(SubscriptionSpec(name="Bialiatski", query="Bialiatski AND tags:belarus"), "ngo")
    russian_only = store.create(
        SubscriptionSpec(name="ru only", query="Bialiatski", filters=Filters(languages=["ru"])), "ngo"
    )
    producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", enable_idempotence=True)
    alerts = _Alerts(settings)
    n = 0

    def publish(title: str, text: str) -> ArticleRecord:
        nonlocal n
        n += 1
        record = _record(f"a{n}-{time.time_ns()}", title, text)
        producer.send(settings.kafka.articles_topic, key=record.id.encode(), value=encode_record(record))
        producer.flush()
        return record

    try:
        match = publish(
            "Minsk court extends detention of Ales Bialiatski",
            "A court in Minsk, Belarus, extended the detention of the Viasna founder Ales Bialiatski.",
        )
        other = publish("Sunny weekend ahead", "Forecasters expect a warm and sunny weekend in Minsk.")
        eventually(lambda: (bialiatski.id, match.id) in alerts.pairs(), 120, "the Bialiatski alert")
        eventually(lambda: _indexed(es, settings, other.id), 60, "the other article indexed")
        time.sleep(2)  # the other article has been matched by now
        assert alerts.pairs() == {(bialiatski.id, match.id)}, "only the match alerts; ru-only filters it out"
        doc = es.get(index=settings.alerts.index, id=alert_id(bialiatski.id, match.id))["_source"]
        assert doc["article_id"] == match.id and doc["owner"] == "ngo" and doc["title"].startswith("Minsk")
        message = next(a for a in alerts.seen if a["article"]["id"] == match.id)
        assert message["alert_id"] == alert_id(bialiatski.id, match.id)
        assert message["article"]["url"] == match.url and "belarus" in message["article"]["tags"]

        # changed: the query now looks for weather; probes until it is picked up
        changed_at = time.monotonic()
        store.replace(bialiatski.id, bialiatski.spec().model_copy(update={"query": "weekend AND sunny"}))
        picked = _probe_until(
            lambda: publish("Sunny weekend ahead again", "A warm and sunny weekend in Minsk."),
            lambda r: (bialiatski.id, r.id) in alerts.pairs(),
        )
        assert picked - changed_at <= PICKUP_LIMIT_S, (
            f"changed query picked up after {picked - changed_at:.1f}s"
        )

        # created: a new subscription starts matching
        created_at = time.monotonic()
        minsk = store.create(SubscriptionSpec(name="Minsk", query="title:minsk"), "ngo")
        picked = _probe_until(
            lambda: publish("Minsk news", "Something happened in the city."),
            lambda r: (minsk.id, r.id) in alerts.pairs(),
        )
        assert picked - created_at <= PICKUP_LIMIT_S, (
            f"new subscription picked up after {picked - created_at:.1f}s"
        )

        # deleted: after the reload nothing more for it
        store.delete(minsk.id)
        store.delete(russian_only.id)
        time.sleep(settings.alerts.reload_interval_s + 1)
        late = publish("Minsk news again", "Another Minsk story.")
        eventually(lambda: _indexed(es, settings, late.id), 60, "the late article indexed")
        time.sleep(2)
        assert (minsk.id, late.id) not in alerts.pairs(), "a deleted subscription still alerted"
        assert job.is_running()
    finally:
        alerts.close()
        producer.close()
        es.close()


def _indexed(es: Elasticsearch, settings: Settings, doc_id: str) -> bool:
    return bool(es.exists(index=settings.elasticsearch.index, id=doc_id))


def _probe_until(publish: Any, matched: Any, timeout_s: float = 60.0) -> float:
    """Publish a probe every second until one is matched; returns when the first matched probe was
    published (monotonic)."""
    probes: list[tuple[float, Any]] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        probes.append((time.monotonic(), publish()))
        time.sleep(1.0)
        hits = [t for t, r in probes if matched(r)]
        if hits:
            return min(hits)
    raise AssertionError(f"no probe matched within {timeout_s:.0f}s")
