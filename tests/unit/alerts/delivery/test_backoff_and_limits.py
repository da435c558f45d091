"""Backoff timing, the retry loop and its calm outage lines, the rolling-hour rate limit and the
subscription cache."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from alerts.delivery.backoff import Backoff, OutageLog, Retrier, Stopping
from alerts.delivery.ratelimit import RateLimiter
from alerts.delivery.subscriptions import SubscriptionCache
from tests.unit.alerts.delivery.fakes import FakeSubscriptionStore, subscription


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_all() -> None:
    backoff = Backoff(1.0, 300.0)
    full = [backoff.delay(n, rng=lambda lo, hi: hi) for n in range(1, 12)]
    assert full == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert backoff.delay(3, rng=lambda lo, hi: lo) == 2.0
    for attempt in range(1, 50):
        assert 0.5 * min(300, 2 ** (attempt - 1)) <= backoff.delay(attempt) <= min(300, 2 ** (attempt - 1))


def test_outage_log_writes_one_line_per_change_and_reminders(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    outage = OutageLog("elasticsearch", remind_every_s=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING):
        for t in (0, 1, 2, 30, 61, 62):
            now[0] = t
            outage.failed("ConnectionError: refused")
        now[0] = 90
        outage.recovered()
        outage.recovered()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "elasticsearch unavailable (ConnectionError: refused): retrying with backoff",
        "elasticsearch still unavailable after 61 s, retrying (ConnectionError: refused)",
        "elasticsearch available again after 90 s",
    ]


class Answer(Exception):
    pass


def test_retrier_waits_out_failures_passes_answers_through_and_stops() -> None:
    stop = threading.Event()
    retrier = Retrier(OutageLog("x"), stop, Backoff(0.001, 0.002), passthrough=(Answer,))
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "ok"

    assert retrier.call(flaky) == "ok" and len(calls) == 3 and not retrier.outage.unavailable

    def answer() -> None:
        raise Answer

    with pytest.raises(Answer):
        retrier.call(answer)

    def forever() -> None:
        stop.set()
        raise ConnectionError("down")

    with pytest.raises(Stopping):
        retrier.call(forever)


T0 = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_rate_limit_counts_a_rolling_hour() -> None:
    limiter = RateLimiter()
    assert [limiter.take("s", 2, T0 + timedelta(minutes=m)) for m in (0, 10, 20)] == [True, True, False]
    assert limiter.take("s", 2, T0 + timedelta(minutes=60, seconds=1))  # the first one left the hour
    assert not limiter.take("s", 2, T0 + timedelta(minutes=65))
    assert limiter.take("other", 2, T0)


def test_rate_limit_seeds_and_gives_back() -> None:
    limiter = RateLimiter()
    assert not limiter.knows("s")
    limiter.seed("s", [(T0 - timedelta(minutes=30), 2)])
    assert limiter.knows("s") and not limiter.take("s", 2, T0)
    assert limiter.take("s", 3, T0)
    limiter.give_back("s", T0)
    assert limiter.take("s", 3, T0 + timedelta(seconds=1))
    assert limiter.take("s", 2, T0 + timedelta(minutes=31))  # the seeded two expired


def test_subscription_cache_refreshes_changed_and_deleted_and_finds_new_ones() -> None:
    now = [0.0]
    store = FakeSubscriptionStore(subscription("a"))
    cache = SubscriptionCache(store, max_age_s=5, clock=lambda: now[0])
    assert cache.get("a") is not None and cache.get("new") is None
    store.subs["new"] = subscription("new")
    calls = store.calls
    assert cache.get("a") is not None and store.calls == calls  # fresh: no store call
    now[0] = 6
    assert cache.get("new") is not None
    store.subs["a"] = subscription("a", enabled=False, version=2)
    del store.subs["new"]
    now[0] = 12
    sub = cache.get("a")
    assert sub is not None and not sub.enabled and cache.get("new") is None
