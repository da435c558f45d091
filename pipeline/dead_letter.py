"""Dead-letter records and their Kafka sink.

A record that cannot be validated, enriched or indexed is never dropped: it is written to the
dead-letter topic as JSON with the stage, the error, its Kafka position and the original payload
(cut to ``MAX_PAYLOAD_BYTES`` so a huge poison record still fits in a Kafka message), and only then
counted as processed (its offset may be committed). A Kafka outage while writing is waited out
(:mod:`pipeline.retry`); it never fails the job.
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
from pipeline.retry import OutageLog, is_transient_kafka_error, retry_forever

__all__ = ["MAX_PAYLOAD_BYTES", "DeadLetter", "WriteDeadLetters", "dead_letter_payload"]

logger = logging.getLogger(__name__)

#: Original payload kept in a dead letter; the rest is cut (Kafka's default message limit is 1 MB).
MAX_PAYLOAD_BYTES = 512 * 1024


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
    kept = value[:MAX_PAYLOAD_BYTES]
    truncated = len(value) > len(kept)
    payload: dict[str, Any]
    try:
        payload = {"payload_text": kept.decode("utf-8")}
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(kept) - 3:  # only the cut split a multi-byte character
            payload = {"payload_text": kept[: exc.start].decode("utf-8")}
        else:
            payload = {"payload_base64": base64.b64encode(kept).decode("ascii")}
    if truncated:
        payload.update(payload_truncated=True, payload_bytes=len(value))
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
    """Produces dead letters with acks=all + idempotence; emits each message once it is durable.

    Sends are batched per bundle; any send that fails is retried on its own, without time limit,
    with a fresh producer after each failure (a broker restart can leave one in a fatal state).
    """

    def __init__(self, settings: KafkaSettings, producer_factory: Callable[[], Any] | None = None) -> None:
        self._settings = settings
        self._producer_factory = producer_factory
        self._producer: Any = None
        self._pending: list[tuple[bytes | None, bytes, KafkaMessage]] = []
        self._written = Metrics.counter("dead_letter", "written")
        self._outage = OutageLog(
            f"kafka at {settings.bootstrap_servers} (dead-letter topic {settings.dead_letter_topic})",
            hint="check `newsmon status`",
        )

    def _make_producer(self) -> Any:
        if self._producer_factory is not None:
            return self._producer_factory()
        from kafka import KafkaProducer

        return KafkaProducer(
            **self._settings.client_kwargs(),
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_request_size=2 * MAX_PAYLOAD_BYTES + 64 * 1024,
        )

    def _client(self) -> Any:
        if self._producer is None:
            self._producer = self._make_producer()
        return self._producer

    def _reset(self, _exc: Exception) -> None:
        producer, self._producer = self._producer, None
        if producer is not None and self._producer_factory is None:
            try:
                producer.close(timeout=1)
            except Exception as exc:  # closing a broken client must not hide the outage
                logger.debug("closing dead-letter producer: %s", exc)

    def start_bundle(self) -> None:
        self._pending = []

    def process(self, letter: DeadLetter) -> None:
        doc = dead_letter_payload(letter)
        logger.info(
            "dead-letter stage=%s topic=%s partition=%d offset=%d error=%s",
            letter.stage,
            letter.message.topic,
            letter.message.partition,
            letter.message.offset,
            letter.error[:300],
        )
        self._pending.append((letter.message.key, json.dumps(doc).encode("utf-8"), letter.message))

    def _send_batch(self) -> list[bool]:
        producer = self._client()
        futures = [
            producer.send(self._settings.dead_letter_topic, key=k, value=v) for k, v, _ in self._pending
        ]
        producer.flush(timeout=30)
        done = []
        for future in futures:
            try:
                future.get(timeout=1)
                done.append(True)
            except Exception as exc:
                if not is_transient_kafka_error(exc):
                    raise
                done.append(False)
        return done

    def _send_one(self, key: bytes | None, value: bytes) -> None:
        self._client().send(self._settings.dead_letter_topic, key=key, value=value).get(timeout=30)

    def finish_bundle(self) -> Iterator[Any]:
        if not self._pending:
            return
        try:
            done = self._send_batch()
        except Exception as exc:
            if not is_transient_kafka_error(exc):
                raise
            self._reset(exc)
            done = [False] * len(self._pending)
        for (key, value, message), ok in zip(self._pending, done, strict=True):
            if not ok:
                retry_forever(
                    lambda k=key, v=value: self._send_one(k, v),  # type: ignore[misc]
                    is_transient_kafka_error,
                    self._outage,
                    on_retry=self._reset,
                )
            self._written.inc()
            yield in_global_window(message, message)
        self._pending = []

    def teardown(self) -> None:
        if self._producer is not None and self._producer_factory is None:
            try:
                self._producer.close(timeout=5)
            except Exception as exc:
                logger.debug("closing dead-letter producer: %s", exc)


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
