"""Helpers of the API tests: unique settings, seeded articles/alerts/deliveries in the real
Elasticsearch, the app served by uvicorn on a free loopback port in a thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from elasticsearch import Elasticsearch
from fastapi import FastAPI

from alerts.records import ALERTS_MAPPING, ALERTS_MAPPING_VERSION
from newsmon.core.es_index import IndexSpec, ensure_index, setup_articles_index, setup_index
from newsmon.core.es_schema import upgrade_document, write_alias
from newsmon.core.settings import Settings

ADMIN_KEY = "test-admin-" + uuid.uuid4().hex  # long enough for `newsmon api`
ADMIN_ENV = "NEWSMON_TEST_ADMIN_API_KEY"

# a stand-in for the deliveries index `newsmon notify` writes (the API only reads it)
DELIVERIES_MAPPING: dict[str, Any] = {
    "dynamic": "false",
    "properties": {
        "delivery_id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "alert_ids": {"type": "keyword"},
        "subscription_id": {"type": "keyword"},
        "owner": {"type": "keyword"},
        "channel": {"type": "keyword"},
        "status": {"type": "keyword"},
        "attempts": {"type": "integer"},
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
    },
}


def unique_settings(base: Settings) -> Settings:
    """``base`` with every index the API touches renamed uniquely (lower case, test prefix)."""
    tag = uuid.uuid4().hex[:10]
    return base.model_copy(
        update={
            "elasticsearch": base.elasticsearch.model_copy(update={"index": f"apitest-articles-{tag}"}),
            "alerts": base.alerts.model_copy(
                update={
                    "index": f"apitest-alerts-{tag}",
                    "subscriptions_index": f"apitest-subscriptions-{tag}",
                    "deliveries_index": f"apitest-deliveries-{tag}",
                }
            ),
            "api": base.api.model_copy(
                update={"keys_index": f"apitest-keys-{tag}", "admin_key_env": ADMIN_ENV}
            ),
        }
    )


def drop_indices(es: Elasticsearch, settings: Settings) -> None:
    """Delete every index, alias target and template of ``settings``' unique names."""
    quiet = es.options(ignore_status=(400, 404))
    bases = [
        settings.elasticsearch.index,
        settings.alerts.index,
        settings.alerts.subscriptions_index,
        settings.api.keys_index,
    ]
    for base in bases:
        quiet.indices.delete(index=f"{base}-v*", expand_wildcards="all")
        quiet.indices.delete(index=base)
        quiet.indices.delete_index_template(name=base)
    quiet.indices.delete(index=settings.alerts.deliveries_index)


def article(
    n: int,
    title: str,
    content: str,
    *,
    language: str = "en",
    tags: list[str] | None = None,
    source: str = "Example News",
    domain: str = "news.example.org",
    feed: str = "example-feed",
    relevance: float = 0.5,
    age: timedelta = timedelta(hours=1),
) -> dict[str, Any]:
    """An articles-index document published ``age`` ago, completed as the pipeline completes it
    (``upgrade_document``: the language fields of ``language``, ADR 0013)."""
    published = datetime.now(UTC) - age
    url = f"https://{domain}/{n}"
    doc = {
        "@timestamp": published.isoformat(),
        "schema_version": 2,
        "id": f"apitest-article-{n:03d}",
        "url": url,
        "title": title,
        "summary": content[:120],
        "content": content,
        "published_at": published.isoformat(),
        "fetched_at": published.isoformat(),
        "indexed_at": published.isoformat(),
        "language": language,
        "tags": tags or [],
        "relevance": relevance,
        "source_names": [source],
        "source_domains": [domain],
        "feed_ids": [feed],
        "sources": [{"feed_id": feed, "name": source, "domain": domain, "feed_url": f"https://{domain}/rss"}],
        "entity_names": ["Minsk"],
        "entity_ids": ["minsk"],
        "entity_types": ["place"],
        "entities": [{"id": "minsk", "name": "Minsk", "type": "place", "mentions": 1}],
    }
    return upgrade_document(doc)


