"""Small helpers of ``newsmon status``: durations, and is-this-the-local-service endpoint matching."""

from __future__ import annotations

import pytest

from newsmon.health.services import same_endpoint
from newsmon.health.timefmt import span


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (42.7, "42s"),
        (183, "3m 03s"),
        (7500, "2h 05m"),
        (3 * 86400 + 4 * 3600 + 59, "3d 4h"),
        (-90, "1m 30s"),
    ],
)
def test_span(seconds: float, text: str) -> None:
    assert span(seconds) == text


@pytest.mark.parametrize(
    ("configured", "local", "same"),
    [
        ("127.0.0.1:9092", "127.0.0.1:9092", True),
        ("localhost:9092", "127.0.0.1:9092", True),
        ("127.0.0.1:9092,", "127.0.0.1:9092", True),
        ("127.0.0.1:9093", "127.0.0.1:9092", False),
        ("kafka.prod:9092", "127.0.0.1:9092", False),
        ("127.0.0.1:9092,127.0.0.1:9094", "127.0.0.1:9092", False),
        ("http://localhost:9201/", "http://127.0.0.1:9201", True),
        ("https://127.0.0.1:9201", "http://127.0.0.1:9201", False),
        ("http://127.0.0.1", "http://127.0.0.1:9201", False),
        ("http://es.example.org:9201", "http://127.0.0.1:9201", False),
    ],
)
def test_same_endpoint(configured: str, local: str, same: bool) -> None:
    assert same_endpoint(configured, local) is same
