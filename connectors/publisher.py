"""Publishing article records to Kafka with acknowledgement: nothing counts as published until acked.

The producer is idempotent (``enable_idempotence=True`` with ``acks="all"``; kafka-python 3.0.12
raises instead of silently downgrading when those conflict), batches (``linger_ms``/``batch_size``)
and compresses. ``publish`` blocks until every record is acknowledged or has failed and returns both
lists; the caller keeps failed records in the state's outbox. When Kafka cannot be reached the
producer is re-created with exponential backoff instead of blocking every pass for the full timeout.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from newsmon.core.kafka_topics import ensure_topics
from newsmon.core.record import ArticleRecord, encode_record
from newsmon.core.settings import ConnectorsSettings, KafkaSettings

__all__ = ["PublishResult", "Publisher"]

logger = logging.getLogger(__name__)
_MAX_BACKOFF_S = 300.0


@dataclass
class PublishResult:
    """Records Kafka acknowledged, could not take now, or refused outright; and the first error seen."""

    acked: list[ArticleRecord] = field(default_factory=list)
    failed: list[ArticleRecord] = field(default_factory=list)  # retriable: kept in the outbox
    rejected: list[ArticleRecord] = field(default_factory=list)  # refused by Kafka (e.g. too large)
    error: str | None = None


class Publisher:
    """Sends ``ArticleRecord`` s keyed by article id to the articles topic. Thread-compatible, not shared."""

    def __init__(self, kafka: KafkaSettings, options: ConnectorsSettings) -> None:
        self.topic = kafka.articles_topic
        self._kafka = kafka
        self._options = options
        self._producer: KafkaProducer | None = None
        self._failures = 0
        self._retry_at = 0.0

    def _config(self) -> dict[str, Any]:
        timeout_ms = int(self._options.kafka_timeout_s * 1000)
        return {
            **self._kafka.client_kwargs(),
            "client_id": "newsmon-connectors",
            "acks": "all",
            "enable_idempotence": True,
            "compression_type": self._options.kafka_compression,
            "linger_ms": self._options.kafka_linger_ms,
            "batch_size": self._options.kafka_batch_size,
            "max_request_size": 2 * 1024 * 1024,
            "delivery_timeout_ms": timeout_ms,
            "request_timeout_ms": max(1000, timeout_ms // 2),
            "max_block_ms": min(timeout_ms, 10_000),
            "bootstrap_timeout_ms": min(timeout_ms, 10_000),
        }

    def _ensure(self) -> KafkaProducer:
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            raise KafkaError(
                f"Kafka unavailable after {self._failures} failed attempt(s); retrying in {wait:.0f}s"
            )
        if self._producer is not None:
            return self._producer
        try:
            self._producer = KafkaProducer(**self._config())
        except KafkaError as exc:
            self._backoff()
            raise KafkaError(f"cannot connect to Kafka at {self._kafka.bootstrap_servers}: {exc}") from exc
        self._failures = 0
        self._ensure_topic()
        return self._producer

    def _ensure_topic(self) -> None:
        """Create the articles topic if missing (same partitions as ``pipeline init``); brokers often
        refuse auto-creation. Failure is only logged: the broker may still auto-create it."""
        try:
            if ensure_topics(self._kafka, [self.topic]):
                logger.info("created topic=%s partitions=%d", self.topic, self._kafka.partitions)
        except KafkaError as exc:
            logger.warning("cannot create topic=%s error=%s", self.topic, exc)

    def _backoff(self) -> None:
        self._failures += 1
        self._retry_at = time.monotonic() + min(_MAX_BACKOFF_S, 2.0**self._failures)

    def publish(self, records: list[ArticleRecord]) -> PublishResult:
        """Send and wait for acknowledgement of every record; never raises for Kafka problems."""
        if not records:
            return PublishResult()
        try:
            producer = self._ensure()
        except KafkaError as exc:
            return PublishResult(failed=list(records), error=str(exc))
        futures: list[Any] = []
        for record in records:
            try:
                futures.append(producer.send(self.topic, key=record.id.encode(), value=encode_record(record)))
            except KafkaError as exc:  # raised before sending: too large, or no metadata (broker down)
                futures.append(exc)
                if exc.retriable:
                    logger.warning("kafka send failed topic=%s error=%s", self.topic, exc)
                    break
        try:
            producer.flush(timeout=self._options.kafka_timeout_s + 5)
        except KafkaError as exc:
            logger.warning("kafka flush failed topic=%s error=%s", self.topic, exc)
        return self._collect(records, futures)

    def _collect(self, records: list[ArticleRecord], futures: list[Any]) -> PublishResult:
        """Acked, failed (retriable: keep for later) or rejected (the record itself is refused)."""
        result = PublishResult()
        for index, record in enumerate(records):
            future = futures[index] if index < len(futures) else None
            error = future if isinstance(future, KafkaError) else getattr(future, "exception", None)
            if future is not None and error is None and future.succeeded():
                result.acked.append(record)
                continue
            if error is not None and not getattr(error, "retriable", True):
                logger.error("kafka rejected record id=%s error=%s", record.id, error)
                result.rejected.append(record)
            else:
                result.failed.append(record)
            result.error = result.error or (f"{type(error).__name__}: {error}" if error else None)
        if result.failed:
            result.error = result.error or "Kafka did not acknowledge in time"
            self._backoff()
        else:
            self._failures = 0
        return result

    def close(self) -> None:
        """Flush what is buffered and close the producer (bounded by the Kafka timeout)."""
        if self._producer is not None:
            try:
                self._producer.close(timeout=self._options.kafka_timeout_s)
            except KafkaError as exc:
                logger.warning("kafka producer close failed error=%s", exc)
            self._producer = None
