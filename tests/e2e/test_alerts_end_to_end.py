"""Alert subscriptions end to end, every piece real: a subscription created over the REST API (uvicorn
on loopback), articles through Kafka and the streaming pipeline on Prism into Elasticsearch, matched in
the stream, handed over on the alerts topic, delivered by the notifier to a webhook receiver and an
aiosmtpd server requiring STARTTLS; then the articles are replayed, and a digest subscription
gathers several articles into one e-mail."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from alerts.delivery.service import ServiceOptions
from newsmon.api.app import create_app
from newsmon.core.record import ArticleRecord, ArticleSource, encode_record
from newsmon.core.settings import Settings
from newsmon.core.urls import article_id
from tests.integration.alerts.delivery.harness import (
    ServiceThread,
    SmtpServer,
    WebhookReceiver,
    self_signed_cert,
)
from tests.integration.api.helpers import LiveServer
from tests.integration.pipeline.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ADMIN_KEY = "e2e-admin-key-" + "x" * 24
SECRET = "e2e-webhook-secret"
#: produce -> webhook bound asserted here (the benchmark measures the distribution)
DELIVERY_BOUND_S = 20.0


def _record(run: str, n: int, title: str, text: str) -> ArticleRecord:
    url = f"https://e2e.example.org/{run}/{n}"
    now = datetime.now(UTC)
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=title,
        content=text,
        published_at=now,
        fetched_at=now,
        sources=[ArticleSource(feed_id="e2e", name="E2E", domain="e2e.example.org")],
    )


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # Apprise verifies the server's certificate
    server = SmtpServer(cert, key).start()
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def test_api_subscription_to_webhook_and_email_once_replay_and_digest(
    test_settings: Settings,
    streaming_job: Any,
    smtp: SmtpServer,
    webhook: WebhookReceiver,
) -> None:
    run = uuid.uuid4().hex[:8]
    settings = test_settings.model_copy(
        update={"api": test_settings.api.model_copy(update={"keys_index": f"test-keys-{run}"})}
    )
    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    streaming_job(settings)
    api = LiveServer(create_app(settings, es, environ={settings.api.admin_key_env: ADMIN_KEY})).start()
    notifier = ServiceThread(
        settings,
        ServiceOptions(poll_interval_s=0.5, workers=2, digest_period_override_s=8.0),
        environ={"NEWSMON_WEBHOOK_SECRET": SECRET},
    ).start(60.0)
    producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", enable_idempotence=True)

    def publish(*records: ArticleRecord) -> float:
        for r in records:
            producer.send(settings.kafka.articles_topic, key=r.id.encode(), value=encode_record(r))
        producer.flush()
        return time.monotonic()

    try:
        with httpx.Client(base_url=f"{api.url}/api/v1", timeout=30) as http:
            admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
            made = http.post("/keys", json={"owner": "ngo", "name": "e2e"}, headers=admin)
            assert made.status_code == 201, made.text
            user = {"Authorization": f"Bearer {made.json()['key']}"}
            bad = http.post(
                "/subscriptions", json={"name": "bad", "query": "Bialiatski AND (x"}, headers=user
            )
            assert bad.status_code == 422 and bad.json()["error"]["field"].endswith("query"), bad.text
            instant = http.post(
                "/subscriptions",
                json={
                    "name": "Bialiatski",
                    "query": "Bialiatski AND tags:belarus",
                    "channels": [{"url": webhook.url}, {"url": smtp.url("watch@example.org")}],
                },
                headers=user,
            )
            assert instant.status_code == 201, instant.text
            digest = http.post(
                "/subscriptions",
                json={
                    "name": "Belarus digest",
                    "query": "tags:belarus",
                    "mode": "hourly",
                    "channels": [{"url": smtp.url("digest@example.org")}],
                },
                headers=user,
            )
            assert digest.status_code == 201, digest.text
            instant_id = instant.json()["id"]
        time.sleep(settings.alerts.reload_interval_s + 1)  # the pipeline's matcher reloads

        match = _record(
            run,
            1,
            "Minsk court extends the detention of Ales Bialiatski",
            "A court in Minsk, Belarus, extended the detention of Ales Bialiatski, founder of Viasna.",
        )
        other = _record(run, 2, "Sunny weekend ahead", "Forecasters expect a warm and sunny weekend.")
        belarus = [
            _record(
                run, 3, "Grodno journalists detained", "Two journalists were detained in Grodno, Belarus."
            ),
            _record(
                run, 4, "Belarus activists sentenced", "A court in Gomel, Belarus, sentenced two activists."
            ),
        ]
        sent_at = publish(match, other, *belarus)

        calls = eventually(lambda: webhook.calls or None, DELIVERY_BOUND_S + 60, "the webhook call")
        first = calls[0]
        assert first.at - sent_at <= DELIVERY_BOUND_S, f"webhook after {first.at - sent_at:.1f}s"
        instant_mails = eventually(
            lambda: [m for m in smtp.mails if m.recipients == ["watch@example.org"]] or None, 60, "the e-mail"
        )
        body = json.loads(first.body)
        assert body["article"]["id"] == match.id and body["subscription"]["id"] == instant_id
        assert first.headers["idempotency-key"] and first.signed_with(SECRET.encode())
        mail = instant_mails[0]
        assert mail.tls and match.title in str(mail.message["Subject"]) + (mail.part("text/plain") or "")
        assert mail.part("text/plain") and mail.part("text/html")

        # the digest subscription: one e-mail gathering the Belarus articles of its period
        digests = eventually(
            lambda: [m for m in smtp.mails if m.recipients == ["digest@example.org"]] or None,
            90,
            "the digest",
        )
        text = digests[0].part("text/plain") or ""
        gathered = [r.title for r in (match, *belarus) if r.title in text]
        assert len(gathered) >= 2, f"digest gathered {gathered}: {text[:500]}"

        # replay: the same articles again (new offsets, same ids): nothing new is sent
        publish(match, other, *belarus)
        eventually(lambda: _alerts_on_topic(settings, match.id) >= 2, 60, "the replayed alert on the topic")
        time.sleep(5)
        assert len(webhook.calls) == 1, [c.body[:200] for c in webhook.calls]
        assert len([m for m in smtp.mails if m.recipients == ["watch@example.org"]]) == 1
        assert not notifier.error
    finally:
        producer.close()
        notifier.stop()
        api.stop()
        quiet = es.options(ignore_status=(400, 404))
        quiet.indices.delete(index=f"{settings.api.keys_index}*", expand_wildcards="all")
        quiet.indices.delete_index_template(name=settings.api.keys_index)
        quiet.indices.delete(index=f"{settings.alerts.deliveries_index}*", expand_wildcards="all")
        es.close()


def _alerts_on_topic(settings: Settings, article: str) -> int:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.alerts.topic,
        **settings.kafka.client_kwargs(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    try:
        return sum(1 for r in consumer if json.loads(r.value)["article"]["id"] == article)
    finally:
        consumer.close()
