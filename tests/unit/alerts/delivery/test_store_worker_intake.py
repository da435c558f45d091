"""The delivery logic over an in-memory Elasticsearch: conditional writes, filing into digests
(idempotent, sealed digests pass alerts on), the worker's outcomes (delivered, retry with backoff,
dead letter, skipped, claim lost) and the intake's decisions and replays."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from alerts.delivery.backoff import Backoff, OutageLog, Retrier
from alerts.delivery.channels import SendResult
from alerts.delivery.ids import delivery_id, digest_id
from alerts.delivery.intake import Intake
from alerts.delivery.metrics import Counters
from alerts.delivery.periods import DigestCalendar
from alerts.delivery.ratelimit import RateLimiter
from alerts.delivery.records import DeliveryRecord
from alerts.delivery.store import Conflict, DeliveryStore, DigestFiling
from alerts.delivery.subscriptions import SubscriptionCache
from alerts.delivery.worker import Deliverer, Job, channel_of
from alerts.model import AlertArticle, AlertMessage, Channel, Subscription, alert_id
from tests.unit.alerts.delivery.fakes import (
    FakeChannels,
    FakeDeadLetters,
    FakeES,
    FakeSubscriptionStore,
    ScriptedSender,
    subscription,
)

NOW = datetime(2026, 11, 30, 14, 20, tzinfo=UTC)
HOOK = "https://hooks.example/a"


def message(sub: Subscription, n: int, at: datetime = NOW) -> AlertMessage:
    return AlertMessage(
        alert_id=alert_id(sub.id, f"art-{n}"),
        subscription_id=sub.id,
        subscription_version=sub.version,
        owner=sub.owner,
        subscription_name=sub.name,
        mode=sub.mode,
        query=sub.query,
        article=AlertArticle(id=f"art-{n}", title=f"Article {n}", url=f"https://news.example/{n}"),
        matched_at=at,
    )


def pending(msg: AlertMessage, url: str = HOOK, **fields: object) -> DeliveryRecord:
    values: dict[str, object] = {
        "delivery_id": delivery_id(msg.alert_id, url),
        "kind": "instant",
        "alert_ids": [msg.alert_id],
        "subscription_id": msg.subscription_id,
        "owner": msg.owner,
        "channel": Channel(url=url).redacted,
        "status": "pending",
        "created_at": NOW,
        "updated_at": NOW,
        "next_attempt_at": NOW,
        **fields,
    }
    return DeliveryRecord.model_validate(values)


# --- store


def test_records_are_created_once_and_changed_only_from_the_version_read() -> None:
    store = DeliveryStore(FakeES(), "d")
    record = pending(message(subscription(), 1))
    first, again = store.create([record]), store.create([record])
    assert first[0] is not None and again == [None]
    stored = store.get(record.delivery_id)
    assert stored is not None
    store.replace(stored, record.but(attempts=1))
    with pytest.raises(Conflict):
        store.replace(stored, record.but(attempts=2))  # stale: someone else changed it


def _file(store: DeliveryStore, sub: Subscription, msg: AlertMessage, calendar: DigestCalendar) -> str:
    first = calendar.period("hourly", msg.matched_at)
    channel = sub.channels[0]
    return store.add_to_digest(msg, sub, channel, first, lambda p: calendar.following("hourly", p), NOW)


def test_digest_filing_is_idempotent_and_a_sealed_digest_passes_alerts_to_the_next_period() -> None:
    es, calendar, sub = FakeES(), DigestCalendar(), subscription(mode="hourly")
    store = DeliveryStore(es, "d")
    one, two, three = (message(sub, n) for n in (1, 2, 3))
    assert _file(store, sub, one, calendar) == "2026-11-30T14"
    assert _file(store, sub, two, calendar) == "2026-11-30T14"
    assert _file(store, sub, one, calendar) == "2026-11-30T14"  # a replay: not added twice
    ident = delivery_id(digest_id(sub.id, "2026-11-30T14"), HOOK)
    digest = store.get(ident)
    assert digest is not None
    assert digest.record.alert_ids == [one.alert_id, two.alert_id]
    assert digest.record.next_attempt_at == datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert digest.record.period == "2026-11-30T14" and digest.record.kind == "digest"
    store.replace(digest, digest.record.but(attempts=1))  # a worker claimed it: sealed
    assert _file(store, sub, three, calendar) == "2026-11-30T15"  # late: the next period
    assert _file(store, sub, three, calendar) == "2026-11-30T15"  # its replay finds it there
    assert _file(store, sub, two, calendar) == "2026-11-30T14"  # already in the sealed one
    later = store.get(delivery_id(digest_id(sub.id, "2026-11-30T15"), HOOK))
    assert later is not None and later.record.alert_ids == [three.alert_id]


def test_a_batch_files_many_alerts_in_one_write_and_overflow_goes_to_the_next_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import alerts.delivery.store as store_module

    monkeypatch.setattr(store_module, "DIGEST_MAX_ALERTS", 3)
    es, calendar, sub = FakeES(), DigestCalendar(), subscription(mode="hourly")
    store = DeliveryStore(es, "d")
    following = lambda p: calendar.following("hourly", p)  # noqa: E731
    first = calendar.period("hourly", NOW)
    msgs = [message(sub, n) for n in range(5)]
    bulk_calls = 0
    real_bulk = es.bulk

    def counting_bulk(**kwargs: object) -> dict[str, object]:
        nonlocal bulk_calls
        bulk_calls += 1
        return real_bulk(**kwargs)  # type: ignore[arg-type]

    es.bulk = counting_bulk  # type: ignore[method-assign]
    (placed,) = store.file_into_digests([DigestFiling(sub, sub.channels[0], first, following, msgs)], NOW)
    assert [placed[m.alert_id] for m in msgs] == ["2026-11-30T14"] * 3 + ["2026-11-30T15"] * 2
    assert bulk_calls == 2  # one write per digest, not per alert
    # a replay of all five with one more: only the new one is added, after the others
    (again,) = store.file_into_digests(
        [DigestFiling(sub, sub.channels[0], first, following, [*msgs, message(sub, 5)])], NOW
    )
    assert again == {**placed, message(sub, 5).alert_id: "2026-11-30T15"}
    later = store.get(delivery_id(digest_id(sub.id, "2026-11-30T15"), HOOK))
    assert later is not None and later.record.alert_ids == [m.alert_id for m in (*msgs[3:], message(sub, 5))]


def test_two_filings_reaching_the_same_digest_in_one_batch_both_land() -> None:
    es, calendar, sub = FakeES(), DigestCalendar(), subscription(mode="hourly")
    store = DeliveryStore(es, "d")
    following = lambda p: calendar.following("hourly", p)  # noqa: E731
    this_hour, next_hour = calendar.period("hourly", NOW), calendar.period("hourly", NOW + timedelta(hours=1))
    _file(store, sub, message(sub, 0), calendar)
    sealed = store.get(delivery_id(digest_id(sub.id, this_hour.key), HOOK))
    assert sealed is not None
    store.replace(sealed, sealed.record.but(attempts=1))  # being sent: later alerts walk on
    late, on_time = message(sub, 1), message(sub, 2, NOW + timedelta(hours=1))
    placed = store.file_into_digests(
        [
            DigestFiling(sub, sub.channels[0], this_hour, following, [late]),
            DigestFiling(sub, sub.channels[0], next_hour, following, [on_time]),
        ],
        NOW,
    )
    assert placed == [{late.alert_id: next_hour.key}, {on_time.alert_id: next_hour.key}]
    digest = store.get(delivery_id(digest_id(sub.id, next_hour.key), HOOK))
    assert digest is not None and sorted(digest.record.alert_ids) == sorted([late.alert_id, on_time.alert_id])


# --- worker


def _deliverer(
    es: FakeES, subs: FakeSubscriptionStore, channels: FakeChannels, max_attempts: int = 3
) -> tuple[Deliverer, FakeDeadLetters, Counters]:
    stop = threading.Event()
    dead, counters = FakeDeadLetters(), Counters()
    deliverer = Deliverer(
        DeliveryStore(es, "d"),
        SubscriptionCache(subs, 0),
        channels,  # type: ignore[arg-type]
        dead,  # type: ignore[arg-type]
        counters,
        Retrier(OutageLog("es"), stop, Backoff(0.001, 0.001), passthrough=(Conflict,)),
        Retrier(OutageLog("kafka"), stop, Backoff(0.001, 0.001)),
        Backoff(10, 100),
        max_attempts,
        lease_s=30,
        clock=lambda: NOW,
    )
    return deliverer, dead, counters


def _setup(
    *results: SendResult, sub: Subscription | None = None, max_attempts: int = 3
) -> tuple[Deliverer, DeliveryStore, FakeDeadLetters, Counters, ScriptedSender, AlertMessage]:
    es, sub = FakeES(), sub or subscription()
    store = DeliveryStore(es, "d")
    msg = message(sub, 1)
    store.save_messages([msg])
    store.create([pending(msg)])
    sender = ScriptedSender(list(results) or [SendResult(True)])
    deliverer, dead, counters = _deliverer(
        es, FakeSubscriptionStore(sub), FakeChannels({HOOK: sender}), max_attempts
    )
    return deliverer, store, dead, counters, sender, msg


def _attempt(deliverer: Deliverer, store: DeliveryStore, msg: AlertMessage) -> DeliveryRecord:
    stored = store.get(delivery_id(msg.alert_id, HOOK))
    assert stored is not None
    deliverer.attempt(Job(stored))
    after = store.get(delivery_id(msg.alert_id, HOOK))
    assert after is not None
    return after.record


def test_a_successful_attempt_is_recorded_delivered() -> None:
    deliverer, store, _, counters, sender, msg = _setup(SendResult(True))
    record = _attempt(deliverer, store, msg)
    assert (record.status, record.attempts, record.delivered_at, record.next_attempt_at) == (
        "delivered",
        1,
        NOW,
        None,
    )
    assert (
        sender.sent[0].idempotency_key == record.delivery_id
        and sender.sent[0].payload["alert_id"] == msg.alert_id
    )
    assert counters.snapshot()["delivered"] == 1
    _attempt(deliverer, store, msg)  # final: nothing more
    assert len(sender.sent) == 1


def test_a_new_instant_delivery_is_created_claimed_and_sent_with_two_writes_in_all() -> None:
    sub = subscription()
    intake, es, _ = _intake(sub)
    msg = message(sub, 1)
    (job,) = intake.record([intake.plan(msg, sub)]).jobs
    assert job.claimed and job.stored.record.attempts == 1
    # not due until the lease runs out: no poller (here or elsewhere) takes it meanwhile
    assert job.stored.record.next_attempt_at == NOW + timedelta(seconds=intake.lease_s)
    sender = ScriptedSender([SendResult(True)])
    deliverer, _, _ = _deliverer(es, FakeSubscriptionStore(sub), FakeChannels({HOOK: sender}))
    writes = []
    real_index = es.index

    def counting_index(*args: object, **kwargs: object) -> dict[str, object]:
        writes.append(kwargs.get("id"))
        return real_index(*args, **kwargs)  # type: ignore[arg-type]

    es.index = counting_index  # type: ignore[method-assign]
    deliverer.attempt(job)
    stored = DeliveryStore(es, "d").get(job.stored.record.delivery_id)
    assert stored is not None and (stored.record.status, stored.record.attempts) == ("delivered", 1)
    assert writes == [job.stored.record.delivery_id]  # the outcome only: no claim write
    assert len(sender.sent) == 1


def test_a_created_claim_left_by_a_crash_is_due_after_the_lease_and_sent_again() -> None:
    sub = subscription()
    intake, es, _ = _intake(sub)
    msg = message(sub, 1)
    (job,) = intake.record([intake.plan(msg, sub)]).jobs  # ... and the service dies before sending
    store = DeliveryStore(es, "d")
    due = store.get(job.stored.record.delivery_id)  # what the poller finds once the lease has run out
    assert due is not None and due.record.status == "pending"
    assert due.record.next_attempt_at is not None and due.record.next_attempt_at < NOW + timedelta(hours=1)
    sender = ScriptedSender([SendResult(True)])
    deliverer, _, _ = _deliverer(es, FakeSubscriptionStore(sub), FakeChannels({HOOK: sender}))
    deliverer.attempt(Job(due))  # the poller's job: claimed again (attempt 2), same key
    stored = store.get(due.record.delivery_id)
    assert stored is not None and (stored.record.status, stored.record.attempts) == ("delivered", 2)
    assert sender.sent[0].idempotency_key == due.record.delivery_id


def test_a_transient_failure_schedules_a_retry_with_backoff() -> None:
    deliverer, store, _, counters, _, msg = _setup(SendResult(False, False, "HTTP 503"))
    record = _attempt(deliverer, store, msg)
    assert (record.status, record.attempts, record.last_error) == ("failed", 1, "HTTP 503")
    assert record.next_attempt_at is not None
    assert NOW + timedelta(seconds=5) <= record.next_attempt_at <= NOW + timedelta(seconds=10)
    assert counters.snapshot()["retried"] == 1 and counters.snapshot()["failed"] == 1


def test_after_the_last_attempt_a_dead_letter_says_why() -> None:
    deliverer, store, dead, counters, sender, msg = _setup(
        SendResult(False, False, "HTTP 500"), max_attempts=2
    )
    _attempt(deliverer, store, msg)
    record = _attempt(deliverer, store, msg)
    assert record.status == "dead" and record.attempts == 2 and record.next_attempt_at is None
    assert record.last_error == "failed 2 times: HTTP 500"
    [(key, letter)] = dead.letters
    assert key == record.delivery_id and letter["reason"] == "failed 2 times: HTTP 500"
    assert letter["channel"] == Channel(url=HOOK).redacted and letter["alert_ids"] == [msg.alert_id]
    assert counters.snapshot()["dead"] == 1 and len(sender.sent) == 2


def test_a_permanent_failure_is_dead_at_once() -> None:
    deliverer, store, dead, _, _, msg = _setup(SendResult(False, True, "HTTP 410 Gone"))
    record = _attempt(deliverer, store, msg)
    assert (
        record.status == "dead"
        and record.attempts == 1
        and dead.letters[0][1]["reason"] == "refused: HTTP 410 Gone"
    )


def test_an_attempt_left_unfinished_by_a_crash_at_the_limit_is_dead_without_sending() -> None:
    deliverer, store, dead, _, sender, msg = _setup(max_attempts=2)
    stored = store.get(delivery_id(msg.alert_id, HOOK))
    assert stored is not None
    store.replace(stored, stored.record.but(attempts=2, last_error="HTTP 502"))
    record = _attempt(deliverer, store, msg)
    assert record.status == "dead" and not sender.sent and dead.letters[0][1]["reason"] == "HTTP 502"


@pytest.mark.parametrize(
    ("sub", "why"),
    [
        (subscription(enabled=False), "subscription disabled"),
        (subscription(channels=("https://hooks.example/other",)), "channel removed from the subscription"),
    ],
)
def test_deliveries_of_disabled_subscriptions_or_removed_channels_are_skipped(
    sub: Subscription, why: str
) -> None:
    deliverer, store, _, counters, sender, msg = _setup(sub=sub)
    record = _attempt(deliverer, store, msg)
    assert (record.status, record.last_error) == ("skipped", why) and not sender.sent
    assert counters.snapshot()["skipped"] == 1


def test_a_lost_claim_sends_nothing() -> None:
    deliverer, store, _, _, sender, msg = _setup()
    stale = store.get(delivery_id(msg.alert_id, HOOK))
    assert stale is not None
    store.replace(stale, stale.record.but(attempts=1, next_attempt_at=NOW + timedelta(seconds=30)))
    deliverer.attempt(Job(stale))
    assert not sender.sent


def test_channel_of_never_redirects_to_another_url() -> None:
    old = "mailtos://me:old@smtp.example.org?to=a@example.org"
    sub = subscription(channels=("mailtos://me:new@smtp.example.org?to=a@example.org",))
    record = pending(message(sub, 1), url=old)
    assert channel_of(sub, record) is None, "same redacted form, but another URL"
    assert channel_of(subscription(channels=(old,)), record) is not None


# --- intake


def _intake(*subs: Subscription) -> tuple[Intake, FakeES, RateLimiter]:
    es, limiter = FakeES(), RateLimiter()
    intake = Intake(
        DeliveryStore(es, "d"),
        SubscriptionCache(FakeSubscriptionStore(*subs), 0),
        limiter,
        DigestCalendar(),
        lambda: NOW,
    )
    return intake, es, limiter


def test_instant_alerts_become_pending_deliveries_and_a_replay_nothing() -> None:
    sub = subscription(channels=(HOOK, "mailto://u:p@example.org"))
    intake, es, limiter = _intake(sub)
    msgs = [message(sub, 1), message(sub, 2)]
    recorded = intake.record([intake.plan(m, sub) for m in msgs])
    assert len(recorded.jobs) == 4 and recorded.skipped == 0
    assert {j.stored.record.status for j in recorded.jobs} == {"pending"}
    assert es.source("d-messages", msgs[0].alert_id)["message"]["alert_id"] == msgs[0].alert_id
    replay = intake.record([intake.plan(m, sub) for m in msgs])
    assert replay.jobs == [] and replay.skipped == 0
    assert limiter.take(sub.id, 3, NOW + timedelta(seconds=1))  # the replays were given back: 2 + 1 <= 3


def test_alerts_of_deleted_disabled_or_channelless_subscriptions_are_recorded_skipped() -> None:
    sub = subscription()
    intake, es, _ = _intake()
    plans = [
        intake.plan(message(sub, 1), None),
        intake.plan(message(sub, 2), subscription(enabled=False)),
        intake.plan(message(sub, 3), subscription(channels=())),
    ]
    recorded = intake.record(plans)
    assert recorded.jobs == [] and recorded.skipped == 3
    deleted = es.source("d", delivery_id(message(sub, 1).alert_id, ""))
    assert (
        deleted["status"] == "skipped"
        and deleted["channel"] == ""
        and deleted["last_error"] == "subscription deleted"
    )


def test_over_the_rate_limit_the_alert_is_skipped_and_filed_into_the_hourly_digest_once() -> None:
    sub = subscription(rate_limit={"max_per_hour": 1})
    intake, es, _ = _intake(sub)
    first, second = message(sub, 1), message(sub, 2)
    assert len(intake.record([intake.plan(first, sub), intake.plan(second, sub)]).jobs) == 1
    skipped = es.source("d", delivery_id(second.alert_id, HOOK))
    assert skipped["status"] == "skipped" and skipped["last_error"].startswith(
        "over the rate limit of 1/hour"
    )
    ident = delivery_id(digest_id(sub.id, "2026-11-30T14"), HOOK)
    assert es.source("d", ident)["alert_ids"] == [second.alert_id]
    intake.record([intake.plan(second, sub)])  # a replay (now over the limit or not) files nothing new
    assert es.source("d", ident)["alert_ids"] == [second.alert_id]


def test_digest_mode_files_every_channel_and_a_failed_batch_is_recorded_again() -> None:
    sub = subscription(channels=(HOOK, "https://hooks.example/b"), mode="daily")
    intake, es, _ = _intake(sub)
    plans = [intake.plan(message(sub, n), sub) for n in (1, 2)]
    progress = intake.new_progress()
    es.fail_next = 1
    with pytest.raises(ConnectionError):
        intake.record(plans, progress)
    recorded = intake.record(plans, progress)
    assert recorded.jobs == []
    for url in (HOOK, "https://hooks.example/b"):
        digest = es.source("d", delivery_id(digest_id(sub.id, "2026-12-01"), url))
        assert len(digest["alert_ids"]) == 2 and digest["next_attempt_at"].startswith("2026-12-01T07:00")
