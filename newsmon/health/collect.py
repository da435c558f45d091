"""Gather the ``Facts`` of ``newsmon status`` from the real systems, each step with a short timeout.

When the service check finds Kafka or Elasticsearch down, the steps that need it are skipped (their
facts say so) instead of each waiting for its own timeout: the whole run stays within ~15 s.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from elasticsearch import ApiError, NotFoundError, TransportError
from kafka.errors import KafkaError

from connectors.state import StateStore, state_file
from newsmon.core.kafka_lag import KafkaUnavailable, TopicNotFound, consumer_lag, topic_record_count
from newsmon.core.settings import ElasticsearchSettings, KafkaSettings, Settings
from newsmon.health import CHECKS, DEFAULT_TIMEOUT_S
from newsmon.health.facts import (
    ArticleFact,
    DeadLetterFact,
    Facts,
    FeedIssue,
    FeedsFact,
    LagFact,
    PipelineFact,
    ServiceFact,
)
from newsmon.health.pipeline_status import StatusFileError, pid_alive, read_status, status_path
from newsmon.health.services import collect_services, es_client
from newsmon.health.timefmt import parse_time

__all__ = ["collect", "connectors_state_path"]

logger = logging.getLogger(__name__)


def collect(
    settings: Settings,
    *,
    only: Collection[str] = CHECKS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> Facts:
    """Collect the facts of the checks in ``only`` (names from ``CHECKS``)."""
    checked_at = now or datetime.now(UTC)
    pipeline = collect_pipeline(settings) if "pipeline" in only else None
    services = collect_services(settings, timeout_s) if "services" in only else None
    kafka_down, es_down = _down(services, "kafka"), _down(services, "elasticsearch")
    kafka = settings.kafka
    return Facts(
        checked_at=checked_at,
        services=services,
        pipeline=pipeline,
        lag=collect_lag(kafka, timeout_s, skip=kafka_down) if "lag" in only else None,
        articles=(
            collect_articles(settings.elasticsearch, timeout_s, skip=es_down) if "articles" in only else None
        ),
        dead_letters=(
            collect_dead_letters(kafka, timeout_s, skip=kafka_down) if "dead-letters" in only else None
        ),
        feeds=collect_feeds(settings) if "feeds" in only else None,
    )


def _down(services: tuple[ServiceFact, ...] | None, name: str) -> bool:
    return any(s.name == name and not s.healthy for s in services or ())


def collect_pipeline(settings: Settings) -> PipelineFact:
    """The supervisor's status file and whether its pid is alive."""
    path = status_path(settings.services.state_dir)
    try:
        status = read_status(path)
    except StatusFileError as exc:
        return PipelineFact(path, None, error=str(exc))
    if status is None:
        return PipelineFact(path, None)
    return PipelineFact(path, status, pid_alive=pid_alive(status.pid))


def collect_lag(settings: KafkaSettings, timeout_s: float, *, skip: bool = False) -> LagFact:
    """Per-partition lag of ``consumer_group`` on ``articles_topic``."""
    topic, group = settings.articles_topic, settings.consumer_group
    if skip:
        return LagFact(topic, group, error="skipped: kafka unreachable", skipped=True)
    try:
        return LagFact(topic, group, tuple(consumer_lag(settings, topic, group, timeout_s=timeout_s)))
    except TopicNotFound:
        return LagFact(topic, group, topic_missing=True)
    except (KafkaUnavailable, KafkaError) as exc:
        return LagFact(topic, group, error=str(exc))


def collect_dead_letters(settings: KafkaSettings, timeout_s: float, *, skip: bool = False) -> DeadLetterFact:
    """Records held by ``dead_letter_topic``."""
    topic = settings.dead_letter_topic
    if skip:
        return DeadLetterFact(topic, error="skipped: kafka unreachable", skipped=True)
    try:
        return DeadLetterFact(topic, topic_record_count(settings, topic, timeout_s=timeout_s))
    except TopicNotFound:
        return DeadLetterFact(topic, topic_missing=True)
    except (KafkaUnavailable, KafkaError) as exc:
        return DeadLetterFact(topic, error=str(exc))


def collect_articles(settings: ElasticsearchSettings, timeout_s: float, *, skip: bool = False) -> ArticleFact:
    """The article with the greatest ``indexed_at`` in the articles index."""
    index = settings.index
    if skip:
        return ArticleFact(index, error="skipped: elasticsearch unreachable", skipped=True)
    try:
        response = es_client(settings, timeout_s).search(
            index=index,
            size=1,
            sort=[{"indexed_at": {"order": "desc", "unmapped_type": "date"}}],
            source_includes=["title", "indexed_at"],
            query={"exists": {"field": "indexed_at"}},
        )
    except NotFoundError:
        return ArticleFact(index, index_missing=True)
    except ApiError as exc:
        return ArticleFact(index, error=f"search refused ({exc.meta.status}: {exc.message})")
    except TransportError as exc:
        return ArticleFact(index, error=f"elasticsearch at {settings.url} unreachable ({type(exc).__name__})")
    hits = response["hits"]["hits"]
    if not hits:
        return ArticleFact(index)
    source = hits[0].get("_source") or {}
    title = source.get("title")
    return ArticleFact(
        index,
        indexed_at=parse_time(source.get("indexed_at")),
        title=title if isinstance(title, str) else None,
        article_id=str(hits[0].get("_id")),
    )


def connectors_state_path(settings: Settings) -> Path:
    """The connectors' state database of the articles topic (as ``connectors.runner`` finds it)."""
    base = settings.connectors.state_dir or settings.services.state_dir / "connectors"
    return state_file(Path(base).expanduser(), settings.kafka.articles_topic)


def collect_feeds(settings: Settings) -> FeedsFact:
    """Failing and parked feeds from the connectors' ``StateStore`` (never creates it)."""
    path = connectors_state_path(settings)
    if not path.exists():
        return FeedsFact(path, present=False)
    try:
        store = StateStore(path)
        try:
            states = list(store.load_feeds().values())
        finally:
            store.close()
    except (sqlite3.Error, ValueError) as exc:
        return FeedsFact(path, present=True, error=str(exc))
    issues = [
        FeedIssue(s.feed_id, s.failures, s.last_error, s.last_error_at, s.last_success_at, s.parked_reason)
        for s in sorted(states, key=lambda s: (-s.failures, s.feed_id))
    ]
    return FeedsFact(
        path,
        present=True,
        total=len(states),
        failing=tuple(i for i in issues if i.failures and not i.parked_reason),
        parked=tuple(i for i in issues if i.parked_reason),
    )
