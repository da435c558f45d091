"""Lag arithmetic, and the deadline against brokers that refuse or never answer (real sockets)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from newsmon.core.kafka_lag import (
    KafkaUnavailable,
    cluster_topics,
    compute_lag,
    consumer_lag,
    topic_record_count,
)
from newsmon.core.settings import KafkaSettings


@pytest.mark.parametrize(
    ("committed", "beginning", "end", "lag"),
    [
        (None, 0, 10, 10),  # never committed: the pipeline starts at the earliest offset
        (None, 4, 10, 6),
        (7, 0, 10, 3),
        (10, 0, 10, 0),
        (2, 5, 10, 5),  # committed offset deleted by retention: reading resumes at the beginning
        (12, 0, 10, 0),  # committed beyond the end (topic recreated): no negative lag
        (None, 0, 0, 0),
    ],
)
def test_compute_lag(committed: int | None, beginning: int, end: int, lag: int) -> None:
    assert compute_lag(committed, beginning, end) == lag


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) but never answers a Kafka request."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_refused_connection_raises_within_timeout(closed_port: int) -> None:
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{closed_port}")
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable, match=f"127.0.0.1:{closed_port}"):
        consumer_lag(settings, "any-topic", "any-group", timeout_s=1.5)
    assert time.monotonic() - started < 6


def test_silent_broker_raises_within_timeout(silent_port: int) -> None:
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{silent_port}")
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable, match=f"127.0.0.1:{silent_port}"):
        topic_record_count(settings, "any-topic", timeout_s=1.5)
    assert time.monotonic() - started < 6


def test_probe_of_a_silent_broker_raises_within_timeout(silent_port: int) -> None:
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{silent_port}")
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable, match="did not answer within 1s"):
        cluster_topics(settings, timeout_s=1)
    assert time.monotonic() - started < 5
