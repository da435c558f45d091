"""Validate raw Kafka messages into ``ArticleRecord``s; bad ones go to the dead-letter output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsmon.core.record import RecordError, decode_record
from pipeline.dead_letter import DeadLetter
from pipeline.kafka_source import KafkaMessage

__all__ = ["INVALID_TAG", "ValidateRecords"]

INVALID_TAG = "invalid"


class _ValidateFn(beam.DoFn):  # type: ignore[misc]
    """Decodes and validates one message (pure: no I/O)."""

    def __init__(self) -> None:
        self._valid = Metrics.counter("validate", "valid")
        self._invalid = Metrics.counter("validate", "invalid")

    def process(self, message: KafkaMessage) -> Iterator[Any]:
        try:
            if message.value is None:
                raise RecordError("empty message value (tombstone)")
            record = decode_record(message.value)
            if message.key is not None and message.key.decode("utf-8", "replace") != record.id:
                raise RecordError(f"message key {message.key!r} does not match record id {record.id}")
        except RecordError as exc:
            self._invalid.inc()
            yield beam.pvalue.TaggedOutput(INVALID_TAG, DeadLetter(message, "validate", str(exc)))
            return
        self._valid.inc()
        yield message, record


class ValidateRecords(beam.PTransform):  # type: ignore[misc]
    """``KafkaMessage`` -> ``(message, ArticleRecord)``; returns ``(valid, invalid)``."""

    def expand(self, messages: beam.PCollection[KafkaMessage]) -> Any:
        results = messages | "Decode" >> beam.ParDo(_ValidateFn()).with_outputs(INVALID_TAG, main="valid")
        return results.valid, results[INVALID_TAG]
