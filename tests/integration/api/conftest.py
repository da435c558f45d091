"""Fixtures of the API tests: the app against the real Elasticsearch with unique indices (seeded
articles, alerts and deliveries), the admin key, two owners' keys, the app on a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from elasticsearch import Elasticsearch
from fastapi import FastAPI
from fastapi.testclient import TestClient

from newsmon.api import create_app
from newsmon.api.keys import KeyStore
from newsmon.core.settings import Settings
from tests.integration.api.helpers import (
    ADMIN_ENV,
    ADMIN_KEY,
    LiveServer,
    drop_indices,
    seed_alerts_and_deliveries,
    seed_articles,
    unique_settings,
)

ALICE_SUB = "alice-seeded-sub"
BOB_SUB = "bob-seeded-sub"


@dataclass
class ApiEnv:
    """Everything an API test needs."""

    settings: Settings
    es: Elasticsearch
    app: FastAPI
    admin: dict[str, str]
    alice: dict[str, str]
    bob: dict[str, str]


@pytest.fixture(scope="session")
def api_env(local_services: Settings) -> Iterator[ApiEnv]:
    settings = unique_settings(local_services)
    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    try:
        seed_articles(es, settings)
        seed_alerts_and_deliveries(es, settings, {"alice": ALICE_SUB, "bob": BOB_SUB})
        keys = KeyStore(es, settings.api.keys_index)
        keys.setup(settings.elasticsearch, progress=lambda _: None)
        _, alice = keys.create("alice", "alice test key")
        _, bob = keys.create("bob", "bob test key")
        app = create_app(settings, es, environ={ADMIN_ENV: ADMIN_KEY})
        yield ApiEnv(
            settings=settings,
            es=es,
            app=app,
            admin={"Authorization": f"Bearer {ADMIN_KEY}"},
            alice={"Authorization": f"Bearer {alice}"},
            bob={"X-API-Key": bob},
        )
    finally:
        drop_indices(es, settings)
        es.close()


@pytest.fixture(scope="session")
def client(api_env: ApiEnv) -> Iterator[TestClient]:
    """The app in-process (httpx over ASGI)."""
    with TestClient(api_env.app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_api(api_env: ApiEnv) -> Iterator[LiveServer]:
    """The app on a real socket (uvicorn in a thread)."""
    server = LiveServer(api_env.app).start()
    try:
        yield server
    finally:
        server.stop()
