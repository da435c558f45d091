"""retry_forever / OutageLog / Backoff: waiting out outages with one line per state change."""

from __future__ import annotations

import logging

import pytest

from pipeline.retry import (
    Backoff,
    OutageLog,
    ShuttingDown,
    request_shutdown,
    reset_shutdown,
    retry_forever,
)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    b = Backoff(base_s=1.0, cap_s=8.0)
    assert [b.delay(n, rng=lambda lo, hi: hi) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    assert b.delay(3, rng=lambda lo, hi: lo) == 2.0
    assert b.delay(10_000, rng=lambda lo, hi: hi) == 8.0  # no overflow on long outages


def test_outage_log_says_down_reminds_and_says_back(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    log = OutageLog("kafka at x", hint="check it", remind_every_s=30, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING):
        for t in (0, 10, 20, 31, 40, 62):
            now[0] = t
            log.failed("KafkaTimeoutError: boom")
        now[0] = 70
        log.recovered()
        log.recovered()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "kafka at x unavailable (KafkaTimeoutError: boom): retrying without time limit; check it",
        "kafka at x still unavailable after 31 s, retrying (KafkaTimeoutError: boom)",
        "kafka at x still unavailable after 62 s, retrying (KafkaTimeoutError: boom)",
        "kafka at x available again after 70 s",
    ]


def test_retry_forever_waits_out_transient_errors_and_raises_others() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 50:
            raise TimeoutError("later")
        return "ok"

    resets: list[Exception] = []
    result = retry_forever(
        flaky,
        lambda e: isinstance(e, TimeoutError),
        OutageLog("x"),
        sleep=lambda _: None,
        on_retry=resets.append,
    )
    assert result == "ok" and len(calls) == 50 and len(resets) == 49
    with pytest.raises(ValueError):
        retry_forever(lambda: int("x"), lambda e: False, OutageLog("x"), sleep=lambda _: None)


def test_shutdown_interrupts_a_wait() -> None:
    def down() -> None:
        raise TimeoutError("down")

    request_shutdown()
    try:
        with pytest.raises(ShuttingDown):
            retry_forever(down, lambda e: True, OutageLog("x"))
    finally:
        reset_shutdown()
