"""Digest periods (pure): which hour or day a moment belongs to, and when its digest is due.

* hourly: from the top of one hour to the next, in ``alerts.digest_timezone`` (so a zone with a
  half-hour offset gets its digests at its own top of the hour); key ``2026-11-30T14``.
* daily: the day ending at ``alerts.daily_digest_hour`` in that zone; key = the date it is sent,
  ``2026-11-30`` for the day ending 2026-11-30 07:00.
* ``override_s`` (tests, demos): fixed periods of that many seconds, aligned to the Unix epoch;
  key ``2026-11-30T14:05:10``.

A period's ``end`` is when its digest is due. Times are compared in UTC: wall-clock comparison of
zone-aware datetimes ignores DST folds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = ["DigestCalendar", "DigestKind", "Period"]

DigestKind = Literal["hourly", "daily"]


@dataclass(frozen=True)
class Period:
    """One digest period, as :class:`DigestCalendar` returns it when an alert is filed: its key (the
    ``period`` of the digest record), start and end (UTC, end exclusive; the end is when it is sent)."""

    key: str
    start: datetime
    end: datetime


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class DigestCalendar:
    """Maps moments to digest periods; used by the delivery service when it files an alert into a
    digest and when it asks for the period after a sealed one."""

    def __init__(self, timezone: str = "UTC", daily_hour: int = 7, override_s: float | None = None) -> None:
        if not 0 <= daily_hour <= 23:
            raise ValueError(f"daily_hour must be 0..23, not {daily_hour}")
        if override_s is not None and override_s <= 0:
            raise ValueError("override_s must be positive")
        self.zone = ZoneInfo(timezone)
        self.daily_hour = daily_hour
        self.override_s = override_s

    def period(self, kind: DigestKind, moment: datetime) -> Period:
        """The ``kind`` period containing ``moment`` (a naive ``moment`` is taken as UTC)."""
        at = _utc(moment)
        if self.override_s is not None:
            return self._fixed(at, self.override_s)
        if kind == "hourly":
            return self._hourly(at)
        return self._daily(at)

    def following(self, kind: DigestKind, period: Period) -> Period:
        """The period right after ``period``."""
        return self.period(kind, period.end)

    def _fixed(self, at: datetime, seconds: float) -> Period:
        start_s = math.floor(at.timestamp() / seconds) * seconds
        start = datetime.fromtimestamp(start_s, UTC)
        key = start.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M:%S")
        return Period(key, start, start + timedelta(seconds=seconds))

    def _hourly(self, at: datetime) -> Period:
        local = at.astimezone(self.zone)
        floor = local.replace(minute=0, second=0, microsecond=0)  # keeps ``fold``: DST fall-back hour
        start = floor.astimezone(UTC)
        return Period(floor.strftime("%Y-%m-%dT%H"), start, start + timedelta(hours=1))

    def _at_hour(self, day: datetime) -> datetime:
        return datetime.combine(day.date(), time(self.daily_hour), tzinfo=self.zone)

    def _daily(self, at: datetime) -> Period:
        local = at.astimezone(self.zone)
        end_local = self._at_hour(local)
        if end_local.astimezone(UTC) <= at:
            end_local = self._at_hour(local + timedelta(days=1))
        start_local = self._at_hour(end_local - timedelta(days=1))
        return Period(end_local.date().isoformat(), start_local.astimezone(UTC), end_local.astimezone(UTC))
