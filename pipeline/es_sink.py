"""Beam sink that bulk-writes article documents to Elasticsearch.

Usage::

    indexed, failed = documents | "Index" >> WriteToElasticsearch(es_settings)

Input elements are ``(KafkaMessage, document)`` pairs; ``_id`` is ``document["id"]`` (the article
id), so writes are idempotent. Documents are buffered to ``bulk_size``; a full buffer is sent by a
writer thread while the bundle goes on (enriching the next documents), at most ``_IN_FLIGHT``
requests at a time, and ``finish_bundle`` sends the rest and waits for every request of the bundle.
Output ``indexed`` carries the ``(KafkaMessage, document)`` of every document Elasticsearch
acknowledged (emitted only once acknowledged, so offsets are committed only for what is stored);
``failed`` carries a ``DeadLetter`` for each document rejected for good.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsmon.core.es_schema import write_alias
from newsmon.core.settings import ElasticsearchSettings
from pipeline.dead_letter import DeadLetter
from pipeline.es_bulk import BulkItem, BulkOutcome, bulk_index
from pipeline.kafka_source import KafkaMessage, in_global_window
from pipeline.retry import OutageLog, quiet_client_loggers

__all__ = ["FAILED_TAG", "WriteToElasticsearch"]

FAILED_TAG = "failed"

#: bulk requests of one bundle in flight at once (the bundle then waits for the oldest)
_IN_FLIGHT = 2

_Batch = list[tuple[KafkaMessage, BulkItem]]


class _BulkIndexFn(beam.DoFn):  # type: ignore[misc]
    """Buffers documents and flushes them with ``bulk_index``; emits acknowledged messages."""

    def __init__(self, settings: ElasticsearchSettings, client_factory: Callable[[], Any] | None) -> None:
        self._settings = settings
        self._client_factory = client_factory
        self._client: Any = None
        self._buffer: _Batch = []
        self._sent: deque[tuple[Future[BulkOutcome], _Batch]] = deque()
        self._writer: ThreadPoolExecutor | None = None
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
        self._writer = ThreadPoolExecutor(max_workers=_IN_FLIGHT, thread_name_prefix="es-bulk")

    def start_bundle(self) -> None:
        self._buffer = []
        self._sent = deque()

    def process(self, element: tuple[KafkaMessage, dict[str, Any]]) -> Iterator[Any]:
        message, document = element
        self._buffer.append((message, BulkItem(doc_id=str(document["id"]), document=document)))
        if len(self._buffer) >= self._settings.bulk_size:
            while len(self._sent) >= _IN_FLIGHT:
                yield from self._receive(wrap=False)
            self._send()
        while self._sent and self._sent[0][0].done():  # acknowledged meanwhile: pass them on
            yield from self._receive(wrap=False)

    def finish_bundle(self) -> Iterator[Any]:
        self._send()
        while self._sent:
            yield from self._receive(wrap=True)

    def _send(self) -> None:
        if not self._buffer:
            return
        assert self._writer is not None, "setup() starts the writer"
        batch, self._buffer = self._buffer, []
        self._batch_sizes.update(len(batch))
        future = self._writer.submit(
            bulk_index,
            self._client,
            write_alias(self._settings.index),
            [item for _, item in batch],
            outage=self._outage,
        )
        self._sent.append((future, batch))

    def _receive(self, wrap: bool) -> Iterator[Any]:
        """Wait for the oldest request in flight and emit its outcome (metrics are counted here, in
        the bundle's thread: Beam counts them per bundle)."""
        future, batch = self._sent.popleft()
        outcome = future.result()
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
        if self._writer is not None:
            self._writer.shutdown(wait=True)
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
