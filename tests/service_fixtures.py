"""Fixtures for integration and end-to-end tests against the REAL local Kafka and Elasticsearch.

A session fixture starts them with ``newsmon.services.LocalServices`` (or reuses healthy running
ones, e.g. started by ``newsmon services up`` or by ``.ci/run``); every test gets unique topics,
consumer groups and indices from factory fixtures so tests never see each other's data.
Set ``NEWSMON_TEST_KEEP_SERVICES=0`` to stop services the session started at the end.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newsmon.core.settings import (
    AlertsSettings,
    ElasticsearchSettings,
    KafkaSettings,
    Settings,
    load_settings,
)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def local_services(base_settings: Settings) -> Iterator[Settings]:
    """Real Kafka + Elasticsearch, healthy, for the whole session; yields Settings pointing at them."""
    from newsmon.services import LocalServices

    services = LocalServices(base_settings.services)
    before = {s.name for s in services.status() if s.healthy}
    services.up(components=("kafka", "elasticsearch"))
    settings = base_settings.pointed_at(services.kafka_bootstrap, services.elasticsearch_url)
    yield settings
    if os.environ.get("NEWSMON_TEST_KEEP_SERVICES", "1") == "0":
        started = [n for n in ("kafka", "elasticsearch") if n not in before]
        if started:
            services.down(components=tuple(started))


@pytest.fixture
def kafka_settings(local_services: Settings) -> Iterator[KafkaSettings]:
    """Kafka settings with a unique articles topic, dead-letter topic and consumer group for this
    test; the topics are deleted afterwards."""
    settings = local_services.kafka.model_copy(
        update={
            "articles_topic": _unique("test.articles"),
            "dead_letter_topic": _unique("test.dlq"),
            "consumer_group": _unique("test-group"),
            "partitions": 2,
        }
    )
    yield settings
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(**settings.client_kwargs())
    try:
        existing = set(admin.list_topics())
        doomed = [t for t in (settings.articles_topic, settings.dead_letter_topic) if t in existing]
        if doomed:
            with contextlib.suppress(Exception):  # best-effort cleanup must not fail the test
                admin.delete_topics(doomed)
    finally:
        admin.close()


@pytest.fixture
def es_settings(local_services: Settings) -> Iterator[ElasticsearchSettings]:
    """Elasticsearch settings with a unique index for this test; the index is deleted afterwards."""
    settings = local_services.elasticsearch.model_copy(update={"index": _unique("test-articles")})
    yield settings
    from elasticsearch import Elasticsearch

    client = Elasticsearch(**settings.client_kwargs())
    quiet = client.options(ignore_status=(400, 404))  # the versioned indices behind the aliases, too
    quiet.indices.delete(index=f"{settings.index}-v*", expand_wildcards="all")
    quiet.indices.delete(index=settings.index)
    quiet.indices.delete_index_template(name=settings.index)
    client.close()


@pytest.fixture
def alerts_settings(local_services: Settings) -> Iterator[AlertsSettings]:
    """Alerts settings with this test's own subscriptions, alerts and deliveries indices and alerts
    topics (reloaded every second); all deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    settings = local_services.alerts.model_copy(
        update={
            "index": f"test-alerts-{tag}",
            "subscriptions_index": f"test-subs-{tag}",
            "deliveries_index": f"test-deliveries-{tag}",
            "topic": f"test.alerts.{tag}",
            "dead_letter_topic": f"test.alerts.dlq.{tag}",
            "notify_consumer_group": f"test-notify-{tag}",
            "reload_interval_s": 1.0,
        }
    )
    yield settings
    from elasticsearch import Elasticsearch
    from kafka.admin import KafkaAdminClient

    client = Elasticsearch(**local_services.elasticsearch.client_kwargs())
    quiet = client.options(ignore_status=(400, 404))
    for base in (settings.index, settings.subscriptions_index, settings.deliveries_index):
        quiet.indices.delete(index=f"{base}*", expand_wildcards="all")
        quiet.indices.delete_index_template(name=base)
    client.close()
    admin = KafkaAdminClient(**local_services.kafka.client_kwargs())
    try:
        doomed = [t for t in (settings.topic, settings.dead_letter_topic) if t in set(admin.list_topics())]
        if doomed:
            with contextlib.suppress(Exception):  # best-effort cleanup must not fail the test
                admin.delete_topics(doomed)
    finally:
        admin.close()


@pytest.fixture
def test_settings(
    local_services: Settings,
    kafka_settings: KafkaSettings,
    es_settings: ElasticsearchSettings,
    alerts_settings: AlertsSettings,
) -> Settings:
    """Full settings with this test's unique topics and indices."""
    return local_services.model_copy(
        update={"kafka": kafka_settings, "elasticsearch": es_settings, "alerts": alerts_settings}
    )


@pytest.fixture
def kafka_topic_factory(local_services: Settings) -> Iterator[Callable[..., str]]:
    """Create uniquely named topics on the real broker; they are deleted after the test."""
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(**local_services.kafka.client_kwargs())
    created: list[str] = []

    def make(prefix: str = "test", partitions: int = 1) -> str:
        name = _unique(prefix)
        admin.create_topics([NewTopic(name=name, num_partitions=partitions, replication_factor=1)])
        created.append(name)
        return name

    yield make
    if created:
        with contextlib.suppress(Exception):  # best-effort cleanup must not fail the test
            admin.delete_topics(created)
    admin.close()


@pytest.fixture(scope="session")
def prism_binary(base_settings: Settings) -> Path:
    """Beam's Prism runner, built from the Go module proxy on first use and cached."""
    from newsmon.services import LocalServices

    return LocalServices(base_settings.services).prism_binary()


@pytest.fixture
def streaming_job(prism_binary: Path) -> Iterator[Callable[[Settings], Any]]:
    """Start the real streaming pipeline on Prism for given settings; cancelled after the test."""
    from pipeline.init import initialise
    from pipeline.job import StreamingJob

    jobs: list[StreamingJob] = []

    def start(settings: Settings) -> StreamingJob:
        initialise(settings)
        job = StreamingJob(settings, prism_binary=prism_binary).start()
        jobs.append(job)
        return job

    yield start
    for job in jobs:
        job.cancel()


@pytest.fixture(scope="session")
def flink_services(base_settings: Settings) -> Iterator[Any]:
    """Beam's Flink job server with an embedded Flink (``newsmon services up --only flink``): jars
    resolved from Maven Central on first use and cached, started (or reused) once per session."""
    from newsmon.services import LocalServices

    services = LocalServices(base_settings.services)
    was_running = services.flink.process.running() is not None
    services.up(components=("flink",))
    yield services
    if os.environ.get("NEWSMON_TEST_KEEP_SERVICES", "1") == "0" and not was_running:
        services.down(components=("flink",))


@pytest.fixture
def flink_streaming_job(flink_services: Any) -> Iterator[Callable[[Settings], Any]]:
    """Start the real streaming pipeline on the local Flink job server; cancelled (on Flink too)
    after the test."""
    from pipeline.init import initialise
    from pipeline.job import StreamingJob
    from pipeline.options import FlinkTarget

    target = FlinkTarget(
        job_endpoint=flink_services.flink.endpoint, rest_urls=tuple(flink_services.flink.rest_urls)
    )
    jobs: list[StreamingJob] = []

    def start(settings: Settings) -> StreamingJob:
        flink = settings.pipeline.model_copy(update={"runner": "flink"})
        settings = settings.model_copy(update={"pipeline": flink})
        initialise(settings)
        job = StreamingJob(settings, flink=target).start()
        jobs.append(job)
        return job

    yield start
    for job in jobs:
        job.cancel()
