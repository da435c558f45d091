"""Delivery and digest ids (deterministic, per channel) and digest period arithmetic, including
half-hour zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.delivery.ids import delivery_id, digest_id
from alerts.delivery.periods import DigestCalendar


def test_delivery_ids_are_deterministic_and_differ_per_channel_and_source() -> None:
    a = delivery_id("alert-1", "https://hooks.example/a")
    assert a == delivery_id("alert-1", "https://hooks.example/a") and len(a) == 32
    assert a != delivery_id("alert-1", "https://hooks.example/b")
    assert a != delivery_id("alert-2", "https://hooks.example/a")
    assert "hooks" not in a


def test_digest_ids_differ_per_subscription_and_period() -> None:
    assert digest_id("s", "2026-11-30T14") == digest_id("s", "2026-11-30T14")
    assert digest_id("s", "2026-11-30T14") != digest_id("s", "2026-11-30T15")
    assert digest_id("s", "2026-11-30T14") != digest_id("t", "2026-11-30T14")
    assert digest_id("s", "p") != delivery_id("s", "p")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_hourly_periods_run_from_top_of_hour_to_top_of_hour() -> None:
    period = DigestCalendar().period("hourly", utc(2026, 11, 30, 14, 59, 59))
    assert (period.key, period.start, period.end) == (
        "2026-11-30T14",
        utc(2026, 11, 30, 14),
        utc(2026, 11, 30, 15),
    )
    assert DigestCalendar().period("hourly", utc(2026, 11, 30, 15)).key == "2026-11-30T15"
    assert DigestCalendar().following("hourly", period).key == "2026-11-30T15"


def test_hourly_periods_follow_the_zone_top_of_hour_even_at_half_hour_offsets() -> None:
    period = DigestCalendar("Asia/Kolkata").period("hourly", utc(2026, 11, 30, 4, 45))  # 10:15 IST
    assert period.key == "2026-11-30T10"
    assert (period.start, period.end) == (utc(2026, 11, 30, 4, 30), utc(2026, 11, 30, 5, 30))


def test_daily_periods_end_at_the_digest_hour_and_are_named_by_that_day() -> None:
    calendar = DigestCalendar("Europe/Minsk", daily_hour=7)  # UTC+3
    before = calendar.period("daily", utc(2026, 11, 30, 3, 59))  # 06:59 Minsk
    assert before.key == "2026-11-30"
    assert (before.start, before.end) == (utc(2026, 11, 29, 4), utc(2026, 11, 30, 4))
    at = calendar.period("daily", utc(2026, 11, 30, 4))  # 07:00 Minsk: the next day's digest
    assert at.key == "2026-12-01" and at.start == before.end
    assert calendar.following("daily", before) == at


def test_a_daily_period_across_a_dst_change_is_23_or_25_hours() -> None:
    calendar = DigestCalendar("Europe/Berlin", daily_hour=7)
    spring = calendar.period("daily", utc(2026, 3, 29, 12))  # clocks went forward at 02:00
    assert spring.key == "2026-03-30" and spring.end - spring.start == timedelta(hours=24)
    forward = calendar.period("daily", utc(2026, 3, 28, 12))
    assert forward.key == "2026-03-29" and forward.end - forward.start == timedelta(hours=23)
    back = calendar.period("daily", utc(2026, 10, 24, 12))
    assert back.key == "2026-10-25" and back.end - back.start == timedelta(hours=25)


def test_the_repeated_hour_of_a_dst_fall_back_gets_two_periods_in_time_order() -> None:
    calendar = DigestCalendar("Europe/Berlin")
    first = calendar.period("hourly", utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    second = calendar.period("hourly", utc(2026, 10, 25, 1, 30))  # 02:30 CET
    assert first.key == second.key == "2026-10-25T02"  # same wall-clock hour ...
    assert first.end == second.start == utc(2026, 10, 25, 1)  # ... but consecutive periods
    assert calendar.following("hourly", first) == second


def test_override_periods_are_fixed_and_aligned() -> None:
    calendar = DigestCalendar(override_s=10)
    period = calendar.period("daily", utc(2026, 11, 30, 14, 5, 17))
    assert (period.key, period.start, period.end) == (
        "2026-11-30T14:05:10",
        utc(2026, 11, 30, 14, 5, 10),
        utc(2026, 11, 30, 14, 5, 20),
    )


def test_naive_moments_are_utc_and_bad_settings_are_refused() -> None:
    assert DigestCalendar().period("hourly", datetime(2026, 11, 30, 14, 30)).key == "2026-11-30T14"
    with pytest.raises(ValueError):
        DigestCalendar(daily_hour=24)
    with pytest.raises(ValueError):
        DigestCalendar(override_s=0)
