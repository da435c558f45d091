"""Digests end to end: several matches of a digest subscription (and the overflow of a rate-limited
instant one) arrive as one e-mail and one webhook call at the end of the period. Periods are made
short with ``digest_period_override_s``; the delivery path is the real one."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from alerts.delivery.ids import delivery_id, digest_id
from alerts.delivery.periods import DigestCalendar
from tests.integration.alerts.delivery.harness import alert_message, produce
from tests.integration.pipeline.helpers import eventually

pytestmark = pytest.mark.integration

PERIOD_S = 6.0


def _moment_in_a_fresh_period(min_left_s: float = 3.0) -> dt.datetime:
    """Now, or the start of the next period when this one ends within ``min_left_s``."""
    now = time.time()
    end = math.ceil(now / PERIOD_S) * PERIOD_S
    at = now if end - now >= min_left_s else end + 0.1
    return dt.datetime.fromtimestamp(at, dt.UTC)


def _records(settings: Any) -> list[dict[str, Any]]:
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        es.indices.refresh(index=settings.alerts.deliveries_index)
        hits = es.search(index=settings.alerts.deliveries_index, size=100)["hits"]["hits"]
        return [h["_source"] for h in hits]


def test_a_digest_gathers_the_period_into_one_email_and_one_webhook_call(
    notify_settings: Any, subscriptions: Any, webhook: Any, smtp: Any, start_service: Any
) -> None:
    sub = subscriptions("Daily <Minsk>", [webhook.url, smtp.url()], mode="hourly")
    start_service(digest_period_override_s=PERIOD_S)
    matched = _moment_in_a_fresh_period()
    messages = [alert_message(sub, n, title=f"Story {n} <i>&</i>", matched_at=matched) for n in range(1, 4)]
    produce(notify_settings, messages)
    period = DigestCalendar(override_s=PERIOD_S).period("hourly", matched)

    eventually(lambda: webhook.calls and smtp.mails, PERIOD_S + 10, "the digest", 0.1)
    time.sleep(1.5)
    assert len(webhook.calls) == 1 and len(smtp.mails) == 1
    arrived = dt.datetime.now(dt.UTC)
    assert arrived >= period.end, "a digest is sent when its period ends"

    call = webhook.calls[0]
    assert call.json["type"] == "digest" and call.json["period"] == period.key
    assert [a["alert_id"] for a in call.json["alerts"]] == [m.alert_id for m in messages]
    assert call.headers["idempotency-key"] == delivery_id(digest_id(sub.id, period.key), webhook.url)

    mail = smtp.mails[0]
    assert mail.message["Subject"] == f"{sub.name}: 3 new articles ({period.key})"
    text, html = mail.part("text/plain"), mail.part("text/html")
    assert text is not None and html is not None
    for n in range(1, 4):
        assert f"Story {n} <i>&</i>" in text
        assert f"Story {n} &lt;i&gt;&amp;&lt;/i&gt;" in html
    assert "Daily &lt;Minsk&gt;" in html

    records = _records(notify_settings)
    assert len(records) == 2
    for record in records:
        assert (
            record["kind"] == "digest" and record["status"] == "delivered" and record["period"] == period.key
        )
        assert sorted(record["alert_ids"]) == sorted(m.alert_id for m in messages)


def test_over_the_rate_limit_alerts_wait_for_the_hourly_digest(
    notify_settings: Any, subscriptions: Any, webhook: Any, start_service: Any
) -> None:
    sub = subscriptions("Busy", [webhook.url], rate_limit={"max_per_hour": 2})
    service = start_service(digest_period_override_s=PERIOD_S)
    matched = _moment_in_a_fresh_period()
    messages = [alert_message(sub, n, matched_at=matched) for n in range(1, 6)]
    produce(notify_settings, messages)

    eventually(lambda: len(webhook.calls) >= 3, PERIOD_S + 10, "two alerts and a digest", 0.1)
    time.sleep(1.5)
    kinds = [c.json["type"] for c in webhook.calls]
    assert kinds == ["alert", "alert", "digest"]
    sent_at_once = {c.json["alert_id"] for c in webhook.calls[:2]}
    in_digest = {a["alert_id"] for a in webhook.calls[2].json["alerts"]}
    assert sent_at_once | in_digest == {m.alert_id for m in messages} and not sent_at_once & in_digest

    statuses = sorted((r["kind"], r["status"]) for r in _records(notify_settings))
    assert (
        statuses == [("digest", "delivered")] + [("instant", "delivered")] * 2 + [("instant", "skipped")] * 3
    )
    assert service.service.counters.snapshot()["delivered"] == 3
