"""Fixtures for connector integration tests: a local feed server and settings on the real broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from newsmon.core.settings import KafkaSettings, Settings
from tests.integration.connectors.feedtest import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def make_settings(local_services: Settings, kafka_settings: KafkaSettings) -> Callable[..., Settings]:
    """Settings with this test's unique topic; keyword arguments override ``connectors`` settings."""

    def make(**connectors: Any) -> Settings:
        options = local_services.connectors.model_copy(
            update={"read_timeout_s": 5.0, "connect_timeout_s": 5.0, "fetch_deadline_s": 20.0, **connectors}
        )
        return local_services.model_copy(update={"kafka": kafka_settings, "connectors": options})

    return make
