"""Fixtures of the delivery tests: settings with this test's own topics, indices and consumer group
(deleted afterwards), real receivers, and a helper to start the service."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.delivery.service import ServiceOptions
from alerts.model import Channel, Subscription, SubscriptionSpec
from alerts.store import SubscriptionStore
from newsmon.core.settings import Settings
from tests.integration.alerts.delivery.harness import (
    ServiceThread,
    SmtpServer,
    WebhookReceiver,
    self_signed_cert,
)

SECRET = "webhook-s3cret"


_LEFTOVER_GROUPS: list[str] = []


def _delete_groups(admin: Any, groups: list[str]) -> list[str]:
    """Delete consumer groups; returns those that still have members (a killed service's member
    stays until its session times out, 45 s)."""
    if not groups:
        return []
    answers = admin.delete_groups(groups)
    return [g for g, answer in answers.items() if str(answer) != "OK"]


@pytest.fixture(scope="session", autouse=True)
def _delete_leftover_groups(local_services: Settings) -> Iterator[None]:
    """At the end of the session, delete the groups a test could not (waits at most 60 s)."""
    yield
    if not _LEFTOVER_GROUPS:
        return
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(**local_services.kafka.client_kwargs())
    try:
        deadline = time.monotonic() + 60
        groups = list(_LEFTOVER_GROUPS)
        while groups and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                groups = _delete_groups(admin, groups)
            if groups:
                time.sleep(2)
    finally:
        admin.close()


@pytest.fixture
def notify_settings(local_services: Settings) -> Iterator[Settings]:
    tag = uuid.uuid4().hex[:10]
    alerts = local_services.alerts.model_copy(
        update={
            "topic": f"test.alerts.{tag}",
            "dead_letter_topic": f"test.alerts.dlq.{tag}",
            "deliveries_index": f"test-deliveries-{tag}",
            "index": f"test-alerts-{tag}",  # the retention sweep must not touch the real alerts index
            "subscriptions_index": f"test-subscriptions-{tag}",
            "notify_consumer_group": f"test-notify-{tag}",
            "delivery_timeout_s": 3.0,
            "delivery_backoff_initial_s": 0.5,
            "delivery_backoff_max_s": 2.0,
            "delivery_max_attempts": 5,
            "reload_interval_s": 1.0,
        }
    )
    settings = local_services.model_copy(
        update={"alerts": alerts, "kafka": local_services.kafka.model_copy(update={"partitions": 2})}
    )
    yield settings
    from elasticsearch import Elasticsearch
    from kafka.admin import KafkaAdminClient

    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    quiet = es.options(ignore_status=(400, 404))
    for base in (
        alerts.deliveries_index,
        f"{alerts.deliveries_index}-messages",
        alerts.subscriptions_index,
        alerts.index,
    ):
        quiet.indices.delete(index=f"{base}-v*", expand_wildcards="all")
        quiet.indices.delete_index_template(name=base)
    es.close()
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    try:
        existing = set(admin.list_topics())
        doomed = [t for t in (alerts.topic, alerts.dead_letter_topic) if t in existing]
        if doomed:
            with contextlib.suppress(Exception):
                admin.delete_topics(doomed)
        with contextlib.suppress(Exception):
            groups = [g["group_id"] for g in admin.list_groups() if tag in g["group_id"]]
            _LEFTOVER_GROUPS.extend(_delete_groups(admin, groups))
    finally:
        admin.close()


@pytest.fixture
def subscriptions(notify_settings: Settings) -> Iterator[Callable[..., Subscription]]:
    """Create a subscription (stored in this test's subscriptions index)."""
    from elasticsearch import Elasticsearch

    es = Elasticsearch(**notify_settings.elasticsearch.client_kwargs())
    store = SubscriptionStore(es, notify_settings.alerts.subscriptions_index, check=lambda spec: None)
    store.setup(notify_settings.elasticsearch, progress=lambda _: None)

    def create(name: str, channels: list[str], **fields: Any) -> Subscription:
        spec = SubscriptionSpec(
            name=name, query="minsk", channels=[Channel(url=u) for u in channels], **fields
        )
        return store.create(spec, owner="tester")

    yield create
    es.close()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # Apprise verifies the server's certificate
    server = SmtpServer(cert, key).start()
    yield server
    server.stop()


@pytest.fixture
def start_service(notify_settings: Settings) -> Iterator[Callable[..., ServiceThread]]:
    started: list[ServiceThread] = []

    def start(settings: Settings | None = None, wait_ready: bool = True, **options: Any) -> ServiceThread:
        defaults: dict[str, Any] = {"poll_interval_s": 0.5, "workers": 2}
        thread = ServiceThread(
            settings or notify_settings,
            ServiceOptions(**{**defaults, **options}),
            environ={"NEWSMON_WEBHOOK_SECRET": SECRET},
        ).start(60.0 if wait_ready else None)
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.service.stop()
    for thread in started:
        with contextlib.suppress(BaseException):
            thread.stop()
