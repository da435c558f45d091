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
