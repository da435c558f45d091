"""Dead letters of the delivery service on ``alerts.dead_letter_topic`` (acks=all, idempotent
producer): a delivery given up after its attempts or refused for good, and alerts-topic records
that are not alert messages. Keyed by delivery id (or topic/partition/offset), JSON values."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

from alerts.delivery.records import DeliveryRecord
from newsmon.core.settings import KafkaSettings

__all__ = ["DeadLetters", "delivery_dead_letter"]

_MAX_PAYLOAD = 64 * 1024


def delivery_dead_letter(record: DeliveryRecord, reason: str, at: datetime) -> dict[str, Any]:
    """The dead letter of a delivery given up (no secrets: the channel is redacted)."""
    return {
        "type": "delivery",
        "delivery_id": record.delivery_id,
        "kind": record.kind,
        "alert_ids": record.alert_ids,
        "subscription_id": record.subscription_id,
        "owner": record.owner,
        "channel": record.channel,
        "period": record.period,
        "attempts": record.attempts,
        "reason": reason,
        "dead_at": at.isoformat(),
    }


class DeadLetters:
    """Produces dead letters and waits for the broker's acknowledgement (the caller retries on
    error); the producer is created on first use, so a broker that is down at start-up is no crash."""

    def __init__(self, settings: KafkaSettings, topic: str, timeout_s: float = 30.0) -> None:
        self._settings = settings
        self.topic = topic
        self.timeout_s = timeout_s
        self._producer: Any = None
        self._lock = threading.Lock()

    def _get_producer(self) -> Any:
        from kafka import KafkaProducer

        if self._producer is None:
            self._producer = KafkaProducer(
                **self._settings.client_kwargs(),
                acks="all",
                enable_idempotence=True,
                retries=5,
                max_block_ms=int(self.timeout_s * 1000),
            )
        return self._producer

    def publish(self, key: str, value: dict[str, Any]) -> None:
        body = json.dumps(value, ensure_ascii=False).encode()
        with self._lock:
            try:
                producer = self._get_producer()
                producer.send(self.topic, key=key.encode(), value=body).get(timeout=self.timeout_s)
            except Exception:
                self._close_producer()
                raise

    def invalid_record(
        self, topic: str, partition: int, offset: int, error: str, payload: bytes | None
    ) -> None:
        """Dead-letter an alerts-topic record that is not an alert message (the stream goes on)."""
        raw = payload or b""
        self.publish(
            f"{topic}/{partition}/{offset}",
            {
                "type": "invalid_alert_message",
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "reason": error,
                "payload": raw[:_MAX_PAYLOAD].decode("utf-8", "replace"),
                "payload_truncated": len(raw) > _MAX_PAYLOAD,
            },
        )

    def _close_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            finally:
                self._producer = None

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.flush(timeout=self.timeout_s)
            self._close_producer()
