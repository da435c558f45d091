"""Beam step that matches just-indexed articles against the stored subscriptions and hands each
match to the delivery service through the alerts topic.

Per bundle (flushed every ``BATCH`` articles and at the end of the bundle): pick up created, changed
and deleted subscriptions (:class:`alerts.live.LiveSubscriptions`, every ``alerts.reload_interval_s``),
analyse the articles as Elasticsearch indexed them (one real-time ``_mtermvectors`` call for the
``standard`` fields, the language fields derived through a token cache: :mod:`alerts.derived`), evaluate
only candidate subscriptions, then for every match produce an :class:`alerts.model.AlertMessage` to
``alerts.topic`` (acks=all, idempotent producer) and index it in the alerts index under its
deterministic id. Only then are the articles' Kafka messages emitted, so their offsets are committed
only after their alerts are durable: a crash replays the articles, and the replayed alerts carry the
same ids, which the delivery service records once. Outages of Elasticsearch or Kafka are waited out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from alerts.model import AlertArticle, AlertMessage, alert_id
from alerts.records import alert_document
from newsmon.core.es_schema import write_alias
from newsmon.core.settings import AlertsSettings, ElasticsearchSettings, KafkaSettings
from pipeline.es_bulk import BulkItem, bulk_index, is_transient_es_error
from pipeline.kafka_source import KafkaMessage, in_global_window
from pipeline.retry import OutageLog, is_transient_kafka_error, quiet_client_loggers, retry_forever

__all__ = ["BATCH", "MatchSubscriptions"]

logger = logging.getLogger(__name__)
alert_log = logging.getLogger("newsmon.alerts")

#: articles analysed per ``_mtermvectors`` call
BATCH = 100


# One compiled, live subscription set per worker process and configuration, shared by every instance
# of the matching step: the runner may create several (one per bundle processor), and each would
# otherwise compile every subscription again (one `_analyze` call per distinct term) on its first
# batch - seconds of delay at 1,000 subscriptions, every time the runner adds an instance.
_SHARED: dict[tuple[Any, ...], tuple[Any, threading.Lock, Any]] = {}
_SHARED_GUARD = threading.Lock()


def _shared_live(
    alerts: AlertsSettings, es: ElasticsearchSettings, es_factory: Callable[[], Any] | None
) -> tuple[Any, threading.Lock, Any]:
    """(live subscriptions, their lock, the document reader) of this process."""
    from alerts.analysis import ElasticsearchAnalyzer
    from alerts.compile import QueryCompiler
    from alerts.derived import DocumentReader
    from alerts.live import LiveSubscriptions
    from alerts.store import SubscriptionStore

    key = (es.url, es.index, alerts.subscriptions_index, alerts.reload_interval_s, id(es_factory))
    with _SHARED_GUARD:
        found = _SHARED.get(key)
        if found is None:
            if es_factory is not None:
                client = es_factory()
            else:
                from elasticsearch import Elasticsearch

                client = Elasticsearch(**es.client_kwargs())  # lives as long as the process
            store = SubscriptionStore(client, alerts.subscriptions_index)
            compiler = QueryCompiler(ElasticsearchAnalyzer(client, es.index))
            live = LiveSubscriptions(store, compiler, alerts.reload_interval_s)
            found = (live, threading.Lock(), DocumentReader(client, es.index))
            _SHARED[key] = found
        return found


class _MatchFn(beam.DoFn):  # type: ignore[misc]
    """Buffers indexed articles, matches them, produces and indexes their alerts, emits the messages."""

    def __init__(
        self,
        alerts: AlertsSettings,
        es: ElasticsearchSettings,
        kafka: KafkaSettings,
        es_factory: Callable[[], Any] | None,
        producer_factory: Callable[[], Any] | None,
    ) -> None:
        self._alerts = alerts
        self._es = es
        self._kafka = kafka
        self._es_factory = es_factory
        self._producer_factory = producer_factory
        self._buffer: list[tuple[KafkaMessage, dict[str, Any]]] = []
        self._producer: Any = None
        self._matched = Metrics.counter("alerts", "matched")
        self._reloads = Metrics.counter("alerts", "subscription_changes")
        self._active = Metrics.gauge("alerts", "subscriptions")
        self._rejected = Metrics.counter("alerts", "alert_documents_rejected")
        self._batch_sizes = Metrics.distribution("alerts", "match_batch_size")
        self._latency = Metrics.distribution("alerts", "match_batch_ms")  # analyse + match + publish
        self._read_ms = Metrics.distribution("alerts", "match_read_ms")  # the articles' analysed terms
        self._eval_ms = Metrics.distribution("alerts", "match_eval_ms")  # candidates + evaluation
        self._publish_ms = Metrics.distribution("alerts", "match_publish_ms")  # topic + alerts index

    def setup(self) -> None:
        quiet_client_loggers()
        if self._es_factory is not None:
            self._client = self._es_factory()
        else:
            from elasticsearch import Elasticsearch

            self._client = Elasticsearch(**self._es.client_kwargs())
        self._live, self._live_lock, self._reader = _shared_live(self._alerts, self._es, self._es_factory)
        self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alerts-index")
        self._es_outage = OutageLog(
            f"elasticsearch at {self._es.url} (alert matching)", hint="check `newsmon status`"
        )
        self._kafka_outage = OutageLog(
            f"kafka at {self._kafka.bootstrap_servers} (alerts topic {self._alerts.topic})",
            hint="check `newsmon status`",
        )

    # --- Kafka

    def _make_producer(self) -> Any:
        if self._producer_factory is not None:
            return self._producer_factory()
        from kafka import KafkaProducer

        return KafkaProducer(**self._kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5)

    def _reset_producer(self, _exc: Exception) -> None:
        producer, self._producer = self._producer, None
        if producer is not None and self._producer_factory is None:
            try:
                producer.close(timeout=1)
            except Exception as exc:  # closing a broken client must not hide the outage
                logger.debug("closing alerts producer: %s", exc)

    def _produce(self, messages: list[AlertMessage]) -> None:
        if self._producer is None:
            self._producer = self._make_producer()
        producer = self._producer
        futures = [
            producer.send(self._alerts.topic, key=m.key, value=m.model_dump_json().encode("utf-8"))
            for m in messages
        ]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=1)

    # --- Elasticsearch

    def _es_call(self, operation: Callable[[], Any]) -> Any:
        return retry_forever(operation, is_transient_es_error, self._es_outage)

    def _index_alerts(self, messages: list[AlertMessage]) -> None:
        items = [BulkItem(doc_id=m.alert_id, document=alert_document(m)) for m in messages]
        outcome = bulk_index(self._client, write_alias(self._alerts.index), items, outage=self._es_outage)
        for pos, reason in outcome.failed:
            self._rejected.inc()
            logger.warning("alert %s not indexed (still delivered): %s", items[pos].doc_id, reason[:300])

    # --- Beam

    def start_bundle(self) -> None:
        self._buffer = []

    def process(self, element: tuple[KafkaMessage, dict[str, Any]]) -> Iterator[Any]:
        self._buffer.append(element)
        if len(self._buffer) >= BATCH:
            yield from self._flush(wrap=False)

    def finish_bundle(self) -> Iterator[Any]:
        yield from self._flush(wrap=True)

    def _flush(self, wrap: bool) -> Iterator[Any]:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        started = time.monotonic()
        alerts = self._match(batch)
        if alerts:
            publish_started = time.monotonic()
            # the alerts index is written while the producer waits for the brokers' acknowledgements
            indexing = self._indexer.submit(self._index_alerts, alerts)
            retry_forever(
                lambda: self._produce(alerts),
                is_transient_kafka_error,
                self._kafka_outage,
                on_retry=self._reset_producer,
            )
            indexing.result()
            self._publish_ms.update(int((time.monotonic() - publish_started) * 1000))
            self._matched.inc(len(alerts))
            for m in alerts:
                alert_log.info(
                    "alert [%s] %s: %s",
                    m.subscription_id,
                    m.article.title[:120],
                    m.article.url or m.article.id,
                )
        self._batch_sizes.update(len(batch))
        self._latency.update(int((time.monotonic() - started) * 1000))
        for message, _ in batch:
            yield in_global_window(message, message) if wrap else message

    def _match(self, batch: list[tuple[KafkaMessage, dict[str, Any]]]) -> list[AlertMessage]:
        sources = {str(doc["id"]): doc for _, doc in batch}
        with self._live_lock:  # one live set per process, shared by every instance of this step
            report = self._es_call(self._live.refresh)
            active = len(self._live)
        if report:
            self._reloads.inc(len(report.added) + len(report.changed) + len(report.removed))
            alert_log.info(
                "subscriptions: %d active (+%d new, %d changed, -%d removed)",
                active,
                len(report.added),
                len(report.changed),
                len(report.removed),
            )
        self._active.set(active)
        if not active:
            return []
        started = time.monotonic()
        analysed = self._es_call(lambda: self._reader.fetch(list(sources), sources))
        read = time.monotonic()
        now = datetime.now(UTC)
        out = []
        with self._live_lock:
            matched = [(doc, self._live.match(doc, sources[doc.id])) for doc in analysed]
        self._read_ms.update(int((read - started) * 1000))
        self._eval_ms.update(int((time.monotonic() - read) * 1000))
        for doc, subs in matched:
            source = sources[doc.id]
            for sub in subs:
                out.append(
                    AlertMessage(
                        alert_id=alert_id(sub.id, doc.id),
                        subscription_id=sub.id,
                        subscription_version=sub.version,
                        owner=sub.owner,
                        subscription_name=sub.name,
                        mode=sub.mode,
                        query=sub.query,
                        article=AlertArticle.from_document(source),
                        matched_at=now,
                    )
                )
        return out

    def teardown(self) -> None:
        if getattr(self, "_indexer", None) is not None:
            self._indexer.shutdown(wait=True)
        if self._producer is not None and self._producer_factory is None:
            try:
                self._producer.close(timeout=5)
            except Exception as exc:
                logger.debug("closing alerts producer: %s", exc)
        if getattr(self, "_client", None) is not None and self._es_factory is None:
            self._client.close()


class MatchSubscriptions(beam.PTransform):  # type: ignore[misc]
    """``(message, document)`` of indexed articles -> the same messages, once their alerts (if any)
    are on the alerts topic and in the alerts index. Used by the pipeline after the Elasticsearch
    write; see the module docstring."""

    def __init__(
        self,
        alerts: AlertsSettings,
        es: ElasticsearchSettings,
        kafka: KafkaSettings,
        es_factory: Callable[[], Any] | None = None,
        producer_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__()
        self._args = (alerts, es, kafka, es_factory, producer_factory)

    def expand(self, indexed: Any) -> Any:
        return indexed | "MatchAndPublish" >> beam.ParDo(_MatchFn(*self._args))
