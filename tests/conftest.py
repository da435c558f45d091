"""Shared pytest configuration: paths to the project and to the optional ../shared material."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared when present (reference corpora); tests needing it skip with a reason otherwise."""
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared is not present beside the project")
    return SHARED_DIR


# Real-service fixtures (Kafka, Elasticsearch, Prism) for integration and end-to-end tests.
pytest_plugins = ["tests.service_fixtures"]


@pytest.fixture(autouse=True)
def _retries_allowed() -> None:
    """A job cancelled by an earlier test asks this process's retry loops to stop
    (``pipeline.retry.request_shutdown``); each test starts with retries allowed again."""
    from pipeline.retry import reset_shutdown

    reset_shutdown()
