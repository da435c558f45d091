"""Polling helpers for integration tests against real Kafka and Elasticsearch."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout_s: float, what: str, interval_s: float = 0.5) -> T:
    """Call ``probe`` until it returns a truthy value or ``timeout_s`` passes (then fail, naming ``what``)."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}; last value: {last!r}")


def read_topic(settings: Any, topic: str, expected: int, timeout_s: float = 30.0) -> list[Any]:
    """All records of ``topic`` from the beginning, once at least ``expected`` have arrived."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        **settings.client_kwargs(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            records.extend(consumer)
    finally:
        consumer.close()
    return records
