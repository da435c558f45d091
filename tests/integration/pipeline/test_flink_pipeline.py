"""The streaming pipeline on Flink (Beam's Flink job server, embedded Flink) against the real local
Kafka and Elasticsearch: records flow, poison records are dead-lettered, offsets are committed, a
partition added while the job runs is read, and a restarted job resumes from the committed offsets.

One job and one restart in a single test, to keep the job-server and job start-ups to two. Every
wait is a progress guard: if nothing moves in time, the job server's thread stacks (and Flink's
own thread dumps) are written beside its logs and the failure names the file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from newsmon.core.flink_rest import FlinkRest
from newsmon.core.record import ArticleRecord, ArticleSource, encode_record
from newsmon.core.settings import Settings
from newsmon.core.urls import article_id
from tests.integration.pipeline.helpers import read_topic

pytestmark = [pytest.mark.integration, pytest.mark.flink]

T = TypeVar("T")


def _record(path: str, title: str, text: str) -> ArticleRecord:
    url = f"https://news.example.org/{path}"
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=title,
        content=text,
        published_at=datetime(2025, 10, 15, 8, tzinfo=UTC),
        fetched_at=datetime.now(UTC),
        sources=[ArticleSource(feed_id="itest-flink", name="Integration", domain="news.example.org")],
    )


def _committed(settings: Settings) -> dict[int, int]:
    consumer = KafkaConsumer(**settings.kafka.client_kwargs(), group_id=settings.kafka.consumer_group)
    try:
        topic = settings.kafka.articles_topic
        consumer.topics()
        parts = consumer.partitions_for_topic(topic) or set()
        return {p: consumer.committed(TopicPartition(topic, p)) or 0 for p in sorted(parts)}
    finally:
        consumer.close()


class ProgressGuard:
    """Waits for the pipeline to make progress; on a timeout it dumps the job server's threads."""

    def __init__(self, services: Any, job: Any) -> None:
        self.services = services
        self.job = job
        self.dumps: list[Path] = []

    def wait(self, probe: Callable[[], T | None], timeout_s: float, what: str) -> T:
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            time.sleep(0.1)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        out = self.services.flink.logs_dir / f"stall-{stamp}.threads.txt"
        dumped = self.services.flink.thread_dump(out)
        raise AssertionError(
            f"no progress in {timeout_s:.0f}s waiting for {what} (last value {last!r}); job {self.job.name} "
            f"state {self.job.state}; job server threads in {dumped}; "
            f"log {self.services.flink.log_files()[0]}"
        )


