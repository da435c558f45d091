"""Beam sink that bulk-writes article documents to Elasticsearch.

Usage::

    indexed, failed = documents | "Index" >> WriteToElasticsearch(es_settings)

Input elements are ``(KafkaMessage, document)`` pairs; ``_id`` is ``document["id"]`` (the article
id), so writes are idempotent. Documents are buffered to ``bulk_size`` and flushed when the buffer
is full and in ``finish_bundle``. Output ``indexed`` carries the ``(KafkaMessage, document)`` of every
document Elasticsearch acknowledged; ``failed`` carries a ``DeadLetter`` for each document rejected for good.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsmon.core.es_schema import write_alias
from newsmon.core.settings import ElasticsearchSettings
from pipeline.dead_letter import DeadLetter
from pipeline.es_bulk import BulkItem, bulk_index
from pipeline.kafka_source import KafkaMessage, in_global_window
from pipeline.retry import OutageLog, quiet_client_loggers

__all__ = ["FAILED_TAG", "WriteToElasticsearch"]

FAILED_TAG = "failed"


class _BulkIndexFn(beam.DoFn):  # type: ignore[misc]
    """Buffers documents and flushes them with ``bulk_index``; emits acknowledged messages."""

    def __init__(self, settings: ElasticsearchSettings, client_factory: Callable[[], Any] | None) -> None:
        self._settings = settings
        self._client_factory = client_factory
        self._client: Any = None
        self._buffer: list[tuple[KafkaMessage, BulkItem]] = []
        self._indexed = Metrics.counter("elasticsearch", "documents_indexed")
        self._rejected = Metrics.counter("elasticsearch", "documents_rejected")
        self._batch_sizes = Metrics.distribution("elasticsearch", "bulk_batch_size")
        self._latency = Metrics.distribution("elasticsearch", "bulk_latency_ms")
        self._retried = Metrics.counter("elasticsearch", "items_retried")
        self._outage = OutageLog(
            f"elasticsearch at {settings.url}", hint="check `newsmon status` / `newsmon services status`"
        )

    def setup(self) -> None:
        quiet_client_loggers()
        if self._client_factory is not None:
            self._client = self._client_factory()
        else:
            from elasticsearch import Elasticsearch

            self._client = Elasticsearch(**self._settings.client_kwargs())

    def start_bundle(self) -> None:
        self._buffer = []

    def process(self, element: tuple[KafkaMessage, dict[str, Any]]) -> Iterator[Any]:
        message, document = element
        self._buffer.append((message, BulkItem(doc_id=str(document["id"]), document=document)))
        if len(self._buffer) >= self._settings.bulk_size:
            yield from self._flush(wrap=False)

    def finish_bundle(self) -> Iterator[Any]:
        yield from self._flush(wrap=True)

    def _flush(self, wrap: bool) -> Iterator[Any]:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        self._batch_sizes.update(len(batch))
        outcome = bulk_index(
            self._client,
            write_alias(self._settings.index),
            [item for _, item in batch],
            outage=self._outage,
        )
        self._latency.update(int(outcome.latency_s * 1000))
        if outcome.retried_items:
            self._retried.inc(outcome.retried_items)
        for pos in outcome.indexed:
            self._indexed.inc()
            message, item = batch[pos]
            pair = (message, item.document)
            yield in_global_window(pair, message) if wrap else pair
        for pos, reason in outcome.failed:
            self._rejected.inc()
            letter = DeadLetter(message=batch[pos][0], stage="index", error=reason)
            value = in_global_window(letter, letter.message) if wrap else letter
            yield beam.pvalue.TaggedOutput(FAILED_TAG, value)

    def teardown(self) -> None:
        if self._client is not None and self._client_factory is None:
            self._client.close()


class WriteToElasticsearch(beam.PTransform):  # type: ignore[misc]
    """Idempotent, batched bulk indexing that waits out outages; returns ``(indexed, failed)``.

    Used by the pipeline after enrichment. An unavailable cluster blocks the bundle (and so the
    reader) until it is back; only documents Elasticsearch rejects for good are in ``failed``.
    """

    def __init__(
        self, settings: ElasticsearchSettings, client_factory: Callable[[], Any] | None = None
    ) -> None:
        super().__init__()
        if not settings.index:
            raise ValueError("an Elasticsearch index name is required")
        self._settings = settings
        self._client_factory = client_factory

    def expand(self, pcoll: beam.PCollection[tuple[KafkaMessage, dict[str, Any]]]) -> Any:
        results = pcoll | "BulkIndex" >> beam.ParDo(
            _BulkIndexFn(self._settings, self._client_factory)
        ).with_outputs(FAILED_TAG, main="indexed")
        return results.indexed, results[FAILED_TAG]
