"""Elasticsearch away for 60 s and a Kafka broker restart while articles flow: the job rides both
out without failing, and afterwards every article is indexed exactly once, nothing is dead-lettered,
the consumer lag is back to 0 and each due alert was raised and delivered once."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

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

pytestmark = [pytest.mark.integration, pytest.mark.fault]

N = 2000


@pytest.fixture
def job(fault_services: FaultServices, fault_settings: Settings) -> Iterator[StreamingJob]:
    initialise(fault_settings)
    running = StreamingJob(fault_settings, prism_binary=fault_services.prism).start()
    yield running
    running.cancel()


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
    job: StreamingJob, fault_services: FaultServices, fault_settings: Settings, tmp_path: Path
) -> None:
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
    in_flight = during.get("kafka_source.records_read", 0) - during.get("elasticsearch.documents_indexed", 0)
    print(
        f"\nFAULT-RESULT es-outage: outage {back - stopped:.0f}s, all {N} indexed {recovered_s:.1f}s after "
        f"ES was back; read-but-unindexed during outage {in_flight:.0f}; "
        f"rss {rss_before:.0f} -> {rss_during:.0f} MB"
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
