"""Retention of the alert stores on the real Elasticsearch: only final, old records go."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from alerts.delivery.records import DeliveryRecord
from alerts.delivery.store import DeliveryStore
from alerts.records import ALERTS_MAPPING, ALERTS_MAPPING_VERSION
from newsmon.core.es_index import IndexSpec, setup_index
from newsmon.core.es_schema import write_alias
from newsmon.core.settings import ElasticsearchSettings, Settings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=3)


@pytest.fixture
def stores(es_settings: ElasticsearchSettings) -> Iterator[tuple[Elasticsearch, DeliveryStore, str]]:
    es = Elasticsearch(**es_settings.client_kwargs())
    tag = uuid.uuid4().hex[:8]
    store = DeliveryStore(es, f"test-retention-deliveries-{tag}")
    store.setup(es_settings)
    alerts_index = f"test-retention-alerts-{tag}"
    setup_index(es_settings, IndexSpec(alerts_index, ALERTS_MAPPING, ALERTS_MAPPING_VERSION), es)
    yield es, store, alerts_index
    quiet = es.options(ignore_status=(400, 404))
    for base in (store.index, store.messages_index, alerts_index):
        quiet.indices.delete(index=f"{base}-v*", expand_wildcards="all")
        quiet.indices.delete_index_template(name=base)
    es.close()


def _delivery(ident: str, status: str, updated: datetime) -> DeliveryRecord:
    return DeliveryRecord.model_validate(
        {
            "delivery_id": ident,
            "kind": "instant",
            "alert_ids": [f"alert-{ident}"],
            "subscription_id": "sub",
            "owner": "ngo",
            "channel": "json://example.invalid/***",
            "status": status,
            "created_at": updated,
            "updated_at": updated,
        }
    )


def test_sweep_deletes_only_final_records_and_kept_alerts_older_than_the_cut_off(
    stores: tuple[Elasticsearch, DeliveryStore, str],
) -> None:
    es, store, alerts_index = stores
    records = {
        "old-delivered": _delivery("old-delivered", "delivered", OLD),
        "old-dead": _delivery("old-dead", "dead", OLD),
        "old-skipped": _delivery("old-skipped", "skipped", OLD),
        "old-failing": _delivery("old-failing", "failed", OLD),  # still being retried: kept
        "old-pending": _delivery("old-pending", "pending", OLD),  # a digest still collecting: kept
        "recent-delivered": _delivery("recent-delivered", "delivered", RECENT),
    }
    for ident, record in records.items():
        es.index(index=write_alias(store.index), id=ident, document=record.model_dump(mode="json"))
    for ident, when in (("old", OLD), ("recent", RECENT)):
        message = {"alert_id": ident, "subscription_id": "sub", "matched_at": when.isoformat(), "message": {}}
        es.index(index=write_alias(store.messages_index), id=ident, document=message)
        alert = {"matched_at": when.isoformat(), "@timestamp": when.isoformat()}
        es.index(index=write_alias(alerts_index), id=ident, document=alert)
    es.indices.refresh(index=f"{store.index},{store.messages_index},{alerts_index}")

    expired = store.expire(alerts_index, NOW - timedelta(days=90))

    assert (expired.deliveries, expired.messages, expired.alerts) == (3, 1, 1)
    es.indices.refresh(index=f"{store.index},{store.messages_index},{alerts_index}")
    kept = {hit["_id"] for hit in es.search(index=store.index, size=100)["hits"]["hits"]}
    assert kept == {"old-failing", "old-pending", "recent-delivered"}
    for index in (store.messages_index, alerts_index):
        assert {hit["_id"] for hit in es.search(index=index, size=100)["hits"]["hits"]} == {"recent"}
    again = store.expire(alerts_index, NOW - timedelta(days=90))
    assert again.total == 0


def test_sweep_of_stores_that_do_not_exist_yet_deletes_nothing(
    stores: tuple[Elasticsearch, DeliveryStore, str],
) -> None:
    es, _, _ = stores
    missing = DeliveryStore(es, f"test-retention-missing-{uuid.uuid4().hex[:8]}")
    assert missing.expire(f"test-retention-missing-alerts-{uuid.uuid4().hex[:8]}", NOW).total == 0


def test_the_service_sweeps_at_start(notify_settings: Settings, start_service: Any) -> None:
    es = Elasticsearch(**notify_settings.elasticsearch.client_kwargs())
    try:
        store = DeliveryStore(es, notify_settings.alerts.deliveries_index)
        store.setup(notify_settings.elasticsearch)
        now = datetime.now(UTC)
        for ident, status, when in (
            ("ancient", "delivered", now - timedelta(days=400)),
            ("ancient-failing", "failed", now - timedelta(days=400)),
            ("fresh", "delivered", now - timedelta(days=1)),
        ):
            record = _delivery(ident, status, when).model_dump(mode="json")
            es.index(index=write_alias(store.index), id=ident, document=record, refresh=True)
        service = start_service(
            notify_settings.model_copy(
                update={"alerts": notify_settings.alerts.model_copy(update={"retention_days": 365})}
            )
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            es.indices.refresh(index=store.index)
            kept = {hit["_id"] for hit in es.search(index=store.index, size=100)["hits"]["hits"]}
            if "ancient" not in kept:
                break
            time.sleep(0.2)
        assert kept == {"ancient-failing", "fresh"}
        assert service.error is None
    finally:
        es.close()
