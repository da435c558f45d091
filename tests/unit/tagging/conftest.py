"""Shared fixtures for the tagging tests: one Enricher for the whole session (it is immutable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.tagging import Enricher

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def enricher() -> Enricher:
    return Enricher.load()


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared is not present")
    return SHARED