def test_pipeline_on_flink(
    test_settings: Settings, flink_streaming_job: Any, flink_services: Any, record_property: Any
) -> None:
    settings = test_settings.model_copy(
        update={"alerts": test_settings.alerts.model_copy(update={"enabled": False})}
    )
    topic = settings.kafka.articles_topic
    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    index = settings.elasticsearch.index
    producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", enable_idempotence=True)

    def indexed(count: int) -> Callable[[], bool]:
        def probe() -> bool:
            es.indices.refresh(index=index)
            return bool(es.count(index=index)["count"] == count)

        return probe

    def committed(total: int) -> Callable[[], bool]:
        return lambda: sum(_committed(settings).values()) == total

    started = time.monotonic()
    job = flink_streaming_job(settings)
    guard = ProgressGuard(flink_services, job)
    assert job.parallelism == 2  # one instance per partition of the articles topic
    submitted = time.monotonic() - started

    # 1. records flow; poison records are dead-lettered; offsets are committed
    good = [
        _record(
            "minsk-trial",
            "Minsk court jails journalists",
            "A court in Minsk, Belarus, jailed two journalists.",
        ),
        _record(
            "weather", "Sunny weekend ahead", "Forecasters expect a warm and sunny weekend across the region."
        ),
    ]
    for record in good:
        producer.send(topic, key=record.id.encode(), value=encode_record(record))
    producer.send(topic, key=b"broken", value=b'{"schema_version": 1, "id": "nope"}')
    producer.send(topic, key=b"garbage", value=b"\x00\xffnot json")
    producer.flush()
    guard.wait(indexed(2), 120, "both good records to be indexed")
    first_flow = time.monotonic() - started
    doc = es.get(index=index, id=good[0].id)["_source"]
    assert "belarus" in doc["tags"]
    letters = read_topic(settings.kafka, settings.kafka.dead_letter_topic, expected=2)
    assert sorted(json.loads(r.value)["source"]["key"] for r in letters) == ["broken", "garbage"]
    guard.wait(committed(4), 60, "the offsets of all 4 records to be committed")
    assert job.is_running()

    # 2. live latency, produce -> searchable, on the running job
    latencies = []
    for i in range(3):
        record = _record(f"live-{i}", f"Live report {i}", "Human rights defenders were detained in Minsk.")
        sent = time.monotonic()
        producer.send(topic, key=record.id.encode(), value=encode_record(record)).get(30)
        guard.wait(indexed(3 + i), 60, f"live record {i} to be indexed")
        latencies.append(time.monotonic() - sent)
    guard.wait(committed(7), 60, "the live records' offsets to be committed")

    # 3. a partition added while the job runs is read without a restart
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    try:
        admin.create_partitions({topic: 3})
    finally:
        admin.close()
    added = _record("new-partition", "Report on a new partition", "Journalists were released in Homel.")
    producer.close()
    producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", enable_idempotence=True)
    sent = time.monotonic()
    producer.send(topic, key=added.id.encode(), value=encode_record(added), partition=2).get(30)
    guard.wait(indexed(6), 90, "the record on the added partition to be indexed")
    discovered = time.monotonic() - sent
    guard.wait(lambda: _committed(settings).get(2) == 1, 60, "the added partition's offset to be committed")

    # 4. cancel: the job ends on Flink too (Beam's job service alone leaves it running)
    job.cancel()
    rest = FlinkRest(flink_services.flink.rest_urls)
    assert not [j for j in rest.jobs() if j.name == job.name and j.state == "RUNNING"]

    # 5. a restarted job resumes from the committed offsets: the new record is read, nothing older
    # is read again (the poison records are not dead-lettered a second time). This job runs with
    # Flink checkpoints every second: without --finish_bundle_before_checkpointing such a job read
    # nothing, every time, on this machine (ADR 0011).
    later = _record(
        "after-restart", "Вясна: новыя затрыманні", "Праваабаронцы Вясны паведамляюць пра затрыманні."
    )
    producer.send(topic, key=later.id.encode(), value=encode_record(later)).get(30)
    restarted = time.monotonic()
    checkpointed = settings.pipeline.model_copy(update={"flink_checkpointing_interval_ms": 1000})
    job2 = flink_streaming_job(settings.model_copy(update={"pipeline": checkpointed}))
    guard.job = job2
    assert job2.parallelism == 3
    guard.wait(indexed(7), 120, "the record produced before the restart to be indexed")
    resumed = time.monotonic() - restarted
    guard.wait(committed(9), 60, "all 9 offsets to be committed after the restart")
    assert len(read_topic(settings.kafka, settings.kafka.dead_letter_topic, expected=3, timeout_s=3)) == 2
    producer.close()
    es.close()

    figures = {
        "job_submitted_s": round(submitted, 1),
        "first_records_indexed_s": round(first_flow, 1),
        "live_latency_s": [round(x, 2) for x in latencies],
        "added_partition_read_s": round(discovered, 1),
        "restart_to_indexed_s": round(resumed, 1),
    }
    print(f"\nflink figures: {json.dumps(figures)}")
    record_property("flink_figures", json.dumps(figures))


def test_job_server_listens_on_loopback_only(flink_services: Any) -> None:
    import psutil

    from newsmon.services.ports import is_loopback, listening_addresses

    status = flink_services.flink.status()
    assert status.healthy
    pid = status.pid
    if pid is None:  # a job server started elsewhere (e.g. a developer's `services up`) is reused
        port = flink_services.settings.flink_job_port
        pid = next(
            (
                c.pid
                for c in psutil.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
            ),
            None,
        )
    assert pid is not None, "no process listens on the job port"
    process = psutil.Process(pid)
    addresses = listening_addresses([process.pid, *(c.pid for c in process.children(recursive=True))])
    wrong = [(ip, port) for ip, port in addresses if not is_loopback(ip)]
    assert not wrong, f"the Flink job server listens on non-loopback addresses: {wrong}"
    ports = {port for _ip, port in addresses}
    settings = flink_services.settings
    assert {settings.flink_job_port, settings.flink_artifact_port} <= ports
