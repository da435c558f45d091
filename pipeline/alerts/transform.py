"""Beam step that turns indexed articles into alerts, once per (subscription, article).

Each match is first recorded in the alerts index with ``op_type=create`` and a deterministic ``_id``
(``alert_id``): if the alert already exists (a replayed record), nobody is notified again. The
alert document then records each notifier's delivery result, so failures are visible in Kibana and
in ``newsmon alerts list``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsmon.core.es_schema import write_alias
from newsmon.core.settings import AlertsSettings, ElasticsearchSettings
from pipeline.es_bulk import is_transient_es_error
from pipeline.retry import OutageLog, retry_forever

__all__ = ["ALERTS_MAPPING", "ALERTS_MAPPING_VERSION", "DispatchAlerts", "article_summary"]

logger = logging.getLogger(__name__)

ALERTS_MAPPING_VERSION = 1
ALERTS_MAPPING: dict[str, Any] = {
    "dynamic": "false",
    "_meta": {"mapping_version": ALERTS_MAPPING_VERSION, "owner": "newsmon"},
    "properties": {
        "alert_id": {"type": "keyword"},
        "subscription_id": {"type": "keyword"},
        "article_id": {"type": "keyword"},
        "title": {"type": "text"},
        "url": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "reasons": {"type": "keyword"},
        "created_at": {"type": "date"},
        "deliveries": {
            "properties": {"type": {"type": "keyword"}, "ok": {"type": "boolean"}, "error": {"type": "text"}}
        },
    },
}


def article_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The part of an index document that goes into an alert."""
    keys = ("id", "title", "url", "published_at", "language", "tags", "relevance")
    summary = {k: doc.get(k) for k in keys}
    summary["entities"] = [e.get("name") for e in doc.get("entities", [])][:20]
    return summary


class _DispatchFn(beam.DoFn):  # type: ignore[misc]
    """Matches documents to subscriptions, records new alerts, notifies."""

    def __init__(
        self, alerts: AlertsSettings, es: ElasticsearchSettings, es_factory: Callable[[], Any] | None
    ):
        self._alerts = alerts
        self._es = es
        self._es_factory = es_factory
        self._matched = Metrics.counter("alerts", "matched")
        self._duplicates = Metrics.counter("alerts", "replays_suppressed")
        self._failed = Metrics.counter("alerts", "delivery_failed")

    def setup(self) -> None:
        from elasticsearch import Elasticsearch

        from pipeline.alerts.notifiers import build_notifier
        from pipeline.alerts.subscriptions import load_subscriptions

        subs = load_subscriptions(self._alerts.subscriptions_path).subscriptions
        self._subs = [s for s in subs if s.enabled]
        self._by_id = {s.id: s for s in self._subs}
        self._notifiers = {s.id: [build_notifier(spec) for spec in s.notify] for s in self._subs}
        self._client = self._es_factory() if self._es_factory else Elasticsearch(**self._es.client_kwargs())
        self._outage = OutageLog(f"elasticsearch at {self._es.url} (alerts index {self._alerts.index})")

    def _es_call(self, operation: Callable[[], Any]) -> Any:
        return retry_forever(operation, is_transient_es_error, self._outage)

    def process(self, element: tuple[Any, dict[str, Any]]) -> Iterator[str]:
        from elasticsearch import ConflictError

        from pipeline.alerts.matcher import match_document
        from pipeline.alerts.notifiers import Alert, NotifyError

        _, doc = element
        for match in match_document(self._subs, doc):
            sub = self._by_id[match.subscription_id]
            record = {
                "alert_id": match.alert_id,
                "subscription_id": sub.id,
                "article_id": match.article_id,
                "title": doc.get("title"),
                "url": doc.get("url"),
                "tags": doc.get("tags", []),
                "reasons": list(match.reasons),
                "created_at": datetime.now(UTC).isoformat(),
            }
            try:
                self._es_call(
                    lambda m=match, r=record: self._client.create(  # type: ignore[misc]
                        index=write_alias(self._alerts.index), id=m.alert_id, document=r
                    )
                )
            except ConflictError:
                self._duplicates.inc()
                continue
            self._matched.inc()
            alert = Alert(match.alert_id, sub.id, sub.name or sub.id, article_summary(doc), match.reasons)
            deliveries = []
            for notifier in self._notifiers[sub.id]:
                try:
                    notifier.send(alert)
                    deliveries.append({"type": notifier.type_name, "ok": True})
                except NotifyError as exc:
                    self._failed.inc()
                    logger.error(
                        "alert delivery failed subscription=%s type=%s: %s", sub.id, notifier.type_name, exc
                    )
                    deliveries.append({"type": notifier.type_name, "ok": False, "error": str(exc)})
            self._es_call(
                lambda m=match, d=deliveries: self._client.update(  # type: ignore[misc]
                    index=write_alias(self._alerts.index), id=m.alert_id, doc={"deliveries": d}
                )
            )
            yield match.alert_id

    def teardown(self) -> None:
        for notifiers in getattr(self, "_notifiers", {}).values():
            for notifier in notifiers:
                notifier.close()
        if getattr(self, "_client", None) is not None and self._es_factory is None:
            self._client.close()


class DispatchAlerts(beam.PTransform):  # type: ignore[misc]
    """``(message, document)`` of indexed articles -> alert ids that were newly raised."""

    def __init__(
        self, alerts: AlertsSettings, es: ElasticsearchSettings, es_factory: Callable[[], Any] | None = None
    ) -> None:
        super().__init__()
        self._alerts = alerts
        self._es = es
        self._es_factory = es_factory

    def expand(self, indexed: Any) -> Any:
        return indexed | "MatchAndNotify" >> beam.ParDo(_DispatchFn(self._alerts, self._es, self._es_factory))
