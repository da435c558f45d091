"""Create what the pipeline needs before it runs: Kafka topics and the articles index."""

from __future__ import annotations

import logging
from collections.abc import Callable

from newsmon.core.es_index import IndexSpec, setup_articles_index, setup_index
from newsmon.core.kafka_topics import ensure_topics
from newsmon.core.settings import Settings

__all__ = ["initialise"]

logger = logging.getLogger(__name__)


def initialise(settings: Settings, progress: Callable[[str], None] = logger.info) -> dict[str, object]:
    """Topics and index, idempotently; returns what was created (for the CLI to print)."""
    topics = ensure_topics(settings.kafka, [settings.kafka.articles_topic, settings.kafka.dead_letter_topic])
    report = setup_articles_index(settings.elasticsearch, progress=progress)
    if settings.alerts.enabled:
        from pipeline.alerts.subscriptions import load_subscriptions
        from pipeline.alerts.transform import ALERTS_MAPPING, ALERTS_MAPPING_VERSION

        if settings.alerts.subscriptions_path.exists():
            load_subscriptions(settings.alerts.subscriptions_path)  # fail fast on a bad file
        alerts = IndexSpec(settings.alerts.index, ALERTS_MAPPING, ALERTS_MAPPING_VERSION)
        setup_index(settings.elasticsearch, alerts, progress=progress)
    return {
        "topics_created": topics,
        "index_created": report["action"] in ("created", "upgraded", "migrated"),
        "index": settings.elasticsearch.index,
        "index_setup": dict(report),
    }
