"""Create what the pipeline needs before it runs: Kafka topics (articles, alerts, their dead letters)
and the articles, alerts and subscriptions indices."""

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
    names = [settings.kafka.articles_topic, settings.kafka.dead_letter_topic]
    if settings.alerts.enabled:
        names += [settings.alerts.topic, settings.alerts.dead_letter_topic]
    topics = ensure_topics(settings.kafka, names)
    report = setup_articles_index(settings.elasticsearch, progress=progress)
    if settings.alerts.enabled:
        from alerts.records import ALERTS_MAPPING, ALERTS_MAPPING_VERSION, upgrade_alert_document
        from alerts.store import subscriptions_spec

        alerts = IndexSpec(
            settings.alerts.index, ALERTS_MAPPING, ALERTS_MAPPING_VERSION, upgrade_alert_document
        )
        setup_index(settings.elasticsearch, alerts, progress=progress)
        setup_index(
            settings.elasticsearch, subscriptions_spec(settings.alerts.subscriptions_index), progress=progress
        )
    return {
        "topics_created": topics,
        "index_created": report["action"] in ("created", "upgraded", "migrated"),
        "index": settings.elasticsearch.index,
        "index_setup": dict(report),
    }