ARTICLES = [
    article(
        1,
        "Court jails Bialiatski in Minsk",
        "The Viasna founder Ales Bialiatski was sentenced to ten years in Minsk.",
        tags=["belarus", "political_prisoners"],
        relevance=0.9,
    ),
    article(
        2,
        "Journalists detained in Grodno",
        "Police detained three journalists in Grodno; Bialiatski's colleagues protested.",
        tags=["belarus", "press_freedom"],
        source="Grodno Daily",
        domain="grodno.example.org",
        feed="grodno-feed",
        relevance=0.6,
        age=timedelta(hours=5),
    ),
    article(
        3,
        "Новые политзаключённые",
        "Правозащитники признали политзаключённых в Минске; среди них соратники Беляцкого.",
        language="ru",
        tags=["belarus", "political_prisoners"],
        source="Minsk News",
        domain="minsk.example.org",
        feed="minsk-ru",
        relevance=0.7,
        age=timedelta(days=2),
    ),
    article(
        4,
        "Weather in Minsk",
        "Sunny weekend expected in Minsk and Brest.",
        tags=[],
        relevance=0.05,
        age=timedelta(hours=2),
    ),
    article(
        5,
        "Bialiatski's Nobel lecture republished",
        "Ales Bialiatski's lecture was republished ten years on.",
        tags=["belarus"],
        relevance=0.4,
        age=timedelta(days=20),  # outside the default 7-day window
    ),
]


def seed_articles(es: Elasticsearch, settings: Settings) -> None:
    setup_articles_index(settings.elasticsearch, es, progress=lambda _: None)
    for doc in ARTICLES:
        es.index(index=write_alias(settings.elasticsearch.index), id=doc["id"], document=doc)
    es.indices.refresh(index=settings.elasticsearch.index)


def seed_alerts_and_deliveries(es: Elasticsearch, settings: Settings, owners: dict[str, str]) -> None:
    """Two alerts and two deliveries per owner (``owner -> subscription id``)."""
    setup_index(
        settings.elasticsearch,
        IndexSpec(settings.alerts.index, ALERTS_MAPPING, ALERTS_MAPPING_VERSION),
        es,
        progress=lambda _: None,
    )
    ensure_index(settings.elasticsearch, es, settings.alerts.deliveries_index, DELIVERIES_MAPPING)
    now = datetime.now(UTC)
    for owner, sub_id in owners.items():
        for i, doc in enumerate(ARTICLES[:2]):
            alert_id = f"{owner}-alert-{i}"
            es.index(
                index=write_alias(settings.alerts.index),
                id=alert_id,
                document={
                    "alert_id": alert_id,
                    "subscription_id": sub_id,
                    "subscription_name": f"{owner}'s",
                    "subscription_version": 1,
                    "owner": owner,
                    "mode": "instant",
                    "query": "Bialiatski",
                    "article_id": doc["id"],
                    "title": doc["title"],
                    "url": doc["url"],
                    "language": doc["language"],
                    "source": doc["source_names"][0],
                    "tags": doc["tags"],
                    "entities": ["Minsk"],
                    "relevance": doc["relevance"],
                    "published_at": doc["published_at"],
                    "matched_at": (now - timedelta(minutes=10 * i)).isoformat(),
                    "@timestamp": (now - timedelta(minutes=10 * i)).isoformat(),
                },
            )
            es.index(
                index=settings.alerts.deliveries_index,
                id=f"{owner}-delivery-{i}",
                document={
                    "delivery_id": f"{owner}-delivery-{i}",
                    "kind": "instant",
                    "alert_ids": [alert_id],
                    "subscription_id": sub_id,
                    "owner": owner,
                    "channel": "tgram://123456:SECRET-TOKEN/987",
                    "status": "delivered" if i == 0 else "failed",
                    "attempts": 1 + i,
                    "last_error": None if i == 0 else "timeout",
                    "created_at": (now - timedelta(minutes=10 * i)).isoformat(),
                    "updated_at": (now - timedelta(minutes=10 * i)).isoformat(),
                    "next_attempt_at": None,
                    "delivered_at": now.isoformat() if i == 0 else None,
                    "period": None,
                },
            )
    es.indices.refresh(index=f"{settings.alerts.index},{settings.alerts.deliveries_index}")


@dataclass
class LiveServer:
    """``app`` served by uvicorn on 127.0.0.1:<free port> in a daemon thread."""

    app: FastAPI
    url: str = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _sock: socket.socket | None = field(default=None, repr=False)

    def start(self, timeout_s: float = 15.0) -> LiveServer:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="api-live-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
