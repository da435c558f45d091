"""Create what the pipeline needs before it runs: Kafka topics and the articles index."""

from __future__ import annotations

import logging

from newsmon.core.settings import Settings
from pipeline.index import ensure_index

__all__ = ["ensure_topics", "initialise"]

logger = logging.getLogger(__name__)


def ensure_topics(settings: Settings) -> list[str]:
    """Create the articles and dead-letter topics if missing; return the names created."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    cfg = settings.kafka
    admin = KafkaAdminClient(**cfg.client_kwargs())
    try:
        existing = set(admin.list_topics())
        wanted = [cfg.articles_topic, cfg.dead_letter_topic]
        missing = [name for name in wanted if name not in existing]
        created: list[str] = []
        for name in missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name=name,
                            num_partitions=cfg.partitions,
                            replication_factor=cfg.replication_factor,
                        )
                    ]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()


def initialise(settings: Settings) -> dict[str, object]:
    """Topics and index, idempotently; returns what was created (for the CLI to print)."""
    topics = ensure_topics(settings)
    index_created = ensure_index(settings.elasticsearch)
    if settings.alerts.enabled:
        from pipeline.alerts.subscriptions import load_subscriptions
        from pipeline.alerts.transform import ALERTS_MAPPING

        if settings.alerts.subscriptions_path.exists():
            load_subscriptions(settings.alerts.subscriptions_path)  # fail fast on a bad file
        ensure_index(settings.elasticsearch, index=settings.alerts.index, mapping=ALERTS_MAPPING)
    return {"topics_created": topics, "index_created": index_created, "index": settings.elasticsearch.index}
