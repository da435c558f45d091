"""Elasticsearch away for 60 s and a Kafka broker restart while articles flow: the job rides both
out without failing, and afterwards every article is indexed exactly once, nothing is dead-lettered,
the consumer lag is back to 0 and each due alert was raised and delivered once. Through the
Elasticsearch outage the delivery service (``NotifyService``) runs too, delivering to a webhook
receiver on loopback: every due alert reaches it, each under one idempotency key."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from alerts.delivery.service import ServiceOptions
from newsmon.core.settings import Settings
from pipeline.init import initialise
from pipeline.job import StreamingJob
from tests.fault.harness import (
    FaultServices,
    PacedProducer,
    StateWatch,
    articles,
    belarus_ids,
    committed_lag,
    dead_letters,
    eventually,
    indexed_count,
    lag_report,
    published_alerts,
    raised_alerts,
    total_documents,
)
from tests.integration.alerts.delivery.harness import ServiceThread, WebhookReceiver

pytestmark = [pytest.mark.integration, pytest.mark.fault]

N = 2000


@pytest.fixture
def job(fault_services: FaultServices, fault_settings: Settings) -> Iterator[StreamingJob]:
    initialise(fault_settings)
    running = StreamingJob(fault_settings, prism_binary=fault_services.prism).start()
    yield running
    running.cancel()


@pytest.fixture
def notifier(fault_settings: Settings) -> Iterator[tuple[WebhookReceiver, ServiceThread]]:
    """The fault suite's subscription delivering to a webhook receiver (no rate limit), and a
    delivery service with this test's own deliveries index and consumer group."""
    from elasticsearch import Elasticsearch

    from alerts.model import Channel, RateLimit, SubscriptionSpec
    from alerts.store import SubscriptionStore

    webhook = WebhookReceiver().start()
    tag = fault_settings.alerts.index.rsplit("-", 1)[-1]
    alerts = fault_settings.alerts.model_copy(
        update={"deliveries_index": f"fault-deliveries-{tag}", "notify_consumer_group": f"fault-notify-{tag}"}
    )
    settings = fault_settings.model_copy(update={"alerts": alerts})
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        SubscriptionStore(es, alerts.subscriptions_index).replace(
            "fault-belarus",
            SubscriptionSpec(
                name="Belarus in the fault suite",
                query="tags:belarus",
                channels=[Channel(url=webhook.url)],
                rate_limit=RateLimit(max_per_hour=10_000),
            ),
        )
    service = ServiceThread(
        settings, ServiceOptions(poll_interval_s=0.5, workers=4), environ={"NEWSMON_WEBHOOK_SECRET": "fault"}
    ).start(60.0)
    yield webhook, service
    service.stop()
    webhook.stop()


def _rss_mb() -> float:
    me = psutil.Process()  # this process (Beam's LOOPBACK workers run in it) and Prism, not the services
    procs = [me, *(p for p in me.children(recursive=True) if p.name() != "java")]
    return sum(p.memory_info().rss for p in procs) / 2**20


def _assert_all_delivered_once(
    settings: Settings, records: list[Any], alerts_file: Path, job: Any = None
) -> None:
    ids = [r.id for r in records]
    eventually(lambda: indexed_count(settings, ids) == len(ids), 240, f"all {len(ids)} articles indexed")
    assert total_documents(settings) == len(ids), "documents that were not produced are in the index"
    try:
        eventually(lambda: committed_lag(settings) == 0, 60, "the consumer lag to return to 0")
    except AssertionError:
        print("LAG-REPORT", lag_report(settings), job.metrics() if job else "")
        raise
    assert dead_letters(settings, timeout_s=5) == [], "good articles were dead-lettered"
    due = belarus_ids(records)
    eventually(lambda: set(published_alerts(settings)) >= due, 60, "every due alert published")
    raised = raised_alerts(settings)
    assert Counter(raised) == Counter(due), "alerts raised twice or missing"
    assert set(published_alerts(settings)) == due, "alerts published that were not due"


