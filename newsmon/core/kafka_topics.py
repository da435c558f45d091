"""Create newsmon's Kafka topics (shared by connectors and the pipeline; brokers may refuse
auto-creation, and ours disables it)."""

from __future__ import annotations

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from newsmon.core.settings import KafkaSettings

__all__ = ["ensure_topics"]


def ensure_topics(settings: KafkaSettings, names: list[str], request_timeout_ms: int = 10_000) -> list[str]:
    """Create the missing topics among ``names`` with the configured partitions and replication.

    Returns the names created; raises ``kafka.errors.KafkaError`` if the broker cannot be reached.
    """
    admin = KafkaAdminClient(**settings.client_kwargs(), request_timeout_ms=request_timeout_ms)
    try:
        existing = set(admin.list_topics())
        created: list[str] = []
        for name in names:
            if name in existing:
                continue
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name,
                            num_partitions=settings.partitions,
                            replication_factor=settings.replication_factor,
                            topic_configs={"max.message.bytes": str(settings.max_message_bytes)},
                        )
                    ]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()
