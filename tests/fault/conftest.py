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
    """Settings on the fault services with this test's own topics, group, indices and alert files."""
    tag = uuid.uuid4().hex[:8]
    base = fault_services.settings
    subscriptions = tmp_path / "subscriptions.yaml"
    subscriptions.write_text(
        "version: 1\nsubscriptions:\n"
        "  - id: fault-belarus\n    name: Belarus in the fault suite\n"
        "    match:\n      tags_all: [belarus]\n"
        f"    notify:\n      - type: file\n        path: {tmp_path / 'alerts.jsonl'}\n",
        encoding="utf-8",
    )
    return base.model_copy(
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
                update={"subscriptions_path": subscriptions, "index": f"fault-alerts-{tag}"}
            ),
            "services": base.services.model_copy(update={"state_dir": tmp_path / "state"}),
        }
    )
