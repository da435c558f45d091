"""``consumer_lag`` and ``topic_record_count`` against the real local broker."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from newsmon.core.kafka_lag import (
    PartitionLag,
    TopicNotFound,
    cluster_topics,
    consumer_lag,
    topic_record_count,
)
from newsmon.core.settings import Settings
from tests.integration.health.kafka_helpers import commit, produce

pytestmark = pytest.mark.integration


def test_lag_per_partition(local_services: Settings, kafka_topic_factory: Callable[..., str]) -> None:
    kafka = local_services.kafka
    topic = kafka_topic_factory("test.lag", partitions=2)
    group = f"test-lag-{uuid.uuid4().hex[:10]}"
    produce(kafka, topic, {0: 5, 1: 3})
    commit(kafka, group, topic, {0: 2})

    lags = consumer_lag(kafka, topic, group, timeout_s=10)

    assert lags == [
        PartitionLag(partition=0, committed=2, beginning=0, end=5, lag=3),
        PartitionLag(partition=1, committed=None, beginning=0, end=3, lag=3),
    ]
    assert topic_record_count(kafka, topic, timeout_s=10) == 8
    assert topic in cluster_topics(kafka, timeout_s=10)


def test_missing_topic(local_services: Settings) -> None:
    topic = f"test.absent-{uuid.uuid4().hex[:10]}"
    with pytest.raises(TopicNotFound, match=topic):
        consumer_lag(local_services.kafka, topic, "any-group", timeout_s=10)
