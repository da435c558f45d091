"""Tools of the fault-injection suite: articles to produce, paced producers, and the checks every
case makes (each article in Elasticsearch exactly once, dead letters, lag, alerts, job states)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from newsmon.core.record import ArticleRecord, ArticleSource, encode_record
from newsmon.core.settings import KafkaSettings, Settings
from newsmon.core.urls import article_id
from tests.integration.pipeline.helpers import eventually

__all__ = ["eventually"]  # re-exported for the fault tests


@dataclass
class FaultServices:
    """The suite's own local services and settings pointing at them."""

    services: Any  # newsmon.services.LocalServices
    settings: Settings
    prism: Path

    def stop(self, name: str) -> None:
        self.services.down(components=(name,))

    def start(self, name: str) -> None:
        self.services.up(components=(name,))


def articles(n: int, tag: str) -> list[ArticleRecord]:
    """``n`` distinct articles; every fourth is about Belarus (and so raises the suite's alert)."""
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        url = f"https://fault.example.org/{tag}/{i}"
        belarus = i % 4 == 0
        out.append(
            ArticleRecord(
                id=article_id(url),
                url=url,
                title=f"Minsk court jails activist {i}" if belarus else f"Local market report {i}",
                content=(
                    f"A court in Minsk, Belarus, sentenced activist number {i} to prison."
                    if belarus
                    else f"Prices of vegetables at the market changed a little on day {i}."
                ),
                published_at=now,
                fetched_at=now,
                sources=[ArticleSource(feed_id="fault", name="Fault suite", domain="fault.example.org")],
            )
        )
    return out


def belarus_ids(records: Iterable[ArticleRecord]) -> set[str]:
    return {r.id for r in records if "Belarus" in r.content}


class PacedProducer(threading.Thread):
    """Produces records at ``rate`` per second in a thread (acks=all, idempotent), riding out a
    broker restart through the client's own retries; ``extra`` raw (key, value) pairs are
    interleaved at the given positions."""

    def __init__(
        self,
        kafka: KafkaSettings,
        records: list[ArticleRecord],
        rate: float,
        extra: dict[int, tuple[bytes, bytes]] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.kafka = kafka
        self.records = records
        self.rate = rate
        self.extra = extra or {}
        self.sent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            producer = KafkaProducer(
                **self.kafka.client_kwargs(),
                acks="all",
                enable_idempotence=True,
                linger_ms=20,
                delivery_timeout_ms=300_000,
                max_block_ms=300_000,
                max_request_size=8 * 1024 * 1024,
            )
            start = time.monotonic()
            for i, record in enumerate(self.records):
                if i in self.extra:
                    key, value = self.extra[i]
                    producer.send(self.kafka.articles_topic, key=key, value=value)
                producer.send(self.kafka.articles_topic, key=record.id.encode(), value=encode_record(record))
                self.sent = i + 1
                ahead = start + (i + 1) / self.rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            producer.flush(timeout=300)
            producer.close(timeout=30)
        except BaseException as exc:
            self.error = exc


def es_client(settings: Settings) -> Elasticsearch:
    return Elasticsearch(**settings.elasticsearch.client_kwargs())


def indexed_count(settings: Settings, ids: list[str]) -> int:
    """How many of ``ids`` are in the articles index (0 while Elasticsearch is away)."""
    from elasticsearch import ApiError, TransportError

    try:
        with es_client(settings) as es:
            es.indices.refresh(index=settings.elasticsearch.index)
            found = 0
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                found += int(
                    es.count(index=settings.elasticsearch.index, query={"ids": {"values": chunk}})["count"]
                )
            return found
    except (ApiError, TransportError):
        return 0


def total_documents(settings: Settings, index: str | None = None) -> int:
    with es_client(settings) as es:
        es.indices.refresh(index=index or settings.elasticsearch.index)
        return int(es.count(index=index or settings.elasticsearch.index)["count"])


def committed_lag(settings: Settings) -> int | None:
    """End offsets minus the group's committed offsets over the articles topic (None if unknown)."""
    consumer = KafkaConsumer(**settings.kafka.client_kwargs(), group_id=settings.kafka.consumer_group)
    try:
        topic = settings.kafka.articles_topic
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        ends = consumer.end_offsets(parts)
        lag = 0
        for tp in parts:
            committed = consumer.committed(tp)
            lag += ends[tp] - (committed or 0)
        return lag
    except Exception as exc:
        print(f"lag unknown: {type(exc).__name__}: {exc}")
        return None
    finally:
        consumer.close()


def dead_letters(settings: Settings, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """Every record of the dead-letter topic, decoded."""
    consumer = KafkaConsumer(
        settings.kafka.dead_letter_topic,
        **settings.kafka.client_kwargs(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
    )
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            batch = [json.loads(r.value) for r in consumer]
            if not batch and out:
                break
            out.extend(batch)
    finally:
        consumer.close()
    return out


def published_alerts(settings: Settings) -> list[str]:
    """Article ids of the alerts on the alerts topic (what ``newsmon notify`` delivers from). A replay
    after a crash may publish an alert again under the same id: the delivery service records each
    (alert, channel) once, which the delivery tests check."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.alerts.topic,
        **settings.kafka.client_kwargs(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1500,
    )
    try:
        return [json.loads(r.value)["article"]["id"] for r in consumer]
    finally:
        consumer.close()


def raised_alerts(settings: Settings) -> list[str]:
    with es_client(settings) as es:
        es.indices.refresh(index=settings.alerts.index)
        hits = es.search(index=settings.alerts.index, size=10_000, source=["article_id"])["hits"]["hits"]
    return [h["_source"]["article_id"] for h in hits]


@dataclass
class StateWatch:
    """Samples a job's state every ``interval_s`` in a thread; ``seen`` holds every state observed."""

    job: Any
    interval_s: float = 0.5
    seen: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> StateWatch:
        def loop() -> None:
            while not self._stop.is_set():
                self.seen.add(self.job.state)
                self._stop.wait(self.interval_s)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def lag_report(settings: Settings) -> str:
    """Per partition: committed/end offsets and whether the record at the committed offset is indexed."""
    consumer = KafkaConsumer(**settings.kafka.client_kwargs(), group_id=settings.kafka.consumer_group)
    lines = []
    try:
        topic = settings.kafka.articles_topic
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        ends = consumer.end_offsets(parts)
        for tp in parts:
            committed = consumer.committed(tp)
            line = f"p{tp.partition}: committed={committed} end={ends[tp]}"
            if committed is not None and committed < ends[tp]:
                reader = KafkaConsumer(**settings.kafka.client_kwargs(), enable_auto_commit=False)
                reader.assign([tp])
                reader.seek(tp, committed)
                records = reader.poll(timeout_ms=5000).get(tp, [])
                reader.close()
                if records:
                    key = records[0].key.decode() if records[0].key else None
                    found = indexed_count(settings, [key]) if key else 0
                    line += f" first-uncommitted key={key} indexed={found} offset={records[0].offset}"
            lines.append(line)
    finally:
        consumer.close()
    return "; ".join(lines)
