"""Consumer lag and topic sizes, read from Kafka without joining the consumer group.

Used by ``newsmon status`` (and by anything else that needs to know how far the pipeline is behind)::

    lags = consumer_lag(settings.kafka, settings.kafka.articles_topic, settings.kafka.consumer_group)
    total = sum(p.lag for p in lags)
    dead_letters = topic_record_count(settings.kafka, settings.kafka.dead_letter_topic)

Every call is bounded by ``timeout_s``: an unreachable or silent broker raises :class:`KafkaUnavailable`
(naming the bootstrap servers) instead of blocking. The queries run on a daemon thread, so even a
client call without its own timeout cannot hold the caller past the deadline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from newsmon.core.settings import KafkaSettings

__all__ = [
    "KafkaUnavailable",
    "PartitionLag",
    "TopicNotFound",
    "cluster_topics",
    "compute_lag",
    "consumer_lag",
    "topic_record_count",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_CLOSE_GRACE_S = 2.0  # beyond the deadline, for closing the client after an answer


class KafkaUnavailable(RuntimeError):
    """Kafka did not answer within the timeout; raised by the functions of this module."""

    def __init__(self, servers: str, timeout_s: float, detail: str = "") -> None:
        self.servers = servers
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"kafka at {servers} did not answer within {timeout_s:g}s{suffix}")


class TopicNotFound(LookupError):
    """The topic asked about does not exist on the cluster (e.g. before ``newsmon pipeline init``)."""

    def __init__(self, topic: str, servers: str) -> None:
        self.topic = topic
        super().__init__(f"kafka topic {topic!r} does not exist on {servers}")


@dataclass(frozen=True)
class PartitionLag:
    """How far a consumer group is behind on one partition; returned by :func:`consumer_lag`.

    ``committed`` is None when the group never committed on this partition.
    """

    partition: int
    committed: int | None
    beginning: int
    end: int
    lag: int


def compute_lag(committed: int | None, beginning: int, end: int) -> int:
    """Records still to be read by a group whose next offset is ``committed``.

    Without a commit the pipeline starts at the earliest offset, and offsets below ``beginning`` were
    deleted by retention, so reading starts at ``max(committed, beginning)``.
    """
    start = beginning if committed is None else max(committed, beginning)
    return max(end - start, 0)


def consumer_lag(
    settings: KafkaSettings, topic: str, group: str, timeout_s: float = 10
) -> list[PartitionLag]:
    """Per-partition lag of consumer ``group`` on ``topic``, sorted by partition.

    Raises :class:`KafkaUnavailable` within about ``timeout_s`` when Kafka does not answer and
    :class:`TopicNotFound` when the topic does not exist.
    """

    def query(consumer: Any, deadline: float) -> list[PartitionLag]:
        tps = _partitions(consumer, settings, topic)
        beginning = consumer.beginning_offsets(tps, timeout_ms=_remaining_ms(deadline))
        end = consumer.end_offsets(tps, timeout_ms=_remaining_ms(deadline))
        result = []
        for tp in tps:
            committed = consumer.committed(tp, timeout_ms=_remaining_ms(deadline))
            first, last = int(beginning[tp]), int(end[tp])
            offset = None if committed is None else int(committed)
            result.append(PartitionLag(tp.partition, offset, first, last, compute_lag(offset, first, last)))
        return result

    return _bounded(settings, group, timeout_s, query)


def topic_record_count(settings: KafkaSettings, topic: str, timeout_s: float = 10) -> int:
    """Records currently held by ``topic``: the sum over partitions of end minus beginning offset.

    Raises :class:`KafkaUnavailable` or :class:`TopicNotFound` like :func:`consumer_lag`.
    """

    def query(consumer: Any, deadline: float) -> int:
        tps = _partitions(consumer, settings, topic)
        beginning = consumer.beginning_offsets(tps, timeout_ms=_remaining_ms(deadline))
        end = consumer.end_offsets(tps, timeout_ms=_remaining_ms(deadline))
        return sum(int(end[tp]) - int(beginning[tp]) for tp in tps)

    return _bounded(settings, None, timeout_s, query)


def cluster_topics(settings: KafkaSettings, timeout_s: float = 10) -> set[str]:
    """Names of the topics on the cluster: a cheap "is Kafka answering?" probe.

    Raises :class:`KafkaUnavailable` within about ``timeout_s`` when Kafka does not answer.
    """

    def query(consumer: Any, deadline: float) -> set[str]:
        return {str(name) for name in consumer.topics()}

    return _bounded(settings, None, timeout_s, query)


def _partitions(consumer: Any, settings: KafkaSettings, topic: str) -> list[Any]:
    from kafka import TopicPartition

    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise TopicNotFound(topic, settings.bootstrap_servers)
    return [TopicPartition(topic, p) for p in sorted(partitions)]


def _remaining_ms(deadline: float) -> int:
    return max(int((deadline - time.monotonic()) * 1000), 1)


def _bounded(
    settings: KafkaSettings, group: str | None, timeout_s: float, query: Callable[[Any, float], T]
) -> T:
    """Run ``query(consumer, deadline)`` on a fresh consumer in a daemon thread, bounded by ``timeout_s``."""
    servers = settings.bootstrap_servers
    deadline = time.monotonic() + timeout_s
    outcome: list[T] = []
    failure: list[Exception] = []

    def work() -> None:
        try:
            outcome.append(_with_consumer(settings, group, timeout_s, deadline, query))
        except (KafkaTimeoutError, KafkaConnectionError) as exc:
            failure.append(KafkaUnavailable(servers, timeout_s, str(exc)))
        except Exception as exc:  # handed to the caller's thread unchanged
            failure.append(exc)

    worker = threading.Thread(target=work, name="newsmon-kafka-query", daemon=True)
    worker.start()
    worker.join(timeout_s + _CLOSE_GRACE_S)
    if worker.is_alive():
        logger.debug("kafka query still running after deadline servers=%s timeout_s=%s", servers, timeout_s)
        raise KafkaUnavailable(servers, timeout_s)
    if failure:
        raise failure[0]
    return outcome[0]


def _with_consumer(
    settings: KafkaSettings,
    group: str | None,
    timeout_s: float,
    deadline: float,
    query: Callable[[Any, float], T],
) -> T:
    from kafka import KafkaConsumer

    timeout_ms = max(int(timeout_s * 1000), 1000)
    try:
        consumer = KafkaConsumer(
            **settings.client_kwargs(),
            group_id=group,
            client_id="newsmon-lag",
            enable_auto_commit=False,
            allow_auto_create_topics=False,
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms,
            fetch_max_wait_ms=100,
        )
    except KafkaError as exc:
        raise KafkaUnavailable(settings.bootstrap_servers, timeout_s, str(exc)) from exc
    try:
        return query(consumer, deadline)
    finally:
        consumer.close(autocommit=False, timeout_ms=timeout_ms)
