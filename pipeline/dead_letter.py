"""Dead-letter records and their Kafka sink.

A record that cannot be validated, enriched or indexed is never dropped: it is written to the
dead-letter topic as JSON with the stage, the error, its Kafka position and the original payload,
and only then counted as processed (its offset may be committed).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsmon.core.settings import KafkaSettings
from pipeline.kafka_source import KafkaMessage, in_global_window

__all__ = ["DeadLetter", "WriteDeadLetters", "dead_letter_payload"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    """A message that failed at ``stage`` with ``error``; the element of dead-letter outputs."""

    message: KafkaMessage
    stage: str
    error: str


def dead_letter_payload(letter: DeadLetter, now: datetime | None = None) -> dict[str, Any]:
    """JSON document written to the dead-letter topic (pure; tested directly)."""
    msg = letter.message
    value = msg.value or b""
    try:
        payload: dict[str, Any] = {"payload_text": value.decode("utf-8")}
    except UnicodeDecodeError:
        payload = {"payload_base64": base64.b64encode(value).decode("ascii")}
    return {
        "stage": letter.stage,
        "error": letter.error[:2000],
        "source": {
            "topic": msg.topic,
            "partition": msg.partition,
            "offset": msg.offset,
            "key": msg.key.decode("utf-8", "replace") if msg.key else None,
            "timestamp_ms": msg.timestamp_ms,
        },
        "failed_at": (now or datetime.now(UTC)).isoformat(),
        **payload,
    }


class _ProduceDeadLettersFn(beam.DoFn):  # type: ignore[misc]
    """Produces dead letters with acks=all + idempotence; emits the message once it is durable."""

    def __init__(self, settings: KafkaSettings, producer_factory: Callable[[], Any] | None = None) -> None:
        self._settings = settings
        self._producer_factory = producer_factory
        self._producer: Any = None
        self._pending: list[tuple[Any, KafkaMessage]] = []
        self._written = Metrics.counter("dead_letter", "written")

    def setup(self) -> None:
        if self._producer_factory is not None:
            self._producer = self._producer_factory()
            return
        from kafka import KafkaProducer

        self._producer = KafkaProducer(
            **self._settings.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5
        )

    def start_bundle(self) -> None:
        self._pending = []

    def process(self, letter: DeadLetter) -> None:
        doc = dead_letter_payload(letter)
        logger.warning(
            "dead-letter stage=%s topic=%s partition=%d offset=%d error=%s",
            letter.stage,
            letter.message.topic,
            letter.message.partition,
            letter.message.offset,
            letter.error[:300],
        )
        future = self._producer.send(
            self._settings.dead_letter_topic, key=letter.message.key, value=json.dumps(doc).encode("utf-8")
        )
        self._pending.append((future, letter.message))

    def finish_bundle(self) -> Iterator[Any]:
        self._producer.flush()
        for future, message in self._pending:
            future.get(timeout=60)  # raises -> bundle retried; offsets stay uncommitted
            self._written.inc()
            yield in_global_window(message, message)
        self._pending = []

    def teardown(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)


class WriteDeadLetters(beam.PTransform):  # type: ignore[misc]
    """Writes ``DeadLetter`` elements to the dead-letter topic; outputs the durable ``KafkaMessage``s."""

    def __init__(self, settings: KafkaSettings, producer_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self._settings = settings
        self._producer_factory = producer_factory

    def expand(self, letters: beam.PCollection[DeadLetter]) -> beam.PCollection[KafkaMessage]:
        return letters | "ProduceDeadLetters" >> beam.ParDo(
            _ProduceDeadLettersFn(self._settings, self._producer_factory)
        )
