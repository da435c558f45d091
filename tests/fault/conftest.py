"""Fixtures of the fault-injection suite: its OWN Kafka and Elasticsearch, which the tests stop,
restart and overload without disturbing the services other tests share.

They are started by ``newsmon.services.LocalServices`` (the same code as ``newsmon services up``)
with a separate state dir and free loopback ports; the Elasticsearch node has a one-thread write
pool with a tiny queue, so concurrent bulk writes get real ``429 es_rejected_execution_exception``
answers. Both are stopped and purged at the end of the session.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.core.settings import Settings, load_settings
from tests.fault.harness import FaultServices


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def fault_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultServices]:
    from newsmon.services import LocalServices

    base = load_settings()
    services_settings = base.services.model_copy(
        update={
            "state_dir": tmp_path_factory.mktemp("fault-services"),
            "kafka_port": _free_port(),
            "kafka_controller_port": _free_port(),
            "elasticsearch_port": _free_port(),
            "elasticsearch_transport_port": _free_port(),
            "elasticsearch_node_settings": {"thread_pool.write.size": 1, "thread_pool.write.queue_size": 2},
        }
    )
    services = LocalServices(services_settings, progress=lambda _: None)
    services.up(components=("kafka", "elasticsearch"))
    settings = base.model_copy(update={"services": services.settings}).pointed_at(
        services.kafka_bootstrap, services.elasticsearch_url
    )
    try:
        yield FaultServices(services, settings, services.prism_binary())
    finally:
        services.down(components=("kafka", "elasticsearch"), purge=True)


@pytest.fixture
def fault_settings(fault_services: FaultServices, tmp_path: Path) -> Settings:
    """Settings on the fault services with this test's own topics, group, indices and a
    subscription to every Belarus article."""
    tag = uuid.uuid4().hex[:8]
    base = fault_services.settings
    settings = base.model_copy(
        update={
            "kafka": base.kafka.model_copy(
                update={
                    "articles_topic": f"fault.articles.{tag}",
                    "dead_letter_topic": f"fault.dlq.{tag}",
                    "consumer_group": f"fault-{tag}",
                    "partitions": 3,
                }
            ),
            "elasticsearch": base.elasticsearch.model_copy(
                update={"index": f"fault-articles-{tag}", "bulk_size": 100, "request_timeout_s": 10.0}
            ),
            "alerts": base.alerts.model_copy(
                update={
                    "index": f"fault-alerts-{tag}",
                    "subscriptions_index": f"fault-subs-{tag}",
                    "topic": f"fault.alerts.{tag}",
                    "dead_letter_topic": f"fault.alerts.dlq.{tag}",
                }
            ),
            "services": base.services.model_copy(update={"state_dir": tmp_path / "state"}),
        }
    )
    _subscribe(settings)
    return settings


def _subscribe(settings: Settings) -> None:
    """The fault suite's one subscription: every article tagged Belarus."""
    from elasticsearch import Elasticsearch

    from alerts.model import SubscriptionSpec
    from alerts.store import SubscriptionStore

    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        store = SubscriptionStore(es, settings.alerts.subscriptions_index)
        store.setup(settings.elasticsearch)
        store.create(
            SubscriptionSpec(name="Belarus in the fault suite", query="tags:belarus"),
            "fault",
            "fault-belarus",
        )
