"""Failures end to end: retries then a dead letter with the reason; a refusal is dead at once; a
record that is not an alert is dead-lettered while the stream goes on; a service killed after
sending but before recording sends again with the same ``Idempotency-Key``; a receiver down for two
minutes gets the alert afterwards (``fault``: slow on purpose, the issue asks for two minutes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from alerts.delivery.ids import delivery_id
from alerts.model import redact_url
from tests.integration.alerts.delivery.conftest import SECRET
from tests.integration.alerts.delivery.harness import WebhookReceiver, alert_message, free_port, produce
from tests.integration.pipeline.helpers import eventually, read_topic

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[4]


def _record(settings: Any, ident: str) -> dict[str, Any] | None:
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        found = es.options(ignore_status=404).get(index=settings.alerts.deliveries_index, id=ident)
        return dict(found["_source"]) if found.get("found") else None


def test_failing_receivers_end_in_dead_letters_with_the_reason(
    notify_settings: Any, subscriptions: Any, start_service: Any
) -> None:
    broken = WebhookReceiver(respond=lambda call: 500).start()
    refusing = WebhookReceiver(respond=lambda call: 410).start()
    try:
        sub = subscriptions("Doomed", [broken.url, refusing.url])
        settings = notify_settings.model_copy(
            update={
                "alerts": notify_settings.alerts.model_copy(
                    update={
                        "delivery_max_attempts": 3,
                        "delivery_backoff_initial_s": 0.2,
                        "delivery_backoff_max_s": 0.5,
                    }
                )
            }
        )
        service = start_service(settings)
        message = alert_message(sub, 1)
        produce(settings, [message])
        from kafka import KafkaProducer

        producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all")
        producer.send(settings.alerts.topic, key=b"junk", value=b"{not an alert")
        producer.flush(timeout=30)
        producer.close()

        letters = [
            json.loads(r.value) for r in read_topic(settings.kafka, settings.alerts.dead_letter_topic, 3, 30)
        ]
        by_type = {(letter["type"], letter.get("channel")): letter for letter in letters}
        dead_500 = by_type[("delivery", redact_url(broken.url))]
        dead_410 = by_type[("delivery", redact_url(refusing.url))]
        assert dead_500["attempts"] == 3 and "failed 3 times: HTTP 500" in dead_500["reason"]
        assert dead_410["attempts"] == 1 and "refused: HTTP 410" in dead_410["reason"]
        assert dead_500["alert_ids"] == [message.alert_id]
        assert len(broken.calls) == 3 and len(refusing.calls) == 1
        assert {c.headers["idempotency-key"] for c in broken.calls} == {
            delivery_id(message.alert_id, broken.url)
        }
        junk = by_type[("invalid_alert_message", None)]
        assert junk["payload"] == "{not an alert" and junk["topic"] == settings.alerts.topic

        record = _record(settings, delivery_id(message.alert_id, broken.url))
        assert record is not None and record["status"] == "dead" and "HTTP 500" in record["last_error"]
        assert record["next_attempt_at"] is None
        counts = service.service.counters.snapshot()
        assert counts["dead"] == 2 and counts["failed"] == 4 and counts["retried"] == 2
    finally:
        broken.stop()
        refusing.stop()


def test_a_service_killed_after_sending_sends_again_with_the_same_key(
    notify_settings: Any, subscriptions: Any, start_service: Any
) -> None:
    alerts = notify_settings.alerts
    env = {
        **os.environ,
        "NEWSMON_KAFKA__BOOTSTRAP_SERVERS": notify_settings.kafka.bootstrap_servers,
        "NEWSMON_ELASTICSEARCH__URL": notify_settings.elasticsearch.url,
        "NEWSMON_ALERTS__TOPIC": alerts.topic,
        "NEWSMON_ALERTS__DEAD_LETTER_TOPIC": alerts.dead_letter_topic,
        "NEWSMON_ALERTS__DELIVERIES_INDEX": alerts.deliveries_index,
        "NEWSMON_ALERTS__SUBSCRIPTIONS_INDEX": alerts.subscriptions_index,
        "NEWSMON_ALERTS__NOTIFY_CONSUMER_GROUP": alerts.notify_consumer_group,
        "NEWSMON_ALERTS__DELIVERY_TIMEOUT_S": "1",  # claim lease 3 x 1 + 5 = 8 s
        "NEWSMON_WEBHOOK_SECRET": SECRET,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "newsmon.cli.main", "notify"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )

    def kill_on_first_call(call: Any) -> None:
        if len(receiver.calls) == 1:
            process.send_signal(signal.SIGKILL)  # sent, not yet recorded
            process.wait(10)

    receiver = WebhookReceiver(on_call=kill_on_first_call).start()
    try:
        sub = subscriptions("Crashy", [receiver.url])
        message = alert_message(sub, 1)
        deadline = time.monotonic() + 60
        started = time.monotonic()
        produce(notify_settings, [message])
        while not receiver.calls and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.calls, "the subprocess never called the receiver"
        killed_at = time.monotonic()
        print(f"\nfirst call {killed_at - started:.1f}s after producing (subprocess start-up included)")
        assert process.wait(10) == -signal.SIGKILL
        output = process.stdout.read().decode() if process.stdout else ""
        assert "Traceback" not in output, output

        ident = delivery_id(message.alert_id, receiver.url)
        record = _record(notify_settings, ident)
        assert record is not None and record["status"] == "pending" and record["attempts"] == 1

        start_service(wait_ready=False)  # the poller resends; the group may wait for the killed member
        eventually(lambda: len(receiver.calls) >= 2, 30, "the second delivery", 0.1)
        resent = receiver.calls[1].at - killed_at
        keys = [c.headers["idempotency-key"] for c in receiver.calls]
        assert keys == [ident, ident]
        assert receiver.calls[0].body == receiver.calls[1].body
        record = eventually(
            lambda: (r := _record(notify_settings, ident)) and r["status"] == "delivered" and r,
            10,
            "delivered",
        )
        assert record["attempts"] == 2
        print(f"\nsent again {resent:.1f}s after the kill (claim lease 8 s)")
    finally:
        if process.poll() is None:
            process.kill()
        receiver.stop()


@pytest.mark.fault
def test_a_receiver_down_for_two_minutes_gets_the_alert_afterwards(
    notify_settings: Any, subscriptions: Any, start_service: Any
) -> None:
    port = free_port()
    receiver = WebhookReceiver(port=port)  # not listening yet: connection refused
    settings = notify_settings.model_copy(
        update={
            "alerts": notify_settings.alerts.model_copy(
                update={
                    "delivery_max_attempts": 100,
                    "delivery_backoff_initial_s": 1.0,
                    "delivery_backoff_max_s": 10.0,
                }
            )
        }
    )
    sub = subscriptions("Patient", [receiver.url])
    service = start_service(settings)
    message = alert_message(sub, 1)
    produce(settings, [message])
    ident = delivery_id(message.alert_id, receiver.url)
    down_since = time.monotonic()
    eventually(
        lambda: (r := _record(settings, ident)) and r["status"] == "failed", 15, "a failed first attempt"
    )
    time.sleep(max(0.0, 120 - (time.monotonic() - down_since)))
    receiver.start()
    up_at = time.monotonic()
    try:
        eventually(lambda: receiver.calls, 20, "the alert after the receiver came back", 0.1)
        after = receiver.calls[0].at - up_at
        record = eventually(
            lambda: (r := _record(settings, ident)) and r["status"] == "delivered" and r, 10, "delivered"
        )
        time.sleep(1)
        assert len(receiver.calls) == 1 and receiver.calls[0].headers["idempotency-key"] == ident
        assert record["attempts"] >= 8, record
        counts = service.service.counters.snapshot()
        assert (
            counts["delivered"] == 1 and counts["dead"] == 0 and counts["retried"] == record["attempts"] - 1
        )
        print(f"\ndelivered {after:.1f}s after the receiver came back, attempt {record['attempts']}")
    finally:
        receiver.stop()
