"""Instant alerts end to end with real Kafka, Elasticsearch, an HTTP receiver and an SMTP server
(STARTTLS): one webhook call and one e-mail per match, fast; a replay sends nothing new."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from alerts.delivery.ids import delivery_id
from alerts.model import redact_url
from tests.integration.alerts.delivery.conftest import SECRET
from tests.integration.alerts.delivery.harness import alert_message, produce
from tests.integration.pipeline.helpers import eventually

pytestmark = pytest.mark.integration


def deliveries(settings: Any) -> list[dict[str, Any]]:
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        index = settings.alerts.deliveries_index
        es.indices.refresh(index=index)
        return [h["_source"] for h in es.search(index=index, size=100)["hits"]["hits"]]


def test_one_webhook_call_and_one_email_per_match_then_replay_sends_nothing(
    notify_settings: Any, subscriptions: Any, webhook: Any, smtp: Any, start_service: Any
) -> None:
    sub = subscriptions('Minsk <courts> & "trials"', [webhook.url, smtp.url()])
    service = start_service()
    title = 'Court jails <b>three</b> & "others"'
    message = alert_message(sub, 1, title=title)
    produced = produce(notify_settings, [message])

    eventually(lambda: webhook.calls and smtp.mails, 10, "one webhook call and one e-mail", 0.05)
    webhook_latency = webhook.calls[0].at - produced
    mail_latency = smtp.mails[0].at - produced

    call = webhook.calls[0]
    assert call.headers["idempotency-key"] == delivery_id(message.alert_id, webhook.url)
    assert call.signed_with(SECRET.encode())
    assert call.json["alert_id"] == message.alert_id and call.json["article"]["title"] == title

    mail = smtp.mails[0]
    assert mail.tls, "the e-mail went over STARTTLS"
    assert mail.recipients == ["reader@example.org"]
    assert mail.message.get_content_type() == "multipart/alternative"
    assert mail.message["Subject"] == f"{sub.name}: {title}"
    text, html = mail.part("text/plain"), mail.part("text/html")
    assert text is not None and html is not None
    assert title in text and "https://news.example.org/1?a=1&b=2" in text
    assert "Court jails &lt;b&gt;three&lt;/b&gt; &amp; &quot;others&quot;" in html
    assert "<b>three</b>" not in html
    assert "courts &amp; &lt;detainees&gt;" in html

    def delivered() -> list[dict[str, Any]]:
        records = deliveries(notify_settings)
        return records if len(records) == 2 and all(r["status"] == "delivered" for r in records) else []

    records = eventually(delivered, 10, "two delivered records")
    assert {r["channel"] for r in records} == {
        redact_url(webhook.url),
        f"mailtos://127.0.0.1:{smtp.port}?***",
    }
    for record in records:
        assert record["status"] == "delivered" and record["attempts"] == 1 and record["kind"] == "instant"
        assert record["alert_ids"] == [message.alert_id] and record["delivered_at"]

    # latency of more matches, now that the group is joined
    latencies = [webhook_latency]
    for n in range(2, 12):
        before = len(webhook.calls)
        produced = produce(notify_settings, [alert_message(sub, n)])
        eventually(lambda b=before: len(webhook.calls) > b, 10, f"webhook call {n}", 0.02)
        latencies.append(webhook.calls[-1].at - produced)
    eventually(lambda: len(smtp.mails) == 11, 15, "eleven e-mails", 0.1)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1]
    print(
        f"\nproduce->webhook latency: first {webhook_latency:.3f}s (e-mail {mail_latency:.3f}s), "
        f"median {statistics.median(latencies):.3f}s, p95 {p95:.3f}s, max {max(latencies):.3f}s"
    )
    assert p95 <= 2.0

    # replay: the same messages again, read by the running service, then by a new consumer group
    calls, mails = len(webhook.calls), len(smtp.mails)
    produce(notify_settings, [message, alert_message(sub, 2)])
    service.stop()
    group = "replay-" + notify_settings.alerts.notify_consumer_group
    fresh_group = notify_settings.model_copy(
        update={"alerts": notify_settings.alerts.model_copy(update={"notify_consumer_group": group})}
    )
    replayer = start_service(fresh_group, idle_exit_s=3.0)
    replayer.wait(60)
    time.sleep(1)
    assert (len(webhook.calls), len(smtp.mails)) == (calls, mails), "a replay sent something"
    assert replayer.service.counters.snapshot()["consumed"] == 13
    assert replayer.service.counters.snapshot()["delivered"] == 0