def test_elasticsearch_stopped_for_60s_mid_stream(
    notifier: tuple[WebhookReceiver, ServiceThread],
    job: StreamingJob,
    fault_services: FaultServices,
    fault_settings: Settings,
    tmp_path: Path,
) -> None:
    webhook, service = notifier
    records = articles(N, uuid.uuid4().hex[:6])
    ids = [r.id for r in records]
    producer = PacedProducer(fault_settings.kafka, records, rate=200)
    with StateWatch(job) as watch:
        producer.start()
        eventually(lambda: indexed_count(fault_settings, ids) >= 300, 120, "300 articles indexed")
        rss_before = _rss_mb()
        fault_services.stop("elasticsearch")
        stopped = time.monotonic()
        time.sleep(max(0.0, 60 - (time.monotonic() - stopped)))
        during = job.metrics()
        rss_during = _rss_mb()
        fault_services.start("elasticsearch")
        back = time.monotonic()
        producer.join(120)
        assert producer.error is None and producer.sent == N
        _assert_all_delivered_once(fault_settings, records, tmp_path / "alerts.jsonl", job)
        recovered_s = time.monotonic() - back
    assert watch.seen == {"RUNNING"}, f"job states seen: {watch.seen}"

    due = belarus_ids(records)
    eventually(
        lambda: {c.json["article"]["id"] for c in webhook.calls} >= due, 120, "every due alert at the webhook"
    )
    delivered_s = time.monotonic() - back
    calls = list(webhook.calls)
    assert {c.json["article"]["id"] for c in calls} == due, "webhook calls for alerts that were not due"
    keys_per_alert: dict[str, set[str]] = {}
    for call in calls:
        keys_per_alert.setdefault(call.json["alert_id"], set()).add(call.headers["idempotency-key"])
    assert all(len(keys) == 1 for keys in keys_per_alert.values()), "an alert sent under two keys"
    assert service.error is None
    repeats = len(calls) - len(keys_per_alert)
    in_flight = during.get("kafka_source.records_read", 0) - during.get("elasticsearch.documents_indexed", 0)
    print(
        f"\nFAULT-RESULT es-outage: outage {back - stopped:.0f}s, all {N} indexed {recovered_s:.1f}s after "
        f"ES was back; read-but-unindexed during outage {in_flight:.0f}; "
        f"rss {rss_before:.0f} -> {rss_during:.0f} MB; webhook: {len(due)} alerts delivered "
        f"{delivered_s:.1f}s after ES was back, {repeats} repeated send(s) under the same key"
    )
    assert in_flight <= fault_settings.pipeline.max_records_per_poll + fault_settings.elasticsearch.bulk_size


def test_kafka_broker_restarted_mid_stream(
    job: StreamingJob, fault_services: FaultServices, fault_settings: Settings, tmp_path: Path
) -> None:
    records = articles(N, uuid.uuid4().hex[:6])
    ids = [r.id for r in records]
    producer = PacedProducer(fault_settings.kafka, records, rate=200)
    with StateWatch(job) as watch:
        producer.start()
        eventually(lambda: indexed_count(fault_settings, ids) >= 300, 120, "300 articles indexed")
        fault_services.stop("kafka")
        stopped = time.monotonic()
        time.sleep(5)
        fault_services.start("kafka")
        back = time.monotonic()
        producer.join(300)
        assert producer.error is None and producer.sent == N
        _assert_all_delivered_once(fault_settings, records, tmp_path / "alerts.jsonl", job)
        recovered_s = time.monotonic() - back
    assert watch.seen == {"RUNNING"}, f"job states seen: {watch.seen}"
    print(
        f"\nFAULT-RESULT kafka-restart: broker down {back - stopped:.0f}s, all {N} indexed and committed "
        f"{recovered_s:.1f}s after it was back"
    )
